/* SPF macro strings (RFC 7208 section 7): syntax check, expansion with
 * transformers (right-hand parts, reversal, delimiters), URL escaping of
 * upper-case letters, and the tidying of an expanded target name. */
#include <string.h>

#include "auth/spf_int.h"
#include "core/err.h"

#define SPF_VALUE_MAX	1024	/* bytes of one macro value split into parts */

static bool
spf_is_delim(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

static char
spf_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* One "%{...}" at s[0..len) (s[0] == '%', s[1] == '{'): its length, or 0
 * when malformed. Fills letter (as written), parts (0 = all), reverse and
 * the delimiters. */
static size_t
spf_macro_expr(const char *s, size_t len, char *letter, unsigned *parts, bool *reverse,
    const char **delims, size_t *ndelims)
{
	size_t i = 2;
	unsigned n = 0, digits = 0;

	if (i >= len || strchr("slodiphvSLODIPHV", s[i]) == NULL || s[i] == '\0')
		return 0;
	*letter = s[i++];
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (n < 1000)
			n = n * 10 + (unsigned)(s[i] - '0');
		digits++;
		i++;
	}
	if (digits > 0 && n == 0)	/* "MUST be nonzero" */
		return 0;
	*parts = n;
	*reverse = i < len && (s[i] == 'r' || s[i] == 'R');
	if (*reverse)
		i++;
	*delims = s + i;
	while (i < len && spf_is_delim(s[i]))
		i++;
	*ndelims = (size_t)(s + i - *delims);
	if (i >= len || s[i] != '}')
		return 0;
	return i + 1;
}

int
spf_macro_check(const char *s, size_t len, bool *ends_macro)
{
	size_t i = 0;

	*ends_macro = false;
	while (i < len) {
		char letter, c = s[i];
		unsigned parts;
		bool reverse;
		const char *delims;
		size_t nd, n;

		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return -MG_EPROTO;
			*ends_macro = false;
			i++;
			continue;
		}
		if (i + 1 < len && (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-'))
			n = 2;
		else if (i + 1 < len && s[i + 1] == '{')
			n = spf_macro_expr(s + i, len - i, &letter, &parts, &reverse, &delims, &nd);
		else
			n = 0;
		if (n == 0)
			return -MG_EPROTO;
		*ends_macro = true;
		i += n;
	}
	return 0;
}

bool
spf_macro_uses_p(const char *s, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (s[i] == '%' && s[i + 1] == '{' && (s[i + 2] == 'p' || s[i + 2] == 'P'))
			return true;
	return false;
}

struct spf_out {
	char	*p;
	size_t	 len, max;
	bool	 full;
};

static void
spf_put(struct spf_out *o, const char *s, size_t n)
{
	if (o->full || n >= o->max - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Appends v, URL-escaped when escape (upper-case macro letter). */
static void
spf_put_value(struct spf_out *o, const char *v, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (!escape || plain) {
			spf_put(o, v + i, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 0xf] };
			spf_put(o, e, 3);
		}
	}
}

static const char *
spf_macro_value(const struct spf_macro_env *env, char letter)
{
	switch (spf_lower(letter)) {
	case 's': return env->sender;
	case 'l': return env->local;
	case 'o': return env->sender_domain;
	case 'd': return env->domain;
	case 'i': return env->ip;
	case 'p': return env->ptr;
	case 'h': return env->helo;
	default: return env->ipv6 ? "ip6" : "in-addr";	/* 'v' */
	}
}

/* Splits v on the delimiters ('.' by default), keeps the right-hand
 * parts after optional reversal, joins them with '.'. */
static int
spf_put_transformed(struct spf_out *o, const char *v, char letter, unsigned parts,
    bool reverse, const char *delims, size_t ndelims)
{
	struct { uint16_t off, len; } part[SPF_VALUE_MAX + 1];
	char dset[8] = ".";
	size_t n = 0, start = 0, len = strlen(v), first;

	if (len > SPF_VALUE_MAX)
		return -MG_ELIMIT;
	if (ndelims > 0) {
		memset(dset, 0, sizeof(dset));
		memcpy(dset, delims, ndelims < sizeof(dset) - 1 ? ndelims : sizeof(dset) - 1);
	}
	for (size_t i = 0; i <= len; i++) {
		if (i == len || strchr(dset, v[i]) != NULL) {
			part[n].off = (uint16_t)start;
			part[n++].len = (uint16_t)(i - start);
			start = i + 1;
		}
	}
	first = parts == 0 || parts >= n ? 0 : n - parts;
	for (size_t k = first; k < n; k++) {
		size_t idx = reverse ? n - 1 - k : k;
		if (k > first)
			spf_put(o, ".", 1);
		spf_put_value(o, v + part[idx].off, part[idx].len, letter >= 'A' && letter <= 'Z');
	}
	return 0;
}

int
spf_macro_expand(const char *s, size_t len, const struct spf_macro_env *env, char *out,
    size_t outmax)
{
	struct spf_out o = { .p = out, .max = outmax };
	size_t i = 0;

	if (outmax == 0)
		return -MG_ELIMIT;
	while (i < len && !o.full) {
		char letter;
		unsigned parts;
		bool reverse;
		const char *delims, *v;
		size_t nd, n;

		if (s[i] != '%') {
			spf_put(&o, s + i++, 1);
			continue;
		}
		if (i + 1 < len && (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-')) {
			spf_put(&o, s[i + 1] == '%' ? "%" : s[i + 1] == '_' ? " " : "%20",
			    s[i + 1] == '-' ? 3 : 1);
			i += 2;
			continue;
		}
		if ((n = spf_macro_expr(s + i, len - i, &letter, &parts, &reverse, &delims,
		    &nd)) == 0)
			return -MG_EPROTO;
		v = spf_macro_value(env, letter);
		if (spf_put_transformed(&o, v ? v : "", letter, parts, reverse, delims, nd) < 0)
			return -MG_ELIMIT;
		i += n;
	}
	if (o.full)
		return -MG_ELIMIT;
	out[o.len] = '\0';
	return 0;
}

bool
spf_target_name(char *name)
{
	size_t len = strlen(name), start = 0, lab = 0;

	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	while (len - start > SPF_NAME_MAX) {
		const char *dot = memchr(name + start, '.', len - start);
		if (dot == NULL)
			return false;
		start = (size_t)(dot - name) + 1;
	}
	memmove(name, name + start, len - start + 1);
	len -= start;
	if (len == 0)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (lab == 0 || lab > 63)
				return false;
			lab = 0;
			continue;
		}
		name[i] = spf_lower(name[i]);
		lab++;
	}
	return true;
}
