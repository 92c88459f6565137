/* Finding URLs in UTF-8 text (url.h). One pass over the bytes stops only
 * at trigger characters: ':' (scheme://, mailto:, data:, javascript:), '.'
 * ("www."), '/' (a bare domain with a known public suffix and a path) and
 * '[' '(' '{' (defanged dots: example[.]com). Each trigger looks back and
 * forward a bounded distance before committing, so the pass stays linear;
 * then trailing punctuation is trimmed. Hand-written: a regex engine would
 * not give the speed these context rules need on every text part. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "mime/url_int.h"

#define X_SCHEME_MAX	32	/* bytes looked back for a scheme */
#define X_LABELS_MAX	255	/* bytes looked back for a schemeless host */
#define X_HOST_MAX	512	/* bytes of a schemeless host looked at */
#define X_MAILTO_AT	256	/* bytes after mailto: in which '@' must appear */

struct xscan {
	const unsigned char *t;
	size_t		 len;
	size_t		 floor;		/* end of the last URL reported */
	size_t		 no_at;		/* no '@' from the last mailto: body to here */
	size_t		 no_host;	/* a defanged host failed that ends here */
	unsigned	 count, max;
	int		(*fn)(const char *, size_t, unsigned, void *);
	void		*arg;
};

struct xhost {
	size_t		 end;		/* first byte after the host and port */
	size_t		 label;		/* start of the label being read */
	size_t		 tld, tld_end;	/* the last label that is not empty */
	unsigned	 seps;		/* dots, plain or defanged */
	bool		 port;		/* past a ':' (port, or password) */
	bool		 obf;		/* a defanged dot was crossed */
};

static const bool x_trigger[256] = {
	[':'] = true, ['.'] = true, ['/'] = true, ['['] = true, ['('] = true, ['{'] = true,
};

static bool
x_host_c(unsigned char c)
{
	return url_is_alnum(c) || c == '-' || c == '.' || c == '_';
}

static bool
x_scheme_c(unsigned char c)
{
	return url_is_alnum(c) || c == '+' || c == '-' || c == '.' || c == '*';
}

/* ASCII that may be part of a URL in text. */
static bool
x_url_c(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '`';
}

/* ASCII before a schemeless URL that means it is part of something else. */
static bool
x_glued(unsigned char c)
{
	return url_is_alnum(c) || c == '.' || c == '-' || c == '_' || c == '@' ||
	    c == '/' || c == '\\' || c == '%';
}

static bool
x_slash(unsigned char c)
{
	return c == '/' || c == '\\';
}

/* Code point of the UTF-8 sequence at p and its length, -1 if invalid. */
static int32_t
x_utf8(const unsigned char *p, size_t len, size_t *n)
{
	int32_t cp;
	size_t k, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 4;
		cp = p[0] & 0x07;
	} else {
		return -1;
	}
	if (len < k)
		return -1;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return -1;
	*n = k;
	return cp;
}

/* Ideographic and fullwidth full stops: IDNA dots inside a host. */
static bool
x_ideo_dot(int32_t cp)
{
	return cp == 0x3002 || cp == 0xff0e || cp == 0xff61;
}

/* Punctuation and spaces outside ASCII that end a URL: no-break space,
 * guillemets, general punctuation (quotes, ellipsis, zero-width and bidi
 * controls), CJK punctuation, fullwidth punctuation, BOM. */
