/* URLs found in a message: extracted from plain text (including obfuscated
 * forms such as hxxp:// and example[.]com) and taken from HTML attributes,
 * then normalised: scheme and host lower-cased, IDNA to Unicode and to
 * punycode (libidn2), percent-decoding of unreserved characters, default
 * port removed, and the registrable domain from the Public Suffix List
 * (libpsl with Debian's publicsuffix data). */
#ifndef MG_MIME_URL_H
#define MG_MIME_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum url_flag {
	URL_F_OBFUSCATED	= 1u << 0,	/* hxxp, [.], (dot) and the like undone */
	URL_F_IP_LITERAL	= 1u << 1,	/* host is an IPv4/IPv6 address */
	URL_F_NUMERIC_IP	= 1u << 2,	/* decimal/hex/octal IPv4 (http://3232235777/) */
	URL_F_USERINFO		= 1u << 3,	/* user@ before the host */
	URL_F_PUNYCODE		= 1u << 4,	/* host has an xn-- label */
	URL_F_IDN		= 1u << 5,	/* host has non-ASCII characters */
	URL_F_BAD_HOST		= 1u << 6,	/* host could not be normalised */
	URL_F_NONSTANDARD_PORT	= 1u << 7,
	URL_F_DATA		= 1u << 8,	/* data: URL */
	URL_F_JAVASCRIPT	= 1u << 9,	/* javascript: URL */
	URL_F_FROM_HTML		= 1u << 10,	/* href/src/action/css */
	URL_F_FROM_TEXT		= 1u << 11,	/* found in text */
	URL_F_SCHEMELESS	= 1u << 12,	/* www.example.com without scheme */
};

struct mime_url {
	const char	*raw;		/* as found */
	const char	*url;		/* normalised, ASCII (punycode host) */
	const char	*scheme;	/* "http", "https", "mailto", "data", ... */
	const char	*host;		/* ASCII, lower case, no trailing dot; "" if none */
	const char	*host_unicode;	/* IDNA decoded, UTF-8 */
	const char	*domain;	/* registrable domain (PSL), or host for IPs */
	uint16_t	 port;		/* 0 = default */
	const char	*path;		/* path+query, percent-normalised */
	unsigned	 flags;		/* enum url_flag */
	unsigned	 count;		/* times seen in the message */
};

/* Normalises one URL (raw bytes, not NUL-terminated); 0 or -MG_EINVAL
 * when it is not a URL at all. out's strings live in the arena. */
int	url_normalize(struct mg_arena *, const char *raw, size_t len, unsigned flags,
	    struct mime_url *out);

/* Finds URLs in UTF-8 text; calls fn for each candidate (raw slice and
 * URL_F_FROM_TEXT plus URL_F_OBFUSCATED/SCHEMELESS as found). Stops and
 * returns fn's value when it is non-zero. At most max candidates. */
int	url_extract_text(const char *text, size_t len, unsigned max,
	    int (*fn)(const char *raw, size_t rawlen, unsigned flags, void *arg), void *arg);

/* A set of unique normalised URLs (keyed by url), counting repeats. */
struct url_set;
struct url_set *url_set_new(struct mg_arena *, unsigned max);
/* Normalises and adds; 0, or -MG_EINVAL (not a URL), -MG_ELIMIT (set full). */
int	url_set_add(struct url_set *, const char *raw, size_t len, unsigned flags);
/* The URLs in first-seen order; *n set. */
struct mime_url *url_set_items(struct url_set *, size_t *n);

#endif
