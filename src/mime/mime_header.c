/* Header value decoding: unfolding, RFC 2047 encoded words and RFC 2231
 * parameter lists (see mime_header.h). Lenient where mail in the wild is
 * (words inside tokens and quoted strings, unquoted values holding
 * tspecials) and linear on hostile input: every scan moves forward. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"

#define EW_CHARSET_MAX	64	/* longer is not a charset: not an encoded word */

static inline bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

size_t
mime_hdr_unfold(const uint8_t *raw, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len && (is_blank(raw[i]) || raw[i] == '\r' || raw[i] == '\n'))
		i++;
	for (; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			out[o++] = (char)raw[i];
	while (o > 0 && is_blank((uint8_t)out[o - 1]))
		o--;
	out[o] = '\0';
	return o;
}

struct ew {
	const uint8_t	*cs;		/* charset, maybe with "*lang" */
	size_t		 cslen;
	uint8_t		 enc;		/* 'b' or 'q' */
	const uint8_t	*text;
	size_t		 tlen;
	size_t		 end;		/* offset after "?=" */
};

/* The encoded word "=?cs?e?text?=" at p[i]: 1 when well-formed, 0 when it
 * is not one at all, -1 when it starts like one but is malformed. Text
 * holds no '?' and no blank (both must be encoded), which keeps this
 * linear: a failed scan ends where the next attempt's text begins. */
static int
ew_parse(const uint8_t *p, size_t n, size_t i, struct ew *w)
{
	size_t j = i + 2, k;

	while (j < n && p[j] != '?' && !is_blank(p[j]) && j - i - 2 < EW_CHARSET_MAX)
		j++;
	if (j >= n || p[j] != '?' || j == i + 2)
		return 0;
	w->cs = p + i + 2;
	w->cslen = j - i - 2;
	if (j + 2 >= n || p[j + 2] != '?')
		return -1;
	w->enc = p[j + 1] | 0x20;
	if (w->enc != 'b' && w->enc != 'q')
		return -1;
	k = j + 3;
	w->text = p + k;
	while (k < n && p[k] != '?' && !is_blank(p[k]))
		k++;
	if (k + 1 >= n || p[k] != '?' || p[k + 1] != '=')
		return -1;
	w->tlen = (size_t)(p + k - w->text);
	w->end = k + 2;
	return 1;
}

/* Decoded bytes of adjacent words in one charset, converted together. */
struct ew_join {
	struct mg_buf	 bytes;
	char		 cs[MIME_CS_NAME_MAX];
	bool		 active;
};

/* Appends valid UTF-8 text; -MG_ELIMIT (flagged) when out is full. */
static int
emit(struct mg_buf *o, const uint8_t *p, size_t n, uint64_t *flags)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = mime_utf8_sanitize(p, n, o)) == -MG_ELIMIT)
		*flags |= MIME_F_DECODED_LIMIT;
	return rc;
}

static int
ew_flush(struct ew_join *j, struct mg_buf *o, uint64_t *flags)
{
	struct mime_conv cv;
	int rc = 0;

	if (j->active && j->bytes.len > 0) {
		rc = mime_charset_to_utf8(j->cs, j->bytes.data, j->bytes.len, 0, o, &cv);
		*flags |= cv.flags;
		if (rc == 0 && (cv.flags & MIME_F_DECODED_LIMIT))
			rc = -MG_ELIMIT;
	}
	j->active = false;
	j->bytes.len = 0;
	return rc;
}

/* Decodes w into the join buffer, flushing first on a charset change. */
static int
ew_add(struct ew_join *j, const struct ew *w, struct mg_buf *o, uint64_t *flags)
{
	const uint8_t *star = memchr(w->cs, '*', w->cslen);
	size_t cl = star ? (size_t)(star - w->cs) : w->cslen, n, cap;
	char cs[MIME_CS_NAME_MAX];
	unsigned d = 0;
	int rc;

	if (cl >= sizeof(cs))
		cl = 0;			/* "": not usable, flagged as unknown */
	memcpy(cs, w->cs, cl);
	cs[cl] = '\0';
	if (cl == 0)
		snprintf(cs, sizeof(cs), "?");
	if (j->active && strcasecmp(j->cs, cs) != 0 && (rc = ew_flush(j, o, flags)) < 0)
		return rc;
	if (!j->active) {
		memcpy(j->cs, cs, sizeof(cs));
		j->active = true;
	}
	if (w->tlen == 0)
		return 0;
	cap = w->enc == 'b' ? MIME_DEC_MAXOUT(w->tlen) : MIME_QP_MAXOUT(w->tlen);
	if ((rc = mg_buf_reserve(&j->bytes, cap)) < 0)
		return rc;
	if (w->enc == 'b')
		n = mime_base64_decode(w->text, w->tlen, j->bytes.data + j->bytes.len, cap, &d);
	else
		n = mime_qp_decode(w->text, w->tlen, true, j->bytes.data + j->bytes.len, cap, &d);
	j->bytes.len += n;
	if (d & MIME_DEC_BAD)
		*flags |= MIME_F_BAD_ENCODED_WORD;
	return 0;
}

