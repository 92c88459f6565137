/* Private to the URL code: url.c (schemes, paths, the scratch area and
 * the Public Suffix List), url_host.c (hosts) and url_set.c (the set of
 * unique URLs). One normalisation writes its url into a per-thread
 * struct url_norm; host, domain and path are ranges of it. */
#ifndef MG_MIME_URL_INT_H
#define MG_MIME_URL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime/url.h"

enum url_scheme_kind {
	SK_SPECIAL,		/* http, https, ftp, ws, wss: any slashes, a host */
	SK_HIER,		/* "//" authority if present, else opaque */
	SK_MAILTO, SK_DATA, SK_JAVASCRIPT,
};

struct url_scheme {
	const char	*name;		/* NULL: not a known scheme */
	uint16_t	 port;		/* default port, 0 = none */
	enum url_scheme_kind kind;
};

struct url_norm {
	char		 in[URL_MAX_LEN];	/* cleaned input */
	char		 out[URL_MAX_LEN + 1];	/* the url */
	size_t		 len, cap;		/* cap: bound of len */
	bool		 full;			/* something did not fit */
	const struct url_scheme *scheme;
	size_t		 scheme_len;
	size_t		 host_off, host_len, dom_off;	/* domain: host + dom_off */
	size_t		 path_off, path_len;	/* path and query */
	char		 uhost[URL_HOST_MAX];	/* host_unicode when ulen > 0 */
	size_t		 ulen;
	uint16_t	 port;
	unsigned	 flags;
};

static inline bool
url_is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool
url_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
url_is_alnum(unsigned char c)
{
	return url_is_alpha(c) || url_is_digit(c);
}

static inline bool
url_is_hex(unsigned char c)
{
	return url_is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline unsigned
url_hexval(unsigned char c)
{
	return url_is_digit(c) ? (unsigned)c - '0' : (unsigned)(c | 0x20) - 'a' + 10;
}

static inline char
url_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : (char)c;
}

/* url.c */
void	url_hash_key(uint64_t key[2]);	/* per-process key of url sets */
void	url_out_put(struct url_norm *, const void *, size_t);
void	url_out_c(struct url_norm *, char);
void	url_out_esc(struct url_norm *, unsigned char);
/* Normalises into the calling thread's scratch area, returned in *np. */
int	url_norm_run(const char *raw, size_t len, unsigned flags, struct url_norm **np);
int	url_commit(struct mg_arena *, const struct url_norm *, const char *raw, size_t rawlen,
	    struct mime_url *);

/* url_host.c */
/* Writes the normalised host; 1 when it is empty, -MG_EINVAL when its
 * decoded form is longer than URL_HOST_MAX. */
int	url_host_norm(struct url_norm *, const char *host, size_t len);
void	url_host_write(struct url_norm *, const char *, size_t);

#endif
