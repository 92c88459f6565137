/* Reading the URL reputation file (urldb.h): mapped read-only and checked
 * once (bounds, ordering of the bucket index, checksum); a lookup hashes
 * one key for host[:port] (has it exact or prefix entries?), then when it
 * has at most 2 + URLDB_PREFIX_PROBES keys, then the host and its parents,
 * each probing one bucket of about four entries. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/err.h"
#include "intel/urldb.h"
#include "intel/urldb_int.h"

#define HOST_PROBES	32	/* parent hosts tried */

struct urldb {
	atomic_uint	 refs;
	const char	*base;
	size_t		 size;
	const struct urldb_hdr *hdr;
	const uint64_t	*h1, *h2;
	const uint32_t	*meta, *buckets, *sources;
	const char	*strings;
};

/* Checks the header and sections against the file size. */
static const char *
urldb_check(struct urldb *db)
{
	const struct urldb_hdr *h = db->hdr;
	uint64_t n = h->nentries, nb;

	if (db->size < sizeof(*h) || memcmp(h->magic, URLDB_MAGIC, sizeof(URLDB_MAGIC)) != 0)
		return "not a URL reputation file";
	if (h->version != URLDB_VERSION || h->hdr_size != sizeof(*h))
		return "unsupported version";
	if (h->file_size != db->size || n > URLDB_MAX_ENTRIES || h->bucket_bits > 28 ||
	    h->nsources > URLDB_MAX_SOURCES)
		return "bad header";
	nb = (uint64_t)1 << h->bucket_bits;
	if (h->off_h1 != urldb_align8(sizeof(*h)) || h->off_h2 != h->off_h1 + 8 * n ||
	    h->off_meta != h->off_h2 + 8 * n ||
	    h->off_buckets != urldb_align8(h->off_meta + 4 * n) ||
	    h->off_sources != urldb_align8(h->off_buckets + 4 * (nb + 1)) ||
	    h->off_strings != urldb_align8(h->off_sources + 4 * (uint64_t)h->nsources) ||
	    h->off_strings + h->strings_len > db->size)
		return "bad section offsets";
	if (urldb_checksum(h, db->base + h->off_h1, db->size - h->off_h1) != h->checksum)
		return "checksum mismatch";
	db->h1 = (const uint64_t *)(db->base + h->off_h1);
	db->h2 = (const uint64_t *)(db->base + h->off_h2);
	db->meta = (const uint32_t *)(db->base + h->off_meta);
	db->buckets = (const uint32_t *)(db->base + h->off_buckets);
	db->sources = (const uint32_t *)(db->base + h->off_sources);
	db->strings = db->base + h->off_strings;
	for (uint64_t i = 0; i < nb; i++)
		if (db->buckets[i] > db->buckets[i + 1])
			return "bad bucket index";
	if (db->buckets[0] != 0 || db->buckets[nb] != n)
		return "bad bucket index";
	if (h->nsources > 0 && (h->strings_len == 0 || db->strings[h->strings_len - 1] != '\0'))
		return "bad string table";
	for (uint32_t i = 0; i < h->nsources; i++)
		if (db->sources[i] >= h->strings_len)
			return "bad string table";
	for (uint64_t i = 0; i < n; i++)
		if (META_SOURCE(db->meta[i]) >= h->nsources && META_KIND(db->meta[i]) != 0 &&
		    META_KIND(db->meta[i]) != KIND_PATHS)
			return "bad entry";
	return NULL;
}

struct urldb *
urldb_open(const char *path, char *err, size_t errlen)
{
	struct urldb *db;
	struct stat sb;
	const char *why;
	void *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(struct urldb_hdr)) {
		snprintf(err, errlen, "%s: not a URL reputation file", path);
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		munmap(p, (size_t)sb.st_size);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	atomic_init(&db->refs, 1);
	db->base = p;
	db->size = (size_t)sb.st_size;
	db->hdr = p;
	if ((why = urldb_check(db)) != NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		munmap(p, db->size);
		free(db);
		return NULL;
	}
	return db;
}

struct urldb *
urldb_ref(struct urldb *db)
{
	atomic_fetch_add_explicit(&db->refs, 1, memory_order_relaxed);
	return db;
}

struct urldb *
urldb_release(struct urldb *db)
{
	if (db != NULL && atomic_fetch_sub_explicit(&db->refs, 1, memory_order_acq_rel) == 1) {
		munmap((void *)db->base, db->size);
		free(db);
	}
	return NULL;
}

