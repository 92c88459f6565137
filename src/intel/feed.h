/* URL feed parsers (docs/urls.md, "URL intelligence"): plain host and URL
 * lists, hosts files ("0.0.0.0 host"), adblock "||host^" lines, CSV with a
 * url or host+path header (PhishTank, URLhaus, urlhaus-filter) and JSON
 * (OpenPhish archive maps, PhishTank/URLhaus arrays of objects). Every
 * entry is normalised by the MIME layer's url_normalize and classified as
 * an exact URL, a host+path prefix, a host or a registrable domain. */
#ifndef MG_INTEL_FEED_H
#define MG_INTEL_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "mime/url.h"

enum intel_kind {
	INTEL_EXACT = 1,	/* host[:port]/path?query */
	INTEL_PREFIX,		/* host[:port]/path: the path and everything under it */
	INTEL_HOST,		/* the host and its subdomains */
	INTEL_DOMAIN,		/* a registrable domain and its subdomains */
};

enum intel_cat {
	INTEL_CAT_PHISHING = 1,
	INTEL_CAT_MALWARE,
	INTEL_CAT_SPAM,
};
#define INTEL_CAT_MAX	INTEL_CAT_SPAM

enum feed_format { FEED_AUTO, FEED_TEXT, FEED_CSV, FEED_JSON };

#define FEED_BAD_REPORT	5	/* bad lines quoted as FILE:LINE */
#define FEED_MAX_LINE	8192	/* longer lines are bad */
#define FEED_JSON_DEPTH	8

/* "phishing", "malware", "spam"; NULL for another value. */
const char *intel_cat_name(unsigned cat);
/* 0 when name is none of them. */
unsigned intel_cat_parse(const char *name);
const char *intel_kind_name(unsigned kind);

struct feed_spec {
	const char	*path;		/* for messages, and the defaults below */
	const char	*source;	/* NULL: the file name without extension */
	unsigned	 category;	/* 0: guessed from the path (phish, malware, urlhaus, spam) */
	enum feed_format format;	/* FEED_AUTO: by extension, then by content */
};

struct feed_entry {
	enum intel_kind	 kind;
	unsigned	 category;
	const char	*source;
	const char	*key;		/* the bytes hashed (urldb_key), not NUL-terminated */
	size_t		 keylen;
};

struct feed_stats {
	size_t		 lines;		/* lines (text, CSV) or items (JSON) looked at */
	size_t		 entries;	/* passed to the callback */
	size_t		 bad;		/* skipped as malformed */
	char		 first_bad[FEED_BAD_REPORT][160];	/* "FILE:LINE: reason" */
};

/* Called for each entry; a non-zero return stops the parse and is returned. */
typedef int (*feed_fn)(const struct feed_entry *, void *arg);

/* Parses data (a whole feed file) according to spec. 0, the callback's
 * value, or -MG_EPROTO with err set when the file as a whole cannot be
 * read (JSON syntax). Bad lines are counted in st, not errors. */
int	feed_parse(const struct feed_spec *, const char *data, size_t len, feed_fn, void *arg,
	    struct feed_stats *st, char *err, size_t errlen);
/* Reads the file at spec->path (at most max bytes) and parses it. */
int	feed_load(const struct feed_spec *, size_t max, feed_fn, void *arg, struct feed_stats *st,
	    char *err, size_t errlen);
/* The parts of a normalised URL the keys are made of: s = what follows
 * "scheme://" up to the fragment; s[0..hostport) = host[:port], then the
 * path up to path_end, then "?query" up to len. */
struct intel_span {
	const char	*s;
	size_t		 len, hostport, path_end;
};

/* 0, or -MG_EINVAL when u has no "//" authority with a host (mailto:, data:). */
int	intel_url_span(const struct mime_url *u, struct intel_span *sp);

/* One token (a URL, host or host/path) as feed_parse classifies it; 0 or
 * -MG_EINVAL (not a URL with a host), -MG_ENOMEM. e->key lives in the
 * arena; e->category and e->source are left to the caller. */
int	feed_entry_of(struct mg_arena *, const char *tok, size_t len, struct feed_entry *e);

#endif
