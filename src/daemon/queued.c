/* queued: the delivery process. One libevent loop holds the schedule of
 * queued messages, the connection pool and the resolver. smtpd tells it
 * about new messages and `mailgate queue` sends flush/delete requests over
 * <spool>/run/queued.sock; a scan of queue/ at start and every 30 s makes
 * sure a lost notification never strands a message. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/err.h"
#include "core/ipc.h"
#include "core/log.h"
#include "daemon/children.h"
#include "daemon/proto.h"
#include "daemon/queued_digest.h"
#include "daemon/queued_dispatch.h"
#include "daemon/queued_quarantine.h"
#include "daemon/unix_socket.h"
#include "net/dns.h"
#include "net/tls.h"
#include "queue/deliver.h"
#include "queue/dest.h"
#include "spool/spool.h"
#include "store/store.h"

#define QUEUED_SCAN_SECONDS	30
#define QUEUED_ACTIVE_MAX	10000	/* messages in memory being delivered */
#define QUEUED_BATCH		256	/* messages started per loop turn */
#define QUEUED_CONN_KEEP_DAYS	30	/* connection counts kept in the store */
#define QUEUED_CONN_EXPIRE_S	3600	/* how often older counts are deleted */

struct ctl_conn {
	LIST_ENTRY(ctl_conn) entry;
	struct queued	*qd;
	struct bufferevent *bev;
};

struct queued {
	struct queue_ctx ctx;		/* first: ctx->kick finds queued from it */
	struct evconnlistener *listener;
	struct event	*kick_ev, *due_ev, *scan_ev, *hup_ev, *term_ev, *stop_ev;
	struct event	*purge_ev;	/* quarantine retention and digests, hourly */
	LIST_HEAD(, ctl_conn) conns;
	time_t		 drain_deadline;
	time_t		 conn_expired;	/* last deletion of old connection counts */
};

static void
queued_kick(struct queue_ctx *ctx)
{
	event_active(((struct queued *)ctx)->kick_ev, EV_TIMEOUT, 0);
}

/* Starts the due messages, then sleeps until the next one is due. */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct queued *qd = arg;
	struct queue_ctx *ctx = &qd->ctx;
	time_t now = time(NULL), due;
	struct sched_msg *m;
	unsigned n = 0;

	while (!ctx->stopping && ctx->active < QUEUED_ACTIVE_MAX && n < QUEUED_BATCH &&
	    (m = sched_take_due(ctx->sched, now)) != NULL) {
		ctx->active++;
		n++;
		deliver_start(ctx, m);
	}
	if (n == QUEUED_BATCH) {
		event_active(qd->kick_ev, EV_TIMEOUT, 0);	/* more, after other events */
		return;
	}
	evtimer_del(qd->due_ev);
	if (!ctx->stopping && sched_earliest(ctx->sched, &due) &&
	    (due > now || ctx->active < QUEUED_ACTIVE_MAX)) {
		struct timeval tv = { .tv_sec = due > now ? due - now : 0 };
		evtimer_add(qd->due_ev, &tv);
	}
}

static int
scan_one(uint64_t id, void *arg)
{
	struct queued *qd = arg;

	/* not pinned: the envelope's next attempt time is honoured */
	if (sched_add(qd->ctx.sched, id, time(NULL), false) == -MG_ENOMEM)
		return -MG_ENOMEM;
	return 0;
}

static void
queued_scan(struct queued *qd)
{
	size_t before = sched_count(qd->ctx.sched);

	if (spool_queue_each(qd->ctx.spool, scan_one, qd) < 0)
		log_err("queued scan status=failed");
	if (sched_count(qd->ctx.sched) > before)
		log_info("queued scan found=%zu queued=%zu",
		    sched_count(qd->ctx.sched) - before, sched_count(qd->ctx.sched));
	queued_kick(&qd->ctx);
}

/* The message log, opened at start and, while it cannot be (another
 * process holding it while it is created, a full disk), again at each scan. */
