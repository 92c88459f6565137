/* The connection pool: one destination per next hop with a queue of jobs,
 * at most queue.max_per_destination connections to it and
 * queue.max_deliveries overall. A connection that finishes a transaction
 * takes the next job of its destination at once (no RSET, no new
 * handshake), waits a few seconds idle for more, then QUITs. */
#ifndef MG_QUEUE_DEST_H
#define MG_QUEUE_DEST_H

#include "queue/deliver.h"

#define DEST_IDLE_SECONDS	5	/* an idle connection waits this long for a job */
#define DEST_REUSE_SECONDS	300	/* no new transaction on an older connection */
#define DEST_HOLD_SECONDS	5	/* after a failed setup, others still working */
#define DEST_FAIR_SECONDS	30	/* a destination's last connection yields after */

/* Sets up ctx->dests; 0 or -MG_ENOMEM. */
int	dests_new(struct queue_ctx *);
/* Aborts every connection at once (exit): jobs in flight are cancelled,
 * their recipients stay pending. */
void	dests_free(struct queue_ctx *);

/* Queues job at its next hop's destination and starts a connection when
 * the limits allow. The job ends through deliver_job_done (or
 * deliver_job_cancel at shutdown), never inside this call. */
void	dest_submit(struct queue_ctx *, struct qjob *);
/* SIGTERM: cancel queued jobs, close idle and unfinished connections;
 * transactions in progress go on. */
void	dests_stop(struct queue_ctx *);
/* Connections open or opening. */
unsigned dests_connections(const struct queue_ctx *);

#endif
