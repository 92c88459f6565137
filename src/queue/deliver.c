/* One delivery attempt of one message (see deliver.h). The message lives
 * in memory from deliver_start until its last job ends; every result goes
 * to the envelope, the log and the store as it arrives. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "queue/backoff.h"
#include "queue/deliver.h"
#include "queue/dest.h"
#include "queue/bounce.h"
#include "spool/spool.h"
#include "store/store.h"

struct qmsg {
	struct queue_ctx *ctx;
	struct sched_msg *sm;
	struct envelope	 env;
	int		 data_fd;
	uint64_t	 data_len;
	unsigned	 jobs_left;
	uint8_t		*mark;		/* per recipient: BOUNCE_MARK_* of this attempt */
	bool		 deferred;	/* a recipient got a temporary result */
};

struct deliver_verdict
deliver_verdict_of(enum smtp_outcome o)
{
	switch (o) {
	case SMTP_OUT_OK:
		return (struct deliver_verdict){ ENV_RCPT_DELIVERED, "sent", "delivered" };
	case SMTP_OUT_PERM:
		return (struct deliver_verdict){ ENV_RCPT_FAILED, "bounced", "failed" };
	default:
		return (struct deliver_verdict){ ENV_RCPT_PENDING, "deferred", "deferred" };
	}
}

/* Text safe inside a quoted log value. */
static void
log_text(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = c == '"' || c == '\\' ? '\'' : c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[o] = '\0';
}

static double
deliver_delay(const struct envelope *env)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)(tv.tv_sec - env->created) + tv.tv_usec / 1e6;
}

/* The log line and store row of one recipient's result. */
static void
deliver_log(struct qmsg *m, size_t i, const char *log_status, const char *store_status,
    const char *relay, const char *tls)
{
	struct env_rcpt *r = &m->env.rcpts[i];
	char reply[1200];
	int n = 0;

	if (strcmp(store_status, "expired") == 0)
		n = snprintf(reply, sizeof(reply), "expired after %lds in the queue; last: ",
		    (long)(time(NULL) - m->env.created));
	log_text(r->reply, reply + n, sizeof(reply) - (size_t)n);
	log_info("%016" PRIx64 " delivery rcpt=<%s> status=%s relay=%s delay=%.1fs "
	    "tls=\"%s\" reply=\"%s\"", m->env.id, r->addr, log_status, relay,
	    deliver_delay(&m->env), tls, reply);
	if (m->ctx->store != NULL) {
		struct store_delivery d = {
			.qid = m->env.id, .time = time(NULL), .rcpt = r->addr,
			.remote = strcmp(relay, "none") ? relay : "", .status = store_status,
			.reply = r->reply ? r->reply : "",
		};
		if (store_log_delivery(m->ctx->store, &d) < 0)
			log_warn("%016" PRIx64 " store log_delivery failed", m->env.id);
	}
}

/* Records one result in the envelope (and log and store). */
static void
deliver_record(struct qmsg *m, size_t i, enum smtp_outcome o, const char *reply,
    bool remote, const char *relay, const char *tls)
{
	struct deliver_verdict v = deliver_verdict_of(o);
	struct env_rcpt *r = &m->env.rcpts[i];

	free(r->reply);
	free(r->remote);
	r->reply = strdup(reply ? reply : "no reply");
	r->remote = remote ? strdup(relay) : NULL;
	r->status = v.status;
	if (v.status != ENV_RCPT_PENDING)
		r->done_at = time(NULL);
	if (v.status == ENV_RCPT_FAILED)
		m->mark[i] = BOUNCE_MARK_FAILED;
	if (v.status == ENV_RCPT_PENDING)
		m->deferred = true;
	deliver_log(m, i, v.log_status, v.store_status, relay, tls);
}

static bool
deliver_has_pending(const struct envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].status == ENV_RCPT_PENDING)
			return true;
	return false;
}

