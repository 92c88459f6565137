/* DKIM canonicalisation (RFC 6376 3.4) from the message's raw bytes: the
 * header fields (taken from the engine's parse, or split here for mail we
 * sign), simple and relaxed header and body forms, the body hash streamed
 * through a small buffer with l=, and the header data a signature signs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "auth/dkim_int.h"
#include "core/err.h"

#define DKIM_MAX_FIELDS		4096	/* fields of a header section we split */
#define SINK_BUF		4096

static bool
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

static bool
slice_eq_nocase(struct mg_slice a, struct mg_slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.ptr[i]) != lower(b.ptr[i]))
			return false;
	return true;
}

/* End of the line starting at i (offset of its CR LF, or of a lone LF,
 * or len) and the offset of the next line. */
static size_t
line_end(const uint8_t *p, size_t len, size_t i, size_t *next)
{
	const uint8_t *nl = memchr(p + i, '\n', len - i);
	size_t e;

	if (nl == NULL) {
		*next = len;
		return len;
	}
	e = (size_t)(nl - p);
	*next = e + 1;
	return e > i && p[e - 1] == '\r' ? e - 1 : e;
}

/* Length of a field name at p[0..n) followed by blanks and ':'; 0 if the
 * line is not a field. */
static size_t
field_name_len(const uint8_t *p, size_t n)
{
	size_t k = 0, e;

	while (k < n && p[k] > ' ' && p[k] < 0x7f && p[k] != ':')
		k++;
	e = k;
	while (k < n && is_wsp(p[k]))
		k++;
	return e > 0 && k < n && p[k] == ':' ? e : 0;
}

/* The header section of mail we sign: fields and their continuation
 * lines up to the empty line (or a line that is not a field). */
static int
msg_split(struct dkim_msg *dm, const uint8_t *p, size_t len, struct mg_arena *a)
{
	size_t i = 0, next = 0, e, nl, cap = 0;

	for (i = 0; i < len; i = next)
		if (line_end(p, len, i, &next) > i && !is_wsp(p[i]))
			cap++;
	if (cap > DKIM_MAX_FIELDS)
		cap = DKIM_MAX_FIELDS;
	if ((dm->fields = mg_arena_alloc(a, (cap ? cap : 1) * sizeof(*dm->fields))) == NULL)
		return -MG_ENOMEM;
	dm->nfields = 0;
	for (i = 0; i < len; i = next) {
		e = line_end(p, len, i, &next);
		if (e == i)
			break;
		if (is_wsp(p[i])) {
			if (dm->nfields == 0)
				break;
			dm->fields[dm->nfields - 1].all.len = e - (size_t)(dm->fields[dm->nfields
			    - 1].all.ptr - p);
			continue;
		}
		if ((nl = field_name_len(p + i, e - i)) == 0 || dm->nfields == cap) {
			next = i;
			break;
		}
		dm->fields[dm->nfields].name = mg_slice_make(p + i, nl);
		dm->fields[dm->nfields++].all = mg_slice_make(p + i, e - i);
	}
	dm->body = mg_slice_make(p + next, len - next);
	return 0;
}

int
dkim_msg_init(struct dkim_msg *dm, const struct mime_msg *m, const uint8_t *raw, size_t len,
    struct mg_arena *a)
{
	const struct mime_part *root = m ? m->root : NULL;

