/* Replacing parts of a message by a text notice (strip.h): the targets are
 * located in the raw bytes through the parsed tree (header fields and raw
 * bodies are slices of the input), then the message is copied in order,
 * each target's Content-* fields and body swapped for the notice's. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "mime/strip.h"

#define STRIP_7BIT_LINE_MAX	998	/* RFC 5322 line length, without CRLF */
#define STRIP_B64_LINE		57	/* input bytes of one 76-column base64 line */

/* One target, located: where its fields are inserted, its body. */
struct strip_spot {
	const struct mime_part *part;
	const char	*notice;
	size_t		 ins;		/* offset of the empty line ending its header */
	size_t		 body;		/* offset of the body (after the empty line) */
	size_t		 end;		/* offset after the body */
	const char	*eol;		/* "\r\n" or "\n", as the empty line */
};

struct strip_out {
	const struct mime_msg *msg;
	struct mg_buf	*out;
	const uint64_t	*offs;
	uint64_t	*map;
	size_t		 noffs;
};

static bool
slice_in(const struct mime_msg *m, const uint8_t *p, size_t len)
{
	const uint8_t *b = m->raw.ptr;

	return p != NULL && p >= b && p <= b + m->raw.len && len <= m->raw.len - (size_t)(p - b);
}

/* Whether every byte of p's entity is a slice of the raw message and its
 * header section was read whole. */
static bool
part_located(const struct mime_msg *m, const struct mime_part *p)
{
	if (p->flags & (MIME_F_HEADER_TOO_LONG | MIME_F_TOO_MANY_HEADERS | MIME_F_TRUNCATED))
		return false;
	if (!slice_in(m, p->raw_body.ptr, p->raw_body.len))
		return false;
	for (size_t i = 0; i < p->nheaders; i++)
		if (!slice_in(m, p->headers[i].name.ptr, 0) ||
		    !slice_in(m, p->headers[i].raw.ptr, p->headers[i].raw.len))
			return false;
	return true;
}

static bool
is_container(const struct mime_part *p)
{
	return strcmp(p->type, "multipart") == 0 || strcmp(p->type, "message") == 0;
}

const struct mime_part *
mime_strip_target(const struct mime_msg *m, const struct mime_part *p)
{
	for (; p != NULL; p = p->parent)
		if ((p->parent == NULL || is_container(p->parent)) && part_located(m, p))
			return p;
	return NULL;
}

int
mime_body_span(const struct mime_msg *m, const struct mime_part *p, size_t *ins, size_t *body,
    size_t *end, const char **eol)
{
	const uint8_t *b = m->raw.ptr;
	size_t at = (size_t)(p->raw_body.ptr - b);

	*body = at;
	*end = at + p->raw_body.len;
	if (at == 0 || b[at - 1] != '\n')
		return -MG_EINVAL;
	*ins = at >= 2 && b[at - 2] == '\r' ? at - 2 : at - 1;
	if (*ins > 0 && b[*ins - 1] != '\n')
		return -MG_EINVAL;	/* the body began at a line that is not a field */
	*eol = at - *ins == 2 ? "\r\n" : "\n";
	return 0;
}

static bool
is_ancestor(const struct mime_part *a, const struct mime_part *p)
{
	for (; p != NULL; p = p->parent)
		if (p == a)
			return true;
	return false;
}

static int
spot_order(const void *x, const void *y)
{
	const struct strip_spot *a = x, *b = y;

	return a->body < b->body ? -1 : a->body > b->body;
}

/* Copies raw[from..to) and maps the offsets it holds. */
static int
emit_raw(struct strip_out *o, size_t from, size_t to)
{
	size_t at = o->out->len;

	for (size_t i = 0; i < o->noffs; i++)
		if (o->offs[i] >= from && o->offs[i] < to)
			o->map[i] = at + (o->offs[i] - from);
	return mg_buf_append(o->out, o->msg->raw.ptr + from, to - from);
}

/* The notice's transfer encoding: 7bit when it is short-lined ASCII with
 * no line that could be read as a boundary, else base64. */
static bool
notice_7bit(const char *s)
{
	size_t col = 0;

	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p >= 0x80 || *p == '\r' ||
		    (col == 0 && p[0] == '-' && p[1] == '-'))
			return false;
		col = *p == '\n' ? 0 : col + 1;
		if (col > STRIP_7BIT_LINE_MAX)
			return false;
	}
	return true;
}

static int
emit_text(struct mg_buf *out, const char *s, const char *eol)
{
	int rc = 0;

	for (const char *nl; rc == 0 && *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		rc = mg_buf_append(out, s, nl ? (size_t)(nl - s) : strlen(s));
		if (rc == 0 && nl)
			rc = mg_buf_append(out, eol, strlen(eol));
	}
	return rc;
}

