/* scand: runs the engine on committed-to-be messages for smtpd. One
 * libevent loop owns the connections; a pool of worker threads shares the
 * loaded engine, maps each message read-only and scans it. scand never
 * changes a message file; when dangerous attachments are stripped it
 * writes the copy to deliver beside it (incoming/ID.new) for smtpd to
 * commit. It also decides each recipient's policy action (scand_policy.c).
 * Its only network traffic is what checks are configured for: DNS, clamd,
 * the cloud lookup; landing pages are fetched by a separate worker. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "core/err.h"
#include "core/file.h"
#include "core/ipc.h"
#include "core/log.h"
#include "daemon/children.h"
#include "daemon/proto.h"
#include "daemon/scand_policy.h"
#include "daemon/unix_socket.h"
#include "engine/dangerous.h"
#include "engine/engine.h"
#include "spool/spool.h"

_Static_assert(PROTO_FORGED_AR_MAX == MG_FORGED_AR_MAX, "one ceiling for forged fields");

/* A loaded engine and the configuration it was opened with, shared by
 * jobs; replaced on SIGHUP, freed by the last job. */
struct engine_ref {
	struct mg_engine *engine;
	struct mg_conf	*conf;
	unsigned	 refs;		/* under scand.lock */
};

struct scan_job {
	TAILQ_ENTRY(scan_job) entry;
	uint64_t	 conn_id;
	struct engine_ref *eng;
	struct policy_ref *pol;
	struct proto_scan_request req;
	struct mg_buf	 reply;		/* encoded SCAN_RESULT frame */
};
TAILQ_HEAD(job_list, scan_job);

struct scan_conn {
	LIST_ENTRY(scan_conn) entry;
	struct scand	*sd;
	uint64_t	 id;
	struct bufferevent *bev;
};

struct scand {
	struct event_base *base;
	struct mg_conf	*conf;
	struct evconnlistener *listener;
	struct event	*done_ev, *sighup_ev, *sigterm_ev;
	LIST_HEAD(, scan_conn) conns;
	uint64_t	 next_conn_id;
	pthread_t	*workers;
	unsigned	 nworkers;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct job_list	 todo, done;	/* under lock */
	unsigned	 inflight;	/* jobs not yet answered, loop thread only */
	struct engine_ref *engine;	/* under lock */
	struct scand_policy *policy;
	bool		 quit;		/* workers exit, under lock */
	bool		 stopping;
};

static void
engine_release(struct scand *sd, struct engine_ref *e)
{
	bool last;

	pthread_mutex_lock(&sd->lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&sd->lock);
	if (last) {
		mg_engine_close(e->engine);
		conf_free(e->conf);
		free(e);
	}
}

/* The X-Mailgate-Verdict field the gateway adds: category, score, action,
 * the attachments stripped, and the symbols, folded between symbols to stay
 * within 78 columns. */
static int
verdict_header(const struct mg_result *r, size_t nstripped, struct mg_buf *out)
{
	size_t col;
	int rc;

	rc = mg_buf_appendf(out, "X-Mailgate-Verdict: %s; score=%.2f; action=%s",
	    r->verdict, r->score, mg_verdict_action_name(r->verdict_action));
	if (rc == 0 && nstripped > 0)
		rc = mg_buf_appendf(out, "; stripped=%zu", nstripped);
	col = out->len;
	for (size_t i = 0; rc == 0 && i < r->nsymbols; i++) {
		char sym[160];
		int n = snprintf(sym, sizeof(sym), "%s%s(%.2f)", i ? "," : "; symbols=",
		    r->symbols[i].name, r->symbols[i].score);
		if (n > 0 && out->len - col + (size_t)n > 76) {
			rc = mg_buf_append(out, "\r\n\t", 3);
			col = out->len - 1;
		}
		rc = rc ? rc : mg_buf_append(out, sym, strlen(sym));
	}
	return rc ? rc : mg_buf_append(out, "\r\n", 2);
}

