/* The result cache of the anti-virus engines (av.h): one entry per engine
 * and SHA-256, in a chained hash table with a least-recently-used list,
 * under one mutex; expired entries go when met. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "av/av.h"
#include "core/err.h"

#define CACHE_KEY_MAX	96	/* "ENGINE:" and 64 hex digits */

struct cache_entry {
	TAILQ_ENTRY(cache_entry) lru;	/* most recently used last */
	struct cache_entry *next;	/* bucket chain */
	uint64_t	 expires;
	enum mg_av_status status;
	char		 key[CACHE_KEY_MAX];
	char		 sig[MG_AV_SIG_MAX];
};

struct mg_av_cache {
	pthread_mutex_t	 lock;
	struct cache_entry **buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 n, max;
	uint32_t	 ttl;
	uint64_t	 hits, stores;
	TAILQ_HEAD(, cache_entry) lru;
};

struct mg_av_cache *
mg_av_cache_new(uint32_t ttl, uint32_t max_entries)
{
	struct mg_av_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->ttl = ttl;
	c->max = ttl ? max_entries : 0;
	for (c->nbuckets = 16; c->nbuckets < c->max; c->nbuckets *= 2)
		;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	TAILQ_INIT(&c->lru);
	return c;
}

struct mg_av_cache *
mg_av_cache_free(struct mg_av_cache *c)
{
	struct cache_entry *e;

	if (c == NULL)
		return NULL;
	while ((e = TAILQ_FIRST(&c->lru)) != NULL) {
		TAILQ_REMOVE(&c->lru, e, lru);
		free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
	return NULL;
}

/* FNV-1a of the key. */
static size_t
cache_hash(const char *key)
{
	uint64_t h = 14695981039346656037ull;

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 1099511628211ull;
	return (size_t)h;
}

static int
cache_key(char *key, const char *engine, const char *sha256)
{
	int n = snprintf(key, CACHE_KEY_MAX, "%s:%s", engine, sha256);

	return n > 0 && n < CACHE_KEY_MAX ? 0 : -MG_ELIMIT;
}

/* The link that points at the entry for key (or the end of its chain). */
static struct cache_entry **
cache_slot(struct mg_av_cache *c, const char *key)
{
	struct cache_entry **p = &c->buckets[cache_hash(key) & (c->nbuckets - 1)];

	while (*p != NULL && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

static void
cache_remove(struct mg_av_cache *c, struct cache_entry **slot)
{
	struct cache_entry *e = *slot;

	*slot = e->next;
	TAILQ_REMOVE(&c->lru, e, lru);
	free(e);
	c->n--;
}

int
mg_av_cache_get(struct mg_av_cache *c, const char *engine, const char *sha256,
    uint64_t now, enum mg_av_status *status, char *sig, size_t siglen)
{
	char key[CACHE_KEY_MAX];
	struct cache_entry **slot, *e;
	int found = 0;

	if (c->max == 0 || cache_key(key, engine, sha256) < 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	slot = cache_slot(c, key);
	if ((e = *slot) != NULL && e->expires <= now) {
		cache_remove(c, slot);
	} else if (e != NULL) {
		*status = e->status;
		snprintf(sig, siglen, "%s", e->sig);
		TAILQ_REMOVE(&c->lru, e, lru);
		TAILQ_INSERT_TAIL(&c->lru, e, lru);
		c->hits++;
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

int
mg_av_cache_put(struct mg_av_cache *c, const char *engine, const char *sha256,
    uint64_t now, enum mg_av_status status, const char *sig)
{
	char key[CACHE_KEY_MAX];
	struct cache_entry **slot, *e;

	if (c->max == 0 || cache_key(key, engine, sha256) < 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (*(slot = cache_slot(c, key)) != NULL)
		cache_remove(c, slot);
	if (c->n == c->max)
		cache_remove(c, cache_slot(c, TAILQ_FIRST(&c->lru)->key));
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		pthread_mutex_unlock(&c->lock);
		return -MG_ENOMEM;
	}
	memcpy(e->key, key, sizeof(key));
	snprintf(e->sig, sizeof(e->sig), "%s", sig ? sig : "");
	e->status = status;
	e->expires = now + c->ttl;
	slot = &c->buckets[cache_hash(key) & (c->nbuckets - 1)];
	e->next = *slot;
	*slot = e;
	TAILQ_INSERT_TAIL(&c->lru, e, lru);
	c->n++;
	c->stores++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void
mg_av_cache_stats(struct mg_av_cache *c, uint64_t *hits, uint64_t *stores)
{
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*stores = c->stores;
	pthread_mutex_unlock(&c->lock);
}