/* The queue lifetime has passed: every pending recipient fails. */
static void
deliver_expire(struct qmsg *m)
{
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		struct env_rcpt *r = &m->env.rcpts[i];
		if (r->status != ENV_RCPT_PENDING)
			continue;
		if (r->reply == NULL)
			r->reply = strdup("message expired in the queue before any attempt");
		r->status = ENV_RCPT_FAILED;
		r->done_at = time(NULL);
		m->mark[i] = BOUNCE_MARK_EXPIRED;
		deliver_log(m, i, "bounced", "expired", r->remote ? r->remote : "none", "none");
	}
}

static void
deliver_release(struct qmsg *m)
{
	struct queue_ctx *ctx = m->ctx;

	if (m->data_fd >= 0)
		close(m->data_fd);
	envelope_clear(&m->env);
	free(m->mark);
	free(m);
	ctx->active--;
	ctx->kick(ctx);
}

/* The attempt is over: bounce what failed, then remove the message or
 * store its state and schedule the next attempt. */
static void
deliver_finish(struct qmsg *m)
{
	struct queue_ctx *ctx = m->ctx;
	const struct conf_queue *q = &ctx->conf->queue;
	time_t now = time(NULL), end = m->env.created + (time_t)q->lifetime;
	uint64_t id = m->env.id;

	if (deliver_has_pending(&m->env) && now >= end)
		deliver_expire(m);
	bounce_send(ctx, &m->env, m->mark, m->data_fd, m->data_len);
	if (!deliver_has_pending(&m->env)) {
		int rc = spool_remove(ctx->spool, id);
		if (rc < 0 && rc != -MG_ENOENT)
			log_err("%016" PRIx64 " queue remove failed", id);
		log_info("%016" PRIx64 " queue done attempts=%u", id, m->env.attempts + 1);
		sched_remove(ctx->sched, m->sm);
		deliver_release(m);
		return;
	}
	if (m->deferred) {
		uint32_t delay = backoff_delay(++m->env.attempts, q->retry_min, q->retry_max,
		    (uint32_t)mg_id_random());
		m->env.next_attempt = now + delay > end ? end : now + delay;
	}
	if (m->env.next_attempt < now)
		m->env.next_attempt = now;
	if (spool_env_store(ctx->spool, &m->env) < 0)
		log_err("%016" PRIx64 " queue cannot store the envelope", id);
	log_info("%016" PRIx64 " queue %s attempts=%u next_attempt=%+ds", id,
	    m->deferred ? "deferred" : "kept", m->env.attempts,
	    (int)(m->env.next_attempt - now));
	sched_set_due(ctx->sched, m->sm, m->env.next_attempt);
	deliver_release(m);
}

/* Other jobs still run: what is known is made durable meanwhile, except
 * that recipients failed in this attempt are written as pending until
 * their DSN is committed (deliver_finish), so a crash never loses one. */
static void
deliver_store_partial(struct qmsg *m)
{
	for (size_t i = 0; i < m->env.nrcpts; i++)
		if (m->mark[i] != BOUNCE_MARK_NONE)
			m->env.rcpts[i].status = ENV_RCPT_PENDING;
	if (spool_env_store(m->ctx->spool, &m->env) < 0)
		log_err("%016" PRIx64 " queue cannot store the envelope", m->env.id);
	for (size_t i = 0; i < m->env.nrcpts; i++)
		if (m->mark[i] != BOUNCE_MARK_NONE)
			m->env.rcpts[i].status = ENV_RCPT_FAILED;
}

