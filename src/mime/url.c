/* URL normalisation (url.h): scheme (defanged forms undone), authority,
 * path, query and fragment, written in one pass from a bounded, cleaned
 * copy of the input into a per-thread scratch area, then copied into the
 * task's arena; hosts are url_host.c's. Also the process-wide Public
 * Suffix List (libpsl, loaded once) and flag names. Rules: docs/urls.md. */
#include <libpsl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/bitname.h"
#include "core/err.h"
#include "mime/url_int.h"

#define URL_SCHEME_MAX	32

/* SK_SPECIAL: any number of slashes after "scheme:", a host is required. */
static const struct url_scheme url_schemes[] = {
	{ "http", 80, SK_SPECIAL }, { "https", 443, SK_SPECIAL },
	{ "ftp", 21, SK_SPECIAL }, { "ws", 80, SK_SPECIAL }, { "wss", 443, SK_SPECIAL },
	{ "file", 0, SK_HIER }, { "mailto", 0, SK_MAILTO }, { "data", 0, SK_DATA },
	{ "javascript", 0, SK_JAVASCRIPT },
};
static const struct url_scheme url_scheme_other = { NULL, 0, SK_HIER };

/* Defanged schemes seen in mail and threat reports. */
static const struct { const char *from, *to; } url_defanged[] = {
	{ "hxxp", "http" }, { "hxxps", "https" }, { "h**p", "http" },
	{ "h**ps", "https" }, { "ttp", "http" }, { "ttps", "https" }, { "fxp", "ftp" },
};

static const char *const url_flag_names[URL_F_COUNT] = {
	"OBFUSCATED", "IP_LITERAL", "NUMERIC_IP", "USERINFO", "PUNYCODE", "IDN",
	"BAD_HOST", "NONSTANDARD_PORT", "DATA", "JAVASCRIPT", "FROM_HTML",
	"FROM_TEXT", "SCHEMELESS", "TRUNCATED", "FROM_QR",
};

static _Thread_local struct url_norm url_scratch;

static pthread_mutex_t	 url_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(psl_ctx_t *) url_psl;
static atomic_bool	 url_ready;	/* url_init ran, list loaded or not */
static uint64_t		 url_key[2];	/* SipHash key of url sets */

static bool
is_unreserved(unsigned char c)
{
	return url_is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Bytes that never appear raw in a normalised path, query or fragment. */
static bool
needs_escape(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' ||
	    c == '`' || c == '{' || c == '}' || c == '\\';
}

const char *
url_flag_name(unsigned flag)
{
	return mg_bit_name(url_flag_names, URL_F_COUNT, flag);
}

int
url_init(char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&url_lock);
	if (!atomic_load(&url_ready)) {
		if (getrandom(url_key, sizeof(url_key), 0) != (ssize_t)sizeof(url_key)) {
			url_key[0] = (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ull;
			url_key[1] = (uint64_t)(uintptr_t)&url_key;
		}
		atomic_store(&url_psl, psl_latest(NULL));
		atomic_store(&url_ready, true);
	}
	if (atomic_load(&url_psl) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no public suffix list (%s, built-in)",
			    psl_dist_filename() != NULL ? psl_dist_filename() : "no file");
		rc = -MG_ENOENT;
	}
	pthread_mutex_unlock(&url_lock);
	return rc;
}

void
url_fini(void)
{
	pthread_mutex_lock(&url_lock);
	psl_free(atomic_exchange(&url_psl, NULL));
	atomic_store(&url_ready, false);
	pthread_mutex_unlock(&url_lock);
}

/* The list, loaded on first use; NULL when there is none. */
static psl_ctx_t *
url_psl_get(void)
{
	if (!atomic_load_explicit(&url_ready, memory_order_acquire))
		url_init(NULL, 0);
	return atomic_load_explicit(&url_psl, memory_order_acquire);
}

void
url_hash_key(uint64_t key[2])
{
	url_psl_get();
	key[0] = url_key[0];
	key[1] = url_key[1];
}

const char *
url_registrable_domain(const char *host)
{
	psl_ctx_t *psl = url_psl_get();

	return psl != NULL ? psl_registrable_domain(psl, host) : NULL;
}