void
urldb_info(const struct urldb *db, struct urldb_info *i)
{
	i->entries = db->hdr->nentries;
	memcpy(i->kinds, db->hdr->kinds, sizeof(i->kinds));
	i->sources = db->hdr->nsources;
	i->built = (time_t)db->hdr->built;
	i->bytes = db->size;
}

/* The meta of key in space; *found false when absent. */
static uint32_t
urldb_find(const struct urldb *db, enum urldb_space space, const char *key, size_t len,
    bool *found)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(key, len, db->hdr->seed + space);
	uint32_t bits = db->hdr->bucket_bits;
	uint64_t b = bits ? h.low64 >> (64 - bits) : 0;

	for (uint32_t i = db->buckets[b], e = db->buckets[b + 1]; i < e; i++) {
		if (db->h1[i] > h.low64)
			break;
		if (db->h1[i] == h.low64 && db->h2[i] == h.high64) {
			*found = true;
			return db->meta[i];
		}
	}
	*found = false;
	return 0;
}

bool
urldb_is_shared(const struct urldb *db, const char *host, size_t len)
{
	bool found;

	urldb_find(db, SPACE_SHARED, host, len, &found);
	return found;
}

static int
urldb_hit(const struct urldb *db, uint32_t meta, const char *key, size_t len,
    struct urldb_match *m)
{
	m->kind = (enum intel_kind)META_KIND(meta);
	m->category = META_CAT(meta);
	m->source = db->strings + db->sources[META_SOURCE(meta)];
	m->key = key;
	m->keylen = len;
	return 1;
}

/* The full path without the query, then its parent directories from the
 * deepest: at most URLDB_PREFIX_PROBES of them, the shallowest kept. */
static int
urldb_prefixes(const struct urldb *db, const struct intel_span *sp, struct urldb_match *m)
{
	size_t ends[URLDB_PREFIX_PROBES], n = 0, k;
	uint32_t meta;
	bool found;

	for (k = sp->path_end; k > sp->hostport && sp->s[k - 1] == '/'; k--)
		;
	if (k <= sp->hostport)
		return 0;
	meta = urldb_find(db, SPACE_PREFIX, sp->s, k, &found);
	if (found)
		return urldb_hit(db, meta, sp->s, k, m);
	for (size_t i = sp->hostport + 1; i < k && n < URLDB_PREFIX_PROBES; i++)
		if (sp->s[i] == '/' && sp->s[i - 1] != '/')
			ends[n++] = i;
	while (n-- > 0) {
		meta = urldb_find(db, SPACE_PREFIX, sp->s, ends[n], &found);
		if (found)
			return urldb_hit(db, meta, sp->s, ends[n], m);
	}
	return 0;
}

/* The host, then each parent down to the registrable domain; a shared
 * platform never matches (the builder drops entries naming one, and a
 * file from elsewhere cannot make it match). */
static int
urldb_hosts(const struct urldb *db, const struct mime_url *u, struct urldb_match *m)
{
	const char *h = u->host, *c = h;
	size_t dl = u->domain != NULL ? strlen(u->domain) : 0, cl = strlen(h);
	bool walk = !(u->flags & (URL_F_IP_LITERAL | URL_F_NUMERIC_IP)) && dl > 0 && dl < cl;
	uint32_t meta;
	bool found;

	for (int probes = 0; probes < HOST_PROBES; probes++) {
		meta = urldb_find(db, SPACE_HOST, c, cl, &found);
		if (found && !urldb_is_shared(db, c, cl))
			return urldb_hit(db, meta, c, cl, m);
		if (!walk || cl <= dl)
			break;
		const char *dot = memchr(c, '.', cl);
		if (dot == NULL || (size_t)(dot + 1 - c) > cl - dl)
			break;
		cl -= (size_t)(dot + 1 - c);
		c = dot + 1;
	}
	return 0;
}

int
urldb_lookup(const struct urldb *db, const struct mime_url *u, struct urldb_match *m)
{
	struct intel_span sp;
	uint32_t meta;
	bool found;
	int rc;

	if (intel_url_span(u, &sp) != 0)
		return 0;
	urldb_find(db, SPACE_PATHS, sp.s, sp.hostport, &found);
	if (!found)
		return urldb_hosts(db, u, m);
	if (sp.path_end < sp.len) {
		meta = urldb_find(db, SPACE_EXACT, sp.s, sp.len, &found);
		if (found)
			return urldb_hit(db, meta, sp.s, sp.len, m);
	}
	if ((rc = urldb_prefixes(db, &sp, m)) != 0)
		return rc;
	return urldb_hosts(db, u, m);
}