void
deliver_job_done(struct queue_ctx *ctx, struct qjob *job, const char *relay, const char *tls)
{
	struct qmsg *m = job->msg;
	struct smtp_tx *tx = &job->tx;

	for (size_t i = 0; i < tx->nrcpts; i++)
		deliver_record(m, job->idx[i], tx->rcpts[i].outcome, tx->rcpts[i].reply,
		    tx->rcpts[i].remote, relay, tls);
	if (tx->eightbit_unannounced)
		log_info("%016" PRIx64 " delivery note=\"8-bit message sent to %s, which does "
		    "not announce 8BITMIME\"", m->env.id, relay);
	if (m->jobs_left > 1)
		deliver_store_partial(m);
	deliver_job_cancel(ctx, job);
}

void
deliver_job_cancel(struct queue_ctx *ctx, struct qjob *job)
{
	struct qmsg *m = job->msg;

	smtp_tx_clear_results(&job->tx);
	free(job->tx.rcpts);
	free(job->idx);
	free(job);
	if (--m->jobs_left == 0)
		deliver_finish(m);
}

static struct qjob *
deliver_job_new(struct qmsg *m, const struct route_hop *hop)
{
	struct qjob *job = calloc(1, sizeof(*job));
	const struct envelope *env = &m->env;

	if (job == NULL)
		return NULL;
	job->msg = m;
	job->hop = *hop;
	job->tx = (struct smtp_tx){
		.mail_from = env->mail_from, .envid = env->envid, .ret = env->ret,
		.eightbit = env->eightbit, .smtputf8 = env->smtputf8,
		.headers = env->headers, .headers_len = env->headers ? strlen(env->headers) : 0,
		.data_fd = m->data_fd, .data_len = m->data_len,
	};
	return job;
}

static int
deliver_job_add(struct qjob *job, size_t i, size_t *cap)
{
	const struct env_rcpt *r = &job->msg->env.rcpts[i];
	size_t n = job->tx.nrcpts;

	if (n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		size_t *idx = realloc(job->idx, ncap * sizeof(*idx));
		struct smtp_tx_rcpt *rc;
		if (idx == NULL)
			return -MG_ENOMEM;
		job->idx = idx;
		if ((rc = realloc(job->tx.rcpts, ncap * sizeof(*rc))) == NULL)
			return -MG_ENOMEM;
		job->tx.rcpts = rc;
		*cap = ncap;
	}
	job->idx[n] = i;
	job->tx.rcpts[n] = (struct smtp_tx_rcpt){ .addr = r->addr, .orcpt = r->orcpt,
	    .notify = r->notify };
	job->tx.nrcpts++;
	return 0;
}

/* Groups the pending recipients by next hop; recipients that cannot be
 * routed fail here. Returns the number of jobs in jobs (at most nrcpts). */
