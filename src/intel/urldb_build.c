/* Building the URL reputation file (urldb.h): entries hashed as they come,
 * then sorted, duplicates folded (the most severe category wins), and the
 * sections written through mg_file_replace (temporary file and rename). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/err.h"
#include "core/file.h"
#include "intel/urldb.h"
#include "intel/urldb_int.h"

#define BUILD_GROW	(1u << 16)

const char *const urldb_shared_default[] = {
	"r2.dev", "vercel.app", "wixsite.com", "github.io", "pages.dev", "web.app",
	"firebaseapp.com", "blogspot.com", "netlify.app", "glitch.me", "webflow.io",
	"godaddysites.com", "weebly.com", "wordpress.com", "herokuapp.com", "appspot.com",
	"azurewebsites.net", "workers.dev", "onrender.com", "repl.co", "replit.app",
	"ngrok.io", "ngrok-free.app", "square.site", "myshopify.com", "jimdosite.com",
	"framer.app", "framer.website", "gitbook.io", "notion.site", "sites.google.com",
	"docs.google.com", "storage.googleapis.com", "translate.goog", "ipfs.io", "dweb.link",
	"000webhostapp.com", "duckdns.org", "ddns.net", "cprapid.com", "surge.sh",
	"fly.dev", "trycloudflare.com", "s3.amazonaws.com", "blob.core.windows.net",
	"web.core.windows.net", "sharepoint.com", "my.canva.site", "typedream.app",
	"yolasite.com", "mystrikingly.com", "carrd.co", "wcomhost.com",
	/* shorteners and redirectors: their links are listed one by one */
	"bit.ly", "tinyurl.com", "t.co", "goo.gl", "is.gd", "ow.ly", "rebrand.ly", "cutt.ly",
	"shorturl.at", "rb.gy", "t.ly", "lnkd.in", "linktr.ee", "forms.gle", "qrco.de", NULL,
};

struct urldb_rec {
	uint64_t	 h1, h2;
	uint32_t	 meta;
};

struct urldb_hash {
	uint64_t	 h1, h2;
};

struct urldb_builder {
	struct urldb_rec *recs;
	size_t		 n, cap;
	struct urldb_hash *shared;	/* shared platforms hashed as hosts */
	size_t		 nshared;
	char		**sources;
	size_t		 nsources;
	uint64_t	 added;
};

struct urldb_builder *
urldb_builder_new(void)
{
	return calloc(1, sizeof(struct urldb_builder));
}

struct urldb_builder *
urldb_builder_free(struct urldb_builder *b)
{
	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < b->nsources; i++)
		free(b->sources[i]);
	free(b->sources);
	free(b->shared);
	free(b->recs);
	free(b);
	return NULL;
}

/* The index of source, added when new; -MG_E* on failure. */
static long
builder_source(struct urldb_builder *b, const char *name)
{
	char **ns;

	for (size_t i = b->nsources; i > 0; i--)	/* the last one is the usual */
		if (strcmp(b->sources[i - 1], name) == 0)
			return (long)(i - 1);
	if (b->nsources >= URLDB_MAX_SOURCES)
		return -MG_ELIMIT;
	if ((ns = realloc(b->sources, (b->nsources + 1) * sizeof(*ns))) == NULL)
		return -MG_ENOMEM;
	b->sources = ns;
	if ((ns[b->nsources] = strdup(name)) == NULL)
		return -MG_ENOMEM;
	return (long)b->nsources++;
}

static int
builder_put(struct urldb_builder *b, enum urldb_space space, const char *key, size_t len,
    uint32_t meta)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(key, len, URLDB_SEED + space);
	struct urldb_rec *nr;

	if (b->n >= URLDB_MAX_ENTRIES)
		return -MG_ELIMIT;
	if (b->n == b->cap) {
		size_t cap = b->cap + BUILD_GROW + b->cap / 2;
		if ((nr = realloc(b->recs, cap * sizeof(*nr))) == NULL)
			return -MG_ENOMEM;
		b->recs = nr;
		b->cap = cap;
	}
	b->recs[b->n++] = (struct urldb_rec){ h.low64, h.high64, meta };
	b->added++;
	return 0;
}

