/* The URL reputation file (docs/urls.md, "URL intelligence"): entries of
 * the feeds (feed.h) compiled into a read-only file of sorted 128-bit
 * XXH3 hashes with a bucket index, mapped by every scanning thread and
 * replaced atomically (write beside, rename; readers swap by reference
 * counts). A lookup of one URL tries its exact form, its host+path
 * prefixes, then its host and parent hosts up to the registrable domain;
 * a shared platform (r2.dev, vercel.app, ...) only ever matches as the
 * full host. */
#ifndef MG_INTEL_URLDB_H
#define MG_INTEL_URLDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "intel/feed.h"
#include "mime/url.h"

#define URLDB_MAX_ENTRIES	(64u << 20)	/* 64 Mi entries per file */
#define URLDB_MAX_SOURCES	4096
#define URLDB_PREFIX_PROBES	12	/* path prefixes tried per URL */

/* The built-in shared platforms; NULL-terminated. */
extern const char *const urldb_shared_default[];

/* ---- building (urldb_build.c) ---- */

struct urldb_builder;

struct urldb_build_stats {
	uint64_t	 added;		/* urldb_builder_add calls */
	uint64_t	 entries;	/* written, after duplicates */
	uint64_t	 duplicates;	/* same key again (the most severe category kept) */
	uint64_t	 dropped;	/* host entries naming a shared platform itself */
	uint64_t	 path_hosts;	/* hosts with url or prefix entries (one marker each) */
	uint64_t	 kinds[INTEL_DOMAIN + 1];	/* [0] = shared platforms */
	uint64_t	 bytes;		/* file size */
};

struct urldb_builder *urldb_builder_new(void);
/* key as feed_entry.key; 0, -MG_ENOMEM, -MG_ELIMIT (URLDB_MAX_ENTRIES or
 * URLDB_MAX_SOURCES reached), -MG_EINVAL (bad kind or category). */
int	urldb_builder_add(struct urldb_builder *, const struct feed_entry *);
/* A shared platform name (a host, lower case ASCII): host and domain
 * entries naming it are dropped at write (its URLs and prefixes, and its
 * tenants' hosts, stay), and lookups never match it as a parent. Call
 * before urldb_builder_write, at most a few thousand times. */
int	urldb_builder_shared(struct urldb_builder *, const char *host);
/* Sorts, removes duplicates and replaces path (temporary file, fsync,
 * rename). 0, or -MG_E* with "PATH: reason" in err. */
int	urldb_builder_write(struct urldb_builder *, const char *path, struct urldb_build_stats *,
	    char *err, size_t errlen);
struct urldb_builder *urldb_builder_free(struct urldb_builder *);

/* ---- reading (urldb.c) ---- */

struct urldb;

struct urldb_info {
	uint64_t	 entries;
	uint64_t	 kinds[INTEL_DOMAIN + 1];	/* [0] = shared platforms */
	uint32_t	 sources;
	time_t		 built;
	uint64_t	 bytes;
};

struct urldb_match {
	enum intel_kind	 kind;
	unsigned	 category;	/* enum intel_cat */
	const char	*source;	/* in the file: valid while the reference is held */
	const char	*key;		/* the part of the URL that matched (not NUL-terminated) */
	size_t		 keylen;
};

/* Maps and checks the file (header, bounds, checksum); the result holds
 * one reference. NULL with "PATH: reason" in err. */
struct urldb *urldb_open(const char *path, char *err, size_t errlen);
struct urldb *urldb_ref(struct urldb *);
/* Drops a reference; the last one unmaps. Returns NULL. */
struct urldb *urldb_release(struct urldb *);
void	urldb_info(const struct urldb *, struct urldb_info *);
/* 1 and *m filled on a match, 0 when the URL is not listed or has no host. */
int	urldb_lookup(const struct urldb *, const struct mime_url *, struct urldb_match *m);
/* Whether host is a shared platform of the file. */
bool	urldb_is_shared(const struct urldb *, const char *host, size_t len);

/* ---- reloading (urldb_watch.c) ---- */

struct urldb_watch;

/* Watches path: the file is (re)opened when its inode, size or mtime
 * changed, checked at most every interval seconds from urldb_watch_get,
 * or at once after urldb_watch_reload (SIGHUP). NULL on ENOMEM only: a
 * missing or bad file is logged and retried. */
struct urldb_watch *urldb_watch_new(const char *path, double interval);
/* The current file with a reference taken (urldb_release it), or NULL
 * when none could be loaded yet. Thread-safe. */
struct urldb *urldb_watch_get(struct urldb_watch *);
/* Makes the next urldb_watch_get check the file. Async-signal-safe. */
void	urldb_watch_reload(struct urldb_watch *);
struct urldb_watch *urldb_watch_free(struct urldb_watch *);

#endif
