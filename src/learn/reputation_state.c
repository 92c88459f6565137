/* The learned state files (reputation.h): the reputation check's is
 * history.state, else reputation.kv beside the store; every other check
 * that learns (bec, account, first_seen) has its own WHO.kv in the same
 * directory, so that no two key-value stores save over one file. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "learn/reputation.h"

/* NULL (memory only) when not persisted or there is no store. */
static char *
rep_state_path(const struct mg_conf *conf, const char *who)
{
	const struct conf_history *h = &conf->engine.reputation.history;
	const char *base = h->state != NULL ? h->state : conf->store_path;
	char dir[PATH_MAX], *path;

	if (!h->persist || base == NULL || strlen(base) >= sizeof(dir))
		return NULL;
	if (h->state != NULL && strcmp(who, "reputation") == 0)
		return strdup(h->state);
	snprintf(dir, sizeof(dir), "%s", base);
	if (asprintf(&path, "%s/%s.kv", dirname(dir), who) < 0)
		return NULL;
	return path;
}

struct kv *
rep_state_open(const struct mg_conf *conf, const char *who, char *err, size_t errlen)
{
	const struct conf_reputation *c = &conf->engine.reputation;
	char *path = rep_state_path(conf, who);
	struct kv_local_opts o = { .path = path, .writable = c->writer,
		.save_interval = c->history.save_interval,
		.max_bytes = (size_t)c->history.max_memory << 20 };
	struct kv *kv;

	if ((kv = kv_local_open(&o, err, errlen)) == NULL && path != NULL) {
		log_warn("%s state path=%s status=memory-only reason=\"%s\"", who, path, err);
		o.path = NULL;
		kv = kv_local_open(&o, err, errlen);
	}
	free(path);
	return kv;
}