bool
url_known_tld(const char *label, size_t len)
{
	char buf[256];
	bool ascii = true, alpha = true;
	psl_ctx_t *psl;
	size_t i;

	if (len < 2 || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		if (c >= 0x80)
			ascii = false;
		else if (!url_is_alpha(c) && !url_is_digit(c) && c != '-')
			return false;
		else if (!url_is_alpha(c))
			alpha = false;
		buf[i] = url_lower(c);
	}
	buf[len] = '\0';
	if (ascii && !alpha && strncmp(buf, "xn--", 4) != 0)
		return false;
	if ((psl = url_psl_get()) == NULL)
		return false;
	return psl_is_public_suffix2(psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

/* Appends k bytes, or nothing once the url would pass cap. */
void
url_out_put(struct url_norm *n, const void *s, size_t k)
{
	if (n->full)
		return;
	if (k > n->cap - n->len) {
		n->full = true;
		n->flags |= URL_F_TRUNCATED;
		return;
	}
	memcpy(n->out + n->len, s, k);
	n->len += k;
}

void
url_out_c(struct url_norm *n, char c)
{
	url_out_put(n, &c, 1);
}

void
url_out_esc(struct url_norm *n, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = { '%', hex[c >> 4], hex[c & 15] };

	url_out_put(n, e, 3);
}

/* Appends a path (backslash is a slash), query, fragment or opaque part:
 * escapes of unreserved characters decoded, others in upper case, a stray
 * '%' and bytes that may not appear raw escaped. */
static void
comp_put(struct url_norm *n, const char *s, size_t len, bool path)
{
	size_t i;

	for (i = 0; i < len && !n->full; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' && len - i >= 3 && url_is_hex(s[i + 1]) && url_is_hex(s[i + 2])) {
			c = (unsigned char)(url_hexval(s[i + 1]) << 4 | url_hexval(s[i + 2]));
			i += 2;
			if (is_unreserved(c))
				url_out_c(n, (char)c);
			else
				url_out_esc(n, c);
		} else if (c == '%') {
			url_out_esc(n, c);
		} else if (c == '\\' && path) {
			url_out_c(n, '/');
		} else if (needs_escape(c)) {
			url_out_esc(n, c);
		} else {
			url_out_c(n, (char)c);
		}
	}
}

/* RFC 3986 remove_dot_segments, in place on the path just written. */
static void
path_remove_dots(struct url_norm *n)
{
	char *p = n->out + n->path_off;
	size_t len = n->len - n->path_off, r = 0, w = 0, s, e;

	if (len == 0 || p[0] != '/')
		return;
	while (r < len) {
		for (s = r + 1, e = s; e < len && p[e] != '/'; e++)
			;
		if ((e - s == 1 && p[s] == '.') || (e - s == 2 && p[s] == '.' && p[s + 1] == '.')) {
			if (e - s == 2) {
				while (w > 0 && p[w - 1] != '/')
					w--;
				if (w > 0)
					w--;
			}
			if (e == len)
				p[w++] = '/';
		} else {
			memmove(p + w, p + r, e - r);
			w += e - r;
		}
		r = e;
	}
	n->len = n->path_off + w;
}

/* Decimal digits, also percent-encoded (":%38%30", which old browsers
 * took); -1 for anything else. *port is -1 when there is no port. */
static int
port_parse(const char *s, size_t len, long *port)
{
	size_t i;
	char c;

	*port = -1;
	if (len == 0)
		return 0;
	for (*port = 0, i = 0; i < len; i++) {
		c = s[i];
		if (c == '%' && len - i >= 3 && url_is_hex(s[i + 1]) && url_is_hex(s[i + 2])) {
			c = (char)(url_hexval(s[i + 1]) << 4 | url_hexval(s[i + 2]));
			i += 2;
		}
		if (!url_is_digit(c))
			return -1;
		if ((*port = *port * 10 + (c - '0')) > 65535)
			return -1;
	}
	return 0;
}

/* Path, query and fragment after the authority. */
static void
url_tail(struct url_norm *n, const char *s, size_t len)
{
	size_t p = 0, q;

	while (p < len && s[p] != '?' && s[p] != '#')
		p++;
	n->path_off = n->len;
	if (p == 0)
		url_out_c(n, '/');
	comp_put(n, s, p, true);
	path_remove_dots(n);
	if (p < len && s[p] == '?') {
		for (q = p + 1; q < len && s[q] != '#'; q++)
			;
		url_out_c(n, '?');
		comp_put(n, s + p + 1, q - p - 1, false);
		p = q;
	}
	n->path_len = n->len - n->path_off;
	if (p < len) {
		url_out_c(n, '#');
		comp_put(n, s + p + 1, len - p - 1, false);
	}
}

/* "//" authority path: s starts after the slashes. */
static int
url_hier(struct url_norm *n, const char *s, size_t len)
{
	const char *auth = s, *host, *pstr = NULL, *rb;
	size_t a, i, alen, hl, plen = 0;
	long port;
	int rc;

	for (a = 0; a < len && s[a] != '/' && s[a] != '?' && s[a] != '#' && s[a] != '\\'; a++)
		;
	for (i = a; i > 0; i--)
		if (s[i - 1] == '@') {
			n->flags |= URL_F_USERINFO;
			auth = s + i;
			break;
		}
	alen = (size_t)(s + a - auth);
	host = auth;
	hl = alen;
	if (alen > 0 && auth[0] == '[' && url_obfuscated_dot(auth, alen) == 0) {
		if ((rb = memchr(auth, ']', alen)) != NULL && rb + 1 < auth + alen && rb[1] == ':') {
			hl = (size_t)(rb + 1 - auth);
			pstr = rb + 2;
			plen = alen - hl - 1;
		}
	} else if ((rb = memchr(auth, ':', alen)) != NULL) {
		hl = (size_t)(rb - auth);
		pstr = rb + 1;
		plen = alen - hl - 1;
	}
	if (port_parse(pstr, plen, &port) != 0)
		return -MG_EINVAL;
	url_out_put(n, "//", 2);
	if ((rc = url_host_norm(n, host, hl)) < 0)
		return rc;
	if (rc == 1) {
		if (n->scheme->kind == SK_SPECIAL)
			return -MG_EINVAL;
		url_host_write(n, "", 0);
	}
	if (port >= 0 && port != n->scheme->port) {
		char pb[8];

		n->port = (uint16_t)port;
		n->flags |= URL_F_NONSTANDARD_PORT;
		url_out_put(n, pb, (size_t)snprintf(pb, sizeof(pb), ":%ld", port));
	}
	url_tail(n, s + a, len - a);
	return 0;
}

/* mailto: the host is the domain of the first address. */
static int
url_mailto(struct url_norm *n, const char *s, size_t len)
{
	size_t e, at;

	for (e = 0; e < len && s[e] != '?' && s[e] != ',' && s[e] != '#'; e++)
		;
	for (at = e; at > 0 && s[at - 1] != '@'; at--)
		;
	if (at == 0)
		return -MG_EINVAL;
	n->path_off = n->len;
	comp_put(n, s, at - 1, false);
	url_out_c(n, '@');
	if (url_host_norm(n, s + at, e - at) != 0)
		return -MG_EINVAL;
	comp_put(n, s + e, len - e, false);
	n->path_len = n->len - n->path_off;
	return 0;
}

/* data:, javascript:, tel:, urn:...: everything after the colon, bounded. */
static int
url_opaque(struct url_norm *n, const char *s, size_t len, size_t max)
{
	if (len == 0)
		return -MG_EINVAL;
	n->host_off = n->len;
	n->path_off = n->len;
	if (n->cap - n->len > max)
		n->cap = n->len + max;
	comp_put(n, s, len, false);
	n->path_len = n->len - n->path_off;
	return 0;
}

/* Reads "scheme:" (or the defanged "scheme[:]" and "scheme[://]") at the
 * start of s into n->out; returns the length read, 0 when s has none.
 * *slashed: the defanged form included the "//". */
static size_t
scheme_read(struct url_norm *n, const char *s, size_t len, bool *slashed)
{
	char name[URL_SCHEME_MAX + 1];
	unsigned obf = 0;
	size_t i, k;

	for (i = 0; i < len && i < URL_SCHEME_MAX && (url_is_alnum((unsigned char)s[i]) ||
	    s[i] == '+' || s[i] == '-' || s[i] == '.' || s[i] == '*'); i++)
		name[i] = url_lower((unsigned char)s[i]);
	name[i] = '\0';
	if (i < 2 || !url_is_alpha((unsigned char)s[0]))	/* one letter: a drive */
		return 0;
	if (i < len && s[i] == ':') {
		k = i + 1;
	} else if (len - i >= 5 && memcmp(s + i, "[://]", 5) == 0) {
		k = i + 5;
		*slashed = true;
		obf = URL_F_OBFUSCATED;
	} else if (len - i >= 3 && memcmp(s + i, "[:]", 3) == 0) {
		k = i + 3;
		obf = URL_F_OBFUSCATED;
	} else {
		return 0;
	}
	for (i = 0; i < sizeof(url_defanged) / sizeof(url_defanged[0]); i++)
		if (strcmp(name, url_defanged[i].from) == 0) {
			strcpy(name, url_defanged[i].to);
			obf = URL_F_OBFUSCATED;
		}
	if (strchr(name, '*') != NULL)
		return 0;
	n->flags |= obf;
	n->scheme = &url_scheme_other;
	for (i = 0; i < sizeof(url_schemes) / sizeof(url_schemes[0]); i++)
		if (strcmp(name, url_schemes[i].name) == 0)
			n->scheme = &url_schemes[i];
	n->scheme_len = strlen(name);
	url_out_put(n, name, n->scheme_len);
	return k;
}

/* Copies raw into n->in without the leading and trailing controls and
 * spaces, and without tabs and line breaks (as browsers do). */
static size_t
url_clean(struct url_norm *n, const char *raw, size_t len)
{
	size_t a = 0, b = len, o = 0, i;

	while (a < b && (unsigned char)raw[a] <= 0x20)
		a++;
	while (b > a && (unsigned char)raw[b - 1] <= 0x20)
		b--;
	for (i = a; i < b; i++) {
		if (raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r')
			continue;
		if (o == URL_MAX_LEN) {
			n->flags |= URL_F_TRUNCATED;
			break;
		}
		n->in[o++] = raw[i];
	}
	return o;
}

static bool
has_prefix_ci(const char *s, size_t len, const char *p)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++)
		if (i >= len || url_lower((unsigned char)s[i]) != p[i])
			return false;
	return true;
}