	memset(dm, 0, sizeof(*dm));
	if (root == NULL || m->raw.ptr != raw || m->raw.len != len)
		return msg_split(dm, raw, len, a);
	if ((dm->fields = mg_arena_alloc(a, (root->nheaders ? root->nheaders : 1) *
	    sizeof(*dm->fields))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < root->nheaders; i++) {
		const struct mime_header *h = &root->headers[i];

		dm->fields[i].name = h->name;
		dm->fields[i].all = mg_slice_make(h->name.ptr,
		    (size_t)(h->raw.ptr + h->raw.len - h->name.ptr));
	}
	dm->nfields = root->nheaders;
	dm->body = root->raw_body;
	return 0;
}

/* Relaxed (3.4.2): name lower case without blanks before the colon; the
 * value unfolded, blank runs made one space, blanks at both ends gone. */
static int
canon_relaxed(struct mg_buf *out, const uint8_t *p, size_t len)
{
	const uint8_t *colon = memchr(p, ':', len);
	size_t nend, i, e;
	bool blank = false;
	int r;

	if (colon == NULL)
		return mg_buf_append(out, p, len);
	for (nend = (size_t)(colon - p); nend > 0 && is_wsp(p[nend - 1]); nend--)
		;
	for (i = 0; i < nend; i++)
		if ((r = mg_buf_putc(out, lower(p[i]))) < 0)
			return r;
	if ((r = mg_buf_putc(out, ':')) < 0)
		return r;
	i = (size_t)(colon - p) + 1;
	e = len;
	while (i < e && (is_wsp(p[i]) || p[i] == '\r' || p[i] == '\n'))
		i++;
	while (e > i && (is_wsp(p[e - 1]) || p[e - 1] == '\r' || p[e - 1] == '\n'))
		e--;
	for (; i < e; i++) {
		if (is_wsp(p[i]) || p[i] == '\r' || p[i] == '\n') {
			blank = blank || is_wsp(p[i]);
			continue;
		}
		if (blank && (r = mg_buf_putc(out, ' ')) < 0)
			return r;
		blank = false;
		if ((r = mg_buf_putc(out, p[i])) < 0)
			return r;
	}
	return 0;
}

int
dkim_canon_header(struct mg_buf *out, const uint8_t *p, size_t len, bool relaxed, bool crlf)
{
	int r = relaxed ? canon_relaxed(out, p, len) : mg_buf_append(out, p, len);

	if (r == 0 && crlf)
		r = mg_buf_append(out, "\r\n", 2);
	return r;
}

/* The canonical body goes through a buffer into the digest; bytes past
 * l= are counted but not hashed. */
struct body_sink {
	EVP_MD_CTX	*md;
	bool		 limited;
	uint64_t	 left;		/* still to hash when limited */
	uint64_t	 total;		/* canonical length */
	uint64_t	 pending;	/* empty lines not yet known to be inside */
	size_t		 n;
	uint8_t		 buf[SINK_BUF];
};

static void
sink_flush(struct body_sink *s)
{
	size_t k = s->n;

	if (s->limited) {
		k = s->left < k ? (size_t)s->left : k;
		s->left -= k;
	}
	if (k > 0)
		EVP_DigestUpdate(s->md, s->buf, k);
	s->n = 0;
}

static void
sink_put(struct body_sink *s, const uint8_t *p, size_t n)
{
	s->total += n;
	while (n > 0) {
		size_t k = SINK_BUF - s->n < n ? SINK_BUF - s->n : n;

		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n == SINK_BUF)
			sink_flush(s);
	}
}

/* A line with content: the empty lines before it are inside the body. */
static void
sink_line_start(struct body_sink *s)
{
	for (; s->pending > 0; s->pending--)
		sink_put(s, (const uint8_t *)"\r\n", 2);
}

/* One relaxed line p[0..n) (no CRLF): blank runs made one space,
 * trailing blanks gone. */
static void
body_line_relaxed(struct body_sink *s, const uint8_t *p, size_t n)
{
	size_t i = 0, st;

	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	if (n == 0) {
		s->pending++;
		return;
	}
	sink_line_start(s);
	while (i < n) {
		if (is_wsp(p[i])) {
			while (i < n && is_wsp(p[i]))
				i++;
			sink_put(s, (const uint8_t *)" ", 1);
			continue;
		}
		for (st = i; i < n && !is_wsp(p[i]); i++)
			;
		sink_put(s, p + st, i - st);
	}
	sink_put(s, (const uint8_t *)"\r\n", 2);
}

/* Lines end at CR LF only; a lone LF is part of the line. */
static void
body_canon(struct body_sink *s, const uint8_t *p, size_t len, bool relaxed)
{
	size_t i = 0, e, from;
	const uint8_t *nl;

	while (i < len) {
		for (from = i;; from = (size_t)(nl - p) + 1) {
			nl = memchr(p + from, '\n', len - from);
			if (nl == NULL || (nl > p + i && nl[-1] == '\r'))
				break;
		}
		e = nl ? (size_t)(nl - p) - 1 : len;
		if (relaxed)
			body_line_relaxed(s, p + i, e - i);
		else if (e == i)
			s->pending++;
		else {
			sink_line_start(s);
			sink_put(s, p + i, e - i);
			sink_put(s, (const uint8_t *)"\r\n", 2);
		}
		i = nl ? (size_t)(nl - p) + 1 : len;
	}
	if (!relaxed && s->total == 0)
		sink_put(s, (const uint8_t *)"\r\n", 2);
	sink_flush(s);
}

