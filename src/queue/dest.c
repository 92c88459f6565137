/* Destinations and their connections (see dest.h). A connection is
 * resolving (next hop to addresses), opening (SMTP session setup), busy
 * (one job), idle (waiting for a job) or closing (QUIT sent). When a
 * session cannot be set up and no other connection to the destination
 * works, every job queued there is deferred with the reason at once. */
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "core/err.h"
#include "core/log.h"
#include "queue/dest.h"
#include "queue/resolve.h"

enum conn_state { CONN_RESOLVING, CONN_OPENING, CONN_BUSY, CONN_IDLE, CONN_CLOSING };

struct dest;

struct qconn {
	struct queue_ctx *ctx;
	struct dest	*d;
	enum conn_state	 state;
	struct resolve	*res;
	struct smtp_client *client;
	struct qjob	*job;
	struct event	*timer;		/* idle timeout, or a deferred setup failure */
	time_t		 born;
	TAILQ_ENTRY(qconn) idle_entry;	/* d->idle */
	TAILQ_ENTRY(qconn) all_idle_entry; /* dests->idle */
	TAILQ_ENTRY(qconn) all_entry;	/* dests->all */
};
TAILQ_HEAD(conn_list, qconn);

struct dest {
	char		*key;		/* "generation|hop key" */
	struct route_hop hop;		/* auth strings point to the copies below */
	char		*auth_user, *auth_password;
	TAILQ_HEAD(, qjob) queue;
	size_t		 nqueued;
	unsigned	 nconns, nopening;
	struct conn_list idle;
	TAILQ_ENTRY(dest) wait_entry;
	bool		 waiting;	/* blocked by max_deliveries */
	time_t		 hold_until;	/* no new connection while others work */
};

struct dests {
	void		*tree;		/* struct dest by key */
	TAILQ_HEAD(dest_list, dest) waiting;
	struct conn_list all, idle;
	unsigned	 nconns;
	TAILQ_HEAD(, qjob) orphans;	/* jobs without a destination */
	struct event	*later;		/* ends the orphans */
};

/* twalk(3) takes no argument; dests_stop collects destinations here. */
static struct dest_list dests_walk_list;

static void dest_dispatch(struct queue_ctx *, struct dest *);
static void conn_setup_failed(struct qconn *, enum smtp_outcome, const char *why,
		    const char *relay);

static int
dest_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->key, ((const struct dest *)b)->key);
}

static void dests_on_orphans(evutil_socket_t, short, void *);

int
dests_new(struct queue_ctx *ctx)
{
	struct dests *ds = calloc(1, sizeof(*ds));

	if (ds == NULL)
		return -MG_ENOMEM;
	if ((ds->later = event_new(ctx->base, -1, 0, dests_on_orphans, ctx)) == NULL) {
		free(ds);
		return -MG_ENOMEM;
	}
	TAILQ_INIT(&ds->waiting);
	TAILQ_INIT(&ds->all);
	TAILQ_INIT(&ds->idle);
	TAILQ_INIT(&ds->orphans);
	ctx->dests = ds;
	return 0;
}

unsigned
dests_connections(const struct queue_ctx *ctx)
{
	return ctx->dests->nconns;
}

static void
dest_free(struct dest *d)
{
	free(d->key);
	free(d->auth_user);
	if (d->auth_password != NULL)
		explicit_bzero(d->auth_password, strlen(d->auth_password));
	free(d->auth_password);
	free(d);
}

static void
dest_free_node(void *p)
{
	dest_free(p);
}

static struct dest *
dest_get(struct queue_ctx *ctx, const struct route_hop *hop)
{
	struct dest key, *d;
	char buf[ROUTE_KEY_MAX + 16];
	void *p;

	snprintf(buf, sizeof(buf), "%u|%s", ctx->generation, hop->key);
	key.key = buf;
	if ((p = tfind(&key, &ctx->dests->tree, dest_cmp)) != NULL)
		return *(struct dest **)p;
	if ((d = calloc(1, sizeof(*d))) == NULL || (d->key = strdup(buf)) == NULL)
		goto fail;
	d->hop = *hop;
	if (hop->auth_user != NULL && ((d->auth_user = strdup(hop->auth_user)) == NULL ||
	    (d->auth_password = strdup(hop->auth_password ? hop->auth_password : "")) == NULL))
		goto fail;
	d->hop.auth_user = d->auth_user;
	d->hop.auth_password = d->auth_password;
	TAILQ_INIT(&d->queue);
	TAILQ_INIT(&d->idle);
	if (tsearch(d, &ctx->dests->tree, dest_cmp) == NULL)
		goto fail;
	return d;
fail:
	if (d != NULL)
		dest_free(d);
	return NULL;
}