static bool
all_blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_blank(p[i]))
			return false;
	return true;
}

/* Decodes the encoded words of the unfolded UTF-8 text p into o; blanks
 * between two words vanish. 0 or -MG_ENOMEM (a full o is flagged). */
static int
ew_run(const uint8_t *p, size_t n, struct mg_buf *o, uint64_t *flags)
{
	struct ew_join j;
	struct ew w;
	const uint8_t *q;
	size_t i = 0, lit = 0;
	bool prev_ew = false;
	int r, rc = 0;

	memset(&j, 0, sizeof(j));
	mg_buf_init(&j.bytes, 0);
	while (rc == 0 && i + 1 < n && (q = memmem(p + i, n - i, "=?", 2)) != NULL) {
		i = (size_t)(q - p);
		if ((r = ew_parse(p, n, i, &w)) <= 0) {
			if (r < 0)
				*flags |= MIME_F_BAD_ENCODED_WORD;
			i++;
			continue;
		}
		if (!prev_ew || !all_blank(p + lit, i - lit)) {
			if ((rc = ew_flush(&j, o, flags)) == 0)
				rc = emit(o, p + lit, i - lit, flags);
		}
		if (rc == 0)
			rc = ew_add(&j, &w, o, flags);
		prev_ew = true;
		i = lit = w.end;
	}
	if (rc == 0 && (rc = ew_flush(&j, o, flags)) == 0)
		rc = emit(o, p + lit, n - lit, flags);
	mg_buf_release(&j.bytes);
	return rc == -MG_ENOMEM ? rc : 0;
}

static void
nul_to_space(uint8_t *p, size_t n)
{
	uint8_t *z;

	while ((z = memchr(p, '\0', n)) != NULL) {
		*z = ' ';
		n -= (size_t)(z - p) + 1;
		p = z + 1;
	}
}

/* Unfolded raw as UTF-8 into u (windows-1252 when it is not UTF-8). */
static int
hdr_unfold_utf8(const uint8_t *raw, size_t len, struct mg_buf *u, uint64_t *flags)
{
	struct mime_conv cv;
	struct mg_buf v;
	int rc;

	if ((rc = mg_buf_reserve(u, len + 1)) < 0)
		return rc;
	u->len = mime_hdr_unfold(raw, len, (char *)u->data);
	if (mime_ascii_span(u->data, u->len) == u->len)
		return 0;
	*flags |= MIME_F_HEADER_8BIT;
	if (mime_utf8_valid_span(u->data, u->len) == u->len)
		return 0;
	*flags |= MIME_F_HEADER_BAD_UTF8;
	mg_buf_init(&v, 0);
	if ((rc = mime_charset_to_utf8("windows-1252", u->data, u->len, 0, &v, &cv)) < 0) {
		mg_buf_release(&v);
		return rc;
	}
	mg_buf_release(u);
	*u = v;
	return 0;
}

/* Whether raw needs more than trimming: line breaks, controls, 8-bit
 * bytes or what may be an encoded word. */
static bool
hdr_is_plain(const uint8_t *raw, size_t len)
{
	size_t i;
	uint8_t c;

	for (i = 0; i < len; i++) {
		c = raw[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f || (c == '?' && i > 0 && raw[i - 1] == '='))
			return false;
	}
	return true;
}