int
dkim_body_hash(const uint8_t *body, size_t len, bool relaxed, const EVP_MD *md, bool has_l,
    uint64_t l, uint8_t *out, size_t *outlen, uint64_t *canon_len)
{
	struct body_sink sink, *s = &sink;
	unsigned ol = 0;
	int r = 0;

	memset(s, 0, offsetof(struct body_sink, buf));
	s->limited = has_l;
	s->left = l;
	if ((s->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(s->md, md, NULL) != 1)
		r = -MG_ENOMEM;
	else {
		body_canon(s, body, len, relaxed);
		if (EVP_DigestFinal_ex(s->md, out, &ol) != 1)
			r = -MG_ENOMEM;
	}
	*outlen = ol;
	*canon_len = s->total;
	EVP_MD_CTX_free(s->md);
	return r;
}

int
dkim_header_input(const struct dkim_sig *s, const struct dkim_field *fields, size_t n,
    struct mg_buf *out)
{
	const struct mg_slice all = s->field->all;
	bool *used = calloc(n ? n : 1, sizeof(*used));
	int r = 0;

	if (used == NULL)
		return -MG_ENOMEM;
	for (size_t k = 0; k < s->nh && r == 0; k++)
		for (size_t j = n; j > 0; j--)
			if (!used[j - 1] && slice_eq_nocase(fields[j - 1].name, s->h[k])) {
				used[j - 1] = true;
				r = dkim_canon_header(out, fields[j - 1].all.ptr,
				    fields[j - 1].all.len, s->hrelaxed, true);
				break;
			}
	free(used);
	if (r < 0)
		return r;
	return dkim_canon_self(out, s, all);
}

int
dkim_header_hash(const struct dkim_sig *s, const struct dkim_field *fields, size_t n,
    uint8_t *hash, size_t *hlen)
{
	struct mg_buf in;
	unsigned hl = 0;
	int r;

	mg_buf_init(&in, DKIM_MAX_HEADER_INPUT);
	r = dkim_header_input(s, fields, n, &in);
	if (r == 0 && EVP_Digest(in.data ? in.data : (const uint8_t *)"", in.len, hash, &hl,
	    dkim_alg_md(s->alg), NULL) != 1)
		r = -MG_ENOMEM;
	*hlen = hl;
	mg_buf_release(&in);
	return r;
}

const struct dkim_body_digest *
dkim_body_cached(struct dkim_body_cache *c, struct mg_slice body, const struct dkim_sig *s)
{
	const EVP_MD *md = dkim_alg_md(s->alg);
	struct dkim_body_digest *e;

	for (size_t i = 0; i < c->n; i++) {
		e = &c->e[i];
		if (e->md == md && e->relaxed == s->brelaxed && e->has_l == s->has_l &&
		    (!s->has_l || e->l == s->l))
			return e;
	}
	/* full: the last slot is reused */
	e = &c->e[c->n < DKIM_MAX_SIGNATURES ? c->n : DKIM_MAX_SIGNATURES - 1];
	e->md = NULL;
	if (dkim_body_hash(body.ptr, body.len, s->brelaxed, md, s->has_l, s->l, e->hash,
	    &e->hlen, &e->canon_len) < 0)
		return NULL;
	e->md = md;
	e->relaxed = s->brelaxed;
	e->has_l = s->has_l;
	e->l = s->l;
	if (c->n < DKIM_MAX_SIGNATURES)
		c->n++;
	return e;
}

int
dkim_canon_self(struct mg_buf *out, const struct dkim_sig *s, struct mg_slice all)
{
	uint8_t *copy = malloc(all.len ? all.len : 1);
	size_t n;
	int r;

	if (copy == NULL)
		return -MG_ENOMEM;
	memcpy(copy, all.ptr, s->b_start);
	memcpy(copy + s->b_start, all.ptr + s->b_end, all.len - s->b_end);
	n = s->b_start + all.len - s->b_end;
	r = dkim_canon_header(out, copy, n, s->hrelaxed, false);
	free(copy);
	return r;
}
