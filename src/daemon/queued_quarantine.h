/* queued's side of the quarantine (docs/quarantine.md): holding a message
 * whose action is "quarantine" instead of delivering it, and the hourly
 * purge of what outlived its retention. */
#ifndef MG_DAEMON_QUEUED_QUARANTINE_H
#define MG_DAEMON_QUEUED_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#include "queue/deliver.h"

#define QUEUED_PURGE_SECONDS	3600

/* Holds the recipients idx[0..n) of e under the quarantine id (their
 * administrator's review when hold): file and row, a log line and a
 * message-log row "quarantined" or "held" per recipient. reason NULL:
 * the verdict's (the symbol that forced it, or "score"). 0, or -MG_E*
 * (nothing held). */
int	queued_quarantine(struct queue_ctx *, const struct envelope *e, const size_t *idx,
	    size_t n, bool hold, uint64_t id, const char *reason);
/* Deletes the expired quarantined messages now. */
void	queued_quarantine_purge(struct queue_ctx *);

/* The decoded Subject of the header section at the start of msg (which
 * need not be complete), in the arena, "" when there is none; NULL only
 * when the arena is exhausted. */
const char *queued_quarantine_subject(struct mg_arena *, const uint8_t *msg, size_t len);

#endif