static int
deliver_route(struct qmsg *m, struct qjob **jobs, size_t *caps, size_t *njobs)
{
	const struct mg_conf *conf = m->ctx->conf;
	char reply[256];

	*njobs = 0;
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		struct route_hop hop;
		const char *why;
		size_t j;

		if (m->env.rcpts[i].status != ENV_RCPT_PENDING)
			continue;
		if (route_for_rcpt(conf, m->env.outbound, m->env.rcpts[i].addr, &hop, &why) < 0) {
			snprintf(reply, sizeof(reply), "550 %s", why);
			deliver_record(m, i, SMTP_OUT_PERM, reply, false, "none", "none");
			continue;
		}
		for (j = 0; j < *njobs && strcmp(jobs[j]->hop.key, hop.key) != 0; j++)
			;
		if (j == *njobs) {
			if ((jobs[j] = deliver_job_new(m, &hop)) == NULL)
				return -MG_ENOMEM;
			caps[j] = 0;
			(*njobs)++;
		}
		if (deliver_job_add(jobs[j], i, &caps[j]) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

static void
deliver_log_message(struct queue_ctx *ctx, const struct envelope *e)
{
	struct mg_buf rcpts;
	struct store_message row = {
		.qid = e->id, .time = e->created, .outbound = e->outbound,
		.client_ip = e->client_ip ? e->client_ip : "",
		.helo = e->client_helo ? e->client_helo : "", .tls = e->tls,
		.mail_from = e->mail_from, .size = e->size,
		.verdict = e->verdict ? e->verdict : "", .score = e->score,
		.action = e->action ? e->action : "",
		.symbols = e->symbols ? e->symbols : "",
	};

	mg_buf_init(&rcpts, 0);
	for (size_t i = 0; i < e->nrcpts; i++)
		(void)mg_buf_appendf(&rcpts, "%s%s", i ? ", " : "", e->rcpts[i].addr);
	if (mg_buf_cstr(&rcpts) == 0) {
		row.rcpts = (const char *)rcpts.data;
		if (store_log_message(ctx->store, &row) < 0)
			log_warn("%016" PRIx64 " store log_message failed", e->id);
	}
	mg_buf_release(&rcpts);
}

void
deliver_log_deleted(struct queue_ctx *ctx, const struct envelope *e)
{
	if (ctx->store == NULL)
		return;
	if (e->attempts == 0)
		deliver_log_message(ctx, e);
	for (size_t i = 0; i < e->nrcpts; i++) {
		struct store_delivery d = {
			.qid = e->id, .time = time(NULL), .rcpt = e->rcpts[i].addr,
			.remote = "", .status = "deleted", .reply = "deleted by the administrator",
		};
		if (e->rcpts[i].status == ENV_RCPT_PENDING &&
		    store_log_delivery(ctx->store, &d) < 0)
			log_warn("%016" PRIx64 " store log_delivery failed", e->id);
	}
}

/* Loads the envelope; false when there is nothing to attempt now (the
 * message is gone, unreadable, or not due yet): m is released then. */
static bool
deliver_load(struct qmsg *m)
{
	struct queue_ctx *ctx = m->ctx;
	struct sched_msg *sm = m->sm;
	time_t now = time(NULL);
	int rc = spool_env_load(ctx->spool, sm->id, &m->env);

	if (rc == 0 && !sm->pinned && m->env.next_attempt > now) {
		sched_set_due(ctx->sched, sm, m->env.next_attempt);
	} else if (rc == -MG_ENOENT) {
		log_info("%016" PRIx64 " queue gone", sm->id);
		sched_remove(ctx->sched, sm);
	} else if (rc < 0) {
		log_err("%016" PRIx64 " queue unreadable envelope retry=+%us", sm->id,
		    ctx->conf->queue.retry_max);
		sched_set_due(ctx->sched, sm, now + ctx->conf->queue.retry_max);
	} else if ((m->mark = calloc(m->env.nrcpts ? m->env.nrcpts : 1, 1)) == NULL) {
		sched_set_due(ctx->sched, sm, now + ctx->conf->queue.retry_min);
	} else {
		return true;
	}
	deliver_release(m);
	return false;
}

/* A message spooled before recipients had policy actions (none has one)
 * keeps its whole-message "quarantine". 0 or -MG_ENOMEM. */
static int
deliver_legacy_acts(struct envelope *e)
{
	if (e->action == NULL || strcmp(e->action, "quarantine") != 0)
		return 0;
	for (size_t i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].act != NULL || e->rcpts[i].act_filter != NULL)
			return 0;
	for (size_t i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].status == ENV_RCPT_PENDING &&
		    (e->rcpts[i].act = strdup("quarantine")) == NULL)
			return -MG_ENOMEM;
	return 0;
}

/* Whether a pending recipient has a policy action left to apply. */
static bool
deliver_has_acts(const struct envelope *e)
{
	for (size_t i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].status == ENV_RCPT_PENDING && e->rcpts[i].act != NULL)
			return true;
	return false;
}

/* The policy's reject for some recipients (all of them were refused at
 * DATA): each fails with the filter's reply and is bounced. */
