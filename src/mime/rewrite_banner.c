/* The "deliver but warn" banner (rewrite.h): the first text/plain and the
 * first text/html part of the body get a warning at their top, inserted
 * in place when the part allows it, else decoded, converted to UTF-8 and
 * re-encoded; the rest of the message is copied as it is. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "mime/mime_charset.h"
#include "mime/mime_header.h"
#include "mime/rewrite.h"
#include "mime/rewrite_int.h"
#include "mime/strip.h"

#define QP_LINE		76	/* columns of a quoted-printable line, "=" included */
#define B64_LINE	57	/* input bytes of one 76-column base64 line */

static const char div_open[] = "<div style=\"border:2px solid #c00;padding:8px;"
    "margin:0 0 8px 0;background:#fff3cd;color:#000\">";

/* One part taking the banner. */
struct spot {
	const struct mime_part *part;
	bool		 html;
	bool		 in_place;	/* text inserted at raw offset at */
	size_t		 at;
	size_t		 ins, body, end;	/* empty line, body, end of body */
	const char	*eol;		/* as the part's empty line */
	struct mg_buf	 text;		/* inserted bytes, or the new encoded body */
};

/* Offset after the <body ...> tag of html, or 0 when there is none. */
static size_t
html_body_end(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i + 5 < n; i++) {
		if (s[i] != '<' || strncasecmp((const char *)s + i + 1, "body", 4) != 0 ||
		    strchr(" \t\r\n>/", s[i + 5]) == NULL || s[i + 5] == '\0')
			continue;
		for (size_t j = i + 5; j < n; j++)
			if (s[j] == '>')
				return j + 1;
		return 0;
	}
	return 0;
}

/* The banner as HTML: escaped, non-ASCII as character references (so it
 * fits any ASCII-compatible charset), lines joined by <br>, in a div. */
static int
html_banner(struct mg_buf *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	int rc = mg_buf_append(out, div_open, sizeof(div_open) - 1);

	while (rc == 0 && *s) {
		unsigned cp = *s, k = cp < 0x80 ? 0 : cp < 0xe0 ? 1 : cp < 0xf0 ? 2 : 3;

		cp &= k == 0 ? 0x7f : 0x3f >> k;
		for (unsigned i = 1; i <= k; i++)
			cp = cp << 6 | (s[i] & 0x3f);
		if (cp == '\n' && s[1] != '\0')
			rc = mg_buf_append(out, "<br>", 4);
		else if (cp == '\n' || cp == '\r')
			;
		else if (strchr("&<>\"'", (int)cp) != NULL || cp >= 0x80)
			rc = mg_buf_appendf(out, "&#%u;", cp);
		else
			rc = mg_buf_putc(out, (uint8_t)cp);
		s += k + 1;
	}
	return rc ? rc : mg_buf_append(out, "</div>", 6);
}

/* The banner in front of a plain text: its lines, then an empty line. */
static int
plain_banner(struct mg_buf *out, const char *text, const char *eol)
{
	size_t n = strlen(text);
	int rc = mime__rw_lines(out, text, n, eol);

	if (rc == 0 && (n == 0 || text[n - 1] != '\n'))
		rc = mg_buf_append(out, eol, strlen(eol));
	return rc ? rc : mg_buf_append(out, eol, strlen(eol));
}

/* Quoted-printable of t with eol as hard line break; "-" at the start of
 * a line is encoded so that no line can read as a boundary. */
static int
qp_encode(struct mg_buf *out, const uint8_t *t, size_t n, const char *eol)
{
	size_t col = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint8_t c = t[i];
		bool lf = c == '\n' || (c == '\r' && i + 1 < n && t[i + 1] == '\n');
		bool at_end = i + 1 == n || t[i + 1] == '\n' ||
		    (t[i + 1] == '\r' && i + 2 < n && t[i + 2] == '\n');
		bool enc = c == '=' || (c < 0x20 && c != '\t') || c >= 0x7f ||
		    ((c == ' ' || c == '\t') && at_end) || (c == '-' && col == 0);

		if (lf) {
			i += c == '\r';
			rc = mg_buf_append(out, eol, strlen(eol));
			col = 0;
			continue;
		}
		if (col + (enc ? 3 : 1) > QP_LINE - 1) {
			rc = mg_buf_appendf(out, "=%s", eol);
			col = 0;
			enc = enc || c == '-';
		}
		if (rc == 0)
			rc = enc ? mg_buf_appendf(out, "=%02X", c) : mg_buf_putc(out, c);
		col += enc ? 3 : 1;
	}
	return rc;
}

static int
b64_encode(struct mg_buf *out, const uint8_t *t, size_t n, const char *eol)
{
	unsigned char line[80];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i += B64_LINE) {
		size_t k = n - i < B64_LINE ? n - i : B64_LINE;
		int w = EVP_EncodeBlock(line, t + i, (int)k);

		rc = mg_buf_append(out, line, (size_t)w);
		rc = rc ? rc : mg_buf_append(out, eol, strlen(eol));
	}
	return rc;
}

