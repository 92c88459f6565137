/* The in-process kv (kv.h): a hash map split into stripes, each with its
 * own lock and share of the memory ceiling, and an optional snapshot file
 * written atomically (tmp, fsync, rename, fsync of the directory) at close
 * and every save_interval by a thread of its own, loaded at open. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/log.h"
#include "store/kv.h"

#define KV_STRIPES	64		/* a power of two; hash bits 58-63 pick one */
#define KV_BUCKETS0	16		/* buckets of a new stripe */
#define KV_SAMPLE	16		/* entries looked at per eviction */
#define KV_OVERHEAD	16		/* bytes the allocator adds per entry (estimate) */
#define KV_NUM_MAX	32		/* bytes of a counter's decimal text */

static const char snap_magic[8] = "MGKVSNP1";

struct kv_entry {
	struct kv_entry	*next;
	uint64_t	 hash;
	time_t		 expires;	/* 0 = never */
	uint32_t	 klen, vlen, vcap;
	char		 data[];	/* key, then vcap + 1 bytes of value */
};

struct kv_stripe {
	pthread_mutex_t	 lock;
	struct kv_entry	**buckets;
	size_t		 nbuckets, n;
	size_t		 bytes;
	uint64_t	 evicted;
	uint32_t	 rng;		/* xorshift state for eviction samples */
} __attribute__((aligned(64)));

struct kv_local {
	struct kv	 base;
	struct kv_local_opts opts;	/* opts.path points at path */
	char		*path;
	uint64_t	 seed;		/* keyed hash: messages cannot pick collisions */
	size_t		 stripe_max;
	struct kv_stripe stripes[KV_STRIPES];
	unsigned	 refs;		/* under reg_lock */
	struct kv_local	*reg_next;
	pthread_mutex_t	 save_lock;	/* one snapshot at a time */
	pthread_mutex_t	 timer_lock;
	pthread_cond_t	 timer;
	bool		 stopping;	/* under timer_lock */
	bool		 saver_started;
	pthread_t	 saver;
};

/* Stores that have a path, so that a second open shares the first. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kv_local *reg_head;

static const struct kv_ops kv_local_ops;

static time_t
kv_now(const struct kv_local *kl)
{
	return kl->opts.clock ? kl->opts.clock() : time(NULL);
}

static size_t
entry_size(uint32_t klen, uint32_t vcap)
{
	return sizeof(struct kv_entry) + klen + vcap + 1 + KV_OVERHEAD;
}

static uint64_t
kv_hash(const struct kv_local *kl, const char *key, size_t klen)
{
	return XXH3_64bits_withSeed(key, klen, kl->seed);
}

static struct kv_stripe *
kv_stripe_of(struct kv_local *kl, uint64_t h)
{
	return &kl->stripes[h >> 58];
}

static void
stripe_unlink(struct kv_stripe *st, struct kv_entry **slot)
{
	struct kv_entry *e = *slot;

	*slot = e->next;
	st->n--;
	st->bytes -= entry_size(e->klen, e->vcap);
	free(e);
}

/* The slot holding key, or NULL; an expired entry is dropped on the way. */
static struct kv_entry **
stripe_find(struct kv_stripe *st, const char *key, size_t klen, uint64_t h, time_t now)
{
	struct kv_entry **slot = &st->buckets[h & (st->nbuckets - 1)];

	for (; *slot != NULL; slot = &(*slot)->next) {
		struct kv_entry *e = *slot;
		if (e->hash != h || e->klen != klen || memcmp(e->data, key, klen) != 0)
			continue;
		if (e->expires != 0 && e->expires <= now) {
			stripe_unlink(st, slot);
			return NULL;
		}
		return slot;
	}
	return NULL;
}

