/* OSB Bayes (bayes.h): learning a message's features into the token store
 * and the spam probability of a message from them -- Robinson's smoothed
 * per-token probabilities combined with Fisher's chi-square method over
 * the most significant tokens (the math: docs/bayes.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "learn/bayes_int.h"

#define ROBINSON_S	0.45	/* strength of the prior x against the evidence */
#define ROBINSON_X	0.5	/* a token's probability before any evidence */
#define SIGNIFICANT_DEV	0.1	/* |f - 0.5| a token needs to be used */
#define SIGNIFICANT_MAX	50	/* tokens combined at most, the strongest */
#define DEV_BUCKETS	64	/* for picking the strongest without sorting */
#define PREFETCH_AHEAD	8
#define F_MIN		1e-6	/* f clamped away from 0 and 1 for the logs */

struct bayes *
bayes_open(const char *path, bool writable, const struct conf_bayes *conf, char *err,
    size_t errlen)
{
	struct conf_bayes def;
	struct bayes *b;
	int rc;

	if (conf == NULL) {
		conf_bayes_defaults(&def);
		conf = &def;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL || (b->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(b);
		return NULL;
	}
	b->writable = writable;
	b->min_learns = conf->min_learns;
	b->expire_days = conf->expire_days;
	b->max_tokens = conf->max_tokens;
	b->fd = -1;
	pthread_mutex_init(&b->lock, NULL);
	rc = bayes_map_open(path, writable, &b->map, &b->fd, err, errlen);
	if (rc == -MG_ENOENT && writable && (rc = bayes_store_create(path, err, errlen)) == 0)
		rc = bayes_map_open(path, writable, &b->map, &b->fd, err, errlen);
	if (rc < 0 && !(rc == -MG_ENOENT && !writable))
		return bayes_close(b);
	return b;
}

struct bayes *
bayes_close(struct bayes *b)
{
	if (b == NULL)
		return NULL;
	if (b->map != NULL && b->writable)
		msync(b->map->base, b->map->size, MS_SYNC);
	bayes_map_close(b->map);
	if (b->fd != -1)
		close(b->fd);
	pthread_mutex_destroy(&b->lock);
	free(b->path);
	free(b);
	return NULL;
}

static void
learn_apply(struct bayes_map *m, const struct bayes_features *f, bool spam, int sign,
    uint32_t day)
{
	_Atomic uint32_t *n = spam ? &m->h->nspam : &m->h->nham;

	for (size_t i = 0; i < f->n; i++) {
		if (i + PREFETCH_AHEAD < f->n)
			bayes_slot_prefetch(m, f->v[i + PREFETCH_AHEAD]);
		bayes_slot_update(m, f->v[i], spam, sign, day);
	}
	if (sign > 0)
		atomic_fetch_add(n, 1);
	else if (atomic_load(n) > 0)
		atomic_fetch_sub(n, 1);
}

/* Under the writer lock: the dedup decision, room, then the counts. */
static int
learn_locked(struct bayes *b, const struct bayes_features *f, uint64_t digest, bool spam,
    bool unlearn)
{
	uint32_t day = bayes_day_now();
	uint64_t e = bayes_dedup_find(b->map, digest);
	bool known = e != 0, was_spam = (e & DEDUP_SPAM) != 0;
	const struct bayes_header *h;
	int rc;

	if (unlearn) {
		if (!known || was_spam != spam)
			return -MG_ENOENT;
		learn_apply(b->map, f, spam, -1, day);
		bayes_dedup_del(b->map, digest);
		return 0;
	}
	if (known && was_spam == spam)
		return -MG_EEXIST;
	if (known) {		/* learned as the other class: move it */
		learn_apply(b->map, f, was_spam, -1, day);
		bayes_dedup_del(b->map, digest);
	}
	h = b->map->h;
	if ((uint64_t)atomic_load(&h->ntokens) + f->n >
	    (uint64_t)h->capacity * BAYES_LOAD_NUM / BAYES_LOAD_DEN ||
	    (uint64_t)atomic_load(&h->ndedup) + 1 >
	    (uint64_t)h->dedup_capacity * BAYES_LOAD_NUM / BAYES_LOAD_DEN) {
		if ((rc = bayes_rehash(b, (uint32_t)f->n, 1, day, false)) < 0)
			return rc;
	}
	learn_apply(b->map, f, spam, 1, day);
	bayes_dedup_put(b->map, digest, spam, day);
	return 0;
}

int
bayes_learn(struct bayes *b, const struct mime_msg *m, bool spam, bool unlearn)
{
	struct bayes_features f;
	char err[256];
	int rc;

	if (!b->writable)
		return -MG_EINVAL;
	if (m == NULL || m->root == NULL)
		return -MG_EPROTO;
	if ((rc = bayes_features_get(m, &f)) < 0)
		return rc;
	if ((rc = bayes_writer_begin(b, err, sizeof(err))) == 0) {
		rc = learn_locked(b, &f, bayes_digest(m), spam, unlearn);
		bayes_writer_end(b);
	} else {
		log_warn("bayes learn failed reason=\"%s\"", err);
	}
	bayes_features_clear(&f);
	return rc;
}

/* Q(x2 | v): the probability that a chi-square variable with v (even)
 * degrees of freedom exceeds x2; summed in the log domain because the
 * first terms underflow for large x2. */
static double
chi2_q(double x2, unsigned v)
{
	double m = x2 / 2.0, lt[SIGNIFICANT_MAX], lmax, sum = 0.0;
	unsigned k = v / 2;

	if (m <= 0.0)
		return 1.0;
	lt[0] = -m;
	lmax = lt[0];
	for (unsigned i = 1; i < k; i++) {
		lt[i] = lt[i - 1] + log(m) - log((double)i);
		if (lt[i] > lmax)
			lmax = lt[i];
	}
	for (unsigned i = 0; i < k; i++)
		sum += exp(lt[i] - lmax);
	return fmin(1.0, exp(lmax + log(sum)));
}

/* Robinson's f(w) of a token seen in s of nspam and h of nham messages. */
static double
token_f(uint32_t s, uint32_t h, uint32_t nspam, uint32_t nham)
{
	double ps = fmin(1.0, (double)s / nspam), ph = fmin(1.0, (double)h / nham);
	double n = (double)s + h, p = ps / (ps + ph);

	return (ROBINSON_S * ROBINSON_X + n * p) / (ROBINSON_S + n);
}

static unsigned
dev_bucket(double f)
{
	double d = fabs(f - 0.5) - SIGNIFICANT_DEV;
	unsigned k = (unsigned)(d / (0.5 - SIGNIFICANT_DEV) * DEV_BUCKETS);

	return k < DEV_BUCKETS ? k : DEV_BUCKETS - 1;
}

/* Fisher's combination of the strongest SIGNIFICANT_MAX of f[0..n). */
static double
combine(const double *f, size_t n, uint32_t *used)
{
	size_t count[DEV_BUCKETS] = { 0 }, take = 0, room;
	unsigned cut = DEV_BUCKETS;
	double ln_f = 0.0, ln_1f = 0.0, spam, ham;

	for (size_t i = 0; i < n; i++)
		count[dev_bucket(f[i])]++;
	while (cut > 0 && take < SIGNIFICANT_MAX)
		take += count[--cut];
	/* buckets above cut are taken whole, room of bucket cut */
	room = count[cut] - (take > SIGNIFICANT_MAX ? take - SIGNIFICANT_MAX : 0);
	*used = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned k = dev_bucket(f[i]);
		double x = fmin(1.0 - F_MIN, fmax(F_MIN, f[i]));
		if (k < cut || (k == cut && room == 0))
			continue;
		if (k == cut)
			room--;
		ln_f += log(x);
		ln_1f += log(1.0 - x);
		(*used)++;
	}
	if (*used == 0)
		return 0.5;
	spam = 1.0 - chi2_q(-2.0 * ln_1f, 2 * *used);
	ham = 1.0 - chi2_q(-2.0 * ln_f, 2 * *used);
	return (1.0 + spam - ham) / 2.0;
}

