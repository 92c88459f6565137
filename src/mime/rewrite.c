/* Subject prefix and "strip every attachment" rewrites (rewrite.h), and
 * the helpers the rewrites share (rewrite_int.h). The banner lives in
 * rewrite_banner.c. */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "mime/mime_charset.h"
#include "mime/rewrite.h"
#include "mime/rewrite_int.h"
#include "mime/strip.h"

#define RW_WORD_BYTES	45	/* prefix bytes per encoded word: 60 base64 chars */

int
mime__rw_begin(const uint8_t *msg, size_t len, struct mg_buf *out)
{
	mg_buf_reset(out);
	if (msg == NULL && len > 0)
		return -MG_EINVAL;
	return len > out->max ? -MG_ELIMIT : 0;
}

bool
mime__rw_text_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || (n = strnlen(s, max + 1)) > max)
		return false;
	return mime_utf8_valid_span((const uint8_t *)s, n) == n;
}

const char *
mime__rw_eol(const uint8_t *p, size_t len)
{
	const uint8_t *nl = len ? memchr(p, '\n', len) : NULL;

	return nl != NULL && nl > p && nl[-1] == '\r' ? "\r\n" : "\n";
}

struct mime_msg *
mime__rw_parse(struct mg_arena **a, const uint8_t *msg, size_t len, bool top_only)
{
	struct mime_limits lim;

	mime_limits_default(&lim);
	if (top_only)
		lim.max_depth = 0;
	if ((*a = mg_arena_new(16 * 1024, 0)) == NULL)
		return NULL;
	return mime_parse(*a, len ? msg : (const uint8_t *)"", len, &lim);
}

int
mime__rw_lines(struct mg_buf *out, const char *s, size_t len, const char *eol)
{
	const char *end = s + len, *nl;
	int rc = 0;

	for (; rc == 0 && s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return mg_buf_append(out, s, (size_t)(end - s));
		rc = mg_buf_append(out, s, (size_t)(nl - s - (nl > s && nl[-1] == '\r')));
		rc = rc ? rc : mg_buf_append(out, eol, strlen(eol));
	}
	return rc;
}

/* The prefix without blanks at its ends; false when it is empty, too long,
 * not UTF-8 or holds control characters. */