/* A destination without connections or jobs is forgotten. */
static void
dest_maybe_free(struct queue_ctx *ctx, struct dest *d)
{
	if (d->nconns > 0 || d->nqueued > 0 || d->waiting)
		return;
	tdelete(d, &ctx->dests->tree, dest_cmp);
	dest_free(d);
}

/* Ends every queued job of d with outcome and reply. */
static void
dest_fail_queued(struct queue_ctx *ctx, struct dest *d, enum smtp_outcome o,
    const char *reply, const char *relay)
{
	struct qjob *job;

	while ((job = TAILQ_FIRST(&d->queue)) != NULL) {
		TAILQ_REMOVE(&d->queue, job, entry);
		d->nqueued--;
		smtp_tx_fail(&job->tx, o, reply);
		deliver_job_done(ctx, job, relay, "none");
	}
}

static void
conn_unidle(struct qconn *c)
{
	TAILQ_REMOVE(&c->d->idle, c, idle_entry);
	TAILQ_REMOVE(&c->ctx->dests->idle, c, all_idle_entry);
	evtimer_del(c->timer);
}

static void
conn_quit(struct qconn *c)
{
	if (c->state == CONN_IDLE)
		conn_unidle(c);
	c->state = CONN_CLOSING;
	smtp_client_quit(c->client);
}

/* Lets destinations blocked by max_deliveries try again. */
static void
dests_wake(struct queue_ctx *ctx)
{
	struct dests *ds = ctx->dests;
	struct dest *d;

	/* dest_dispatch puts d back only when the limit is reached again */
	while ((d = TAILQ_FIRST(&ds->waiting)) != NULL) {
		if (ds->nconns >= ctx->conf->queue.max_deliveries)
			break;
		TAILQ_REMOVE(&ds->waiting, d, wait_entry);
		d->waiting = false;
		dest_dispatch(ctx, d);
		dest_maybe_free(ctx, d);
	}
}

static void
conn_free(struct qconn *c)
{
	struct queue_ctx *ctx = c->ctx;
	struct dest *d = c->d;

	if (c->state == CONN_IDLE)
		conn_unidle(c);
	if (c->res != NULL)
		resolve_cancel(c->res);
	if (c->state <= CONN_OPENING)
		d->nopening--;
	TAILQ_REMOVE(&ctx->dests->all, c, all_entry);
	event_free(c->timer);
	free(c);
	d->nconns--;
	ctx->dests->nconns--;
	if (!ctx->stopping) {
		/* those waiting for a slot go first, d (out of the list, so that
		 * dests_wake cannot free it) after them */
		if (d->waiting) {
			TAILQ_REMOVE(&ctx->dests->waiting, d, wait_entry);
			d->waiting = false;
		}
		dests_wake(ctx);
		dest_dispatch(ctx, d);
	}
	dest_maybe_free(ctx, d);
}

static void
conn_send(struct qconn *c, struct qjob *job)
{
	c->job = job;
	c->state = CONN_BUSY;
	MG_BUG_ON(smtp_client_send(c->client, &job->tx) < 0);
}

/* The connection is free: next job, idle wait, or QUIT. */
static void
conn_next(struct qconn *c)
{
	struct queue_ctx *ctx = c->ctx;
	struct dest *d = c->d;
	struct qjob *job = TAILQ_FIRST(&d->queue);
	time_t age = time(NULL) - c->born;
	/* others wait for a connection slot: give up ours unless it is this
	 * destination's last, or it has been ours for long enough */
	bool yield = !TAILQ_EMPTY(&ctx->dests->waiting) &&
	    (d->nconns > 1 || age >= DEST_FAIR_SECONDS);

	if (job != NULL && !ctx->stopping && !yield && age < DEST_REUSE_SECONDS) {
		TAILQ_REMOVE(&d->queue, job, entry);
		d->nqueued--;
		conn_send(c, job);
	} else if (job != NULL || ctx->stopping || !TAILQ_EMPTY(&ctx->dests->waiting) ||
	    age >= DEST_REUSE_SECONDS) {
		conn_quit(c);	/* jobs left get a fresh connection when this one closes */
	} else {
		struct timeval tv = { .tv_sec = DEST_IDLE_SECONDS };
		c->state = CONN_IDLE;
		TAILQ_INSERT_TAIL(&d->idle, c, idle_entry);
		TAILQ_INSERT_TAIL(&ctx->dests->idle, c, all_idle_entry);
		evtimer_add(c->timer, &tv);
	}
}

