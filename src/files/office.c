/* Office document analysis (office.h): the entry point, and what is read
 * from compound files: VBA projects, BIFF8 macro sheets, Word DDE fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "files/office.h"
#include "files/ole.h"
#include "files/vba.h"

#define BIFF_BOUNDSHEET	0x0085
#define BIFF_EOF	0x000a
#define BIFF_SHEET_XLM	0x01	/* BoundSheet8.dt: Excel 4.0 macro sheet */
#define OFFICE_MAX_TEXT	(32u << 20)	/* bytes of a Workbook or WordDocument stream */

static const uint8_t zip_magic[4] = { 'P', 'K', 3, 4 };

bool
office_magic(const uint8_t *p, size_t len)
{
	return ole_magic(p, len) || (len >= 4 && memcmp(p, zip_magic, 4) == 0);
}

void
office_detail(char *dst, const char *s, size_t n)
{
	size_t k;

	/* ASCII only: module names are in the project's code page */
	for (k = 0; k < n && k + 1 < OFFICE_DETAIL; k++)
		dst[k] = (unsigned char)s[k] < 0x20 || (unsigned char)s[k] >= 0x7f ? '?' : s[k];
	dst[k] = '\0';
}

void
office_corrupt(struct office_findings *f, const char *what)
{
	if (!(f->flags & OFFICE_F_CORRUPT))
		office_detail(f->corrupt, what, strlen(what));
	f->flags |= OFFICE_F_CORRUPT;
}

/* The character at s[i] of a text read with stride (1 or 2), or -1 for a
 * UTF-16 unit outside ASCII. */
static int
text_char(const uint8_t *s, size_t i, unsigned stride)
{
	return stride == 2 && s[i + 1] != 0 ? -1 : s[i];
}

void
office_dde_fields(struct office_findings *f, const uint8_t *s, size_t len, unsigned stride)
{
	for (size_t i = 0; i + stride <= len; i += stride) {
		size_t j = i + stride, n = 0;
		char instr[OFFICE_DETAIL];
		int c;
		if (text_char(s, i, stride) != 0x13)
			continue;
		while (j + stride <= len && (c = text_char(s, j, stride)) == ' ')
			j += stride;
		while (j + stride <= len && n + 1 < sizeof(instr) &&
		    (c = text_char(s, j, stride)) >= 0x20 && c < 0x7f) {
			instr[n++] = (char)c;
			j += stride;
		}
		instr[n] = '\0';
		if (strncasecmp(instr, "DDEAUTO", 7) == 0 || (strncasecmp(instr, "DDE", 3) == 0 &&
		    (instr[3] == ' ' || instr[3] == '\0' || instr[3] == '"'))) {
			if (!(f->flags & OFFICE_F_DDE))
				office_detail(f->dde, instr, n);
			f->flags |= OFFICE_F_DDE;
			return;
		}
	}
}

/* Excel's BIFF8 globals: a BOUNDSHEET of type macro sheet is XLM. */
static void
office_biff(struct office_findings *f, const uint8_t *d, size_t len)
{
	static const char *const state[] = { "", " (hidden)", " (very hidden)", "" };
	size_t i = 0;

	while (len - i >= 4) {
		unsigned type = (unsigned)(d[i] | d[i + 1] << 8), size = d[i + 2] | d[i + 3] << 8;
		const uint8_t *r = d + i + 4;
		i += 4;
		if (size > len - i || type == BIFF_EOF)
			return;
		i += size;
		if (type != BIFF_BOUNDSHEET || size < 8 || r[5] != BIFF_SHEET_XLM)
			continue;
		if (!(f->flags & OFFICE_F_XLM)) {
			char name[OFFICE_DETAIL];
			size_t cch = r[6], wide = r[7] & 1, n = 0;
			for (size_t k = 0; k < cch && 8 + (k + 1) * (wide + 1) <= size &&
			    n + 16 < sizeof(name); k++) {
				uint8_t c = r[8 + k * (wide + 1)];
				name[n++] = wide && r[9 + k * 2] != 0 ? '?' : (char)c;
			}
			snprintf(name + n, sizeof(name) - n, "%s", state[r[4] & 3]);
			office_detail(f->xlm, name, strlen(name));
		}
		f->flags |= OFFICE_F_XLM;
	}
}

/* Reads the root stream name and hands it to fn. */
static int
office_root_stream(struct office_findings *f, const struct ole_file *o, const char *name,
    void (*fn)(struct office_findings *, const uint8_t *, size_t))
{
	uint8_t *d;
	size_t len;
	int e, rc;

	if ((e = ole_child(o, 0, name)) < 0 || o->entries[e].type != OLE_STREAM)
		return 0;
	if ((rc = ole_read(o, (uint32_t)e, OFFICE_MAX_TEXT, &d, &len)) == -MG_ENOMEM)
		return rc;
	if (rc < 0) {
		char what[128];
		snprintf(what, sizeof(what), "stream %s: %s", name, mg_strerror(rc));
		office_corrupt(f, what);
		return 0;
	}
	fn(f, d, len);
	free(d);
	return 0;
}

static void
office_word(struct office_findings *f, const uint8_t *d, size_t len)
{
	office_dde_fields(f, d, len, 1);
	office_dde_fields(f, d, len, 2);
}

static int
office_module(void *arg, const struct vba_module *m, const char *src, size_t len)
{
	office_vba_source(arg, m->name, src, len);
	return 0;
}

/* Every storage named VBA that holds a dir stream is a VBA project. */
static int
office_vba_projects(struct office_findings *f, const struct ole_file *o)
{
	for (size_t i = 1; i < o->nentries && f->work < OFFICE_MAX_WORK; i++) {
		const struct ole_entry *e = &o->entries[i];
		int rc;
		if (e->type != OLE_STORAGE || strcasecmp(e->name, "VBA") != 0 ||
		    ole_child(o, (uint32_t)i, "dir") < 0)
			continue;
		size_t budget = OFFICE_MAX_WORK - f->work;
		rc = vba_project_read(o, (uint32_t)i, &budget, office_module, f);
		f->work = OFFICE_MAX_WORK - budget;
		if (rc == -MG_ENOMEM)
			return rc;
		if (rc < 0) {
			char what[128];
			snprintf(what, sizeof(what), "vba project: %s", mg_strerror(rc));
			office_corrupt(f, what);
		}
	}
	return 0;
}

int
office_ole(const uint8_t *d, size_t len, struct office_findings *f)
{
	struct ole_file o;
	char what[64];
	int rc;

	if ((rc = ole_open(&o, d, len)) < 0) {
		if (rc == -MG_ENOMEM)
			return rc;
		snprintf(what, sizeof(what), "compound file: %s", mg_strerror(rc));
		office_corrupt(f, what);
		return 0;
	}
	if (ole_child(&o, 0, "EncryptedPackage") >= 0)
		f->flags |= OFFICE_F_ENCRYPTED;
	if ((rc = office_vba_projects(f, &o)) == 0 &&
	    (rc = office_root_stream(f, &o, "Workbook", office_biff)) == 0 &&
	    (rc = office_root_stream(f, &o, "Book", office_biff)) == 0)
		rc = office_root_stream(f, &o, "WordDocument", office_word);
	ole_close(&o);
	return rc;
}

int
office_scan(const uint8_t *d, size_t len, struct office_findings *f)
{
	memset(f, 0, sizeof(*f));
	if (ole_magic(d, len)) {
		f->flags |= OFFICE_F_OLE;
		return office_ole(d, len, f);
	}
	if (len >= 4 && memcmp(d, zip_magic, 4) == 0)
		return office_ooxml(d, len, f);
	return 0;
}