static bool
prefix_trim(const char *prefix, const char **p, size_t *n)
{
	const char *s, *e;

	if (!mime__rw_text_ok(prefix, MIME_REWRITE_PREFIX_MAX))
		return false;
	for (s = prefix; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	for (const char *c = s; c < e; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	*p = s;
	*n = (size_t)(e - s);
	return *n > 0;
}

/* The prefix as UTF-8 "B" encoded words (45 bytes each, cut between
 * characters), with the separating space inside the last word when the
 * value starts with an encoded word (a blank between two words is not
 * shown), then a blank. */
static int
emit_words(struct mg_buf *out, const char *p, size_t n, bool space_inside)
{
	char text[RW_WORD_BYTES + 1];
	unsigned char enc[2 * RW_WORD_BYTES];
	size_t k;
	int rc = 0;

	for (size_t off = 0; rc == 0 && off < n; off += k) {
		k = n - off > RW_WORD_BYTES ? RW_WORD_BYTES : n - off;
		if (off + k < n)
			k = mime_utf8_boundary((const uint8_t *)p + off, k);
		memcpy(text, p + off, k);
		text[k] = ' ';
		EVP_EncodeBlock(enc, (const unsigned char *)text,
		    (int)(k + (off + k == n && space_inside)));
		rc = mg_buf_appendf(out, "%s=?UTF-8?B?%s?=", off > 0 ? " " : "", enc);
	}
	return rc ? rc : mg_buf_putc(out, ' ');
}

/* Whether the decoded subject already starts with the prefix. */
static bool
subject_prefixed(const struct mime_header *h, const char *p, size_t n)
{
	return h->value != NULL && strncmp(h->value, p, n) == 0;
}

/* Offset in the raw message of the first non-blank byte of h's value (past
 * folds), or of the end of the value when it is blank. */
static size_t
value_start(const uint8_t *msg, const struct mime_header *h, bool *blank)
{
	size_t i = 0;

	while (i < h->raw.len && (h->raw.ptr[i] == ' ' || h->raw.ptr[i] == '\t' ||
	    h->raw.ptr[i] == '\r' || h->raw.ptr[i] == '\n'))
		i++;
	*blank = i == h->raw.len;
	if (*blank)	/* after the last non-line-end byte: never past a fold */
		for (i = h->raw.len; i > 0 && (h->raw.ptr[i - 1] == '\r' ||
		    h->raw.ptr[i - 1] == '\n'); i--)
			;
	return (size_t)(h->raw.ptr - msg) + i;
}

/* Inserts the prefix into the existing field h. */
static int
subject_insert(const uint8_t *msg, size_t len, const struct mime_header *h,
    const char *p, size_t n, struct mg_buf *out)
{
	bool blank, ascii = mime_ascii_span((const uint8_t *)p, n) == n;
	size_t at = value_start(msg, h, &blank);
	const uint8_t *v = msg + at;
	bool word = !blank && len - at >= 2 && v[0] == '=' && v[1] == '?';
	int rc;

	rc = mg_buf_append(out, msg, at);
	if (rc == 0 && blank && (at == 0 || (msg[at - 1] != ' ' && msg[at - 1] != '\t')))
		rc = mg_buf_putc(out, ' ');
	if (rc == 0 && ascii)
		rc = mg_buf_append(out, p, n);
	else if (rc == 0)
		rc = emit_words(out, p, n, word);
	if (rc == 0 && ascii && !blank)
		rc = mg_buf_putc(out, ' ');
	if (rc == 0 && !ascii && blank)
		out->len--;	/* the space emit_words put after the words */
	return rc ? rc : mg_buf_append(out, msg + at, len - at);
}

/* Adds "Subject: PREFIX" after the last field of the top header section
 * (at the start when it has none). */
static int
subject_add(const uint8_t *msg, size_t len, const struct mime_msg *m, const char *p,
    size_t n, struct mg_buf *out)
{
	const struct mime_part *r = m->root;
	const char *eol = mime__rw_eol(msg, len);
	size_t at = 0;
	bool lead = false, trail = false;
	int rc;

	if (r->flags & (MIME_F_HEADER_TOO_LONG | MIME_F_TOO_MANY_HEADERS))
		return -MG_EPROTO;
	if (r->nheaders > 0) {
		const struct mime_header *h = &r->headers[r->nheaders - 1];
		at = (size_t)(h->raw.ptr - msg) + h->raw.len;
		if (at < len && msg[at] == '\r')
			at++;
		if (at < len && msg[at] == '\n')
			at++;
		lead = at == len && len > 0 && msg[len - 1] != '\n';
	} else {
		trail = r->raw_body.ptr == msg;	/* no header section at all */
	}
	rc = mg_buf_append(out, msg, at);
	if (rc == 0 && lead)
		rc = mg_buf_append(out, eol, strlen(eol));
	if (rc == 0)
		rc = mg_buf_append(out, "Subject: ", 9);
	if (rc == 0 && mime_ascii_span((const uint8_t *)p, n) == n)
		rc = mg_buf_append(out, p, n);
	else if (rc == 0 && (rc = emit_words(out, p, n, false)) == 0)
		out->len--;
	if (rc == 0)
		rc = mg_buf_appendf(out, "%s%s", eol, trail ? eol : "");
	return rc ? rc : mg_buf_append(out, msg + at, len - at);
}

int
mime_rewrite_subject(const uint8_t *msg, size_t len, const char *prefix, struct mg_buf *out)
{
	const struct mime_header *h;
	struct mg_arena *a;
	struct mime_msg *m;
	const char *p;
	size_t n;
	int rc;

	if ((rc = mime__rw_begin(msg, len, out)) < 0)
		return rc;
	if (!prefix_trim(prefix, &p, &n))
		return -MG_EINVAL;
	if ((m = mime__rw_parse(&a, msg, len, true)) == NULL)
		rc = -MG_ENOMEM;
	else if ((h = mime_header_find(m->root, "subject")) == NULL)
		rc = subject_add(msg, len, m, p, n, out);
	else if (subject_prefixed(h, p, n))
		rc = mg_buf_append(out, msg, len);
	else
		rc = subject_insert(msg, len, h, p, n, out);
	mg_arena_free(a);
	if (rc < 0)
		mg_buf_reset(out);
	return rc;
}

/* Whether a chosen target already covers p's (is it or an ancestor). */
static bool
covered(const struct mime_part *const *t, size_t n, const struct mime_part *p)
{
	for (size_t i = 0; i < n; i++)
		for (const struct mime_part *q = p; q != NULL; q = q->parent)
			if (q == t[i])
				return true;
	return false;
}

/* The attachments' items, one per distinct outermost target. */
static int
strip_items(const struct mime_msg *m, const char *notice, struct mime_strip_item *items,
    size_t *n)
{
	const struct mime_part *targets[MIME_STRIP_MAX_ITEMS], *t;

	*n = 0;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (!p->is_attachment || strcmp(p->type, "multipart") == 0)
			continue;
		if ((t = mime_strip_target(m, p)) == NULL)
			return -MG_EPROTO;
		if (covered(targets, *n, t))
			continue;
		if (*n == MIME_STRIP_MAX_ITEMS)
			return -MG_ELIMIT;
		targets[*n] = t;
		items[(*n)++] = (struct mime_strip_item){ t, notice };
	}
	return 0;
}

int
mime_rewrite_strip_all(const uint8_t *msg, size_t len, const char *notice,
    struct mg_buf *out, size_t *nstripped)
{
	struct mime_strip_item items[MIME_STRIP_MAX_ITEMS];
	struct mg_arena *a;
	struct mime_msg *m;
	size_t n = 0;
	int rc;

	*nstripped = 0;
	if ((rc = mime__rw_begin(msg, len, out)) < 0)
		return rc;
	if (!mime__rw_text_ok(notice, MIME_REWRITE_TEXT_MAX) || *notice == '\0')
		return -MG_EINVAL;
	if ((m = mime__rw_parse(&a, msg, len, false)) == NULL)
		rc = -MG_ENOMEM;
	else if ((rc = strip_items(m, notice, items, &n)) == 0 && n == 0)
		rc = mg_buf_append(out, msg, len);
	else if (rc == 0 && (rc = mime_strip(m, items, n, NULL, NULL, 0, out)) == -MG_EINVAL)
		rc = -MG_EPROTO;
	mg_arena_free(a);
	if (rc < 0)
		mg_buf_reset(out);
	else
		*nstripped = n;
	return rc;
}