char *
mime_hdr_decode(struct mg_arena *a, const uint8_t *raw, size_t len, size_t max_out,
    size_t *outlen, uint64_t *flags)
{
	struct mg_buf u, o;
	size_t s = 0, e = len;
	char *r = NULL;

	if (hdr_is_plain(raw, len)) {
		while (s < e && is_blank(raw[s]))
			s++;
		while (e > s && is_blank(raw[e - 1]))
			e--;
		if (e - s > max_out) {
			e = s + max_out;
			*flags |= MIME_F_DECODED_LIMIT;
		}
		if ((r = mg_arena_strndup(a, raw + s, e - s)) != NULL && outlen != NULL)
			*outlen = e - s;
		return r;
	}
	mg_buf_init(&u, 0);
	mg_buf_init(&o, max_out ? max_out : 1);
	if (hdr_unfold_utf8(raw, len, &u, flags) < 0)
		goto out;
	nul_to_space(u.data, u.len);
	if (max_out == 0) {
		*flags |= u.len > 0 ? MIME_F_DECODED_LIMIT : 0;
	} else if (ew_run(u.data, u.len, &o, flags) < 0) {
		goto out;
	}
	while (o.len > 0 && is_blank(o.data[o.len - 1]))
		o.len--;
	if (o.len > 0)
		nul_to_space(o.data, o.len);
	if ((r = mg_arena_strndup(a, o.len ? o.data : (const uint8_t *)"", o.len)) != NULL &&
	    outlen != NULL)
		*outlen = o.len;
out:
	mg_buf_release(&u);
	mg_buf_release(&o);
	return r;
}

/* One "name=value" as written; name and value point into the unfolded copy. */
struct rparam {
	char		*name;		/* lower case, without "*N*" */
	size_t		 nlen;
	int		 section;	/* RFC 2231 section number, -1 if none */
	bool		 ext;		/* trailing '*': charset'lang'%XX */
	char		*v;		/* unquoted */
	size_t		 vlen;
	bool		 used;
};

struct pscan {
	char		*s;
	size_t		 n, i;
	bool		 bad;
};

/* Skips blanks and (nested (comments)). */
static void
skip_cfws(struct pscan *ps)
{
	unsigned depth;

	for (;;) {
		while (ps->i < ps->n && is_blank((uint8_t)ps->s[ps->i]))
			ps->i++;
		if (ps->i == ps->n || ps->s[ps->i] != '(')
			return;
		for (depth = 0; ps->i < ps->n; ps->i++) {
			if (ps->s[ps->i] == '\\' && ps->i + 1 < ps->n)
				ps->i++;
			else if (ps->s[ps->i] == '(')
				depth++;
			else if (ps->s[ps->i] == ')' && --depth == 0)
				break;
		}
		if (ps->i == ps->n) {
			ps->bad = true;
			return;
		}
		ps->i++;
	}
}

static void
skip_past_semicolon(struct pscan *ps)
{
	char *semi = memchr(ps->s + ps->i, ';', ps->n - ps->i);

	ps->i = semi ? (size_t)(semi - ps->s) + 1 : ps->n;
}

/* A quoted string at s[i] == '"', unquoted in place: backslash escapes
 * only '"' and '\' (Windows paths keep theirs). */
static void
read_quoted(struct pscan *ps, char **v, size_t *vlen)
{
	size_t r = ps->i + 1, w = r;

	*v = ps->s + w;
	while (r < ps->n && ps->s[r] != '"') {
		if (ps->s[r] == '\\' && r + 1 < ps->n && (ps->s[r + 1] == '"' || ps->s[r + 1] == '\\'))
			r++;
		ps->s[w++] = ps->s[r++];
	}
	*vlen = (size_t)(ps->s + w - *v);
	if (r == ps->n) {
		ps->bad = true;
		ps->i = r;
		return;
	}
	ps->i = r + 1;
	skip_past_semicolon(ps);	/* junk after the closing quote */
}

/* An unquoted value: up to ';', blanks and a trailing comment cut. */
static void
read_token_value(struct pscan *ps, char **v, size_t *vlen)
{
	char *semi = memchr(ps->s + ps->i, ';', ps->n - ps->i);
	size_t e = semi ? (size_t)(semi - ps->s) : ps->n, k;

	*v = ps->s + ps->i;
	for (k = ps->i; k + 1 < e; k++) {
		if (is_blank((uint8_t)ps->s[k]) && ps->s[k + 1] == '(') {
			e = k;
			break;
		}
	}
	while (e > ps->i && is_blank((uint8_t)ps->s[e - 1]))
		e--;
	*vlen = (size_t)(ps->s + e - *v);
	ps->i = semi ? (size_t)(semi - ps->s) + 1 : ps->n;
}