/* Doubles the buckets when the stripe holds more keys than buckets. */
static void
stripe_grow(struct kv_stripe *st)
{
	size_t cap = st->nbuckets * 2;
	struct kv_entry **b;

	if (st->n <= st->nbuckets || (b = calloc(cap, sizeof(*b))) == NULL)
		return;		/* a full table only gets slower */
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct kv_entry *e = st->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (cap - 1)];
			b[e->hash & (cap - 1)] = e;
		}
	}
	free(st->buckets);
	st->bytes += (cap - st->nbuckets) * sizeof(*b);
	st->buckets = b;
	st->nbuckets = cap;
}

/* Evicts, until the stripe fits its ceiling, the sampled entry that
 * expires first (never-expiring ones last), sparing keep. */
static void
stripe_evict(struct kv_local *kl, struct kv_stripe *st, const struct kv_entry *keep)
{
	while (st->bytes > kl->stripe_max && st->n > 1) {
		struct kv_entry **victim = NULL;
		uint64_t best = UINT64_MAX;
		size_t seen = 0, i;

		st->rng ^= st->rng << 13;
		st->rng ^= st->rng >> 17;
		st->rng ^= st->rng << 5;
		i = st->rng & (st->nbuckets - 1);
		for (size_t probe = 0; probe < st->nbuckets && seen < KV_SAMPLE; probe++) {
			struct kv_entry **slot = &st->buckets[(i + probe) & (st->nbuckets - 1)];
			for (; *slot != NULL && seen < KV_SAMPLE; slot = &(*slot)->next, seen++) {
				uint64_t exp = (*slot)->expires ? (uint64_t)(*slot)->expires :
				    UINT64_MAX;
				if (*slot != keep && (victim == NULL || exp < best)) {
					victim = slot;
					best = exp;
				}
			}
		}
		if (victim == NULL)
			return;
		stripe_unlink(st, victim);
		st->evicted++;
	}
}

/* Stores val under key (slot is its current entry or NULL); the stripe is
 * locked. 0 or -MG_ENOMEM. */
static int
stripe_set(struct kv_local *kl, struct kv_stripe *st, struct kv_entry **slot, const char *key,
    uint32_t klen, uint64_t h, const void *val, uint32_t vlen, time_t expires)
{
	struct kv_entry *e = slot ? *slot : NULL;

	if (e != NULL && e->vcap < vlen) {
		struct kv_entry *n = realloc(e, entry_size(klen, vlen) - KV_OVERHEAD);
		if (n == NULL)
			return -MG_ENOMEM;
		st->bytes += entry_size(klen, vlen) - entry_size(klen, n->vcap);
		n->vcap = vlen;
		*slot = e = n;
	} else if (e == NULL) {
		uint32_t vcap = vlen < KV_NUM_MAX ? KV_NUM_MAX : vlen;
		if ((e = malloc(entry_size(klen, vcap) - KV_OVERHEAD)) == NULL)
			return -MG_ENOMEM;
		*e = (struct kv_entry){ .hash = h, .klen = klen, .vcap = vcap };
		memcpy(e->data, key, klen);
		e->next = st->buckets[h & (st->nbuckets - 1)];
		st->buckets[h & (st->nbuckets - 1)] = e;
		st->n++;
		st->bytes += entry_size(klen, vcap);
	}
	memcpy(e->data + klen, val, vlen);
	e->data[klen + vlen] = '\0';
	e->vlen = vlen;
	e->expires = expires;
	stripe_grow(st);
	stripe_evict(kl, st, e);
	return 0;
}

static struct kv_local *
kv_local_of(struct kv *kv)
{
	return (struct kv_local *)kv;
}