static void
queued_store_open(struct queue_ctx *ctx)
{
	char err[1024];

	if (ctx->store != NULL)
		return;
	if ((ctx->store = store_open(ctx->conf->store_path, false, err, sizeof(err))) == NULL)
		log_err("queued store status=unavailable reason=\"%s\"", err);
	else
		log_info("queued store status=open path=%s", ctx->conf->store_path);
}

static void
on_scan(evutil_socket_t fd, short what, void *arg)
{
	struct queued *qd = arg;

	queued_store_open(&qd->ctx);
	queued_scan(qd);
}

/* Hourly: the quarantine's retention, then the users' digests. */
static void
on_purge(evutil_socket_t fd, short what, void *arg)
{
	struct queued *qd = arg;

	queued_quarantine_purge(&qd->ctx);
	queued_digest_run(&qd->ctx, time(NULL));
}

/* FLUSH: one message, or every waiting one, due now. */
static int
control_flush(struct queued *qd, uint64_t id, char *text, size_t len)
{
	struct sched *s = qd->ctx.sched;
	struct sched_msg *m;
	struct envelope env;

	if (id == 0) {
		size_t n = sched_flush_all(s, time(NULL));
		snprintf(text, len, "%zu message%s scheduled for delivery now", n,
		    n == 1 ? "" : "s");
		return 0;
	}
	if ((m = sched_find(s, id)) != NULL && m->active) {
		snprintf(text, len, "message %016" PRIx64 " is being delivered", id);
		return 0;
	}
	if (m != NULL) {
		sched_set_due(s, m, time(NULL));
	} else if (spool_env_load(qd->ctx.spool, id, &env) == 0) {
		envelope_clear(&env);
		if (sched_add(s, id, time(NULL), true) < 0)
			return -MG_ENOMEM;
	} else {
		snprintf(text, len, "no message %016" PRIx64 " in the queue", id);
		return -MG_ENOENT;
	}
	snprintf(text, len, "message %016" PRIx64 " scheduled for delivery now", id);
	return 0;
}

/* DELETE: refused while the message is being delivered. */
static int
control_delete(struct queued *qd, uint64_t id, char *text, size_t len)
{
	struct sched_msg *m = sched_find(qd->ctx.sched, id);
	struct envelope env = { 0 };
	int rc;

	if (m != NULL && m->active) {
		snprintf(text, len, "message %016" PRIx64 " is being delivered, try again", id);
		return -MG_EAGAIN;
	}
	if (spool_env_load(qd->ctx.spool, id, &env) == 0)
		deliver_log_deleted(&qd->ctx, &env);
	envelope_clear(&env);
	rc = spool_remove(qd->ctx.spool, id);
	if (m != NULL)
		sched_remove(qd->ctx.sched, m);
	if (rc == -MG_ENOENT && m == NULL) {
		snprintf(text, len, "no message %016" PRIx64 " in the queue", id);
		return rc;
	}
	if (rc < 0 && rc != -MG_ENOENT) {
		snprintf(text, len, "cannot delete message %016" PRIx64 ": %s", id,
		    mg_strerror(rc));
		return rc;
	}
	log_info("%016" PRIx64 " queue deleted by=administrator", id);
	snprintf(text, len, "message %016" PRIx64 " deleted", id);
	return 0;
}

/* CONN_STATS from smtpd: added to the store in one transaction; at most
 * once an hour, the counts older than QUEUED_CONN_KEEP_DAYS go. A store
 * failure loses these counts but keeps the connection. */
