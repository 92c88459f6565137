/* The user self-service portal of the quarantine (docs/portal.md),
 * served by libmicrohttpd on its own internal thread: login by signed
 * link or one-time code, a user's own held messages, a safe preview,
 * release, and the single-use action links of the digests. */
#ifndef MG_HTTPD_PORTAL_H
#define MG_HTTPD_PORTAL_H

#include <stdint.h>

#include "core/conf.h"

struct portal;

/* Called (on the portal's thread) after a release queued message qid. */
typedef void (*portal_notify_fn)(const struct mg_conf *, uint64_t qid);

/* Loads the key, opens store, spool and quarantine, binds
 * conf->portal.listen and starts serving; takes conf (freed by
 * portal_stop or replaced by portal_reload). NULL with err on failure
 * (conf is then freed too). */
struct portal *portal_start(struct mg_conf *conf, portal_notify_fn, char *err,
	    size_t errlen);

/* Serves with conf from now on (sessions and codes kept); takes conf.
 * On failure the old settings stay, conf is freed, err says why. */
int	portal_reload(struct portal *, struct mg_conf *conf, char *err, size_t errlen);

/* Stops serving and frees everything; returns NULL. */
struct portal *portal_stop(struct portal *);

#endif
