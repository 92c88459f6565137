/* SPF record parser (RFC 7208 sections 4.5, 4.6 and 12): the whole record
 * is checked before evaluation starts, so that a syntax error anywhere is
 * a permerror; directives are kept in order, redirect= aside, exp= only
 * checked, unknown modifiers checked and ignored. */
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "auth/spf_int.h"
#include "core/err.h"

static bool
spf_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
spf_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
spf_record_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
spf_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, dash = false;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = true;
		else if (spf_alpha(s[i]))
			alpha = true;
		else if (!spf_digit(s[i]))
			return false;
	}
	if (dash)
		return s[0] != '-' && s[len - 1] != '-';
	return alpha;
}

/* domain-spec = macro-string domain-end;
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static bool
spf_domain_spec_ok(const char *s, size_t len)
{
	bool ends_macro;
	size_t end = len, dot;

	if (len == 0 || spf_macro_check(s, len, &ends_macro) < 0)
		return false;
	if (ends_macro)
		return true;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	return dot > 1 && spf_toplabel_ok(s + dot, end - dot);
}

/* "0" or a number without leading zero, at most max. */
static bool
spf_cidr(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!spf_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

/* Strips a dual-cidr-length from the end of s[0..*len) into t. */
static bool
spf_dual_cidr(const char *s, size_t *len, struct spf_term *t)
{
	size_t end = *len, j = end;

	while (j > 0 && spf_digit(s[j - 1]))
		j--;
	if (j < end && j >= 2 && s[j - 1] == '/' && s[j - 2] == '/') {
		if (!spf_cidr(s + j, end - j, 128, &t->cidr6))
			return false;
		end = j - 2;
	}
	for (j = end; j > 0 && spf_digit(s[j - 1]); j--)
		;
	if (j < end && j >= 1 && s[j - 1] == '/' && (j < 2 || s[j - 2] != '/')) {
		if (!spf_cidr(s + j, end - j, 32, &t->cidr4))
			return false;
		end = j - 1;
	}
	*len = end;
	return true;
}

/* ip4-network: four qnum without leading zeros. */
static bool
spf_ip4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		size_t start = i;
		unsigned v = 0;
		while (i < len && spf_digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return false;
		out[k] = (uint8_t)v;
		if (k < 3 && (i >= len || s[i++] != '.'))
			return false;
	}
	return i == len;
}

static bool
spf_ip6(const char *s, size_t len, uint8_t out[16])
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

/* "ip4:" / "ip6:" arguments: network [ "/" cidr ]. */
static bool
spf_ip_arg(const char *s, size_t len, struct spf_term *t)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	bool v6 = t->mech == SPF_M_IP6;

	if (!(v6 ? spf_ip6(s, alen, t->net) : spf_ip4(s, alen, t->net)))
		return false;
	if (slash == NULL)
		return true;
	return spf_cidr(slash + 1, len - alen - 1, v6 ? 128 : 32, v6 ? &t->cidr6 : &t->cidr4);
}

static const struct { const char *name; enum spf_mech mech; } spf_mechs[] = {
	{ "all", SPF_M_ALL }, { "include", SPF_M_INCLUDE }, { "a", SPF_M_A },
	{ "mx", SPF_M_MX }, { "ptr", SPF_M_PTR }, { "ip4", SPF_M_IP4 }, { "ip6", SPF_M_IP6 },
	{ "exists", SPF_M_EXISTS },
};

/* The arguments after the mechanism name: rest[0..len). */
static bool
spf_mech_args(const char *rest, size_t len, struct spf_term *t)
{
	switch (t->mech) {
	case SPF_M_ALL:
		return len == 0;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
	case SPF_M_PTR:
		if (len == 0)
			return t->mech == SPF_M_PTR;
		t->spec = rest + 1;
		t->speclen = len - 1;
		return rest[0] == ':' && spf_domain_spec_ok(t->spec, t->speclen);
	case SPF_M_A:
	case SPF_M_MX:
		if (!spf_dual_cidr(rest, &len, t))
			return false;
		if (len == 0)
			return true;
		t->spec = rest + 1;
		t->speclen = len - 1;
		return rest[0] == ':' && spf_domain_spec_ok(t->spec, t->speclen);
	default:
		return len > 1 && rest[0] == ':' && spf_ip_arg(rest + 1, len - 1, t);
	}
}

