/* OOXML packages (office.h): the zip's members read from memory with
 * libarchive within count and size limits; vbaProject.bin goes through
 * the OLE and VBA readers, relationships and field codes are searched. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "files/office.h"

/* What a member is to us, by its path. */
enum ooxml_part { PART_NONE, PART_TYPES, PART_VBA, PART_XLM, PART_RELS, PART_WORD,
	PART_XLLINK };

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static enum ooxml_part
ooxml_part(const char *path)
{
	if (strcasecmp(path, "[Content_Types].xml") == 0)
		return PART_TYPES;
	if (has_suffix(path, "vbaProject.bin"))
		return PART_VBA;
	if (strncasecmp(path, "xl/macrosheets/", 15) == 0)
		return PART_XLM;
	if (has_suffix(path, ".rels"))
		return PART_RELS;
	if (strncasecmp(path, "word/", 5) == 0 && has_suffix(path, ".xml"))
		return PART_WORD;
	if (strncasecmp(path, "xl/externalLinks/", 17) == 0 && has_suffix(path, ".xml"))
		return PART_XLLINK;
	return PART_NONE;
}

/* The value of attribute name inside tag[0..len), or false. */
static bool
xml_attr(const char *tag, size_t len, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	for (size_t i = 1; i + n + 2 < len; i++) {
		char q;
		size_t j = i + n, k = 0;
		if ((tag[i - 1] != ' ' && tag[i - 1] != '\t' && tag[i - 1] != '\n' &&
		    tag[i - 1] != '\r') || strncmp(tag + i, name, n) != 0 || tag[j] != '=')
			continue;
		q = tag[j + 1];
		if (q != '"' && q != '\'')
			continue;
		for (j += 2; j < len && tag[j] != q && k + 1 < outlen; j++)
			out[k++] = tag[j];
		out[k] = '\0';
		return true;
	}
	return false;
}

/* True when a tag "<name" starts at s[at]: its length up to '>' in *taglen. */
static bool
xml_tag_at(const char *s, size_t len, size_t at, const char *name, size_t *taglen)
{
	size_t n = strlen(name);
	const char *gt;

	if (len - at < n + 2 || s[at] != '<' || strncmp(s + at + 1, name, n) != 0 ||
	    (s[at + n + 1] != ' ' && s[at + n + 1] != '>' && s[at + n + 1] != '/'))
		return false;
	if ((gt = memchr(s + at, '>', len - at)) == NULL)
		return false;
	*taglen = (size_t)(gt - (s + at)) + 1;
	return true;
}

/* Next tag "<name" in s[*pos..len), or NULL; *pos moves past it. */
static const char *
xml_next(const char *s, size_t len, size_t *pos, const char *name, size_t *taglen)
{
	const char *lt;

	while (*pos < len && (lt = memchr(s + *pos, '<', len - *pos)) != NULL) {
		size_t at = (size_t)(lt - s);
		*pos = at + 1;
		if (xml_tag_at(s, len, at, name, taglen)) {
			*pos = at + *taglen;
			return lt;
		}
	}
	*pos = len;
	return NULL;
}

/* True for a target fetched over the network. Local paths (file:///C:/...)
 * are what Word writes for a document made from a local template or with
 * a linked local workbook; UNC paths are left too (templates on a file
 * server). */
static bool
remote_target(const char *t)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://", "mhtml:" };

	while (*t == ' ')
		t++;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(t, schemes[i], strlen(schemes[i])) == 0)
			return true;
	return false;
}

/* Relationships with TargetMode="External" to a network target: a
 * template, or an object or frame loaded from outside. */
static void
ooxml_rels(struct office_findings *f, const char *s, size_t len)
{
	char type[256], target[OFFICE_DETAIL], mode[32];
	const char *tag;
	size_t pos = 0, n;

	while ((tag = xml_next(s, len, &pos, "Relationship", &n)) != NULL) {
		if (!xml_attr(tag, n, "TargetMode", mode, sizeof(mode)) ||
		    strcasecmp(mode, "External") != 0 ||
		    !xml_attr(tag, n, "Type", type, sizeof(type)) ||
		    !xml_attr(tag, n, "Target", target, sizeof(target)) || !remote_target(target))
			continue;
		if (has_suffix(type, "/attachedTemplate")) {
			if (!(f->flags & OFFICE_F_EXT_TEMPLATE))
				office_detail(f->template_url, target, strlen(target));
			f->flags |= OFFICE_F_EXT_TEMPLATE;
		} else if (has_suffix(type, "/oleObject") || has_suffix(type, "/frame") ||
		    has_suffix(type, "/subDocument") || strncasecmp(target, "mhtml:", 6) == 0) {
			if (!(f->flags & OFFICE_F_REMOTE_OBJECT))
				office_detail(f->remote_url, target, strlen(target));
			f->flags |= OFFICE_F_REMOTE_OBJECT;
		}
	}
}

/* Field codes of a WordprocessingML part: each field's start as 0x13,
 * its instrText runs and fldSimple instructions, then the DDE search. */