static bool
x_stop_cp(int32_t cp)
{
	return cp == 0xa0 || cp == 0xab || cp == 0xbb || cp == 0xfeff ||
	    (cp >= 0x2000 && cp <= 0x206f) ||
	    (cp >= 0x3000 && cp <= 0x303f && cp != 0x3002) ||
	    (cp >= 0xfe10 && cp <= 0xfe6f) ||
	    (cp >= 0xff01 && cp <= 0xff0f && cp != 0xff0e) ||
	    (cp >= 0xff1a && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
	    (cp >= 0xff5b && cp <= 0xff65 && cp != 0xff61);
}

/* A label of the host ends at p. */
static void
x_label_end(struct xhost *h, size_t p)
{
	if (!h->port && p > h->label) {
		h->tld = h->label;
		h->tld_end = p;
	}
}

/* Scans a host (with userinfo and port) from p: what no host holds ends
 * it ("www.example.com';return"), and so does a CJK character right after
 * ASCII letters ("example.com谢谢"). */
static void
x_scan_host(const struct xscan *x, size_t p, size_t max, struct xhost *h)
{
	size_t start = p, k, n;
	int32_t cp;

	h->label = h->tld = h->tld_end = p;
	h->seps = 0;
	h->port = h->obf = false;
	while (p < x->len && p - start < max) {
		unsigned char c = x->t[p];

		if (c < 0x80) {
			if ((c == ' ' || c == '[' || c == '(' || c == '{') &&
			    (k = url_obfuscated_dot((const char *)x->t + p, x->len - p)) > 0) {
				x_label_end(h, p);
				p += k;
				h->obf = true;
				h->seps++;
				h->label = p;
				continue;
			}
			if (!x_host_c(c) && c != '%' && c != '~' && c != ':' && c != '@' &&
			    c != '[' && c != ']')
				break;
			if (c == '.' || c == ':') {
				x_label_end(h, p);
				h->seps += c == '.';
				h->port |= c == ':';
				h->label = p + 1;
			} else if (c == '@') {	/* what came before was userinfo */
				h->label = h->tld = h->tld_end = p + 1;
				h->seps = 0;
				h->port = false;
			}
			p++;
			continue;
		}
		if ((cp = x_utf8(x->t + p, x->len - p, &n)) < 0 || x_stop_cp(cp))
			break;
		if (x_ideo_dot(cp)) {
			if (p + n >= x->len || !url_is_alnum(x->t[p + n]))
				break;
			x_label_end(h, p);
			h->seps++;
			h->label = p + n;
		} else if (cp >= 0x2e80 && p > start && url_is_alnum(x->t[p - 1])) {
			break;
		}
		p += n;
	}
	x_label_end(h, p);
	h->end = p;
}

/* Scans a path, query and fragment from p. */
static size_t
x_scan_path(const struct xscan *x, size_t p)
{
	size_t n;
	int32_t cp;

	while (p < x->len) {
		if (x->t[p] < 0x80) {
			if (!x_url_c(x->t[p]))
				break;
			p++;
			continue;
		}
		cp = x_utf8(x->t + p, x->len - p, &n);
		if (cp < 0 || x_stop_cp(cp) || x_ideo_dot(cp))
			break;
		p += n;
	}
	return p;
}

/* The path, query and fragment after a host, if one follows. */
static size_t
x_scan_after_host(const struct xscan *x, const struct xhost *h)
{
	unsigned char c = h->end < x->len ? x->t[h->end] : 0;

	if (c == '/' || c == '?' || c == '#' || c == '\\')
		return x_scan_path(x, h->end);
	return h->end;
}

/* Drops trailing punctuation (and Markdown's '*'), and closing brackets
 * without their opening one inside the URL (Wikipedia's "Foo_(bar)" keeps
 * its parenthesis). */
static size_t
x_trim(const struct xscan *x, size_t start, size_t end)
{
	long paren = 0, brack = 0, brace = 0;
	size_t i;

	for (i = start; i < end; i++) {
		switch (x->t[i]) {
		case '(': paren++; break;
		case ')': paren--; break;
		case '[': brack++; break;
		case ']': brack--; break;
		case '{': brace++; break;
		case '}': brace--; break;
		}
	}
	while (end > start) {
		unsigned char c = x->t[end - 1];

		if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
		    c == '\'' || c == '"' || c == '>' || c == '*')
			end--;
		else if (c == ')' && paren < 0)
			end--, paren++;
		else if (c == ']' && brack < 0)
			end--, brack++;
		else if (c == '}' && brace < 0)
			end--, brace++;
		else
			break;
	}
	return end;
}

static bool
x_is_ci(const unsigned char *s, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (word[i] == '\0' || url_lower(s[i]) != word[i])
			return false;
	return word[len] == '\0';
}

/* Start of the scheme that ends at colon, or colon when there is none:
 * at most X_SCHEME_MAX scheme bytes, starting with a letter, cut after a
 * '.' and after a '*' that is not part of h**p. */
static size_t
x_scheme_start(const struct xscan *x, size_t colon)
{
	size_t s, j;

	for (s = colon; s > x->floor && colon - s < X_SCHEME_MAX && x_scheme_c(x->t[s - 1]); s--)
		;
	for (j = colon; j > s; j--)
		if (x->t[j - 1] == '.') {
			s = j;
			break;
		}
	if (!x_is_ci(x->t + s, colon - s, "h**p") && !x_is_ci(x->t + s, colon - s, "h**ps"))
		for (j = colon; j > s; j--)
			if (x->t[j - 1] == '*') {
				s = j;
				break;
			}
	while (s < colon && !url_is_alpha(x->t[s]))
		s++;
	return s;
}

