/* The learned-reputation state file (reputation.h): history.state, else
 * reputation.kv beside the store; the checks that keep per-sender history
 * (reputation, bec) open it here and share it. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "learn/reputation.h"

#define REP_STATE_FILE	"reputation.kv"

/* NULL (memory only) when not persisted or there is no store. */
static char *
rep_state_path(const struct mg_conf *conf)
{
	const struct conf_history *h = &conf->engine.reputation.history;
	char dir[PATH_MAX], *path;

	if (!h->persist)
		return NULL;
	if (h->state != NULL)
		return strdup(h->state);
	if (conf->store_path == NULL || strlen(conf->store_path) >= sizeof(dir))
		return NULL;
	snprintf(dir, sizeof(dir), "%s", conf->store_path);
	if (asprintf(&path, "%s/%s", dirname(dir), REP_STATE_FILE) < 0)
		return NULL;
	return path;
}

struct kv *
rep_state_open(const struct mg_conf *conf, const char *who, char *err, size_t errlen)
{
	const struct conf_reputation *c = &conf->engine.reputation;
	char *path = rep_state_path(conf);
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
