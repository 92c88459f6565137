/* The guard's connection screen (docs/guard.md): how DNS list answers and
 * the reverse DNS of a client combine into a verdict, and the per-address
 * cache of what the lookups found. The lookups themselves run in smtpd. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "guard/guard.h"

bool
guard_screen_code(const struct conf_screen_zone *z, uint32_t a)
{
	if (z->ncodes == 0)
		return (a >> 24) == 127;	/* any answer in 127/8 */
	for (size_t i = 0; i < z->ncodes; i++)
		if (z->codes[i] == a)
			return true;
	return false;
}

int64_t
guard_screen_score(const struct conf_screen *c, const struct guard_screen *r)
{
	int64_t sum = 0;

	for (size_t i = 0; i < c->nzones && i < 32; i++)
		if (r->listed & (UINT32_C(1) << i))
			sum += c->zones[i].weight;
	return sum;
}

bool
guard_screen_allowed(const struct conf_screen *c, const struct guard_screen *r)
{
	return c->allow_threshold < 0 && guard_screen_score(c, r) <= c->allow_threshold;
}

enum guard_reason
guard_screen_verdict(const struct conf_screen *c, const struct guard_screen *r,
    const char *ip, char *reply, size_t cap)
{
	const struct conf_screen_zone *top = NULL;
	int64_t sum = guard_screen_score(c, r);

	for (size_t i = 0; i < c->nzones && i < 32; i++)
		if ((r->listed & (UINT32_C(1) << i)) && c->zones[i].weight > 0 &&
		    (top == NULL || c->zones[i].weight > top->weight))
			top = &c->zones[i];
	if (top != NULL && sum >= (int64_t)c->threshold) {
		snprintf(reply, cap, "554 5.7.1 Service unavailable; client [%s] blocked "
		    "using %s", ip, top->zone);
		return GUARD_DNSBL;
	}
	if (c->rdns == CONF_RDNS_REQUIRE &&
	    (r->rdns == GUARD_RDNS_NONE || r->rdns == GUARD_RDNS_UNCONFIRMED)) {
		snprintf(reply, cap, "450 4.7.25 Client host rejected: cannot find your "
		    "hostname, [%s]", ip);
		return GUARD_RDNS;
	}
	return GUARD_PASS;
}

static void
screen_key(char *key, size_t cap, const char *ip)
{
	snprintf(key, cap, "guard:s:%s", ip);
}

int
guard_screen_cached(struct guard *g, const char *ip, struct guard_screen *r)
{
	char key[64], val[32], *end;
	unsigned long listed, rdns;
	size_t len;
	int rc;

	screen_key(key, sizeof(key), ip);
	if ((rc = kv_get(g->kv, key, strlen(key), val, sizeof(val) - 1, &len)) == -MG_ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	val[len] = '\0';
	listed = strtoul(val, &end, 10);
	if (*end != ' ' || (rdns = strtoul(end + 1, &end, 10)) > GUARD_RDNS_CONFIRMED ||
	    *end != '\0' || listed > UINT32_MAX)
		return -MG_EPROTO;
	*r = (struct guard_screen){ .listed = (uint32_t)listed,
	    .rdns = (enum guard_rdns)rdns };
	return 1;
}

void
guard_screen_store(struct guard *g, const char *ip, const struct guard_screen *r)
{
	char key[64], val[32];
	int rc, n;

	if (r->failed)
		return;
	screen_key(key, sizeof(key), ip);
	n = snprintf(val, sizeof(val), "%" PRIu32 " %d", r->listed, (int)r->rdns);
	if ((rc = kv_put(g->kv, key, strlen(key), val, (size_t)n, GUARD_SCREEN_TTL)) < 0)
		log_warn("guard kv error=\"%s\" key=screen action=forget", mg_strerror(rc));
}