static int
ooxml_fields(struct office_findings *f, const char *s, size_t len)
{
	char attr[OFFICE_DETAIL];
	struct mg_buf b;
	const char *lt;
	size_t pos = 0, n;
	int rc = 0;

	mg_buf_init(&b, len + 1);
	while (rc == 0 && pos < len && (lt = memchr(s + pos, '<', len - pos)) != NULL) {
		size_t at = (size_t)(lt - s);
		pos = at + 1;
		if (xml_tag_at(s, len, at, "w:fldChar", &n)) {
			if (xml_attr(lt, n, "w:fldCharType", attr, sizeof(attr)) &&
			    strcmp(attr, "begin") == 0)
				rc = mg_buf_putc(&b, 0x13);
		} else if (xml_tag_at(s, len, at, "w:fldSimple", &n)) {
			if (xml_attr(lt, n, "w:instr", attr, sizeof(attr)) &&
			    (rc = mg_buf_putc(&b, 0x13)) == 0)
				rc = mg_buf_append(&b, attr, strlen(attr));
		} else if (xml_tag_at(s, len, at, "w:instrText", &n)) {
			const char *text = lt + n, *end = memchr(text, '<', len - at - n);
			rc = mg_buf_append(&b, text, end != NULL ? (size_t)(end - text) : 0);
		}
	}
	if (rc == 0)
		office_dde_fields(f, b.data, b.len, 1);
	mg_buf_release(&b);
	return rc == -MG_ENOMEM ? rc : 0;
}

/* An Excel external link of the DDE kind. */
static void
ooxml_xllink(struct office_findings *f, const char *s, size_t len)
{
	char service[48], topic[64], what[OFFICE_DETAIL];
	size_t pos = 0, n;
	const char *tag = xml_next(s, len, &pos, "ddeLink", &n);

	if (tag == NULL)
		return;
	if (!xml_attr(tag, n, "ddeService", service, sizeof(service)))
		service[0] = '\0';
	if (!xml_attr(tag, n, "ddeTopic", topic, sizeof(topic)))
		topic[0] = '\0';
	snprintf(what, sizeof(what), "ddeLink %s|%s", service, topic);
	if (!(f->flags & OFFICE_F_DDE))
		office_detail(f->dde, what, strlen(what));
	f->flags |= OFFICE_F_DDE;
}

static int
ooxml_member(struct office_findings *f, enum ooxml_part part, const char *path,
    const uint8_t *d, size_t len)
{
	const char *base = strrchr(path, '/');

	switch (part) {
	case PART_VBA:
		return office_ole(d, len, f);
	case PART_XLM:
		if (!(f->flags & OFFICE_F_XLM))
			office_detail(f->xlm, base + 1, strlen(base + 1));
		f->flags |= OFFICE_F_XLM;
		return 0;
	case PART_RELS:
		ooxml_rels(f, (const char *)d, len);
		return 0;
	case PART_WORD:
		return ooxml_fields(f, (const char *)d, len);
	case PART_XLLINK:
		ooxml_xllink(f, (const char *)d, len);
		return 0;
	default:
		return 0;
	}
}

/* Reads the current member into b (cut at the limits). */
static int
ooxml_read(struct archive *ar, struct mg_buf *b, size_t *total)
{
	uint8_t chunk[16384];
	la_ssize_t n;
	int rc;

	mg_buf_reset(b);
	while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		size_t take = (size_t)n;
		if (b->len + take > OFFICE_MAX_ZIP_ENTRY)
			take = OFFICE_MAX_ZIP_ENTRY - b->len;
		if (*total + take > OFFICE_MAX_ZIP_TOTAL)
			return -MG_ELIMIT;
		if ((rc = mg_buf_append(b, chunk, take)) < 0)
			return rc;
		*total += take;
		if (b->len == OFFICE_MAX_ZIP_ENTRY)
			break;
	}
	return n < 0 ? -MG_EPROTO : 0;
}

int
office_ooxml(const uint8_t *d, size_t len, struct office_findings *f)
{
	struct archive *ar;
	struct archive_entry *ent;
	struct mg_buf b;
	size_t total = 0;
	int rc = 0, r;

	if ((ar = archive_read_new()) == NULL)
		return -MG_ENOMEM;
	mg_buf_init(&b, OFFICE_MAX_ZIP_ENTRY);
	archive_read_support_format_zip(ar);
	if (archive_read_open_memory(ar, d, len) != ARCHIVE_OK)
		goto out;
	for (unsigned i = 0; i < OFFICE_MAX_ZIP_ENTRIES && rc == 0; i++) {
		const char *path;
		enum ooxml_part part;
		if ((r = archive_read_next_header(ar, &ent)) == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (f->flags & OFFICE_F_OOXML)
				office_corrupt(f, "zip: unreadable member header");
			break;
		}
		if ((path = archive_entry_pathname(ent)) == NULL ||
		    (part = ooxml_part(path)) == PART_NONE)
			continue;
		if (part == PART_TYPES) {
			f->flags |= OFFICE_F_OOXML;
			continue;
		}
		if ((rc = ooxml_read(ar, &b, &total)) == -MG_ELIMIT)
			break;
		if (rc == -MG_EPROTO && part == PART_VBA)
			office_corrupt(f, "zip: vbaProject.bin unreadable");
		if (rc != -MG_ENOMEM)
			rc = ooxml_member(f, part, path, b.data != NULL ? b.data : (const uint8_t *)"",
			    b.len);
	}
out:
	archive_read_free(ar);
	mg_buf_release(&b);
	return rc == -MG_ENOMEM ? rc : 0;
}