/* Base64 of the notice in canonical form (CRLF line ends), 76 columns. */
static int
emit_base64(struct mg_buf *out, const char *s, const char *eol)
{
	struct mg_buf canon;
	unsigned char line[80];
	int rc;

	mg_buf_init(&canon, 2 * MIME_STRIP_NOTICE_MAX);
	rc = emit_text(&canon, s, "\r\n");
	for (size_t i = 0; rc == 0 && i < canon.len; i += STRIP_B64_LINE) {
		size_t n = canon.len - i < STRIP_B64_LINE ? canon.len - i : STRIP_B64_LINE;
		int w = EVP_EncodeBlock(line, canon.data + i, (int)n);
		rc = mg_buf_append(out, line, (size_t)w);
		rc = rc ? rc : mg_buf_append(out, eol, strlen(eol));
	}
	mg_buf_release(&canon);
	return rc;
}

static bool
is_content_field(const struct mime_header *h)
{
	return mg_slice_prefix_nocase(h->name, "content-");
}

/* One target: its fields but Content-*, the new ones, the empty line,
 * the notice. *pos is where copying stopped; it ends after the body. */
static int
emit_spot(struct strip_out *o, const struct strip_spot *s, size_t *pos)
{
	const struct mime_part *p = s->part;
	const uint8_t *b = o->msg->raw.ptr;
	bool b64 = !notice_7bit(s->notice);
	bool message = p->parent == NULL || strcmp(p->parent->type, "message") == 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->nheaders; i++) {
		const struct mime_header *h = &p->headers[i];
		size_t start = (size_t)(h->name.ptr - b);
		size_t end = (size_t)(h->raw.ptr - b) + h->raw.len;

		if (!is_content_field(h) || start < *pos || end > s->ins)
			continue;
		if (end < s->ins && b[end] == '\r')
			end++;
		if (end < s->ins && b[end] == '\n')
			end++;
		rc = emit_raw(o, *pos, start);
		*pos = end;
	}
	if (rc == 0)
		rc = emit_raw(o, *pos, s->ins);
	if (rc == 0 && message && mime_header_find(p, "mime-version") == NULL)
		rc = mg_buf_appendf(o->out, "MIME-Version: 1.0%s", s->eol);
	if (rc == 0)
		rc = mg_buf_appendf(o->out, "Content-Type: text/plain; charset=utf-8%s"
		    "Content-Transfer-Encoding: %s%sContent-Disposition: inline%s", s->eol,
		    b64 ? "base64" : "7bit", s->eol, s->eol);
	if (rc == 0)
		rc = emit_raw(o, s->ins, s->body);
	if (rc == 0)
		rc = b64 ? emit_base64(o->out, s->notice, s->eol) :
		    emit_text(o->out, s->notice, s->eol);
	*pos = s->end;
	return rc;
}

/* The targets of items, located, sorted, without nested or repeated ones;
 * *nspots is how many are left. */
static int
strip_spots(const struct mime_msg *m, const struct mime_strip_item *items, size_t n,
    struct strip_spot *spots, size_t *nspots)
{
	size_t k = 0, kept = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (items[i].part == NULL || items[i].notice == NULL ||
		    strlen(items[i].notice) > MIME_STRIP_NOTICE_MAX ||
		    (spots[k].part = mime_strip_target(m, items[i].part)) == NULL)
			return -MG_EINVAL;
		spots[k].notice = items[i].notice;
		if ((rc = mime_body_span(m, spots[k].part, &spots[k].ins, &spots[k].body,
		    &spots[k].end, &spots[k].eol)) < 0)
			return rc;
		k++;
	}
	qsort(spots, k, sizeof(*spots), spot_order);
	for (size_t i = 0; i < k; i++) {
		bool inside = false;
		for (size_t j = 0; j < k && !inside; j++)
			inside = j != i && is_ancestor(spots[j].part, spots[i].part) &&
			    (spots[j].part != spots[i].part || j < i);
		if (!inside)
			spots[kept++] = spots[i];
	}
	*nspots = kept;
	return 0;
}

int
mime_strip(const struct mime_msg *m, const struct mime_strip_item *items, size_t n,
    const uint64_t *offs, uint64_t *map, size_t noffs, struct mg_buf *out)
{
	struct strip_spot spots[MIME_STRIP_MAX_ITEMS];
	struct strip_out o = { m, out, offs, map, noffs };
	size_t nspots, pos = 0;
	int rc;

	mg_buf_reset(out);
	if (n == 0 || n > MIME_STRIP_MAX_ITEMS)
		return -MG_EINVAL;
	for (size_t i = 0; i < noffs; i++)
		map[i] = MIME_STRIP_UNMAPPED;
	if ((rc = strip_spots(m, items, n, spots, &nspots)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < nspots; i++)
		rc = emit_spot(&o, &spots[i], &pos);
	if (rc == 0)
		rc = emit_raw(&o, pos, m->raw.len);
	if (rc < 0) {
		mg_buf_reset(out);
		for (size_t i = 0; i < noffs; i++)
			map[i] = MIME_STRIP_UNMAPPED;
	}
	return rc;
}
