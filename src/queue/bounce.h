/* Sending the DSN for the recipients that failed in one delivery attempt:
 * builds it with dsn_build from the envelope and the spooled message, and
 * injects it into the spool as a new message from <> to the sender. A
 * DSN is never bounced itself. */
#ifndef MG_QUEUE_BOUNCE_H
#define MG_QUEUE_BOUNCE_H

#include <stdint.h>

#include "queue/deliver.h"
#include "spool/envelope.h"

enum bounce_mark {
	BOUNCE_MARK_NONE,
	BOUNCE_MARK_FAILED,	/* permanently refused in this attempt */
	BOUNCE_MARK_EXPIRED,	/* still pending when the lifetime passed */
};

/* mark[i] (enum bounce_mark) says which recipients of env failed in this
 * attempt; those whose NOTIFY wants it go in one DSN. data_fd is the open
 * message data, or -1 to open it here; data_len its size. Failures are
 * logged: the delivery results stand either way. */
void	bounce_send(struct queue_ctx *, const struct envelope *env, const uint8_t *mark,
	    int data_fd, uint64_t data_len);

#endif
