/* queued's quarantine digests (docs/portal.md): once an hour queued
 * looks for quarantined messages that each protected recipient has not
 * yet been told about and, when the recipient's last digest is at least
 * portal.digest.interval_hours old, queues one digest for them. */
#ifndef MG_DAEMON_QUEUED_DIGEST_H
#define MG_DAEMON_QUEUED_DIGEST_H

#include <time.h>

#include "queue/deliver.h"

#define QUEUED_DIGEST_USERS_MAX	500	/* digests queued per run; the rest wait */
#define QUEUED_DIGEST_ROWS_MAX	20000	/* quarantine rows read per run */

/* One run at now: nothing when digests are off (conf_portal_digests) or
 * ctx->store is NULL. Each digest is injected into ctx->spool, scheduled
 * (when ctx->sched is set) and recorded with store_digest_set. */
void	queued_digest_run(struct queue_ctx *, time_t now);

#endif
