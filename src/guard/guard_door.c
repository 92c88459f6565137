/* The guard's rules of conduct at the SMTP door (docs/guard.md): clients
 * that talk before the banner are remembered in the kv for a while, and
 * the tarpit's delay of an error reply grows with the session's errors. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "guard/guard.h"

static void
pregreet_key(char *key, size_t cap, const struct guard_client *gc)
{
	snprintf(key, cap, "guard:p:%s", gc->ip);
}

void
guard_pregreet_remember(struct guard *g, const struct conf_guard *c,
    const struct guard_client *gc)
{
	char key[64];
	int rc;

	if (!c->pregreet.enabled || c->pregreet.remember == 0 || gc->allowed)
		return;
	pregreet_key(key, sizeof(key), gc);
	if ((rc = kv_put(g->kv, key, strlen(key), "1", 1, c->pregreet.remember)) < 0)
		log_warn("guard kv error=\"%s\" key=pregreet action=forget", mg_strerror(rc));
}

enum guard_reason
guard_pregreet_listed(struct guard *g, const struct conf_guard *c,
    const struct guard_client *gc, char *reply, size_t cap)
{
	char key[64], val[4];
	size_t len;
	int rc;

	if (!c->pregreet.enabled || c->pregreet.remember == 0 || gc->allowed)
		return GUARD_PASS;
	pregreet_key(key, sizeof(key), gc);
	rc = kv_get(g->kv, key, strlen(key), val, sizeof(val), &len);
	if (rc == -MG_ENOENT)
		return GUARD_PASS;
	if (rc < 0) {
		log_warn("guard kv error=\"%s\" key=pregreet action=pass", mg_strerror(rc));
		return GUARD_PASS;
	}
	snprintf(reply, cap, "421 4.7.0 Protocol error: talked before the greeting, "
	    "try again later");
	return GUARD_PREGREET_LISTED;
}

uint32_t
guard_tarpit_ms(const struct conf_tarpit *t, uint32_t n)
{
	uint64_t ms;

	if (!t->enabled)
		return 0;
	ms = (uint64_t)t->step_ms * n;
	return ms < t->max_ms ? (uint32_t)ms : t->max_ms;
}