static bool
identity_encoding(const struct mime_part *p)
{
	return strcmp(p->encoding, "7bit") == 0 || strcmp(p->encoding, "8bit") == 0 ||
	    strcmp(p->encoding, "binary") == 0;
}

/* Whether ASCII bytes inserted into the part read as ASCII. */
static bool
ascii_compatible(const struct mime_part *p)
{
	static const char *const wide[] = { "utf-16", "utf-32", "ucs", "utf-7" };

	for (size_t i = 0; p->charset != NULL && i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncasecmp(p->charset, wide[i], strlen(wide[i])) == 0)
			return false;
	return true;
}

/* The line end of a text: as its first line, or dflt when it has none. */
static const char *
text_eol(const uint8_t *t, size_t n, const char *dflt)
{
	return n > 0 && memchr(t, '\n', n) != NULL ? mime__rw_eol(t, n) : dflt;
}

/* In place: the banner as ASCII at the top of the raw body (HTML: after
 * the body tag). */
static int
spot_in_place(const struct mime_msg *m, struct spot *s, const char *text)
{
	const struct mime_part *p = s->part;
	const char *eol = mime__rw_eol(m->raw.ptr, m->raw.len);

	s->in_place = true;
	if (s->html) {
		s->at = s->body + html_body_end(p->raw_body.ptr, p->raw_body.len);
		return html_banner(&s->text, text);
	}
	s->at = s->body;
	return plain_banner(&s->text, text, text_eol(p->raw_body.ptr, p->raw_body.len, eol));
}

/* Decoded, converted to UTF-8, given the banner, re-encoded into s->text;
 * 1 when the part cannot be rewritten whole (its text was cut). */
static int
spot_recode(struct spot *s, const char *text, size_t max)
{
	const struct mime_part *p = s->part;
	struct mg_buf u, t;
	struct mime_conv cv;
	size_t at;
	int rc;

	mg_buf_init(&u, max);
	mg_buf_init(&t, max);
	rc = mime_charset_to_utf8(p->charset, p->body.ptr, p->body.len,
	    s->html ? MIME_CS_HTML : 0, &u, &cv);
	if (rc == 0 && (cv.flags & MIME_F_DECODED_LIMIT))
		rc = 1;
	if (rc == 0 && s->html) {
		at = html_body_end(u.data, u.len);
		if ((rc = mg_buf_append(&t, u.data, at)) == 0 &&
		    (rc = html_banner(&t, text)) == 0)
			rc = mg_buf_append(&t, u.data + at, u.len - at);
	} else if (rc == 0) {
		if ((rc = plain_banner(&t, text, text_eol(u.data, u.len, s->eol))) == 0)
			rc = mg_buf_append(&t, u.data, u.len);
	}
	if (rc == 0 && strcmp(p->encoding, "base64") == 0) {
		rc = b64_encode(&s->text, t.data, t.len, s->eol);
		/* the line end before the next boundary belongs to it */
		if (rc == 0 && (p->raw_body.len == 0 || p->raw_body.ptr[p->raw_body.len - 1] != '\n'))
			s->text.len -= strlen(s->eol);
	} else if (rc == 0) {
		rc = qp_encode(&s->text, t.data, t.len, s->eol);
	}
	mg_buf_release(&u);
	mg_buf_release(&t);
	return rc;
}

/* Whether p is a visible body part: text/plain or text/html, not an
 * attachment, not inside a message/rfc822 of the body, located whole. */
static bool
body_text(const struct mime_msg *m, const struct mime_part *p)
{
	if (p->is_attachment || strcmp(p->type, "text") != 0 ||
	    (strcmp(p->subtype, "plain") != 0 && strcmp(p->subtype, "html") != 0) ||
	    (p->flags & (MIME_F_DECODED_LIMIT | MIME_F_UNKNOWN_ENCODING)) ||
	    mime_strip_target(m, p) != p)
		return false;
	for (const struct mime_part *q = p->parent; q != NULL; q = q->parent)
		if (strcmp(q->type, "message") == 0)
			return false;
	return true;
}

/* Chooses and prepares the spots (at most one plain, one html, in the
 * order of the message); *n gets how many. */
static int
spots_prepare(const struct mime_msg *m, const char *text, size_t max, struct spot *sp,
    size_t *n)
{
	bool ascii = mime_ascii_span((const uint8_t *)text, strlen(text)) == strlen(text);
	bool seen[2] = { false, false };
	int rc = 0;

	*n = 0;
	for (size_t i = 0; rc == 0 && i < m->nparts && *n < 2; i++) {
		struct spot *s = &sp[*n];
		const struct mime_part *p = m->parts[i];
		bool html;

		if (!body_text(m, p) || seen[html = strcmp(p->subtype, "html") == 0])
			continue;
		s->part = p;
		s->html = html;
		s->in_place = false;
		mg_buf_init(&s->text, max);
		if (identity_encoding(p) && ascii_compatible(p) && (html || ascii)) {
			(void)mime_body_span(m, s->part, &s->ins, &s->body, &s->end, &s->eol);
			rc = spot_in_place(m, s, text);
		} else if (mime_body_span(m, s->part, &s->ins, &s->body, &s->end, &s->eol) < 0 ||
		    (rc = spot_recode(s, text, max)) == 1) {
			mg_buf_release(&s->text);
			rc = 0;
			continue;
		}
		if (rc < 0) {
			mg_buf_release(&s->text);
			break;
		}
		seen[html] = true;
		(*n)++;
	}
	return rc;
}

