/* DKIM tag lists (RFC 6376 3.2) and the signature fields written in them:
 * DKIM-Signature (RFC 6376 3.5), ARC-Message-Signature and ARC-Seal
 * (RFC 8617 4.1). Everything read is bounded; any syntax error makes the
 * signature a permerror with a short reason. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "auth/dkim_int.h"
#include "core/err.h"
#include "mime/mime_decode.h"

static bool
is_fws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* One tag-spec at p[*i..len): name, '=', value up to ';' or the end. */
static int
tag_one(const uint8_t *p, size_t len, size_t *i, struct dkim_tag *t, const char **why)
{
	size_t k = *i, ns, vs, ve;

	ns = k;
	if (!is_alpha(p[k])) {
		*why = "bad tag name";
		return -MG_EPROTO;
	}
	while (k < len && (is_alpha(p[k]) || is_digit(p[k]) || p[k] == '_'))
		k++;
	t->name = mg_slice_make(p + ns, k - ns);
	while (k < len && is_fws(p[k]))
		k++;
	if (k == len || p[k] != '=') {
		*why = "tag without '='";
		return -MG_EPROTO;
	}
	t->span_start = ++k;
	while (k < len && is_fws(p[k]))
		k++;
	vs = ve = k;
	for (; k < len && p[k] != ';'; k++) {
		if (is_fws(p[k]))
			continue;
		if (p[k] < 0x21 || p[k] == 0x7f) {
			*why = "control character in a tag value";
			return -MG_EPROTO;
		}
		ve = k + 1;
	}
	t->value = mg_slice_make(p + vs, ve - vs);
	t->span_end = k;
	*i = k;
	return 0;
}

int
dkim_tags_parse(const uint8_t *p, size_t len, struct dkim_tag *tags, size_t max, size_t *n,
    const char **why)
{
	size_t i = 0, k;
	int r;

	*n = 0;
	for (;;) {
		while (i < len && is_fws(p[i]))
			i++;
		if (i == len)
			return 0;
		if (*n == max) {
			*why = "too many tags";
			return -MG_EPROTO;
		}
		if ((r = tag_one(p, len, &i, &tags[*n], why)) < 0)
			return r;
		for (k = 0; k < *n; k++)
			if (tags[k].name.len == tags[*n].name.len &&
			    memcmp(tags[k].name.ptr, tags[*n].name.ptr, tags[k].name.len) == 0) {
				*why = "duplicate tag";
				return -MG_EPROTO;
			}
		(*n)++;
		if (i < len)
			i++;	/* the ';' */
	}
}

bool
dkim_tag_is(const struct dkim_tag *t, const char *name)
{
	return t->name.len == strlen(name) && memcmp(t->name.ptr, name, t->name.len) == 0;
}

static bool
value_is(struct mg_slice v, const char *lit)
{
	return mg_slice_eq_nocase(v, lit);
}

/* Decimal digits only, at most maxdigits of them. */
static bool
parse_uint(struct mg_slice v, unsigned maxdigits, uint64_t *out)
{
	uint64_t x = 0;

	if (v.len == 0 || v.len > maxdigits)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (!is_digit(v.ptr[i]))
			return false;
		x = x * 10 + (uint64_t)(v.ptr[i] - '0');
	}
	*out = x;
	return true;
}

/* A domain name as DKIM uses it (d=, the domain of i=, s= too):
 * dot-separated labels of letters, digits, '-' and '_'. */