static int
kv_local_get(struct kv *kv, const char *key, size_t klen, void *val, size_t cap, size_t *vlen)
{
	struct kv_local *kl = kv_local_of(kv);
	uint64_t h = kv_hash(kl, key, klen);
	struct kv_stripe *st = kv_stripe_of(kl, h);
	struct kv_entry **slot;
	int rc = -MG_ENOENT;

	pthread_mutex_lock(&st->lock);
	if ((slot = stripe_find(st, key, klen, h, kv_now(kl))) != NULL) {
		*vlen = (*slot)->vlen;
		rc = (*slot)->vlen > cap ? -MG_ELIMIT : 0;
		if (rc == 0)
			memcpy(val, (*slot)->data + klen, (*slot)->vlen);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static time_t
kv_expiry(const struct kv_local *kl, uint32_t ttl)
{
	return ttl ? kv_now(kl) + (time_t)ttl : 0;
}

/* SET with an absolute expiry (0 = none): put, and the snapshot loader. */
static int
kv_local_set(struct kv_local *kl, const char *key, size_t klen, const void *val, size_t vlen,
    time_t expires)
{
	uint64_t h = kv_hash(kl, key, klen);
	struct kv_stripe *st = kv_stripe_of(kl, h);
	int rc;

	if (klen == 0 || klen > KV_KEY_MAX || vlen > KV_VALUE_MAX)
		return -MG_ELIMIT;
	pthread_mutex_lock(&st->lock);
	rc = stripe_set(kl, st, stripe_find(st, key, klen, h, kv_now(kl)), key, (uint32_t)klen,
	    h, val, (uint32_t)vlen, expires);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int
kv_local_put(struct kv *kv, const char *key, size_t klen, const void *val, size_t vlen,
    uint32_t ttl)
{
	struct kv_local *kl = kv_local_of(kv);

	return kv_local_set(kl, key, klen, val, vlen, kv_expiry(kl, ttl));
}

/* An increment: integer (INCRBY) or float (INCRBYFLOAT), and its result. */
struct kv_incr {
	bool		 is_float;
	int64_t		 di, ri;
	double		 df, rf;
};

/* The new value's text from the current one (cur: curlen bytes, NULL when
 * absent), which must be a number as a whole: a value with a NUL byte in it
 * is not one. */
static int
incr_apply(const char *cur, size_t curlen, struct kv_incr *a, char *out, size_t outlen)
{
	char *end = NULL;
	long long v = 0;
	double f = 0.0;

	errno = 0;
	if (cur != NULL && a->is_float)
		f = strtod(cur, &end);
	else if (cur != NULL)
		v = strtoll(cur, &end, 10);
	if (cur != NULL && (errno != 0 || end == cur || end != cur + curlen))
		return -MG_EPROTO;
	if (a->is_float) {
		a->rf = f + a->df;
		if (!isfinite(a->rf))
			return -MG_EPROTO;
		snprintf(out, outlen, "%.17g", a->rf);
		return 0;
	}
	if (__builtin_add_overflow((int64_t)v, a->di, &a->ri))
		return -MG_EPROTO;
	snprintf(out, outlen, "%" PRId64, a->ri);
	return 0;
}

/* The read-modify-write of INCRBY and INCRBYFLOAT under the stripe lock. */
static int
kv_local_add(struct kv_local *kl, const char *key, size_t klen, uint32_t ttl,
    struct kv_incr *a)
{
	uint64_t h = kv_hash(kl, key, klen);
	struct kv_stripe *st = kv_stripe_of(kl, h);
	struct kv_entry **slot;
	char text[KV_NUM_MAX];
	time_t expires;
	int rc;

	if (klen == 0 || klen > KV_KEY_MAX)
		return -MG_ELIMIT;
	pthread_mutex_lock(&st->lock);
	slot = stripe_find(st, key, klen, h, kv_now(kl));
	rc = incr_apply(slot ? (*slot)->data + klen : NULL, slot ? (*slot)->vlen : 0, a, text,
	    sizeof(text));
	/* EXPIRE after the increment; without a ttl the old expiry stays */
	expires = ttl ? kv_expiry(kl, ttl) : slot ? (*slot)->expires : 0;
	if (rc == 0)
		rc = stripe_set(kl, st, slot, key, (uint32_t)klen, h, text,
		    (uint32_t)strlen(text), expires);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int
kv_local_incr(struct kv *kv, const char *key, size_t klen, int64_t delta, uint32_t ttl,
    int64_t *out)
{
	struct kv_incr a = { .di = delta };
	int rc = kv_local_add(kv_local_of(kv), key, klen, ttl, &a);

	if (rc == 0 && out != NULL)
		*out = a.ri;
	return rc;
}

static int
kv_local_incr_float(struct kv *kv, const char *key, size_t klen, double delta, uint32_t ttl,
    double *out)
{
	struct kv_incr a = { .is_float = true, .df = delta };
	int rc = isfinite(delta) ? kv_local_add(kv_local_of(kv), key, klen, ttl, &a) : -MG_EINVAL;

	if (rc == 0 && out != NULL)
		*out = a.rf;
	return rc;
}

static int
kv_local_del(struct kv *kv, const char *key, size_t klen)
{
	struct kv_local *kl = kv_local_of(kv);
	uint64_t h = kv_hash(kl, key, klen);
	struct kv_stripe *st = kv_stripe_of(kl, h);
	struct kv_entry **slot;

	pthread_mutex_lock(&st->lock);
	if ((slot = stripe_find(st, key, klen, h, kv_now(kl))) != NULL)
		stripe_unlink(st, slot);
	pthread_mutex_unlock(&st->lock);
	return slot != NULL ? 0 : -MG_ENOENT;
}

static int
kv_local_scan(struct kv *kv, const char *prefix, size_t plen, kv_scan_fn *fn, void *arg)
{
	struct kv_local *kl = kv_local_of(kv);
	time_t now = kv_now(kl);
	int rc = 0;

	for (size_t s = 0; s < KV_STRIPES && rc == 0; s++) {
		struct kv_stripe *st = &kl->stripes[s];
		pthread_mutex_lock(&st->lock);
		for (size_t b = 0; b < st->nbuckets && rc == 0; b++)
			for (struct kv_entry *e = st->buckets[b]; e != NULL && rc == 0; e = e->next)
				if ((e->expires == 0 || e->expires > now) && e->klen >= plen &&
				    memcmp(e->data, prefix, plen) == 0)
					rc = fn(arg, e->data, e->klen, e->data + e->klen, e->vlen,
					    e->expires);
		pthread_mutex_unlock(&st->lock);
	}
	return rc;
}

/* Little-endian fixed-width integers of the snapshot format. */
static int
put_le(struct mg_buf *b, uint64_t v, unsigned width)
{
	uint8_t x[8];

	for (unsigned i = 0; i < width; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return mg_buf_append(b, x, width);
}

static uint64_t
get_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A stripe's live entries as records: klen(2) vlen(4) expires(8) key value. */
static int
snap_stripe(struct kv_stripe *st, time_t now, struct mg_buf *b, uint64_t *count)
{
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->nbuckets && rc == 0; i++)
		for (struct kv_entry *e = st->buckets[i]; e != NULL && rc == 0; e = e->next) {
			if (e->expires != 0 && e->expires <= now)
				continue;
			rc = put_le(b, e->klen, 2);
			rc = rc ? rc : put_le(b, e->vlen, 4);
			rc = rc ? rc : put_le(b, (uint64_t)e->expires, 8);
			rc = rc ? rc : mg_buf_append(b, e->data, e->klen + e->vlen);
			(*count)++;
		}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Writes every stripe, then the end mark (klen 0), the count and the
 * XXH3 checksum of all bytes before it. */
static int
snap_write(struct kv_local *kl, int fd)
{
	XXH3_state_t *x = XXH3_createState();
	struct mg_buf b;
	uint64_t count = 0;
	time_t now = kv_now(kl);
	int rc = x ? 0 : -MG_ENOMEM;

	mg_buf_init(&b, 0);
	if (rc == 0) {
		XXH3_64bits_reset(x);
		rc = mg_buf_append(&b, snap_magic, sizeof(snap_magic));
	}
	for (size_t s = 0; s < KV_STRIPES && rc == 0; s++) {
		rc = snap_stripe(&kl->stripes[s], now, &b, &count);
		if (rc == 0 && s == KV_STRIPES - 1)
			rc = put_le(&b, 0, 2);
		if (rc == 0 && s == KV_STRIPES - 1)
			rc = put_le(&b, count, 8);
		if (rc == 0 && (b.len >= (1u << 20) || s == KV_STRIPES - 1)) {
			XXH3_64bits_update(x, b.data, b.len);
			rc = mg_write_all(fd, b.data, b.len);
			mg_buf_reset(&b);
		}
	}
	if (rc == 0 && (rc = put_le(&b, XXH3_64bits_digest(x), 8)) == 0)
		rc = mg_write_all(fd, b.data, b.len);
	mg_buf_release(&b);
	XXH3_freeState(x);
	return rc;
}

/* mg_file_replace's filler: the snapshot. */
static int
snap_fill(void *arg, int fd)
{
	return snap_write(arg, fd);
}

static int
kv_local_save(struct kv *kv)
{
	struct kv_local *kl = kv_local_of(kv);
	char err[512];
	int rc;

	if (kl->path == NULL || !kl->opts.writable)
		return 0;
	pthread_mutex_lock(&kl->save_lock);
	rc = mg_file_replace(kl->path, 0600, snap_fill, kl, err, sizeof(err));
	pthread_mutex_unlock(&kl->save_lock);
	if (rc < 0)
		log_warn("kv save status=failed reason=\"%s\"", err);
	return rc;
}

/* Reads exactly len bytes into p, hashing them; -MG_EPROTO at end of file. */
static int
snap_read(FILE *f, void *p, size_t len, XXH3_state_t *x)
{
	if (len > 0 && fread(p, 1, len, f) != len)
		return ferror(f) ? -MG_EIO : -MG_EPROTO;
	XXH3_64bits_update(x, p, len);
	return 0;
}

/* Loads the records of f into kl; expired ones are skipped. */
static int
snap_load_records(struct kv_local *kl, FILE *f, XXH3_state_t *x, char *why, size_t whylen)
{
	uint8_t head[14], tail[8];
	char *rec = malloc(KV_KEY_MAX + KV_VALUE_MAX);
	uint64_t count = 0;
	time_t now = kv_now(kl);
	int rc = rec ? 0 : -MG_ENOMEM;

	while (rc == 0 && (rc = snap_read(f, head, 2, x)) == 0) {
		size_t klen = (size_t)get_le(head, 2), vlen;
		time_t expires;

		if (klen == 0)
			break;
		if ((rc = snap_read(f, head + 2, 12, x)) < 0)
			break;
		vlen = (size_t)get_le(head + 2, 4);
		expires = (time_t)get_le(head + 6, 8);
		if (klen > KV_KEY_MAX || vlen > KV_VALUE_MAX) {
			snprintf(why, whylen, "record %" PRIu64 " too long", count);
			rc = -MG_EPROTO;
			break;
		}
		if ((rc = snap_read(f, rec, klen + vlen, x)) < 0)
			break;
		count++;
		if (expires == 0 || expires > now)
			rc = kv_local_set(kl, rec, klen, rec + klen, vlen, expires);
	}
	if (rc == 0 && (rc = snap_read(f, tail, 8, x)) == 0 && get_le(tail, 8) != count) {
		snprintf(why, whylen, "count %" PRIu64 " but %" PRIu64 " records",
		    get_le(tail, 8), count);
		rc = -MG_EPROTO;
	}
	free(rec);
	return rc;
}

/* Loads the snapshot file f; -MG_EPROTO with why when it does not verify. */
static int
snap_load(struct kv_local *kl, FILE *f, char *why, size_t whylen)
{
	XXH3_state_t *x = XXH3_createState();
	uint8_t magic[sizeof(snap_magic)], sum[8];
	int rc = x ? 0 : -MG_ENOMEM;

	snprintf(why, whylen, "truncated");
	if (rc == 0) {
		XXH3_64bits_reset(x);
		rc = snap_read(f, magic, sizeof(magic), x);
	}
	if (rc == 0 && memcmp(magic, snap_magic, sizeof(magic)) != 0) {
		snprintf(why, whylen, "not a kv snapshot");
		rc = -MG_EPROTO;
	}
	rc = rc ? rc : snap_load_records(kl, f, x, why, whylen);
	if (rc == 0 && fread(sum, 1, sizeof(sum), f) != sizeof(sum))
		rc = -MG_EPROTO;
	if (rc == 0 && get_le(sum, 8) != XXH3_64bits_digest(x)) {
		snprintf(why, whylen, "checksum mismatch");
		rc = -MG_EPROTO;
	}
	if (rc == 0 && fgetc(f) != EOF) {
		snprintf(why, whylen, "bytes after the checksum");
		rc = -MG_EPROTO;
	}
	XXH3_freeState(x);
	return rc;
}

static void
stripe_clear(struct kv_stripe *st)
{
	for (size_t i = 0; i < st->nbuckets; i++)
		while (st->buckets[i] != NULL)
			stripe_unlink(st, &st->buckets[i]);
}

/* Loads path when it exists; a file that does not verify leaves the
 * store empty (and is renamed .corrupt when writable). */
static int
kv_local_load(struct kv_local *kl, char *err, size_t errlen)
{
	char why[128], aside[4096];
	FILE *f = fopen(kl->path, "rb");
	int rc;

	if (f == NULL && errno == ENOENT)
		return 0;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", kl->path, strerror(errno));
		return -MG_EIO;
	}
	rc = snap_load(kl, f, why, sizeof(why));
	fclose(f);
	if (rc == -MG_EIO || rc == -MG_ENOMEM) {
		snprintf(err, errlen, "%s: %s", kl->path, mg_strerror(rc));
		return rc;
	}
	if (rc == 0)
		return 0;
	for (size_t s = 0; s < KV_STRIPES; s++)
		stripe_clear(&kl->stripes[s]);
	if (kl->opts.writable &&
	    (size_t)snprintf(aside, sizeof(aside), "%s.corrupt", kl->path) < sizeof(aside) &&
	    rename(kl->path, aside) == 0)
		log_warn("kv load path=%s status=corrupt reason=\"%s\" moved=%s", kl->path, why,
		    aside);
	else
		log_warn("kv load path=%s status=corrupt reason=\"%s\"", kl->path, why);
	return 0;
}

/* Saves every save_interval seconds until the store closes. */
static void *
kv_saver(void *arg)
{
	struct kv_local *kl = arg;
	struct timespec until;

	pthread_mutex_lock(&kl->timer_lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += kl->opts.save_interval;
		while (!kl->stopping &&
		    pthread_cond_timedwait(&kl->timer, &kl->timer_lock, &until) != ETIMEDOUT)
			;
		if (kl->stopping)
			break;
		pthread_mutex_unlock(&kl->timer_lock);
		kv_local_save(&kl->base);
		pthread_mutex_lock(&kl->timer_lock);
	}
	pthread_mutex_unlock(&kl->timer_lock);
	return NULL;
}

static void
kv_saver_stop(struct kv_local *kl)
{
	if (!kl->saver_started)
		return;
	pthread_mutex_lock(&kl->timer_lock);
	kl->stopping = true;
	pthread_cond_signal(&kl->timer);
	pthread_mutex_unlock(&kl->timer_lock);
	pthread_join(kl->saver, NULL);
	kl->saver_started = false;
}

static void
kv_local_destroy(struct kv_local *kl)
{
	kv_saver_stop(kl);
	for (size_t s = 0; s < KV_STRIPES; s++) {
		stripe_clear(&kl->stripes[s]);
		free(kl->stripes[s].buckets);
		pthread_mutex_destroy(&kl->stripes[s].lock);
	}
	pthread_mutex_destroy(&kl->save_lock);
	pthread_mutex_destroy(&kl->timer_lock);
	pthread_cond_destroy(&kl->timer);
	free(kl->path);
	free(kl);
}

static struct kv_local *
kv_local_new(const struct kv_local_opts *o)
{
	struct kv_local *kl = calloc(1, sizeof(*kl));
	pthread_condattr_t ca;

	if (kl == NULL)
		return NULL;
	kl->base.ops = &kv_local_ops;
	kl->opts = *o;
	kl->refs = 1;
	kl->stripe_max = (o->max_bytes ? o->max_bytes : SIZE_MAX) / KV_STRIPES;
	if (getrandom(&kl->seed, sizeof(kl->seed), 0) != (ssize_t)sizeof(kl->seed))
		kl->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)kl;
	pthread_mutex_init(&kl->save_lock, NULL);
	pthread_mutex_init(&kl->timer_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&kl->timer, &ca);
	pthread_condattr_destroy(&ca);
	for (size_t s = 0; s < KV_STRIPES; s++) {
		struct kv_stripe *st = &kl->stripes[s];
		pthread_mutex_init(&st->lock, NULL);
		st->rng = (uint32_t)(kl->seed >> 32) ^ (uint32_t)(s * 2654435761u) ^ 1u;
		st->nbuckets = KV_BUCKETS0;
		st->bytes = KV_BUCKETS0 * sizeof(*st->buckets);
		if ((st->buckets = calloc(KV_BUCKETS0, sizeof(*st->buckets))) == NULL) {
			kv_local_destroy(kl);
			return NULL;
		}
	}
	if (o->path != NULL && (kl->path = strdup(o->path)) == NULL) {
		kv_local_destroy(kl);
		return NULL;
	}
	kl->opts.path = kl->path;
	return kl;
}

struct kv *
kv_local_open(const struct kv_local_opts *o, char *err, size_t errlen)
{
	struct kv_local *kl;

	pthread_mutex_lock(&reg_lock);
	for (kl = reg_head; o->path != NULL && kl != NULL; kl = kl->reg_next)
		if (strcmp(kl->path, o->path) == 0) {
			kl->refs++;
			pthread_mutex_unlock(&reg_lock);
			return &kl->base;
		}
	if ((kl = kv_local_new(o)) == NULL) {
		pthread_mutex_unlock(&reg_lock);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (kl->path != NULL && kv_local_load(kl, err, errlen) < 0)
		goto fail;
	if (kl->path != NULL && o->writable && o->save_interval > 0) {
		if (pthread_create(&kl->saver, NULL, kv_saver, kl) != 0) {
			snprintf(err, errlen, "cannot start the snapshot thread");
			goto fail;
		}
		kl->saver_started = true;
	}
	if (kl->path != NULL) {
		kl->reg_next = reg_head;
		reg_head = kl;
	}
	pthread_mutex_unlock(&reg_lock);
	return &kl->base;
fail:
	pthread_mutex_unlock(&reg_lock);
	kv_local_destroy(kl);
	return NULL;
}

/* The last handle saves under reg_lock, so that an open of the same path
 * racing with it waits and loads the final snapshot. */
static void
kv_local_close(struct kv *kv)
{
	struct kv_local *kl = kv_local_of(kv);

	pthread_mutex_lock(&reg_lock);
	if (--kl->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	for (struct kv_local **p = &reg_head; *p != NULL; p = &(*p)->reg_next)
		if (*p == kl) {
			*p = kl->reg_next;
			break;
		}
	kv_saver_stop(kl);
	kv_local_save(kv);
	pthread_mutex_unlock(&reg_lock);
	kv_local_destroy(kl);
}

void
kv_local_stats(struct kv *kv, struct kv_local_stats *out)
{
	struct kv_local *kl = kv_local_of(kv);

	memset(out, 0, sizeof(*out));
	for (size_t s = 0; s < KV_STRIPES; s++) {
		struct kv_stripe *st = &kl->stripes[s];
		pthread_mutex_lock(&st->lock);
		out->keys += st->n;
		out->bytes += st->bytes;
		out->evicted += st->evicted;
		pthread_mutex_unlock(&st->lock);
	}
}

static const struct kv_ops kv_local_ops = {
	.get = kv_local_get,
	.put = kv_local_put,
	.incr = kv_local_incr,
	.incr_float = kv_local_incr_float,
	.del = kv_local_del,
	.scan = kv_local_scan,
	.save = kv_local_save,
	.close = kv_local_close,
};