static void
conn_on_ready(struct smtp_client *client, void *arg)
{
	struct qconn *c = arg;

	if (c->state == CONN_OPENING) {
		c->d->nopening--;
		c->state = CONN_BUSY;
	}
	conn_next(c);
}

static void
conn_on_done(struct smtp_client *client, struct smtp_tx *tx, void *arg)
{
	struct qconn *c = arg;
	struct qjob *job = c->job;

	c->job = NULL;
	deliver_job_done(c->ctx, job, smtp_client_relay(client), smtp_client_tls(client));
}

static void
conn_on_closed(struct smtp_client *client, int err, const char *why, void *arg)
{
	struct qconn *c = arg;

	c->client = NULL;
	if (c->state == CONN_OPENING)
		conn_setup_failed(c, SMTP_OUT_TEMP, why, smtp_client_relay(client));
	else
		conn_free(c);
}

static const struct smtp_client_cbs conn_cbs = {
	.ready = conn_on_ready, .done = conn_on_done, .closed = conn_on_closed,
};

/* No session: when nothing else reaches d, its queued jobs end now (a
 * permanent reason ends them even then). */
static void
conn_setup_failed(struct qconn *c, enum smtp_outcome o, const char *why, const char *relay)
{
	struct queue_ctx *ctx = c->ctx;
	struct dest *d = c->d;

	log_info("delivery connection_failed dest=%s:%u jobs=%zu reason=\"%s\"", d->hop.host,
	    d->hop.port, d->nqueued, why);
	if (o == SMTP_OUT_PERM || d->nconns - d->nopening == 0)
		dest_fail_queued(ctx, d, o, why, relay);
	else	/* e.g. a connection limit at the server: the others carry on */
		d->hold_until = time(NULL) + DEST_HOLD_SECONDS;
	conn_free(c);
}

static void
conn_on_resolved(int err, const char *why, const struct smtp_peer *peers, size_t n, void *arg)
{
	struct qconn *c = arg;
	struct queue_ctx *ctx = c->ctx;
	const struct route_hop *hop = &c->d->hop;
	struct smtp_client_params p = {
		.helo = ctx->conf->hostname, .tls = hop->tls,
		.tls_ctx = hop->tls == CONF_TLS_VERIFY ? ctx->tls_verify : ctx->tls_plain,
		.auth_user = hop->auth_user, .auth_password = hop->auth_password,
		.connect_timeout = ctx->conf->queue.connect_timeout,
		.reply_timeout = ctx->conf->queue.reply_timeout,
	};
	char reply[600];

	c->res = NULL;
	if (err == -MG_ENOENT) {
		snprintf(reply, sizeof(reply), "550 %s", why);
		conn_setup_failed(c, SMTP_OUT_PERM, reply, "none");
	} else if (err < 0) {
		conn_setup_failed(c, SMTP_OUT_TEMP, why, "none");
	} else if ((c->client = smtp_client_new(ctx->base, &p, peers, n, &conn_cbs, c)) == NULL) {
		conn_setup_failed(c, SMTP_OUT_TEMP, p.tls_ctx == NULL ?
		    "TLS verification is unavailable (CA certificates not loaded)" :
		    "cannot create a connection (out of memory)", "none");
	} else {
		c->state = CONN_OPENING;
	}
}

static void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct qconn *c = arg;

	if (c->state == CONN_IDLE)
		conn_quit(c);
	else		/* CONN_RESOLVING: resolve_start failed */
		conn_setup_failed(c, SMTP_OUT_TEMP, "cannot start a DNS lookup", "none");
}

static void
conn_open(struct queue_ctx *ctx, struct dest *d)
{
	struct qconn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return;
	if ((c->timer = evtimer_new(ctx->base, conn_on_timer, c)) == NULL) {
		free(c);
		return;
	}
	c->ctx = ctx;
	c->d = d;
	c->state = CONN_RESOLVING;
	c->born = time(NULL);
	TAILQ_INSERT_TAIL(&ctx->dests->all, c, all_entry);
	d->nconns++;
	d->nopening++;
	ctx->dests->nconns++;
	c->res = resolve_start(ctx->base, ctx->dns, &d->hop, conn_on_resolved, c);
	if (c->res == NULL)
		event_active(c->timer, EV_TIMEOUT, 0);	/* fail from the loop */
}

/* Feeds d's queue to idle connections and opens new ones within the
 * limits; waits in the wake list when max_deliveries is reached. */