static bool
is_dns_name(struct mg_slice v)
{
	size_t label = 0;

	if (v.len == 0 || v.len > 253)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		uint8_t c = v.ptr[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0;
}

bool
dkim_name_valid(const char *s)
{
	return is_dns_name(mg_slice_make(s, strlen(s)));
}

static char *
lower_dup(struct mg_arena *a, struct mg_slice v)
{
	char *s = mg_arena_strndup(a, v.ptr, v.len);

	for (size_t i = 0; s != NULL && i < v.len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] |= 0x20;
	return s;
}

bool
dkim_base64_decode(struct mg_slice v, uint8_t *out, size_t cap, size_t *n)
{
	uint8_t tmp[DKIM_MAX_KEY_BYTES + 4];
	unsigned fl = 0;

	if (v.len == 0 || v.len > 8192 || cap > DKIM_MAX_KEY_BYTES)
		return false;
	*n = mime_base64_decode(v.ptr, v.len, tmp, sizeof(tmp), &fl);
	if (fl != 0 || *n == 0 || *n > cap)
		return false;
	memcpy(out, tmp, *n);
	return true;
}

static int
parse_alg(struct mg_slice v, struct dkim_sig *s, struct mg_arena *a, const char **why)
{
	if (value_is(v, "rsa-sha256"))
		s->alg = DKIM_RSA_SHA256;
	else if (value_is(v, "rsa-sha1"))
		s->alg = DKIM_RSA_SHA1;
	else if (value_is(v, "ed25519-sha256"))
		s->alg = DKIM_ED25519_SHA256;
	else {
		*why = "unknown algorithm";
		return -MG_EPROTO;
	}
	if ((s->algorithm = lower_dup(a, v)) == NULL)
		return -MG_ENOMEM;
	return 0;
}

/* c=header[/body], each simple or relaxed; simple when absent. */
static int
parse_canon(struct mg_slice v, struct dkim_sig *s, const char **why)
{
	const uint8_t *slash = memchr(v.ptr, '/', v.len);
	struct mg_slice h = v, b = MG_SLICE_LIT("simple");

	if (slash != NULL) {
		h.len = (size_t)(slash - v.ptr);
		b = mg_slice_make(slash + 1, v.len - h.len - 1);
	}
	if ((!value_is(h, "simple") && !value_is(h, "relaxed")) ||
	    (!value_is(b, "simple") && !value_is(b, "relaxed"))) {
		*why = "unknown canonicalization";
		return -MG_EPROTO;
	}
	s->hrelaxed = value_is(h, "relaxed");
	s->brelaxed = value_is(b, "relaxed");
	return 0;
}

/* h=: field names separated by ':' with blanks around them. */
static int
parse_h(struct mg_slice v, struct dkim_sig *s, const char **why)
{
	size_t i = 0, st, e;

	s->nh = 0;
	while (i <= v.len) {
		while (i < v.len && is_fws(v.ptr[i]))
			i++;
		st = e = i;
		for (; i < v.len && v.ptr[i] != ':'; i++)
			if (!is_fws(v.ptr[i]))
				e = i + 1;
		if (e == st) {
			*why = "empty name in h=";
			return -MG_EPROTO;
		}
		if (s->nh == DKIM_MAX_HFIELDS) {
			*why = "too many fields in h=";
			return -MG_EPROTO;
		}
		s->h[s->nh++] = mg_slice_make(v.ptr + st, e - st);
		i++;
	}
	return 0;
}

/* i= of a DKIM-Signature: [local-part] "@" domain. */
static int
parse_identity(struct mg_slice v, struct dkim_sig *s, struct mg_arena *a, const char **why)
{
	const uint8_t *at = NULL;

	for (size_t k = v.len; k > 0; k--)
		if (v.ptr[k - 1] == '@') {
			at = v.ptr + k - 1;
			break;
		}
	if (at == NULL || !is_dns_name(mg_slice_make(at + 1, (size_t)(v.ptr + v.len - at - 1)))) {
		*why = "bad i=";
		return -MG_EPROTO;
	}
	if ((s->identity = mg_arena_strndup(a, v.ptr, v.len)) == NULL)
		return -MG_ENOMEM;
	return 0;
}

static int
parse_b(const struct dkim_tag *t, struct dkim_sig *s, size_t voff, const char **why)
{
	size_t k = 0;

	for (size_t i = 0; i < t->value.len && k < 8; i++)
		if (!is_fws(t->value.ptr[i]))
			s->header_b[k++] = (char)t->value.ptr[i];
	s->header_b[k] = '\0';
	s->b_start = voff + t->span_start;
	s->b_end = voff + t->span_end;
	if (!dkim_base64_decode(t->value, s->b, sizeof(s->b), &s->blen)) {
		*why = "bad b=";
		return -MG_EPROTO;
	}
	return 0;
}

static int
parse_number_tag(const struct dkim_tag *t, struct dkim_sig *s, const char **why)
{
	uint64_t u;

	if (dkim_tag_is(t, "l")) {
		if (!parse_uint(t->value, 18, &s->l)) {
			*why = "bad l=";
			return -MG_EPROTO;
		}
		s->has_l = true;
	} else if (!parse_uint(t->value, 12, &u)) {
		*why = dkim_tag_is(t, "t") ? "bad t=" : "bad x=";
		return -MG_EPROTO;
	} else if (dkim_tag_is(t, "t"))
		s->t = (int64_t)u;
	else
		s->x = (int64_t)u;
	return 0;
}

/* i= and cv= of the ARC fields. */
static int
parse_arc_tag(const struct dkim_tag *t, struct dkim_sig *s, const char **why)
{
	uint64_t u;

	if (dkim_tag_is(t, "i")) {
		if (!parse_uint(t->value, 2, &u) || u < 1 || u > ARC_MAX_INSTANCE) {
			*why = "bad instance";
			return -MG_EPROTO;
		}
		s->instance = (unsigned)u;
		return 0;
	}
	if (value_is(t->value, "none"))
		s->cv = ARC_CV_NONE;
	else if (value_is(t->value, "pass"))
		s->cv = ARC_CV_PASS;
	else if (value_is(t->value, "fail"))
		s->cv = ARC_CV_FAIL;
	else {
		*why = "bad cv=";
		return -MG_EPROTO;
	}
	return 0;
}

bool
dkim_list_has(struct mg_slice v, const char *word)
{
	size_t i = 0, st, e;

	while (i < v.len) {
		while (i < v.len && is_fws(v.ptr[i]))
			i++;
		for (st = e = i; i < v.len && v.ptr[i] != ':'; i++)
			if (!is_fws(v.ptr[i]))
				e = i + 1;
		if (value_is(mg_slice_make(v.ptr + st, e - st), word))
			return true;
		i++;
	}
	return false;
}

/* One tag of a signature; unknown tags are ignored (RFC 6376 3.2). */
static int
sig_tag(struct mg_arena *a, const struct dkim_tag *t, struct dkim_sig *s, size_t voff,
    const char **why)
{
	bool arc = s->kind != DKIM_KIND_SIGNATURE;

	if (dkim_tag_is(t, "v") && !arc && !value_is(t->value, "1")) {
		*why = "unsupported version";
		return -MG_EPROTO;
	}
	if (dkim_tag_is(t, "a"))
		return parse_alg(t->value, s, a, why);
	if (dkim_tag_is(t, "b"))
		return parse_b(t, s, voff, why);
	if (dkim_tag_is(t, "bh") && s->kind != DKIM_KIND_SEAL &&
	    !dkim_base64_decode(t->value, s->bh, sizeof(s->bh), &s->bhlen)) {
		*why = "bad bh=";
		return -MG_EPROTO;
	}
	if (dkim_tag_is(t, "c") && s->kind != DKIM_KIND_SEAL)
		return parse_canon(t->value, s, why);
	if (dkim_tag_is(t, "d") || dkim_tag_is(t, "s")) {
		if (!is_dns_name(t->value)) {
			*why = dkim_tag_is(t, "d") ? "bad d=" : "bad s=";
			return -MG_EPROTO;
		}
		if ((*(dkim_tag_is(t, "d") ? &s->domain : &s->selector) = lower_dup(a, t->value)) == NULL)
			return -MG_ENOMEM;
		return 0;
	}
	if (dkim_tag_is(t, "h"))
		return parse_h(t->value, s, why);
	if ((dkim_tag_is(t, "i") && arc) || (dkim_tag_is(t, "cv") && s->kind == DKIM_KIND_SEAL))
		return parse_arc_tag(t, s, why);
	if (dkim_tag_is(t, "i"))
		return parse_identity(t->value, s, a, why);
	if (dkim_tag_is(t, "l") && s->kind == DKIM_KIND_SIGNATURE)
		return parse_number_tag(t, s, why);
	if (dkim_tag_is(t, "t") || dkim_tag_is(t, "x"))
		return parse_number_tag(t, s, why);
	if (dkim_tag_is(t, "q") && !dkim_list_has(t->value, "dns/txt")) {
		*why = "unsupported query method";
		return -MG_EPROTO;
	}
	return 0;
}

/* Tags each kind must carry, and what is said when one is missing. */
static const struct { const char *tag, *why; } sig_required[][8] = {
	[DKIM_KIND_SIGNATURE] = { { "v", "missing v=" }, { "a", "missing a=" },
	    { "b", "missing b=" }, { "bh", "missing bh=" }, { "d", "missing d=" },
	    { "h", "missing h=" }, { "s", "missing s=" } },
	[DKIM_KIND_AMS] = { { "i", "missing i=" }, { "a", "missing a=" },
	    { "b", "missing b=" }, { "bh", "missing bh=" }, { "d", "missing d=" },
	    { "h", "missing h=" }, { "s", "missing s=" } },
	[DKIM_KIND_SEAL] = { { "i", "missing i=" }, { "a", "missing a=" },
	    { "b", "missing b=" }, { "cv", "missing cv=" }, { "d", "missing d=" },
	    { "s", "missing s=" } },
};

static int
sig_required_check(const struct dkim_tag *tags, size_t n, enum dkim_kind kind,
    const char **why)
{
	for (size_t r = 0; r < 8 && sig_required[kind][r].tag != NULL; r++) {
		size_t k;

		for (k = 0; k < n && !dkim_tag_is(&tags[k], sig_required[kind][r].tag); k++)
			;
		if (k == n) {
			*why = sig_required[kind][r].why;
			return -MG_EPROTO;
		}
	}
	for (size_t k = 0; kind == DKIM_KIND_SEAL && k < n; k++)
		if (dkim_tag_is(&tags[k], "h")) {
			*why = "h= in an ARC-Seal";
			return -MG_EPROTO;
		}
	return 0;
}

int
dkim_sig_parse(struct mg_arena *a, enum dkim_kind kind, const struct dkim_field *f,
    struct dkim_sig *s, const char **why)
{
	struct dkim_tag tags[DKIM_MAX_TAGS];
	const uint8_t *colon;
	size_t n, voff;
	int r;

	memset(s, 0, offsetof(struct dkim_sig, b));
	s->kind = kind;
	s->hrelaxed = kind == DKIM_KIND_SEAL;	/* RFC 8617 5.1.1 */
	s->field = f;
	s->t = s->x = -1;
	s->blen = s->bhlen = s->nh = 0;
	s->has_l = false;
	s->b_start = s->b_end = 0;
	if ((colon = memchr(f->all.ptr, ':', f->all.len)) == NULL) {
		*why = "no value";
		return -MG_EPROTO;
	}
	voff = (size_t)(colon + 1 - f->all.ptr);
	if ((r = dkim_tags_parse(colon + 1, f->all.len - voff, tags, DKIM_MAX_TAGS, &n,
	    why)) < 0)
		return r;
	/* d= and s= first so that a later error still names the signer */
	for (size_t k = 0; k < n; k++)
		if ((dkim_tag_is(&tags[k], "d") || dkim_tag_is(&tags[k], "s")) &&
		    (r = sig_tag(a, &tags[k], s, voff, why)) < 0)
			return r;
	for (size_t k = 0; k < n; k++)
		if (!dkim_tag_is(&tags[k], "d") && !dkim_tag_is(&tags[k], "s") &&
		    (r = sig_tag(a, &tags[k], s, voff, why)) < 0)
			return r;
	return sig_required_check(tags, n, kind, why);
}

const EVP_MD *
dkim_alg_md(enum dkim_alg alg)
{
	return alg == DKIM_RSA_SHA1 ? EVP_sha1() : EVP_sha256();
}

/* Whether sub[0..sublen) is dom or a subdomain of it, in any case. */
static bool
domain_within(const char *sub, size_t sublen, const char *dom)
{
	size_t dl = strlen(dom);

	if (sublen < dl || strncasecmp(sub + sublen - dl, dom, dl) != 0)
		return false;
	return sublen == dl || sub[sublen - dl - 1] == '.';
}

const char *
dkim_sig_check(const struct dkim_sig *s, time_t now)
{
	const char *at;
	size_t k;

	if ((size_t)EVP_MD_get_size(dkim_alg_md(s->alg)) != s->bhlen &&
	    s->kind != DKIM_KIND_SEAL)
		return "bh= has the wrong length";
	if (s->kind == DKIM_KIND_SIGNATURE) {
		for (k = 0; k < s->nh && !value_is(s->h[k], "from"); k++)
			;
		if (k == s->nh)
			return "From not signed";
		if (s->identity != NULL && ((at = strrchr(s->identity, '@')) == NULL ||
		    !domain_within(at + 1, strlen(at + 1), s->domain)))
			return "i= not within d=";
	}
	if (s->t >= 0 && s->t > (int64_t)now + DKIM_CLOCK_SKEW)
		return "signed in the future";
	if (s->x >= 0 && s->t >= 0 && s->x < s->t)
		return "x= before t=";
	if (s->x >= 0 && s->x + DKIM_CLOCK_SKEW < (int64_t)now)
		return "signature expired";
	return NULL;
}