/* Splits "name*N*" into the base name, section and extended mark. */
static void
rparam_name(struct rparam *p)
{
	char *star = memchr(p->name, '*', p->nlen);
	size_t k;
	int sec = 0;

	p->section = -1;
	p->ext = false;
	if (star == NULL)
		return;
	k = (size_t)(star - p->name) + 1;
	if (k < p->nlen && isdigit((unsigned char)p->name[k])) {
		for (; k < p->nlen && isdigit((unsigned char)p->name[k]); k++)
			sec = sec < 100000 ? sec * 10 + (p->name[k] - '0') : sec;
		if (k < p->nlen && p->name[k] == '*') {
			p->ext = true;
			k++;
		}
	} else if (k < p->nlen) {
		return;			/* "a*b": an ordinary (odd) name */
	} else {
		p->ext = true;
		sec = -1;
	}
	if (k != p->nlen)
		return;
	p->section = sec;
	p->nlen = (size_t)(star - p->name);
}

/* Reads one "name = value" at ps->i into p; false when there was none. */
static bool
read_param(struct pscan *ps, struct rparam *p)
{
	p->name = ps->s + ps->i;
	while (ps->i < ps->n && !strchr("=; \t(", ps->s[ps->i])) {
		ps->s[ps->i] = (char)tolower((unsigned char)ps->s[ps->i]);
		ps->i++;
	}
	p->nlen = (size_t)(ps->s + ps->i - p->name);
	skip_cfws(ps);
	if (p->nlen == 0 || ps->i == ps->n || ps->s[ps->i] != '=') {
		ps->bad = true;
		skip_past_semicolon(ps);
		return false;
	}
	ps->i++;
	skip_cfws(ps);
	if (ps->i < ps->n && ps->s[ps->i] == '"')
		read_quoted(ps, &p->v, &p->vlen);
	else
		read_token_value(ps, &p->v, &p->vlen);
	rparam_name(p);
	p->used = false;
	return true;
}

/* Arena copy of s[0..n) with invalid UTF-8 replaced (names and tokens
 * are meant to be ASCII, but go to logs and JSON whatever they hold). */
static char *
dup_utf8(struct mg_arena *a, const char *s, size_t n)
{
	struct mg_buf b;
	char *r = NULL;

	if (mime_utf8_valid_span((const uint8_t *)s, n) == n)
		return mg_arena_strndup(a, s, n);
	mg_buf_init(&b, 0);
	if (mime_utf8_sanitize((const uint8_t *)s, n, &b) == 0)
		r = mg_arena_strndup(a, b.data, b.len);
	mg_buf_release(&b);
	return r;
}

