/* Delivery of one queued message per attempt: load the envelope, expire it
 * when its lifetime has passed, route each pending recipient, hand one job
 * per next hop to the connection pool (dest.c), record every result in
 * the envelope, the log and the message store, bounce what failed (one
 * DSN per batch of failures), then reschedule with back-off or remove. */
#ifndef MG_QUEUE_DELIVER_H
#define MG_QUEUE_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <openssl/ssl.h>

#include "core/conf.h"
#include "queue/route.h"
#include "spool/envelope.h"
#include "queue/scheduler.h"
#include "smtp/smtp_client.h"

struct event_base;
struct spool;
struct store;
struct dns;
struct dests;
struct qmsg;

/* Everything queued's parts share; owned by queued.c. */
struct queue_ctx {
	struct event_base *base;
	struct mg_conf	*conf;		/* replaced on SIGHUP */
	unsigned	 generation;	/* bumped on SIGHUP */
	struct spool	*spool;
	struct store	*store;		/* NULL when the message log is unavailable */
	struct dns	*dns;
	SSL_CTX		*tls_plain;	/* STARTTLS without verification */
	SSL_CTX		*tls_verify;	/* CONF_TLS_VERIFY; NULL when unusable */
	struct sched	*sched;
	struct dests	*dests;
	unsigned	 active;	/* messages being delivered */
	bool		 stopping;	/* SIGTERM: start nothing new */
	void		(*kick)(struct queue_ctx *);	/* schedule changed: look again */
	/* Applies the recipients' policy actions other than reject before
	 * the first attempt (docs/policy.md): each recipient quarantined,
	 * held, discarded or handed to a rewritten copy becomes DISPOSED,
	 * redirects and BCC copies change the recipients, every such act is
	 * cleared. 0, or -MG_E* (nothing delivered; tried again later). */
	int		(*dispatch)(struct queue_ctx *, struct envelope *e);
};

/* The recipients of one message that share a next hop: one transaction. */
struct qjob {
	struct qmsg	*msg;
	struct route_hop hop;
	struct smtp_tx	 tx;
	size_t		*idx;		/* tx.rcpts[i] is the envelope's rcpts[idx[i]] */
	TAILQ_ENTRY(qjob) entry;	/* dest.c's queue */
};

/* Starts an attempt for m, which sched_take_due made active (and the
 * caller counted in ctx->active). Everything that follows is
 * asynchronous; when the attempt ends, m is rescheduled or removed, the
 * count is decremented and ctx->kick runs. */
void	deliver_start(struct queue_ctx *, struct sched_msg *m);

/* The administrator deleted e from the queue: the message log records the
 * message (if no attempt did yet) and a "deleted" row per pending recipient. */
void	deliver_log_deleted(struct queue_ctx *, const struct envelope *e);

/* dest.c: job ended; job->tx has a result for every recipient. relay and
 * tls describe the connection ("none" when there was none). Frees job. */
void	deliver_job_done(struct queue_ctx *, struct qjob *, const char *relay,
	    const char *tls);
/* dest.c: job never ran (shutdown); its recipients stay as they were. */
void	deliver_job_cancel(struct queue_ctx *, struct qjob *);

/* The per-recipient decision of one result, for logs and the store:
 * "sent"/"delivered", "deferred"/"deferred", "bounced"/"failed". */
struct deliver_verdict {
	enum env_rcpt_status status;
	const char	*log_status;
	const char	*store_status;
};
struct deliver_verdict deliver_verdict_of(enum smtp_outcome);

#endif
