/* Per-account hourly rates (account_rate.h): one kv value per account,
 * "HOUR MSGS RCPTS BASE_MSGS BASE_RCPTS HOURS" as text, read, updated and
 * written back (a lost update under a race costs one count). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learn/account_rate.h"

#define RATE_VALUE_MAX	160	/* bytes of the text value */

/* The stored state of key, or zeros when there is none or it is damaged. */
static void
rate_read(struct kv *kv, const char *key, size_t klen, struct account_rate *r)
{
	char text[RATE_VALUE_MAX + 1];
	long long hour;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (kv_get(kv, key, klen, text, RATE_VALUE_MAX, &len) < 0)
		return;
	text[len] = '\0';
	if (sscanf(text, "%lld %lf %lf %lf %lf %lf", &hour, &r->msgs, &r->rcpts,
	    &r->base_msgs, &r->base_rcpts, &r->hours) != 6 || !isfinite(r->base_msgs) ||
	    !isfinite(r->base_rcpts) || r->msgs < 0 || r->rcpts < 0) {
		memset(r, 0, sizeof(*r));
		return;
	}
	r->hour = hour;
}

/* Folds the counts of r->hour and the empty hours up to hour into the
 * baseline, and starts hour with zero counts. */
static void
rate_advance(struct account_rate *r, int64_t hour, uint32_t baseline_hours)
{
	double alpha = 1.0 / baseline_hours, keep;
	int64_t gap = hour - r->hour;

	if (r->hours == 0 && r->msgs == 0) {	/* first message ever */
		r->hour = hour;
		return;
	}
	if (gap <= 0)
		return;
	/* the first hour of an account is its own baseline, not alpha of it */
	if (r->hours == 0) {
		r->base_msgs = r->msgs;
		r->base_rcpts = r->rcpts;
	} else {
		r->base_msgs += alpha * (r->msgs - r->base_msgs);
		r->base_rcpts += alpha * (r->rcpts - r->base_rcpts);
	}
	keep = pow(1.0 - alpha, (double)(gap > 100000 ? 100000 : gap - 1));
	r->base_msgs *= keep;
	r->base_rcpts *= keep;
	r->hours = fmin(r->hours + (double)gap, (double)baseline_hours * 100);
	r->hour = hour;
	r->msgs = r->rcpts = 0;
}

int
account_rate_count(struct kv *kv, const char *account, uint32_t nrcpts,
    uint32_t baseline_hours, time_t now, struct account_rate *out)
{
	char key[KV_KEY_MAX], text[RATE_VALUE_MAX];
	int klen = snprintf(key, sizeof(key), ACCOUNT_RATE_PREFIX "%s", account);
	int vlen;
	/* kept while the baseline still says something: a few time constants */
	uint32_t ttl = baseline_hours * 3600u * 4;

	if (klen < 0 || (size_t)klen >= sizeof(key))
		return -MG_ELIMIT;
	rate_read(kv, key, (size_t)klen, out);
	rate_advance(out, (int64_t)(now / 3600), baseline_hours > 0 ? baseline_hours : 1);
	out->msgs += 1;
	out->rcpts += nrcpts;
	vlen = snprintf(text, sizeof(text), "%lld %.0f %.0f %.6g %.6g %.0f",
	    (long long)out->hour, out->msgs, out->rcpts, out->base_msgs, out->base_rcpts,
	    out->hours);
	if (vlen < 0 || (size_t)vlen >= sizeof(text))
		return -MG_ELIMIT;
	return kv_put(kv, key, (size_t)klen, text, (size_t)vlen, ttl);
}