static int
spf_directive(const char *s, size_t len, struct spf_term *t)
{
	size_t i = 0, n;

	t->qualifier = SPF_PASS;
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (len > 0 && strchr("+-~?", s[0]) != NULL) {
		t->qualifier = s[0] == '-' ? SPF_FAIL : s[0] == '~' ? SPF_SOFTFAIL :
		    s[0] == '?' ? SPF_NEUTRAL : SPF_PASS;
		i++;
	}
	for (n = i; n < len && (spf_alpha(s[n]) || spf_digit(s[n])); n++)
		;
	for (size_t k = 0; k < sizeof(spf_mechs) / sizeof(spf_mechs[0]); k++) {
		if (strlen(spf_mechs[k].name) != n - i ||
		    strncasecmp(s + i, spf_mechs[k].name, n - i) != 0)
			continue;
		t->mech = spf_mechs[k].mech;
		return spf_mech_args(s + n, len - n, t) ? 0 : -MG_EPROTO;
	}
	return -MG_EPROTO;
}

/* A modifier "name=value" when s has that shape: 1 for a modifier, 0 when
 * it is not one, -MG_EPROTO for a bad one. */
static int
spf_modifier(const char *s, size_t len, struct spf_record *r, bool *seen_exp)
{
	const char *v;
	size_t n = 0, vlen;
	bool ends_macro;

	if (len == 0 || !spf_alpha(s[0]))
		return 0;
	while (n < len && (spf_alpha(s[n]) || spf_digit(s[n]) || strchr("-_.", s[n]) != NULL))
		n++;
	if (n == len || s[n] != '=')
		return 0;
	v = s + n + 1;
	vlen = len - n - 1;
	if (n == 8 && strncasecmp(s, "redirect", 8) == 0) {
		if (r->redirect != NULL || !spf_domain_spec_ok(v, vlen))
			return -MG_EPROTO;
		r->redirect = v;
		r->redirect_len = vlen;
		return 1;
	}
	if (n == 3 && strncasecmp(s, "exp", 3) == 0) {
		if (*seen_exp || !spf_domain_spec_ok(v, vlen))
			return -MG_EPROTO;
		*seen_exp = true;
		return 1;
	}
	return spf_macro_check(v, vlen, &ends_macro) < 0 ? -MG_EPROTO : 1;
}

int
spf_record_parse(struct mg_arena *a, const char *txt, size_t len, struct spf_record *r,
    const char **why)
{
	size_t i = 6, cap = 1;
	bool seen_exp = false;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)txt[k] < 0x20 || (unsigned char)txt[k] > 0x7e) {
			*why = "non-ASCII or control character in the record";
			return -MG_EPROTO;
		}
	if (!spf_record_is_spf(txt, len)) {
		*why = "not an SPF record";
		return -MG_EPROTO;
	}
	for (size_t k = i; k < len; k++)
		cap += txt[k] == ' ';
	if (cap > SPF_MAX_TERMS)
		cap = SPF_MAX_TERMS;
	if ((r->terms = mg_arena_alloc(a, cap * sizeof(*r->terms))) == NULL)
		return -MG_ENOMEM;
	while (i < len) {
		size_t start, n;
		int rc;

		while (i < len && txt[i] == ' ')
			i++;
		for (start = i; i < len && txt[i] != ' '; i++)
			;
		if ((n = i - start) == 0)
			break;
		if ((rc = spf_modifier(txt + start, n, r, &seen_exp)) == 1)
			continue;
		if (rc == 0 && r->nterms == cap)
			rc = -MG_ELIMIT;
		if (rc == 0) {
			struct spf_term *t = &r->terms[r->nterms];
			memset(t, 0, sizeof(*t));
			rc = spf_directive(txt + start, n, t);
			if (rc == 0 && (t->text = mg_arena_strndup(a, txt + start, n)) == NULL)
				return -MG_ENOMEM;
			r->nterms += rc == 0;
		}
		if (rc < 0) {
			*why = rc == -MG_ELIMIT ? "too many terms" : "syntax error in a term";
			return -MG_EPROTO;
		}
	}
	return 0;
}