static void
deliver_policy_reject(struct qmsg *m)
{
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		struct env_rcpt *r = &m->env.rcpts[i];
		if (r->status != ENV_RCPT_PENDING || r->act == NULL ||
		    strcmp(r->act, "reject") != 0)
			continue;
		free(r->reply);
		r->reply = strdup(r->act_args != NULL ? r->act_args :
		    "550 5.7.1 Message rejected by policy");
		r->status = ENV_RCPT_FAILED;
		r->done_at = time(NULL);
		m->mark[i] = BOUNCE_MARK_FAILED;
		deliver_log(m, i, "bounced", "rejected", "none", "none");
		free(r->act);
		r->act = NULL;
	}
}

/* Applies the policy actions (queue_ctx.dispatch) once; when that fails
 * the message waits retry_min and nothing is delivered. False when m was
 * released. */
static bool
deliver_dispatch(struct qmsg *m)
{
	struct queue_ctx *ctx = m->ctx;
	uint8_t *mark = NULL;
	int rc = deliver_legacy_acts(&m->env);

	if (rc == 0 && !deliver_has_acts(&m->env))
		return true;
	if (rc == 0)
		rc = ctx->dispatch != NULL ? ctx->dispatch(ctx, &m->env) : -MG_EINVAL;
	if (rc == 0 && (mark = realloc(m->mark, m->env.nrcpts ? m->env.nrcpts : 1)) == NULL)
		rc = -MG_ENOMEM;
	if (rc < 0) {
		log_err("%016" PRIx64 " queue policy failed error=\"%s\" retry=+%us", m->env.id,
		    mg_strerror(rc), ctx->conf->queue.retry_min);
		sched_set_due(ctx->sched, m->sm, time(NULL) + ctx->conf->queue.retry_min);
		deliver_release(m);
		return false;
	}
	m->mark = mark;
	memset(m->mark, BOUNCE_MARK_NONE, m->env.nrcpts);
	deliver_policy_reject(m);
	return true;
}

void
deliver_start(struct queue_ctx *ctx, struct sched_msg *sm)
{
	struct qmsg *m = calloc(1, sizeof(*m));
	struct qjob **jobs = NULL;
	size_t *caps = NULL, njobs = 0;
	int rc;

	if (m == NULL) {
		sched_set_due(ctx->sched, sm, time(NULL) + ctx->conf->queue.retry_min);
		ctx->active--;
		return;
	}
	*m = (struct qmsg){ .ctx = ctx, .sm = sm, .data_fd = -1, .jobs_left = 1 };
	if (!deliver_load(m))
		return;
	if (m->env.attempts == 0 && ctx->store != NULL)
		deliver_log_message(ctx, &m->env);
	if (!deliver_dispatch(m))
		return;
	if (time(NULL) >= m->env.created + (time_t)ctx->conf->queue.lifetime)
		goto done;	/* deliver_finish expires it */
	rc = spool_data_open(ctx->spool, sm->id, &m->data_fd, &m->data_len);
	if (rc == 0 && ((jobs = calloc(m->env.nrcpts, sizeof(*jobs))) == NULL ||
	    (caps = calloc(m->env.nrcpts, sizeof(*caps))) == NULL))
		rc = -MG_ENOMEM;
	if (rc == 0)
		rc = deliver_route(m, jobs, caps, &njobs);
	if (rc < 0) {
		log_err("%016" PRIx64 " queue cannot start delivery error=\"%s\"", sm->id,
		    mg_strerror(rc));
		for (size_t j = 0; j < njobs; j++) {
			m->jobs_left++;
			deliver_job_cancel(ctx, jobs[j]);
		}
		m->env.next_attempt = time(NULL) + ctx->conf->queue.retry_min;
		goto done;
	}
	/* jobs_left holds one extra count until all are submitted */
	m->jobs_left += (unsigned)njobs;
	for (size_t j = 0; j < njobs; j++)
		dest_submit(ctx, jobs[j]);
done:
	free(jobs);
	free(caps);
	if (--m->jobs_left == 0)
		deliver_finish(m);
}