int
urldb_builder_add(struct urldb_builder *b, const struct feed_entry *e)
{
	static const enum urldb_space spaces[] = { 0, SPACE_EXACT, SPACE_PREFIX, SPACE_HOST,
		SPACE_HOST };
	long src;

	if (e->kind < INTEL_EXACT || e->kind > INTEL_DOMAIN || intel_cat_name(e->category) == NULL ||
	    e->keylen == 0)
		return -MG_EINVAL;
	if ((src = builder_source(b, e->source != NULL ? e->source : "-")) < 0)
		return (int)src;
	if (e->kind == INTEL_EXACT || e->kind == INTEL_PREFIX) {
		const char *slash = memchr(e->key, '/', e->keylen);
		size_t hl = slash != NULL ? (size_t)(slash - e->key) : e->keylen;
		int rc = builder_put(b, SPACE_PATHS, e->key, hl, META(KIND_PATHS, 0, 0));
		if (rc != 0)
			return rc;
		b->added--;	/* counted once, below */
	}
	return builder_put(b, spaces[e->kind], e->key, e->keylen,
	    META(e->kind, e->category, (uint32_t)src));
}

int
urldb_builder_shared(struct urldb_builder *b, const char *host)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(host, strlen(host), URLDB_SEED + SPACE_HOST);
	struct urldb_hash *ns;

	if (host[0] == '\0')
		return -MG_EINVAL;
	if ((ns = realloc(b->shared, (b->nshared + 1) * sizeof(*ns))) == NULL)
		return -MG_ENOMEM;
	b->shared = ns;
	ns[b->nshared++] = (struct urldb_hash){ h.low64, h.high64 };
	return builder_put(b, SPACE_SHARED, host, strlen(host), META(0, 0, 0));
}

static int
rec_cmp(const void *pa, const void *pb)
{
	const struct urldb_rec *a = pa, *b = pb;

	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	if (a->h2 != b->h2)
		return a->h2 < b->h2 ? -1 : 1;
	return 0;
}

/* Malware over phishing over spam. */
static int
cat_rank(unsigned cat)
{
	return cat == INTEL_CAT_MALWARE ? 3 : cat == INTEL_CAT_PHISHING ? 2 : 1;
}

#define META_DROP	0xfu	/* kind of an entry builder_drop_shared removed */

/* Marks the host and domain entries naming a shared platform itself
 * (recs sorted); returns their count. */