static int
norm_run(struct url_norm *n, const char *raw, size_t rawlen, unsigned flags)
{
	const char *s = n->in;
	size_t len, k = 0;
	bool slashed = false;

	n->len = n->host_off = n->host_len = n->dom_off = n->path_off = n->path_len = 0;
	n->ulen = 0;
	n->cap = URL_MAX_LEN;
	n->full = false;
	n->port = 0;
	n->flags = flags & ~URL_F_TRUNCATED;
	len = url_clean(n, raw, rawlen);
	if (!(flags & URL_F_SCHEMELESS))
		k = scheme_read(n, s, len, &slashed);
	if (k == 0) {
		if (!(flags & URL_F_SCHEMELESS) && !has_prefix_ci(s, len, "www.") &&
		    !has_prefix_ci(s, len, "//"))
			return -MG_EINVAL;
		n->flags |= URL_F_SCHEMELESS;
		n->scheme = &url_schemes[0];
		n->scheme_len = 4;
		url_out_put(n, "http", 4);
	}
	s += k;
	len -= k;
	url_out_c(n, ':');
	switch (n->scheme->kind) {
	case SK_MAILTO:
		return url_mailto(n, s, len);
	case SK_DATA:
		n->flags |= URL_F_DATA;
		return url_opaque(n, s, len, URL_OPAQUE_MAX);
	case SK_JAVASCRIPT:
		n->flags |= URL_F_JAVASCRIPT;
		return url_opaque(n, s, len, URL_OPAQUE_MAX);
	case SK_SPECIAL:
		while (len > 0 && (s[0] == '/' || s[0] == '\\')) {
			s++;
			len--;
		}
		return url_hier(n, s, len);
	case SK_HIER:
		if (!slashed && has_prefix_ci(s, len, "//")) {
			s += 2;
			len -= 2;
			slashed = true;
		}
		return slashed ? url_hier(n, s, len) : url_opaque(n, s, len, URL_MAX_LEN);
	}
	return -MG_EINVAL;
}

