/* Decayed spam/clean counts in a kv (reputation.h). Keys:
 * "rep:<kind>:<entity>:<epoch>:<s|c>", holding the sum of the weights of
 * the verdicts learned during that epoch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "learn/reputation.h"

static const char *const kind_names[] = { "ip", "dom", "dkim" };

static double
rep_epoch_len(const struct rep_params *p)
{
	return p->half_life * REP_EPOCH_HALF_LIVES;
}

static int
rep_key(char *out, size_t outlen, enum rep_kind k, const char *entity, int64_t epoch,
    bool spam)
{
	int n = snprintf(out, outlen, "rep:%s:%s:%lld:%c", kind_names[k], entity,
	    (long long)epoch, spam ? 's' : 'c');

	return n > 0 && (size_t)n < outlen ? n : -MG_ELIMIT;
}

int
rep_learn(struct kv *kv, const struct rep_params *p, enum rep_kind k, const char *entity,
    bool spam, double now)
{
	char key[REP_ENTITY_MAX + 64];
	int64_t epoch = (int64_t)floor(now / rep_epoch_len(p));
	double ttl = p->half_life * REP_TTL_HALF_LIVES;
	double w = exp2((now - (double)epoch * rep_epoch_len(p)) / p->half_life);
	int n;

	if (strlen(entity) > REP_ENTITY_MAX ||
	    (n = rep_key(key, sizeof(key), k, entity, epoch, spam)) < 0)
		return -MG_ELIMIT;
	return kv_incr_float(kv, key, (size_t)n, w, ttl > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)ceil(ttl), NULL);
}

int
rep_read(struct kv *kv, const struct rep_params *p, enum rep_kind k, const char *entity,
    double now, struct rep_counts *out)
{
	int64_t epoch = (int64_t)floor(now / rep_epoch_len(p));
	char key[REP_ENTITY_MAX + 64];

	out->spam = out->clean = 0.0;
	if (strlen(entity) > REP_ENTITY_MAX)
		return -MG_ELIMIT;
	/* this epoch and the one before: older keys have expired */
	for (int64_t e = epoch - 1; e <= epoch; e++) {
		double scale = exp2(-(now - (double)e * rep_epoch_len(p)) / p->half_life);
		for (int spam = 0; spam < 2; spam++) {
			double v = 0.0;
			int n = rep_key(key, sizeof(key), k, entity, e, spam);
			int rc = n < 0 ? n : kv_get_double(kv, key, (size_t)n, &v);

			if (rc < 0 && rc != -MG_ENOENT)
				return rc;
			*(spam ? &out->spam : &out->clean) += rc == 0 ? v * scale : 0.0;
		}
	}
	return 0;
}

double
rep_evidence(const struct rep_params *p, const struct rep_counts *c)
{
	double n = c->spam + c->clean;

	if (n < p->min_messages || n <= 0.0)
		return 0.0;
	return (c->spam - c->clean) / (n + 2.0) * n / (n + p->min_messages);
}
