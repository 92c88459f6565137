/* The kv interface (DESIGN.md section 4): small shared state -- counters,
 * reputation, rate buckets -- behind a table of operations, each of which
 * is one Redis command so that kv_redis.c can follow kv_local.c (an
 * in-process hash map with an optional snapshot file). Keys and values
 * are bytes; counters are kept as decimal text, as Redis keeps them. */
#ifndef MG_STORE_KV_H
#define MG_STORE_KV_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "core/err.h"

#define KV_KEY_MAX	512		/* bytes of a key */
#define KV_VALUE_MAX	(64 * 1024)	/* bytes of a value */

struct kv;

/* Called for each key of a scan; returns 0 to go on, else stops the scan
 * with that value. The bytes are valid during the call only. */
typedef int kv_scan_fn(void *arg, const char *key, size_t klen, const void *val,
    size_t vlen, time_t expires);

/* Every operation is thread-safe. ttl is in seconds from now, 0 = none;
 * expires is absolute (Unix time), 0 = none. */
struct kv_ops {
	/* GET: -MG_ENOENT when absent or expired; -MG_ELIMIT when cap is too
	 * small (*vlen says how much is needed). */
	int	(*get)(struct kv *, const char *key, size_t klen, void *val, size_t cap,
		    size_t *vlen);
	/* SET key val [EX ttl]; -MG_ELIMIT for an empty key or one past
	 * KV_KEY_MAX, a value past KV_VALUE_MAX (also for incr*). */
	int	(*put)(struct kv *, const char *key, size_t klen, const void *val, size_t vlen,
		    uint32_t ttl);
	/* INCRBY key delta, then EXPIRE key ttl (when ttl > 0); *out (may be
	 * NULL) gets the new value; -MG_EPROTO when the value is not an integer. */
	int	(*incr)(struct kv *, const char *key, size_t klen, int64_t delta, uint32_t ttl,
		    int64_t *out);
	/* INCRBYFLOAT key delta, then EXPIRE key ttl (when ttl > 0);
	 * -MG_EPROTO when the value is not a number or the sum is not
	 * finite, -MG_EINVAL when delta is not. */
	int	(*incr_float)(struct kv *, const char *key, size_t klen, double delta,
		    uint32_t ttl, double *out);
	/* DEL key: 0, or -MG_ENOENT when it was absent. */
	int	(*del)(struct kv *, const char *key, size_t klen);
	/* SCAN 0 MATCH prefix* until the cursor is 0: each live key once, in
	 * no order; fn must not call back into the kv. */
	int	(*scan)(struct kv *, const char *prefix, size_t plen, kv_scan_fn *fn, void *arg);
	/* BGSAVE: makes the state durable now (0 when there is nothing to do). */
	int	(*save)(struct kv *);
	/* Drops this handle (a shared store closes with its last handle). */
	void	(*close)(struct kv *);
};

struct kv {
	const struct kv_ops *ops;
};

static inline int
kv_get(struct kv *kv, const char *key, size_t klen, void *val, size_t cap, size_t *vlen)
{
	return kv->ops->get(kv, key, klen, val, cap, vlen);
}

static inline int
kv_put(struct kv *kv, const char *key, size_t klen, const void *val, size_t vlen, uint32_t ttl)
{
	return kv->ops->put(kv, key, klen, val, vlen, ttl);
}

static inline int
kv_incr(struct kv *kv, const char *key, size_t klen, int64_t delta, uint32_t ttl, int64_t *out)
{
	return kv->ops->incr(kv, key, klen, delta, ttl, out);
}

static inline int
kv_incr_float(struct kv *kv, const char *key, size_t klen, double delta, uint32_t ttl,
    double *out)
{
	return kv->ops->incr_float(kv, key, klen, delta, ttl, out);
}

static inline int
kv_del(struct kv *kv, const char *key, size_t klen)
{
	return kv->ops->del(kv, key, klen);
}

static inline int
kv_scan(struct kv *kv, const char *prefix, size_t plen, kv_scan_fn *fn, void *arg)
{
	return kv->ops->scan(kv, prefix, plen, fn, arg);
}

static inline int
kv_save(struct kv *kv)
{
	return kv->ops->save(kv);
}

/* Returns NULL, so that callers write kv = kv_close(kv). */
static inline struct kv *
kv_close(struct kv *kv)
{
	if (kv != NULL)
		kv->ops->close(kv);
	return NULL;
}

/* A number stored by incr/incr_float (decimal text): 0, -MG_ENOENT, or
 * -MG_EPROTO when the value is not a number. */
static inline int
kv_get_double(struct kv *kv, const char *key, size_t klen, double *out)
{
	char text[64], *end;
	size_t len;
	int rc = kv_get(kv, key, klen, text, sizeof(text) - 1, &len);

	if (rc == -MG_ELIMIT)
		return -MG_EPROTO;
	if (rc < 0)
		return rc;
	text[len] = '\0';
	*out = strtod(text, &end);
	return len > 0 && *end == '\0' && isfinite(*out) ? 0 : -MG_EPROTO;
}

/* kv_local.c: the in-process store. */
struct kv_local_opts {
	const char	*path;		/* snapshot file; NULL = memory only */
	bool		 writable;	/* save snapshots (at close, every save_interval) */
	uint32_t	 save_interval;	/* seconds; 0 = at close and kv_save only */
	size_t		 max_bytes;	/* memory ceiling, 0 = none: past it, of a
					 * sample of keys the one closest to expiry
					 * is evicted, keys without one last */
	time_t		(*clock)(void);	/* NULL = time(); tests inject one */
};

/* Opens a store, loading the snapshot at path when there is one. A
 * snapshot that does not verify is renamed PATH.corrupt (writable) or
 * ignored, with a warning: the store starts empty. A second open of the
 * same path in the process shares the first one's store (and options)
 * until the last handle closes, so that a reloaded engine keeps its
 * state. NULL with a reason in err (unreadable file, memory). */
struct kv *kv_local_open(const struct kv_local_opts *, char *err, size_t errlen);

struct kv_local_stats {
	size_t		 keys;
	size_t		 bytes;		/* as counted against max_bytes */
	uint64_t	 evicted;	/* keys dropped by the ceiling */
};
/* Figures of a store opened by kv_local_open. */
void	kv_local_stats(struct kv *, struct kv_local_stats *);

#endif