int
url_norm_run(const char *raw, size_t len, unsigned flags, struct url_norm **np)
{
	*np = &url_scratch;
	return norm_run(&url_scratch, raw, len, flags);
}

static char *
dup_range(struct mg_arena *a, const char *s, size_t len)
{
	return mg_arena_strndup(a, s, len);
}

/* Copies the scratch result into the arena. */
int
url_commit(struct mg_arena *a, const struct url_norm *n, const char *raw, size_t rawlen,
    struct mime_url *u)
{
	char *url, *host;

	memset(u, 0, sizeof(*u));
	url = dup_range(a, n->out, n->len);
	u->raw = dup_range(a, raw, rawlen < URL_MAX_LEN ? rawlen : URL_MAX_LEN);
	u->scheme = n->scheme->name != NULL ? n->scheme->name : dup_range(a, n->out, n->scheme_len);
	host = dup_range(a, n->out + n->host_off, n->host_len);
	u->host_unicode = n->ulen > 0 ? dup_range(a, n->uhost, n->ulen) : host;
	if (n->path_off + n->path_len == n->len)
		u->path = url != NULL ? url + n->path_off : NULL;
	else
		u->path = dup_range(a, n->out + n->path_off, n->path_len);
	if (url == NULL || u->raw == NULL || u->scheme == NULL || host == NULL ||
	    u->host_unicode == NULL || u->path == NULL)
		return -MG_ENOMEM;
	u->url = url;
	u->host = host;
	u->domain = host + n->dom_off;
	u->port = n->port;
	u->flags = n->flags;
	u->count = 1;
	return 0;
}

int
url_normalize(struct mg_arena *a, const char *raw, size_t len, unsigned flags,
    struct mime_url *out)
{
	struct url_norm *n;
	int rc;

	if ((rc = url_norm_run(raw, len, flags, &n)) != 0)
		return rc;
	return url_commit(a, n, raw, len, out);
}