/* Maps and scans the message file; 0 with r and d filled, or negative. */
static int
scan_file(struct scan_job *job, struct mg_result *r, struct mg_strip *strip,
    struct scand_decision *d)
{
	struct mg_scan_opts opts = { strip, scand_policy_inspect, d };
	struct mg_envelope env = { job->req.client_ip, job->req.helo, job->req.mail_from,
		(const char *const *)job->req.rcpts, job->req.nrcpts, job->req.outbound != 0 };
	struct stat st;
	void *map = NULL;
	int fd, rc = -MG_EIO;

	if ((fd = open(job->req.path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		log_syserr("%016" PRIx64 " scan open path=%s", job->req.qid, job->req.path);
	} else if (st.st_size > 0 && (map = mmap(NULL, (size_t)st.st_size, PROT_READ,
	    MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		log_syserr("%016" PRIx64 " scan mmap", job->req.qid);
		map = NULL;
	} else {
		d->size = (uint64_t)st.st_size;
		rc = mg_scan_ex(job->eng->engine, &env, map, (size_t)st.st_size, r, &opts);
	}
	if (map)
		munmap(map, (size_t)st.st_size);
	if (fd != -1)
		close(fd);
	return rc;
}

/* The message without its dangerous attachments, beside the original
 * (<path>.new), written whole and fdatasync'ed before smtpd is told. */
static int
strip_write(const struct scan_job *job, const struct mg_strip *strip)
{
	char path[4096];
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", job->req.path, SPOOL_NEW_SUFFIX) >=
	    sizeof(path))
		return -MG_EINVAL;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		rc = -MG_EIO;
	else if ((rc = mg_write_all(fd, strip->message.data, strip->message.len)) == 0 &&
	    fdatasync(fd) == -1)
		rc = -MG_EIO;
	if (rc < 0)
		log_syserr("%016" PRIx64 " scan strip_write path=%s", job->req.qid, path);
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		log_syserr("%016" PRIx64 " scan strip_write close", job->req.qid);
		rc = -MG_EIO;
	}
	if (rc < 0 && fd != -1)
		unlink(path);
	return rc;
}

/* The answer to smtpd after the policy: the engine's tempfail stands;
 * reject when every recipient's action is reject (with the first
 * rejecting filter's reply); else accept with each recipient's action
 * (those rejected are bounced by queued). */
static void
job_policy(struct mg_result *r, const struct scand_decision *d, struct proto_scan_result *res)
{
	uint32_t n = d->req->nrcpts;

	if (r->action == MG_ACTION_TEMPFAIL) {
		res->action = PROTO_SCAN_TEMPFAIL;
		res->reply = r->reply;
		return;
	}
	if (n > 0 && d->nreject == n) {
		res->action = PROTO_SCAN_REJECT;
		res->reply = d->reject_reply != NULL ? (char *)d->reject_reply :
		    r->action == MG_ACTION_REJECT ? r->reply :
		    "550 5.7.1 Message rejected by policy";
		return;
	}
	res->action = PROTO_SCAN_ACCEPT;
	res->reply = "";
	res->nrcpts = n;
	res->rcpts = d->acts;
}

/* Fills res from r and d; the stripped copy is written first (a failure
 * leaves the TEMPFAIL answer: the message is never delivered unstripped). */
static int
job_result(struct scan_job *job, struct mg_result *r, const struct mg_strip *strip,
    const struct scand_decision *d, struct mg_buf *symbols, struct proto_scan_result *res)
{
	struct proto_scan_result out = { .qid = res->qid };
	int rc;

	job_policy(r, d, &out);
	out.nstripped = out.action == PROTO_SCAN_ACCEPT ? (uint32_t)strip->nstripped : 0;
	if ((rc = verdict_header(r, out.nstripped, &r->headers)) < 0 ||
	    (rc = mg_result_format_symbols(r, symbols)) < 0 ||
	    (rc = mg_buf_cstr(&r->headers)) < 0 || (rc = mg_buf_cstr(symbols)) < 0 ||
	    (out.nstripped > 0 && (rc = strip_write(job, strip)) < 0))
		return rc;
	out.verdict = (char *)r->verdict;
	out.score_milli = (int64_t)(r->score * 1000.0);
	out.headers = (char *)r->headers.data;
	out.symbols = (char *)symbols->data;
	out.nforged_ar = (uint32_t)r->nforged_ar;
	memcpy(out.forged_ar, r->forged_ar, sizeof(out.forged_ar));
	out.verdict_action = (uint8_t)r->verdict_action;
	out.reason = r->forced_by != NULL ? (char *)r->forced_by :
	    r->verdict_action >= MG_VERDICT_QUARANTINE ? "score" : "";
	*res = out;
	return 0;
}

/* Scans one message file and encodes the answer; failures become a
 * TEMPFAIL answer (the client retries, nothing is lost). */
static void
job_scan(struct scan_job *job)
{
	struct proto_scan_result res = { .qid = job->req.qid, .verdict = "error",
		.headers = "", .symbols = "", .action = PROTO_SCAN_TEMPFAIL,
		.reply = "Temporary failure while scanning, please try again later" };
	struct scand_decision d = { .set = &job->pol->set, .bulk = &job->eng->conf->engine.bulk,
		.req = &job->req };
	struct mg_buf symbols;
	struct mg_result r = { 0 };	/* safe to clear whatever happens */
	struct mg_strip strip;
	int rc = -MG_ENOMEM;

	mg_strip_init(&strip);
	mg_buf_init(&symbols, 64 * 1024);
	if ((d.acts = calloc(job->req.nrcpts + 1, sizeof(*d.acts))) != NULL)
		rc = scan_file(job, &r, &strip, &d);
	if (rc == 0 && (rc = job_result(job, &r, &strip, &d, &symbols, &res)) == 0)
		log_info("%016" PRIx64 " scan verdict=%s score=%.2f action=%s size=%" PRIu64
		    " stripped=%" PRIu32 " symbols=\"%s\"", job->req.qid, r.verdict, r.score,
		    mg_verdict_action_name(r.verdict_action), d.size, res.nstripped,
		    res.symbols);
	if (proto_scan_result_encode(&job->reply, &res) < 0)
		log_err("%016" PRIx64 " scan encode_failed", job->req.qid);
	free(d.acts);
	mg_result_clear(&r);
	mg_strip_clear(&strip);
	mg_buf_release(&symbols);
}

static void *
worker_main(void *arg)
{
	struct scand *sd = arg;
	struct scan_job *job;

	for (;;) {
		pthread_mutex_lock(&sd->lock);
		while (TAILQ_EMPTY(&sd->todo) && !sd->quit)
			pthread_cond_wait(&sd->cond, &sd->lock);
		if ((job = TAILQ_FIRST(&sd->todo)) == NULL) {
			pthread_mutex_unlock(&sd->lock);
			return NULL;
		}
		TAILQ_REMOVE(&sd->todo, job, entry);
		pthread_mutex_unlock(&sd->lock);
		job_scan(job);
		pthread_mutex_lock(&sd->lock);
		TAILQ_INSERT_TAIL(&sd->done, job, entry);
		pthread_mutex_unlock(&sd->lock);
		event_active(sd->done_ev, EV_READ, 0);
	}
}

static struct scan_conn *
conn_find(struct scand *sd, uint64_t id)
{
	struct scan_conn *c;

	LIST_FOREACH(c, &sd->conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static void
conn_close(struct scan_conn *c)
{
	LIST_REMOVE(c, entry);
	bufferevent_free(c->bev);
	free(c);
}

static void
maybe_finish(struct scand *sd)
{
	if (sd->stopping && sd->inflight == 0)
		event_base_loopexit(sd->base, NULL);
}

/* Loop thread: answers finished jobs on their connections. */
static void
on_jobs_done(evutil_socket_t fd, short what, void *arg)
{
	struct scand *sd = arg;
	struct job_list done = TAILQ_HEAD_INITIALIZER(done);
	struct scan_job *job;

	pthread_mutex_lock(&sd->lock);
	TAILQ_CONCAT(&done, &sd->done, entry);
	pthread_mutex_unlock(&sd->lock);
	while ((job = TAILQ_FIRST(&done)) != NULL) {
		struct scan_conn *c = conn_find(sd, job->conn_id);
		TAILQ_REMOVE(&done, job, entry);
		if (c && job->reply.len)
			bufferevent_write(c->bev, job->reply.data, job->reply.len);
		engine_release(sd, job->eng);
		scand_policy_put(sd->policy, job->pol);
		proto_scan_request_clear(&job->req);
		mg_buf_release(&job->reply);
		free(job);
		sd->inflight--;
	}
	maybe_finish(sd);
}

static int
job_submit(struct scand *sd, struct scan_conn *c, const uint8_t *frame, size_t len)
{
	struct scan_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return -MG_ENOMEM;
	if (proto_scan_request_decode(frame, len, &job->req) < 0) {
		free(job);
		return -MG_EPROTO;
	}
	job->conn_id = c->id;
	mg_buf_init(&job->reply, 0);
	job->pol = scand_policy_get(sd->policy);
	pthread_mutex_lock(&sd->lock);
	job->eng = sd->engine;
	job->eng->refs++;
	TAILQ_INSERT_TAIL(&sd->todo, job, entry);
	pthread_cond_signal(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
	sd->inflight++;
	return 0;
}

static void
on_conn_read(struct bufferevent *bev, void *arg)
{
	struct scan_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		size_t avail = evbuffer_get_length(in), flen;
		uint16_t type;
		const uint8_t *p = avail < IPC_HEADER_LEN ? NULL
		    : evbuffer_pullup(in, IPC_HEADER_LEN);
		int rc = p ? ipc_frame_peek(p, avail, &type, &flen) : -MG_EAGAIN;

		if (rc == -MG_EAGAIN)
			return;
		if (rc == 0 && type == PROTO_SCAN_REQUEST)
			rc = job_submit(c->sd, c, evbuffer_pullup(in, (ssize_t)flen), flen);
		else if (rc == 0)
			rc = -MG_EPROTO;
		if (rc < 0) {
			log_err("scand conn=%" PRIu64 " frame_error=\"%s\" action=close", c->id,
			    mg_strerror(rc));
			conn_close(c);
			return;
		}
		evbuffer_drain(in, flen);
	}
}

static void
on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct scan_conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(c);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
    void *arg)
{
	struct scand *sd = arg;
	struct scan_conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->bev = bufferevent_socket_new(sd->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_err("scand accept error=\"out of memory\"");
		free(c);
		close(fd);
		return;
	}
	c->sd = sd;
	c->id = ++sd->next_conn_id;
	LIST_INSERT_HEAD(&sd->conns, c, entry);
	bufferevent_setcb(c->bev, on_conn_read, NULL, on_conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* SIGHUP: a new configuration and a freshly opened engine for new jobs;
 * jobs in progress finish on the engine they started with. */
/* The engine as scand runs it: the one process that keeps the learned
 * sender reputation (other users of the engine only read it). */
static struct mg_engine *
scand_engine_open(struct mg_conf *conf, struct mg_error *err)
{
	conf->engine.reputation.writer = true;
	return mg_engine_open(conf, err);
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct scand *sd = arg;
	struct engine_ref *fresh, *old;
	struct mg_error err;
	char text[1024];
	struct mg_conf *conf = conf_load(sd->conf->path, text, sizeof(text));

	if (conf == NULL) {
		log_err("scand reload status=refused reason=\"%s\"", text);
		return;
	}
	if ((fresh = calloc(1, sizeof(*fresh))) == NULL ||
	    (fresh->engine = scand_engine_open(conf, &err)) == NULL) {
		log_err("scand reload status=refused reason=\"%s\"",
		    fresh ? err.text : "out of memory");
		free(fresh);
		conf_free(conf);
		return;
	}
	fresh->refs = 1;
	fresh->conf = conf;
	pthread_mutex_lock(&sd->lock);
	old = sd->engine;
	sd->engine = fresh;
	pthread_mutex_unlock(&sd->lock);
	sd->conf = conf;
	engine_release(sd, old);	/* and the old configuration with it */
	log_set_level(conf->log_level);
	log_info("scand reload status=ok");
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct scand *sd = arg;

	log_info("scand stop inflight=%u", sd->inflight);
	sd->stopping = true;
	evconnlistener_disable(sd->listener);
	maybe_finish(sd);
}

static int
scand_start(struct scand *sd)
{
	struct mg_error err;
	char path[4096];
	int fd;

	if ((sd->engine = calloc(1, sizeof(*sd->engine))) == NULL)
		return -MG_ENOMEM;
	if ((sd->engine->engine = scand_engine_open(sd->conf, &err)) == NULL) {
		log_err("scand engine_open reason=\"%s\"", err.text);
		return -MG_EINVAL;
	}
	sd->engine->refs = 1;
	sd->engine->conf = sd->conf;
	if ((sd->policy = scand_policy_new(sd->base, &sd->conf)) == NULL)
		return -MG_ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", sd->conf->spool_dir, PROTO_SCAND_SOCK);
	if ((fd = unix_listen(path)) < 0)
		return fd;
	sd->listener = evconnlistener_new(sd->base, on_accept, sd,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
	sd->done_ev = event_new(sd->base, -1, 0, on_jobs_done, sd);
	sd->sighup_ev = evsignal_new(sd->base, SIGHUP, on_sighup, sd);
	sd->sigterm_ev = evsignal_new(sd->base, SIGTERM, on_sigterm, sd);
	if (!sd->listener || !sd->done_ev || !sd->sighup_ev || !sd->sigterm_ev)
		return -MG_ENOMEM;
	event_add(sd->sighup_ev, NULL);
	event_add(sd->sigterm_ev, NULL);
	sd->nworkers = sd->conf->scan_workers;
	if ((sd->workers = calloc(sd->nworkers, sizeof(pthread_t))) == NULL)
		return -MG_ENOMEM;
	for (unsigned i = 0; i < sd->nworkers; i++)
		if (pthread_create(&sd->workers[i], NULL, worker_main, sd) != 0)
			return -MG_EIO;
	log_info("scand start workers=%u socket=%s", sd->nworkers, path);
	return 0;
}

static void
scand_stop(struct scand *sd)
{
	struct scan_conn *c;

	pthread_mutex_lock(&sd->lock);
	sd->quit = true;
	pthread_cond_broadcast(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
	for (unsigned i = 0; sd->workers && i < sd->nworkers; i++)
		if (sd->workers[i])
			pthread_join(sd->workers[i], NULL);
	free(sd->workers);
	while ((c = LIST_FIRST(&sd->conns)) != NULL)
		conn_close(c);
	if (sd->engine)
		engine_release(sd, sd->engine);
	scand_policy_free(sd->policy);
	if (sd->listener)
		evconnlistener_free(sd->listener);
	if (sd->done_ev)
		event_free(sd->done_ev);
	if (sd->sighup_ev)
		event_free(sd->sighup_ev);
	if (sd->sigterm_ev)
		event_free(sd->sigterm_ev);
	event_base_free(sd->base);
}

int
scand_main(struct mg_conf *conf)
{
	struct scand sd = { .conf = conf };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	pthread_mutex_init(&sd.lock, NULL);
	pthread_cond_init(&sd.cond, NULL);
	TAILQ_INIT(&sd.todo);
	TAILQ_INIT(&sd.done);
	LIST_INIT(&sd.conns);
	if ((sd.base = event_base_new()) == NULL)
		return 1;
	if ((rc = scand_start(&sd)) == 0)
		event_base_dispatch(sd.base);
	else
		log_err("scand start status=failed error=\"%s\"", mg_strerror(rc));
	scand_stop(&sd);
	return rc == 0 ? 0 : 1;
}
