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
	URL_F_TRUNCATED		= 1u << 13,	/* cut at URL_MAX_LEN, or data:/javascript: at URL_OPAQUE_MAX */
	URL_F_FROM_QR		= 1u << 14,	/* decoded from a QR code in an image */
};
#define URL_F_COUNT	15

#define URL_MAX_LEN	8192	/* bytes of raw input looked at; bytes of url kept */
#define URL_OPAQUE_MAX	200	/* bytes kept after "data:" and "javascript:" */
#define URL_HOST_MAX	1024	/* decoded host bytes; a longer host is not a URL */

/* "OBFUSCATED", ...; NULL for an unknown bit. */
const char *url_flag_name(unsigned flag);

/* Loads the Public Suffix List once per process (psl_latest: Debian's
 * publicsuffix data, else libpsl's built-in copy) and the per-process key
 * of url sets. Call it before the scan threads start; the other functions
 * call it themselves on first use. 0, or -MG_ENOENT with err set when no
 * list could be loaded: registrable domains then fall back to the host and
 * bare domains (example.com/login) are not extracted. */
int	url_init(char *err, size_t errlen);
/* Releases the list; only once no thread uses the functions below. */
void	url_fini(void);

/* The registrable domain of host (lower case, no trailing dot) by the
 * Public Suffix List, a pointer into host: "example.co.uk" for
 * "mail.example.co.uk". NULL when host is a public suffix itself, or not
 * a name the list can judge, or no list could be loaded. */
const char *url_registrable_domain(const char *host);
/* Whether label (no dot) is a known top-level public suffix ("com", "uk",
 * "xn--p1ai", "рф"), without the default "*" rule. */
bool	url_known_tld(const char *label, size_t len);
/* Length of an obfuscated dot at p -- [.] (.) {.} [dot] (dot) {dot}, any
 * case, with up to 3 spaces before, and up to 3 after when a label
 * follows -- or 0. */
size_t	url_obfuscated_dot(const char *p, size_t len);

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
 * returns fn's value when it is non-zero. At most max candidates: 0 when
 * the text was searched to its end, -MG_ELIMIT when a candidate past max
 * was found. What is found, and what not: docs/urls.md. */
int	url_extract_text(const char *text, size_t len, unsigned max,
	    int (*fn)(const char *raw, size_t rawlen, unsigned flags, void *arg), void *arg);

/* A set of unique normalised URLs (keyed by url), counting repeats. */
struct url_set;
struct url_set *url_set_new(struct mg_arena *, unsigned max);
/* Normalises and adds; 0, or -MG_EINVAL (not a URL), -MG_ELIMIT (set full),
 * -MG_ENOMEM (arena exhausted). A repeat only counts and adds its flags. */
int	url_set_add(struct url_set *, const char *raw, size_t len, unsigned flags);
/* The URLs in first-seen order; *n set. Valid until the next url_set_add. */
struct mime_url *url_set_items(struct url_set *, size_t *n);

#endif