/* Value of a hexadecimal digit already checked with isxdigit. */
static unsigned
hexdig(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Appends "%XX"-decoded v (a bad escape stays as written). */
static int
pct_decode(const char *v, size_t n, struct mg_buf *b)
{
	size_t i, r;
	int rc;

	for (i = 0; i < n; i = r) {
		const char *pct = memchr(v + i, '%', n - i);

		r = pct ? (size_t)(pct - v) : n;
		if ((rc = mg_buf_append(b, v + i, r - i)) < 0)
			return rc;
		if (r == n)
			break;
		if (r + 2 < n && isxdigit((unsigned char)v[r + 1]) && isxdigit((unsigned char)v[r + 2])) {
			if ((rc = mg_buf_putc(b, (uint8_t)(hexdig(v[r + 1]) << 4 | hexdig(v[r + 2])))) < 0)
				return rc;
			r += 3;
		} else {
			if ((rc = mg_buf_putc(b, '%')) < 0)
				return rc;
			r++;
		}
	}
	return 0;
}

/* The RFC 2231 value of the sections seg[0..k) (sorted by number):
 * charset'lang' from the first, %XX in extended ones, converted. */
static char *
assemble_2231(struct mg_arena *a, struct rparam **seg, size_t k, uint64_t *flags)
{
	char cs[MIME_CS_NAME_MAX] = "";
	struct mime_conv cv;
	struct mg_buf bytes, out;
	const char *v, *q1, *q2;
	size_t i, vlen;
	char *r = NULL;
	int rc = 0;

	mg_buf_init(&bytes, 0);
	mg_buf_init(&out, 0);
	for (i = 0; i < k && rc == 0; i++) {
		v = seg[i]->v;
		vlen = seg[i]->vlen;
		if (i == 0 && seg[i]->ext && (q1 = memchr(v, '\'', vlen)) != NULL &&
		    (q2 = memchr(q1 + 1, '\'', vlen - (size_t)(q1 + 1 - v))) != NULL) {
			if ((size_t)(q1 - v) < sizeof(cs))
				snprintf(cs, sizeof(cs), "%.*s", (int)(q1 - v), v);
			else
				snprintf(cs, sizeof(cs), "?");
			vlen -= (size_t)(q2 + 1 - v);
			v = q2 + 1;
		}
		rc = seg[i]->ext ? pct_decode(v, vlen, &bytes) : mg_buf_append(&bytes, v, vlen);
	}
	if (rc == 0 && bytes.len > 0) {
		rc = mime_charset_to_utf8(cs, bytes.data, bytes.len, 0, &out, &cv);
		*flags |= cv.flags;
	}
	if (rc == 0) {
		if (out.len > 0)
			nul_to_space(out.data, out.len);
		r = mg_arena_strndup(a, out.len ? out.data : (const uint8_t *)"", out.len);
	}
	mg_buf_release(&bytes);
	mg_buf_release(&out);
	return r;
}

/* Builds one parameter from the raw ones named like rp[first]. */
static int
param_build(struct mg_arena *a, struct rparam *rp, size_t nrp, size_t first,
    struct mime_param *out, uint64_t *flags)
{
	struct rparam *seg[MIME_MAX_PARAMS], *plain = NULL, *t;
	size_t i, k = 0, j;

	for (i = first; i < nrp; i++) {
		if (rp[i].used || rp[i].nlen != rp[first].nlen ||
		    memcmp(rp[i].name, rp[first].name, rp[first].nlen) != 0)
			continue;
		rp[i].used = true;
		if (rp[i].section < 0 && !rp[i].ext) {
			if (plain == NULL)
				plain = &rp[i];
			continue;
		}
		/* insertion by section number; the first of a number wins */
		for (j = k; j > 0 && seg[j - 1]->section > rp[i].section; j--)
			;
		if (j > 0 && seg[j - 1]->section == rp[i].section)
			continue;
		memmove(seg + j + 1, seg + j, (k - j) * sizeof(seg[0]));
		seg[j] = &rp[i];
		k++;
	}
	if ((out->name = dup_utf8(a, rp[first].name, rp[first].nlen)) == NULL)
		return -MG_ENOMEM;
	if (k > 0) {
		if ((out->value = assemble_2231(a, seg, k, flags)) == NULL)
			return -MG_ENOMEM;
		out->raw = out->value;
		return 0;
	}
	t = plain;
	if ((out->raw = mg_arena_strndup(a, t->v, t->vlen)) == NULL ||
	    (out->value = mime_hdr_decode(a, (const uint8_t *)t->v, t->vlen, SIZE_MAX, NULL,
	    flags)) == NULL)
		return -MG_ENOMEM;
	return 0;
}

int
mime_hdr_params(struct mg_arena *a, const uint8_t *raw, size_t len, struct mime_hvalue *hv,
    uint64_t *flags)
{
	struct rparam rp[MIME_MAX_PARAMS];
	struct pscan ps;
	size_t nrp = 0, i, t;
	struct rparam scratch;
	char *tok;

	memset(hv, 0, sizeof(*hv));
	hv->token = "";
	if ((ps.s = mg_arena_alloc(a, len + 1)) == NULL)
		return -MG_ENOMEM;
	ps.n = mime_hdr_unfold(raw, len, ps.s);
	ps.i = 0;
	ps.bad = false;
	skip_cfws(&ps);
	for (t = ps.i; ps.i < ps.n && !strchr("; \t(", ps.s[ps.i]); ps.i++)
		ps.s[ps.i] = (char)tolower((unsigned char)ps.s[ps.i]);
	if ((tok = dup_utf8(a, ps.s + t, ps.i - t)) == NULL)
		return -MG_ENOMEM;
	hv->token = tok;
	while (ps.i < ps.n) {
		skip_cfws(&ps);
		if (ps.i < ps.n && ps.s[ps.i] == ';') {
			ps.i++;
			continue;
		}
		if (ps.i == ps.n)
			break;
		if (!read_param(&ps, nrp < MIME_MAX_PARAMS ? &rp[nrp] : &scratch))
			continue;
		if (nrp < MIME_MAX_PARAMS)
			nrp++;
		else
			ps.bad = true;
	}
	hv->bad = ps.bad;
	if (nrp == 0)
		return 0;
	if ((hv->params = mg_arena_alloc(a, nrp * sizeof(*hv->params))) == NULL)
		return -MG_ENOMEM;
	for (i = 0; i < nrp; i++)
		if (!rp[i].used && param_build(a, rp, nrp, i, &hv->params[hv->nparams++], flags) < 0)
			return -MG_ENOMEM;
	return 0;
}

const struct mime_param *
mime_hvalue_param(const struct mime_hvalue *hv, const char *name)
{
	size_t i;

	for (i = 0; i < hv->nparams; i++)
		if (strcmp(hv->params[i].name, name) == 0)
			return &hv->params[i];
	return NULL;
}