static int
conn_stats_frame(struct queued *qd, const uint8_t *frame, size_t len)
{
	struct store *store = qd->ctx.store;
	struct proto_conn_stats st;
	struct store_conn_count *rows;
	time_t now = time(NULL);
	uint64_t deleted;
	int rc;

	if ((rc = proto_conn_stats_decode(frame, len, &st)) < 0)
		return rc;
	if (store != NULL && (rows = calloc(st.nrows, sizeof(*rows))) != NULL) {
		for (uint32_t i = 0; i < st.nrows; i++)
			rows[i] = (struct store_conn_count){ st.rows[i].minute, st.rows[i].ip,
			    st.rows[i].event, st.rows[i].count };
		if ((rc = store_conn_add(store, rows, st.nrows)) < 0)
			log_err("queued conn_stats rows=%u status=failed error=\"%s\"", st.nrows,
			    mg_strerror(rc));
		free(rows);
	}
	proto_conn_stats_clear(&st);
	if (store != NULL && now - qd->conn_expired >= QUEUED_CONN_EXPIRE_S) {
		qd->conn_expired = now;
		if (store_conn_expire(store, now - QUEUED_CONN_KEEP_DAYS * 86400, &deleted) == 0 &&
		    deleted > 0)
			log_info("queued conn_stats expired=%" PRIu64 " keep_days=%d", deleted,
			    QUEUED_CONN_KEEP_DAYS);
	}
	return 0;
}

static int
control_frame(struct ctl_conn *c, uint16_t type, const uint8_t *frame, size_t len)
{
	struct queued *qd = c->qd;
	struct proto_queue_control req;
	struct proto_queue_control_reply rep = { 0 };
	struct mg_buf out;
	char text[256];
	uint64_t id;
	int rc;

	if (type == PROTO_QUEUE_NOTIFY) {
		if ((rc = proto_queue_notify_decode(frame, len, &id)) < 0)
			return rc;
		if (sched_add(qd->ctx.sched, id, time(NULL), true) == 0)
			queued_kick(&qd->ctx);
		return 0;
	}
	if (type == PROTO_CONN_STATS)
		return conn_stats_frame(qd, frame, len);
	if (type != PROTO_QUEUE_CONTROL ||
	    (rc = proto_queue_control_decode(frame, len, &req)) < 0)
		return -MG_EPROTO;
	if (req.op == PROTO_QUEUE_FLUSH)
		rep.status = control_flush(qd, req.qid, text, sizeof(text));
	else if (req.op == PROTO_QUEUE_DELETE && req.qid != 0)
		rep.status = control_delete(qd, req.qid, text, sizeof(text));
	else if (req.op == PROTO_QUEUE_DIGEST && req.qid == 0) {
		queued_digest_run(&qd->ctx, time(NULL));
		rep.status = 0, snprintf(text, sizeof(text), "digests due now were sent (see the log)");
	}
	else
		rep.status = -MG_EINVAL, snprintf(text, sizeof(text), "unknown request");
	rep.text = text;
	log_info("queued control op=%u qid=%016" PRIx64 " status=%d text=\"%s\"", req.op,
	    req.qid, rep.status, text);
	queued_kick(&qd->ctx);
	mg_buf_init(&out, 0);
	if ((rc = proto_queue_control_reply_encode(&out, &rep)) == 0)
		bufferevent_write(c->bev, out.data, out.len);
	mg_buf_release(&out);
	return rc;
}

static void
ctl_close(struct ctl_conn *c)
{
	LIST_REMOVE(c, entry);
	bufferevent_free(c->bev);
	free(c);
}

static void
ctl_on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		size_t avail = evbuffer_get_length(in), flen;
		uint16_t type;
		const uint8_t *p = avail < IPC_HEADER_LEN ? NULL :
		    evbuffer_pullup(in, IPC_HEADER_LEN);
		int rc = p ? ipc_frame_peek(p, avail, &type, &flen) : -MG_EAGAIN;

		if (rc == -MG_EAGAIN)
			return;
		if (rc == 0)
			rc = control_frame(c, type, evbuffer_pullup(in, (ev_ssize_t)flen), flen);
		if (rc < 0) {
			log_err("queued control frame_error=\"%s\" action=close", mg_strerror(rc));
			ctl_close(c);
			return;
		}
		evbuffer_drain(in, flen);
	}
}