/* Content-Type of a recoded part: its type, charset=utf-8, and the
 * format and delsp parameters that still describe the text. */
static int
emit_content_type(struct mg_buf *out, struct mg_arena *a, const struct mime_part *p,
    const char *eol)
{
	static const char *const keep[] = { "format", "delsp" };
	const struct mime_header *h = mime_header_find(p, "content-type");
	struct mime_hvalue hv = { 0 };
	const struct mime_param *pm;
	uint64_t flags = 0;
	int rc;

	rc = mg_buf_appendf(out, "Content-Type: text/%s; charset=utf-8", p->subtype);
	if (rc == 0 && h != NULL && mime_hdr_params(a, h->raw.ptr, h->raw.len, &hv, &flags) < 0)
		rc = -MG_ENOMEM;
	for (size_t i = 0; rc == 0 && h != NULL && i < 2; i++)
		if ((pm = mime_hvalue_param(&hv, keep[i])) != NULL &&
		    strspn(pm->value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		    strlen(pm->value) && *pm->value != '\0')
			rc = mg_buf_appendf(out, "; %s=%s", keep[i], pm->value);
	return rc ? rc : mg_buf_appendf(out, "%s", eol);
}

static bool
replaced_field(const struct mime_header *h)
{
	return mg_slice_eq_nocase(h->name, "content-type") ||
	    mg_slice_eq_nocase(h->name, "content-transfer-encoding");
}

/* A recoded part: its fields but the two replaced, the new ones, the
 * empty line, the new body. *pos ends after the old body. */
static int
emit_recoded(struct mg_buf *out, struct mg_arena *a, const struct mime_msg *m,
    const struct spot *s, size_t *pos)
{
	const struct mime_part *p = s->part;
	const uint8_t *b = m->raw.ptr;
	bool message = p->parent == NULL || strcmp(p->parent->type, "message") == 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->nheaders; i++) {
		const struct mime_header *h = &p->headers[i];
		size_t start = (size_t)(h->name.ptr - b);
		size_t end = (size_t)(h->raw.ptr - b) + h->raw.len;

		if (!replaced_field(h) || start < *pos || end > s->ins)
			continue;
		end += end < s->ins && b[end] == '\r';
		end += end < s->ins && b[end] == '\n';
		rc = mg_buf_append(out, b + *pos, start - *pos);
		*pos = end;
	}
	if (rc == 0)
		rc = mg_buf_append(out, b + *pos, s->ins - *pos);
	if (rc == 0 && message && mime_header_find(p, "mime-version") == NULL)
		rc = mg_buf_appendf(out, "MIME-Version: 1.0%s", s->eol);
	if (rc == 0)
		rc = emit_content_type(out, a, p, s->eol);
	if (rc == 0)
		rc = mg_buf_appendf(out, "Content-Transfer-Encoding: %s%s",
		    strcmp(p->encoding, "base64") == 0 ? "base64" : "quoted-printable", s->eol);
	if (rc == 0)
		rc = mg_buf_append(out, b + s->ins, s->body - s->ins);
	if (rc == 0)
		rc = mg_buf_append(out, s->text.data, s->text.len);
	*pos = s->end;
	return rc;
}

static int
spot_order(const void *x, const void *y)
{
	const struct spot *a = x, *b = y;

	return a->body < b->body ? -1 : a->body > b->body;
}

int
mime_rewrite_banner(const uint8_t *msg, size_t len, const char *text, struct mg_buf *out)
{
	struct spot sp[2];
	struct mg_arena *a;
	struct mime_msg *m;
	size_t n = 0, pos = 0;
	int rc;

	if ((rc = mime__rw_begin(msg, len, out)) < 0)
		return rc;
	if (!mime__rw_text_ok(text, MIME_REWRITE_TEXT_MAX) || *text == '\0')
		return -MG_EINVAL;
	if ((m = mime__rw_parse(&a, msg, len, false)) == NULL)
		rc = -MG_ENOMEM;
	else if ((rc = spots_prepare(m, text, out->max, sp, &n)) == 0 && n == 0)
		rc = -MG_ENOENT;
	if (n == 2 && sp[1].body < sp[0].body)
		qsort(sp, n, sizeof(sp[0]), spot_order);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (sp[i].in_place) {
			rc = mg_buf_append(out, msg + pos, sp[i].at - pos);
			rc = rc ? rc : mg_buf_append(out, sp[i].text.data, sp[i].text.len);
			pos = sp[i].at;
		} else {
			rc = emit_recoded(out, a, m, &sp[i], &pos);
		}
	}
	if (rc == 0)
		rc = mg_buf_append(out, msg + pos, len - pos);
	for (size_t i = 0; i < n; i++)
		mg_buf_release(&sp[i].text);
	mg_arena_free(a);
	if (rc < 0)
		mg_buf_reset(out);
	return rc;
}