/* The f of every significant feature of f into out; how many. nspam and
 * nham are the counts the caller checked for zero: a writer may change
 * the header's meanwhile. */
static size_t
classify_tokens(const struct bayes_map *m, const struct bayes_features *f, uint32_t nspam,
    uint32_t nham, double *out)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		uint32_t c;
		double x;
		if (i + PREFETCH_AHEAD < f->n)
			bayes_slot_prefetch(m, f->v[i + PREFETCH_AHEAD]);
		if ((c = bayes_slot_counts(m, f->v[i])) == 0)
			continue;
		x = token_f(c >> 16, c & 0xffff, nspam, nham);
		if (fabs(x - 0.5) > SIGNIFICANT_DEV)
			out[n++] = x;
	}
	return n;
}

int
bayes_classify(const struct bayes *cb, const struct mime_msg *m, struct bayes_result *r)
{
	struct bayes *b = (struct bayes *)cb;	/* the mapping follows the file */
	struct bayes_features f;
	struct bayes_map *map;
	double *fv = NULL;
	uint32_t nspam, nham;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->prob = 0.5;
	if ((map = bayes_map_acquire(b)) == NULL)
		return 0;
	nspam = atomic_load(&map->h->nspam);
	nham = atomic_load(&map->h->nham);
	r->ready = nspam >= b->min_learns && nham >= b->min_learns;
	if (nspam == 0 || nham == 0 || m == NULL || m->root == NULL)
		goto out;
	if ((rc = bayes_features_get(m, &f)) < 0)
		goto out;
	if (f.n > 0 && (fv = malloc(f.n * sizeof(*fv))) == NULL)
		rc = -MG_ENOMEM;
	else if (f.n > 0)
		r->prob = combine(fv, classify_tokens(map, &f, nspam, nham, fv), &r->ntokens);
	free(fv);
	bayes_features_clear(&f);
out:
	bayes_map_release(b, map);
	return rc;
}

int
bayes_expire(struct bayes *b, uint32_t today)
{
	char err[256];
	int rc;

	if (!b->writable)
		return -MG_EINVAL;
	if ((rc = bayes_writer_begin(b, err, sizeof(err))) < 0) {
		log_warn("bayes expire failed reason=\"%s\"", err);
		return rc;
	}
	rc = bayes_rehash(b, 0, 0, today != 0 ? today : bayes_day_now(), true);
	bayes_writer_end(b);
	return rc;
}

void
bayes_stats(const struct bayes *cb, struct bayes_stats *st)
{
	struct bayes *b = (struct bayes *)cb;
	struct bayes_map *m = bayes_map_acquire(b);

	memset(st, 0, sizeof(*st));
	if (m == NULL)
		return;
	st->present = true;
	st->nspam = atomic_load(&m->h->nspam);
	st->nham = atomic_load(&m->h->nham);
	st->ntokens = atomic_load(&m->h->ntokens);
	st->capacity = m->h->capacity;
	st->ndigests = atomic_load(&m->h->ndedup);
	st->file_size = m->size;
	st->created_day = m->h->created_day;
	st->expired_day = m->h->expired_day;
	bayes_map_release(b, m);
}