static void
ctl_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ctl_close(arg);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
    void *arg)
{
	struct queued *qd = arg;
	struct ctl_conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->bev = bufferevent_socket_new(qd->ctx.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_err("queued accept error=\"out of memory\"");
		free(c);
		close(fd);
		return;
	}
	c->qd = qd;
	LIST_INSERT_HEAD(&qd->conns, c, entry);
	bufferevent_setcb(c->bev, ctl_on_read, NULL, ctl_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Client TLS contexts for conf; the verifying one may be unavailable
 * (no CA bundle), which only VERIFY routes notice. */
static int
queued_tls(struct queue_ctx *ctx, const struct mg_conf *conf)
{
	char err[512];
	SSL_CTX *plain = tls_client_ctx(false, NULL, err, sizeof(err)), *verify;

	if (plain == NULL) {
		log_err("queued tls error=\"%s\"", err);
		return -MG_EINVAL;
	}
	if ((verify = tls_client_ctx(true, conf->tls_ca, err, sizeof(err))) == NULL)
		log_warn("queued tls_verify unavailable error=\"%s\"", err);
	SSL_CTX_free(ctx->tls_plain);
	SSL_CTX_free(ctx->tls_verify);
	ctx->tls_plain = plain;
	ctx->tls_verify = verify;
	return 0;
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct queued *qd = arg;
	struct queue_ctx *ctx = &qd->ctx;
	char err[1024];
	struct mg_conf *conf = conf_load(ctx->conf->path, err, sizeof(err));
	const char *was, *now;

	if (conf == NULL) {
		log_err("queued reload status=refused reason=\"%s\"", err);
		return;
	}
	if (queued_tls(ctx, conf) < 0) {
		log_err("queued reload status=refused reason=\"TLS setup failed\"");
		conf_free(conf);
		return;
	}
	was = ctx->conf->resolver.upstream ? ctx->conf->resolver.upstream : "";
	now = conf->resolver.upstream ? conf->resolver.upstream : "";
	if (strcmp(was, now) != 0)
		log_warn("queued reload note=\"resolver.upstream changes at restart\"");
	dns_set_timeout(ctx->dns, conf->resolver.timeout);
	conf_free(ctx->conf);
	ctx->conf = conf;
	ctx->generation++;	/* new connections use the new routes */
	log_set_level(conf->log_level);
	log_info("queued reload status=ok");
	queued_kick(ctx);
}

static void
on_stop_poll(evutil_socket_t fd, short what, void *arg)
{
	struct queued *qd = arg;

	if (qd->ctx.active == 0 && dests_connections(&qd->ctx) == 0) {
		log_info("queued stop status=drained");
		event_base_loopexit(qd->ctx.base, NULL);
	} else if (time(NULL) >= qd->drain_deadline) {
		log_warn("queued stop status=drain_timeout active=%u connections=%u",
		    qd->ctx.active, dests_connections(&qd->ctx));
		event_base_loopexit(qd->ctx.base, NULL);
	}
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct queued *qd = arg;
	struct timeval tv = { .tv_usec = 100000 };

	if (qd->ctx.stopping)
		return;
	log_info("queued stop active=%u connections=%u", qd->ctx.active,
	    dests_connections(&qd->ctx));
	qd->ctx.stopping = true;
	qd->drain_deadline = time(NULL) + qd->ctx.conf->limits.drain_timeout;
	evconnlistener_disable(qd->listener);
	dests_stop(&qd->ctx);
	event_add(qd->stop_ev, &tv);
}

static int
queued_events(struct queued *qd)
{
	struct event_base *base = qd->ctx.base;
	struct timeval scan = { .tv_sec = QUEUED_SCAN_SECONDS };
	struct timeval purge = { .tv_sec = QUEUED_PURGE_SECONDS };

	qd->kick_ev = event_new(base, -1, 0, on_kick, qd);
	qd->due_ev = evtimer_new(base, on_kick, qd);
	qd->scan_ev = event_new(base, -1, EV_PERSIST, on_scan, qd);
	qd->stop_ev = event_new(base, -1, EV_PERSIST, on_stop_poll, qd);
	qd->hup_ev = evsignal_new(base, SIGHUP, on_sighup, qd);
	qd->term_ev = evsignal_new(base, SIGTERM, on_sigterm, qd);
	qd->purge_ev = event_new(base, -1, EV_PERSIST, on_purge, qd);
	if (!qd->kick_ev || !qd->due_ev || !qd->scan_ev || !qd->stop_ev || !qd->hup_ev ||
	    !qd->term_ev || !qd->purge_ev)
		return -MG_ENOMEM;
	event_add(qd->scan_ev, &scan);
	event_add(qd->purge_ev, &purge);
	event_add(qd->hup_ev, NULL);
	event_add(qd->term_ev, NULL);
	return 0;
}

static int
queued_start(struct queued *qd)
{
	struct queue_ctx *ctx = &qd->ctx;
	char err[1024], path[4096];
	int rc, fd;

	if ((rc = spool_open(ctx->conf->spool_dir, &ctx->spool)) < 0)
		return rc;
	queued_store_open(ctx);
	if ((ctx->dns = dns_open(ctx->base, &ctx->conf->resolver, err, sizeof(err))) == NULL) {
		log_err("queued resolver error=\"%s\"", err);
		return -MG_EINVAL;
	}
	if ((rc = queued_tls(ctx, ctx->conf)) < 0)
		return rc;
	if ((ctx->sched = sched_new()) == NULL || dests_new(ctx) < 0)
		return -MG_ENOMEM;
	if ((rc = queued_events(qd)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", ctx->conf->spool_dir, PROTO_QUEUED_SOCK);
	if ((fd = unix_listen(path)) < 0)
		return fd;
	qd->listener = evconnlistener_new(ctx->base, on_accept, qd, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (qd->listener == NULL) {
		close(fd);
		return -MG_ENOMEM;
	}
	queued_scan(qd);
	queued_quarantine_purge(ctx);
	log_info("queued start queued=%zu socket=%s", sched_count(ctx->sched), path);
	return 0;
}

static void
queued_stop(struct queued *qd)
{
	struct queue_ctx *ctx = &qd->ctx;
	struct ctl_conn *c;
	struct event **evs[] = { &qd->kick_ev, &qd->due_ev, &qd->scan_ev, &qd->stop_ev,
	    &qd->hup_ev, &qd->term_ev, &qd->purge_ev };

	if (ctx->dests != NULL)
		dests_free(ctx);	/* may store envelopes and kick: events still exist */
	while ((c = LIST_FIRST(&qd->conns)) != NULL)
		ctl_close(c);
	if (qd->listener != NULL)
		evconnlistener_free(qd->listener);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL)
			event_free(*evs[i]);
	ctx->sched = sched_free(ctx->sched);
	ctx->dns = dns_close(ctx->dns);
	SSL_CTX_free(ctx->tls_plain);
	SSL_CTX_free(ctx->tls_verify);
	if (ctx->store != NULL)
		ctx->store = store_close(ctx->store);
	if (ctx->spool != NULL)
		ctx->spool = spool_close(ctx->spool);
	event_base_free(ctx->base);
}

int
queued_main(struct mg_conf *conf)
{
	struct queued qd = { .ctx = { .conf = conf, .kick = queued_kick,
	      .dispatch = queued_dispatch } };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	LIST_INIT(&qd.conns);
	if ((qd.ctx.base = event_base_new()) == NULL)
		return 1;
	if ((rc = queued_start(&qd)) == 0)
		event_base_dispatch(qd.ctx.base);
	else
		log_err("queued start status=failed error=\"%s\"", mg_strerror(rc));
	queued_stop(&qd);
	conf_free(qd.ctx.conf);
	return rc == 0 ? 0 : 1;
}