static void
dest_dispatch(struct queue_ctx *ctx, struct dest *d)
{
	const struct conf_queue *q = &ctx->conf->queue;
	struct dests *ds = ctx->dests;
	struct qconn *c;
	struct qjob *job;

	while ((job = TAILQ_FIRST(&d->queue)) != NULL && !ctx->stopping) {
		if ((c = TAILQ_FIRST(&d->idle)) != NULL) {
			conn_unidle(c);
			TAILQ_REMOVE(&d->queue, job, entry);
			d->nqueued--;
			conn_send(c, job);
			continue;
		}
		if (d->nopening >= d->nqueued || d->nconns >= q->max_per_destination ||
		    (d->nconns > d->nopening && time(NULL) < d->hold_until))
			return;
		if (ds->nconns >= q->max_deliveries) {
			/* make room: an idle connection elsewhere goes */
			if ((c = TAILQ_FIRST(&ds->idle)) != NULL)
				conn_quit(c);
			if (!d->waiting) {
				d->waiting = true;
				TAILQ_INSERT_TAIL(&ds->waiting, d, wait_entry);
			}
			return;
		}
		conn_open(ctx, d);
	}
}

/* Jobs that found no destination (out of memory) end from the loop. */
static void
dests_on_orphans(evutil_socket_t fd, short what, void *arg)
{
	struct queue_ctx *ctx = arg;
	struct qjob *job;

	while ((job = TAILQ_FIRST(&ctx->dests->orphans)) != NULL) {
		TAILQ_REMOVE(&ctx->dests->orphans, job, entry);
		smtp_tx_fail(&job->tx, SMTP_OUT_TEMP, "out of memory");
		deliver_job_done(ctx, job, "none", "none");
	}
}

void
dest_submit(struct queue_ctx *ctx, struct qjob *job)
{
	struct dest *d = dest_get(ctx, &job->hop);

	if (d == NULL) {
		log_err("delivery dest=%s error=\"out of memory\"", job->hop.host);
		TAILQ_INSERT_TAIL(&ctx->dests->orphans, job, entry);
		event_active(ctx->dests->later, EV_TIMEOUT, 0);
		return;
	}
	TAILQ_INSERT_TAIL(&d->queue, job, entry);
	d->nqueued++;
	dest_dispatch(ctx, d);
}

static void
dests_cancel_queued(struct queue_ctx *ctx, struct dest *d)
{
	struct qjob *job;

	while ((job = TAILQ_FIRST(&d->queue)) != NULL) {
		TAILQ_REMOVE(&d->queue, job, entry);
		d->nqueued--;
		deliver_job_cancel(ctx, job);
	}
}

static void
dests_cancel_walk(const void *node, VISIT v, int level)
{
	(void)level;
	if (v == postorder || v == leaf)
		TAILQ_INSERT_TAIL(&dests_walk_list, *(struct dest *const *)node, wait_entry);
}

void
dests_stop(struct queue_ctx *ctx)
{
	struct dests *ds = ctx->dests;
	struct qconn *c, *next;
	struct dest *d;

	/* twalk has no argument: collect the destinations, then cancel */
	TAILQ_INIT(&dests_walk_list);
	while ((d = TAILQ_FIRST(&ds->waiting)) != NULL) {
		TAILQ_REMOVE(&ds->waiting, d, wait_entry);
		d->waiting = false;
	}
	twalk(ds->tree, dests_cancel_walk);
	while ((d = TAILQ_FIRST(&dests_walk_list)) != NULL) {
		TAILQ_REMOVE(&dests_walk_list, d, wait_entry);
		dests_cancel_queued(ctx, d);
	}
	for (c = TAILQ_FIRST(&ds->all); c != NULL; c = next) {
		next = TAILQ_NEXT(c, all_entry);
		if (c->state == CONN_IDLE)
			conn_quit(c);
		else if (c->state == CONN_OPENING)
			smtp_client_abort(c->client);
		if (c->state == CONN_RESOLVING || c->state == CONN_OPENING)
			conn_free(c);
	}
}

void
dests_free(struct queue_ctx *ctx)
{
	struct dests *ds = ctx->dests;
	struct qconn *c;

	if (ds == NULL)
		return;
	ctx->stopping = true;
	dests_stop(ctx);
	while ((c = TAILQ_FIRST(&ds->all)) != NULL) {
		if (c->job != NULL) {
			struct qjob *job = c->job;
			c->job = NULL;
			deliver_job_cancel(ctx, job);
		}
		if (c->client != NULL)
			smtp_client_abort(c->client);
		c->client = NULL;
		if (c->state == CONN_IDLE)
			conn_unidle(c);
		c->state = CONN_CLOSING;
		conn_free(c);
	}
	dests_on_orphans(-1, 0, ctx);
	event_free(ds->later);
	tdestroy(ds->tree, dest_free_node);
	free(ds);
	ctx->dests = NULL;
}