static bool
x_defanged_scheme(const unsigned char *s, size_t len)
{
	static const char *const names[] = {
		"hxxp", "hxxps", "h**p", "h**ps", "ttp", "ttps", "fxp",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (x_is_ci(s, len, names[i]))
			return true;
	return false;
}

/* mailto:, data: and javascript: (no "//"): whether what follows the colon
 * at body looks like one. mailto: needs an '@' within X_MAILTO_AT bytes;
 * where a search failed is remembered so that "mailto:mailto:..." stays
 * linear. */
static bool
x_opaque_ok(struct xscan *x, size_t s, size_t colon, size_t body)
{
	size_t k;

	if (body >= x->len)
		return false;
	if (x_is_ci(x->t + s, colon - s, "mailto")) {
		k = x->no_at > body ? x->no_at : body;
		for (; k < x->len && k - body < X_MAILTO_AT && x->t[k] != '@' &&
		    (x_url_c(x->t[k]) || x->t[k] >= 0x80); k++)
			;
		if (k < x->len && x->t[k] == '@')
			return k > body;
		x->no_at = k;
		return false;
	}
	if (x_is_ci(x->t + s, colon - s, "data"))
		return url_is_alpha(x->t[body]) || x->t[body] == ',' || x->t[body] == ';';
	if (x_is_ci(x->t + s, colon - s, "javascript"))
		return x_url_c(x->t[body]);
	return false;
}

/* At ':': scheme://, the defanged scheme[:]// and scheme[://], and
 * mailto:, data:, javascript:. */
static bool
x_try_scheme(struct xscan *x, size_t i, size_t *start, size_t *end, unsigned *flags)
{
	const unsigned char *t = x->t;
	size_t colon = i, body, s, rest = x->len - i;
	bool hier = true;
	struct xhost h;

	if (i > 0 && t[i - 1] == '[' && rest >= 4 && ((t[i + 1] == ']' &&
	    x_slash(t[i + 2]) && x_slash(t[i + 3])) || (t[i + 1] == '/' && t[i + 2] == '/' &&
	    t[i + 3] == ']'))) {
		colon = i - 1;
		body = i + 4;
		*flags |= URL_F_OBFUSCATED;
	} else if (rest >= 3 && x_slash(t[i + 1]) && x_slash(t[i + 2])) {
		body = i + 3;
	} else {
		body = i + 1;
		hier = false;
	}
	if (colon <= x->floor || colon - (s = x_scheme_start(x, colon)) < 2)
		return false;
	if (hier) {
		if (body >= x->len || (!x_url_c(t[body]) && t[body] < 0x80))
			return false;
		if (x_defanged_scheme(t + s, colon - s))
			*flags |= URL_F_OBFUSCATED;
		x_scan_host(x, body, SIZE_MAX, &h);
		*end = x_scan_after_host(x, &h);
		if (h.obf)
			*flags |= URL_F_OBFUSCATED;
	} else {
		if (!x_opaque_ok(x, s, colon, body))
			return false;
		*end = x_scan_path(x, body);
	}
	*start = s;
	*end = x_trim(x, s, *end);
	return *end > body;
}

/* Start of a schemeless host that ends at j, or j: up to X_LABELS_MAX host
 * bytes back, without leading non-ASCII that cannot start a label (CJK
 * text, punctuation), and not glued to a word, path or address. */
static size_t
x_label_start(const struct xscan *x, size_t j)
{
	size_t h = j, s, n;
	int32_t cp;

	while (h > x->floor && j - h <= X_LABELS_MAX && (x_host_c(x->t[h - 1]) || x->t[h - 1] >= 0x80))
		h--;
	if (j - h > X_LABELS_MAX)
		return j;
	for (s = h; s < j && x->t[s] >= 0x80; s += cp < 0 ? 1 : n) {
		cp = x_utf8(x->t + s, j - s, &n);
		if (cp >= 0 && !x_stop_cp(cp) && !x_ideo_dot(cp) && cp >= 0xc0 &&
		    cp != 0xd7 && cp != 0xf7 && cp < 0x2000)
			break;
	}
	if (s == h && h > 0 && x->t[h - 1] < 0x80 && x_glued(x->t[h - 1]))
		return j;
	if (s < j && x->t[s] < 0x80 && !url_is_alnum(x->t[s]))
		return j;
	return s;
}

/* At '.': www.example.com. */
static bool
x_try_www(struct xscan *x, size_t i, size_t *start, size_t *end, unsigned *flags)
{
	size_t s = i - 3;
	struct xhost h;

	if (i < 3 || s < x->floor || !x_is_ci(x->t + s, 3, "www") ||
	    (s > 0 && x->t[s - 1] < 0x80 && x_glued(x->t[s - 1])))
		return false;
	x_scan_host(x, s, X_HOST_MAX, &h);
	if (h.end - s >= X_HOST_MAX || h.seps < 2)
		return false;
	*start = s;
	*end = x_trim(x, s, x_scan_after_host(x, &h));
	*flags |= URL_F_SCHEMELESS | (h.obf ? URL_F_OBFUSCATED : 0);
	return *end > i + 1;
}

/* At '/': example.com/login, example.com:8080/login, when the last label
 * is a known public suffix. */
static bool
x_try_bare(struct xscan *x, size_t i, size_t *start, size_t *end, unsigned *flags)
{
	size_t j = i, k = i, s, dot;

	while (k > x->floor && j - k < 5 && url_is_digit(x->t[k - 1]))
		k--;
	if (k < j && k > x->floor && x->t[k - 1] == ':')
		j = k - 1;
	if ((s = x_label_start(x, j)) == j)
		return false;
	for (dot = j; dot > s && x->t[dot - 1] != '.'; dot--)
		;
	if (dot <= s + 1 || !url_known_tld((const char *)x->t + dot, j - dot))
		return false;
	*start = s;
	*end = x_trim(x, s, x_scan_path(x, i));
	*flags |= URL_F_SCHEMELESS;
	return *end > i;
}

/* At '[', '(' or '{': example[.]com, example (dot) com/path. */
static bool
x_try_defanged(struct xscan *x, size_t i, size_t *start, size_t *end, unsigned *flags)
{
	size_t j = i, s;
	struct xhost h;

	if (i < x->no_host || url_obfuscated_dot((const char *)x->t + i, x->len - i) == 0)
		return false;
	while (j > x->floor && i - j < 3 && x->t[j - 1] == ' ')
		j--;
	if ((s = x_label_start(x, j)) == j)
		return false;
	x_scan_host(x, s, X_HOST_MAX, &h);
	if (h.end - s >= X_HOST_MAX || !h.obf ||
	    !url_known_tld((const char *)x->t + h.tld, h.tld_end - h.tld)) {
		x->no_host = h.end;	/* the next defanged dots lead to the same host */
		return false;
	}
	*start = s;
	*end = x_trim(x, s, x_scan_after_host(x, &h));
	*flags |= URL_F_SCHEMELESS | URL_F_OBFUSCATED;
	return *end > i;
}

static bool
x_try(struct xscan *x, size_t i, size_t *start, size_t *end, unsigned *flags)
{
	*flags = 0;
	switch (x->t[i]) {
	case ':':
		return x_try_scheme(x, i, start, end, flags);
	case '.':
		return x_try_www(x, i, start, end, flags);
	case '/':
		return x_try_bare(x, i, start, end, flags);
	default:
		return x_try_defanged(x, i, start, end, flags);
	}
}

int
url_extract_text(const char *text, size_t len, unsigned max,
    int (*fn)(const char *raw, size_t rawlen, unsigned flags, void *arg), void *arg)
{
	struct xscan x = { (const unsigned char *)text, len, 0, 0, 0, 0, max, fn, arg };
	size_t i = 0, start, end;
	unsigned flags;
	int rc;

	for (;;) {
		while (i < len && !x_trigger[x.t[i]])
			i++;
		if (i >= len)
			return 0;
		if (!x_try(&x, i, &start, &end, &flags)) {
			i++;
			continue;
		}
		if (x.count == x.max)
			return -MG_ELIMIT;
		x.count++;
		x.floor = i = end;
		if ((rc = fn(text + start, end - start, flags | URL_F_FROM_TEXT, arg)) != 0)
			return rc;
	}
}

size_t
url_obfuscated_dot(const char *p, size_t len)
{
	size_t i = 0, k;
	char close;

	while (i < len && i < 3 && p[i] == ' ')
		i++;
	if (i == len)
		return 0;
	close = p[i] == '[' ? ']' : p[i] == '(' ? ')' : p[i] == '{' ? '}' : '\0';
	if (close == '\0')
		return 0;
	if (len - i >= 3 && p[i + 1] == '.' && p[i + 2] == close)
		i += 3;
	else if (len - i >= 5 && url_lower((unsigned char)p[i + 1]) == 'd' &&
	    url_lower((unsigned char)p[i + 2]) == 'o' &&
	    url_lower((unsigned char)p[i + 3]) == 't' && p[i + 4] == close)
		i += 5;
	else
		return 0;
	for (k = i; k < len && k - i < 3 && p[k] == ' '; k++)
		;
	if (k > i && k < len && (url_is_alnum((unsigned char)p[k]) || (unsigned char)p[k] >= 0x80))
		i = k;
	return i;
}