static uint64_t
builder_drop_shared(struct urldb_builder *b)
{
	uint64_t n = 0;

	for (size_t s = 0; s < b->nshared; s++) {
		struct urldb_rec key = { b->shared[s].h1, b->shared[s].h2, 0 };
		size_t lo = 0, hi = b->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (rec_cmp(&b->recs[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < b->n && rec_cmp(&b->recs[lo], &key) == 0; lo++)
			if (META_KIND(b->recs[lo].meta) == INTEL_HOST ||
			    META_KIND(b->recs[lo].meta) == INTEL_DOMAIN) {
				b->recs[lo].meta = META_DROP;
				n++;
			}
	}
	return n;
}

/* Sorts, drops the entries that would list a whole shared platform
 * (*dropped) and folds duplicates, in place. Returns the count folded. */
static uint64_t
builder_fold(struct urldb_builder *b, uint64_t *dropped)
{
	size_t o = 0;

	if (b->n > 0)
		qsort(b->recs, b->n, sizeof(*b->recs), rec_cmp);
	*dropped = builder_drop_shared(b);
	for (size_t i = 0; i < b->n; i++) {
		if (b->recs[i].meta == META_DROP)
			continue;
		if (o > 0 && b->recs[o - 1].h1 == b->recs[i].h1 && b->recs[o - 1].h2 == b->recs[i].h2) {
			uint32_t m = b->recs[i].meta, *k = &b->recs[o - 1].meta;
			if (cat_rank(META_CAT(m)) > cat_rank(META_CAT(*k)))
				*k = m;
			continue;
		}
		b->recs[o++] = b->recs[i];
	}
	uint64_t folded = b->n - o - *dropped;
	b->n = o;
	return folded;
}

struct build_out {
	struct urldb_builder *b;
	struct urldb_hdr hdr;
	void		*body;		/* everything after the header */
	size_t		 len;
};

/* Lays out the sections after the header in one buffer. */
static int
builder_layout(struct build_out *w)
{
	struct urldb_builder *b = w->b;
	struct urldb_hdr *h = &w->hdr;
	uint64_t nb, off, slen = 0;
	uint32_t *bk, *so;
	char *body;

	for (size_t i = 0; i < b->nsources; i++)
		slen += strlen(b->sources[i]) + 1;
	h->nentries = b->n;
	h->bucket_bits = urldb_bucket_bits(b->n);
	nb = (uint64_t)1 << h->bucket_bits;
	h->nsources = (uint32_t)b->nsources;
	off = urldb_align8(sizeof(*h));
	h->off_h1 = off;
	h->off_h2 = off += 8 * b->n;
	h->off_meta = off += 8 * b->n;
	h->off_buckets = off = urldb_align8(off + 4 * b->n);
	h->off_sources = off = urldb_align8(off + 4 * (nb + 1));
	h->off_strings = off = urldb_align8(off + 4 * b->nsources);
	h->strings_len = slen;
	h->file_size = urldb_align8(off + slen);
	w->len = h->file_size - h->off_h1;
	if ((w->body = body = calloc(1, w->len)) == NULL)
		return -MG_ENOMEM;
	body -= h->off_h1;	/* offsets are from the start of the file */
	bk = (uint32_t *)(body + h->off_buckets);
	for (size_t i = 0, bi = 0; i < b->n; i++) {
		uint64_t top = h->bucket_bits ? b->recs[i].h1 >> (64 - h->bucket_bits) : 0;
		((uint64_t *)(body + h->off_h1))[i] = b->recs[i].h1;
		((uint64_t *)(body + h->off_h2))[i] = b->recs[i].h2;
		((uint32_t *)(body + h->off_meta))[i] = b->recs[i].meta;
		h->kinds[META_KIND(b->recs[i].meta)]++;
		while (bi <= top)
			bk[bi++] = (uint32_t)i;
		if (i + 1 == b->n)
			while (bi <= nb)
				bk[bi++] = (uint32_t)b->n;
	}
	so = (uint32_t *)(body + h->off_sources);
	for (size_t i = 0, p = 0; i < b->nsources; i++) {
		so[i] = (uint32_t)p;
		memcpy(body + h->off_strings + p, b->sources[i], strlen(b->sources[i]) + 1);
		p += strlen(b->sources[i]) + 1;
	}
	return 0;
}

static int
builder_fill(void *arg, int fd)
{
	struct build_out *w = arg;
	char pad[8] = { 0 };
	int rc;

	if ((rc = mg_write_all(fd, &w->hdr, sizeof(w->hdr))) != 0 ||
	    (rc = mg_write_all(fd, pad, w->hdr.off_h1 - sizeof(w->hdr))) != 0)
		return rc;
	return mg_write_all(fd, w->body, w->len);
}

int
urldb_builder_write(struct urldb_builder *b, const char *path, struct urldb_build_stats *st,
    char *err, size_t errlen)
{
	struct build_out w = { .b = b };
	uint64_t dropped, folded = builder_fold(b, &dropped);
	int rc;

	memcpy(w.hdr.magic, URLDB_MAGIC, sizeof(URLDB_MAGIC));
	w.hdr.version = URLDB_VERSION;
	w.hdr.hdr_size = sizeof(w.hdr);
	w.hdr.seed = URLDB_SEED;
	w.hdr.built = (int64_t)time(NULL);
	if ((rc = builder_layout(&w)) != 0) {
		snprintf(err, errlen, "%s: %s", path, mg_strerror(rc));
		return rc;
	}
	w.hdr.checksum = urldb_checksum(&w.hdr, w.body, w.len);
	rc = mg_file_replace(path, 0644, builder_fill, &w, err, errlen);
	if (st != NULL) {
		memset(st, 0, sizeof(*st));
		st->added = b->added;
		st->entries = b->n;
		st->duplicates = folded;
		st->dropped = dropped;
		st->path_hosts = w.hdr.kinds[KIND_PATHS];
		memcpy(st->kinds, w.hdr.kinds, sizeof(st->kinds));
		st->bytes = w.hdr.file_size;
	}
	free(w.body);
	return rc;
}
