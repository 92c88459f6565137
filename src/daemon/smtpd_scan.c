/* smtpd's client of scand: one persistent connection to
 * <spool>/run/scand.sock. Requests are answered by queue id in any order;
 * each has a deadline, watched by one timer. While scand cannot be reached
 * (it starts after smtpd, or is being restarted) requests wait, encoded,
 * for up to SCAN_CONNECT_WAIT and a connection is retried every
 * SCAN_RETRY_MS. A lost connection or a malformed frame fails every request
 * already sent, and the sessions answer 451. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ipc.h"
#include "core/log.h"
#include "daemon/smtpd_int.h"
#include "daemon/unix_socket.h"

#define SCAN_CONNECT_WAIT	10		/* seconds a request waits for scand */
#define SCAN_RETRY_MS		100

TAILQ_HEAD(scan_jobs, smtpd_scan_job);

struct smtpd_scan {
	struct event_base *base;
	char		 path[4096];
	struct bufferevent *bev;	/* NULL while disconnected */
	struct scan_jobs sent;		/* waiting for their result */
	struct scan_jobs waiting;	/* waiting for a connection */
	struct event	*timer;		/* earliest deadline */
	uint64_t	 timer_at;	/* when it fires; UINT64_MAX: not armed */
	struct event	*retry;		/* next connection attempt */
	struct mg_buf	 frame;		/* reused for every request sent at once */
	bool		 down;		/* last attempt failed (logged once) */
};

static void
job_done(struct smtpd_scan *sc, struct smtpd_scan_job *job, int err,
    const struct proto_scan_result *res)
{
	TAILQ_REMOVE(job->sent ? &sc->sent : &sc->waiting, job, entry);
	mg_buf_release(&job->frame);
	job->done(job, err, res);
}

static void
earliest(const struct scan_jobs *jobs, uint64_t *first)
{
	const struct smtpd_scan_job *job;

	TAILQ_FOREACH(job, jobs, entry)
		if (job->deadline_ms < *first)
			*first = job->deadline_ms;
}

/* Arms the timer for the earliest deadline: every job is looked at, but
 * only when the timer fires or a request comes with an earlier one. */
static void
timer_arm(struct smtpd_scan *sc)
{
	uint64_t first = UINT64_MAX, now = mg_clock_ms(), wait;
	struct timeval tv;

	earliest(&sc->sent, &first);
	earliest(&sc->waiting, &first);
	sc->timer_at = first;
	if (first == UINT64_MAX) {
		evtimer_del(sc->timer);
		return;
	}
	wait = first > now ? first - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(sc->timer, &tv);
}

static void
expire_list(struct smtpd_scan *sc, struct scan_jobs *jobs, uint64_t now)
{
	struct smtpd_scan_job *job, *next;

	for (job = TAILQ_FIRST(jobs); job != NULL; job = next) {
		next = TAILQ_NEXT(job, entry);
		if (job->deadline_ms <= now)
			job_done(sc, job, -MG_ETIMEOUT, NULL);
	}
}

static void
scan_expire(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_scan *sc = arg;
	uint64_t now = mg_clock_ms();

	expire_list(sc, &sc->sent, now);
	expire_list(sc, &sc->waiting, now);
	timer_arm(sc);
}

static void
scan_disconnect(struct smtpd_scan *sc, const char *why)
{
	struct scan_jobs failed = TAILQ_HEAD_INITIALIZER(failed);
	struct smtpd_scan_job *job;

	log_warn("smtpd scand disconnected reason=\"%s\" pending_failed=%s", why,
	    TAILQ_EMPTY(&sc->sent) ? "no" : "yes");
	bufferevent_free(sc->bev);
	sc->bev = NULL;
	/* the answers may submit new requests: those are not failed here */
	TAILQ_CONCAT(&failed, &sc->sent, entry);
	while ((job = TAILQ_FIRST(&failed)) != NULL) {
		TAILQ_REMOVE(&failed, job, entry);
		job->done(job, -MG_EIO, NULL);
	}
}

/* One SCAN_RESULT frame: its job, if still waiting, is answered. */
static int
scan_result(struct smtpd_scan *sc, const uint8_t *frame, size_t len)
{
	struct proto_scan_result res;
	struct smtpd_scan_job *job;
	int rc;

	if ((rc = proto_scan_result_decode(frame, len, &res)) < 0)
		return rc;
	TAILQ_FOREACH(job, &sc->sent, entry)
		if (job->qid == res.qid)
			break;
	if (job != NULL)
		job_done(sc, job, 0, &res);
	else
		log_info("smtpd scand late result qid=%016" PRIx64, res.qid);
	proto_scan_result_clear(&res);
	return 0;
}

static void
scan_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtpd_scan *sc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail, flen;
	const uint8_t *p;
	uint16_t type;
	int rc;

	for (;;) {
		avail = evbuffer_get_length(in);
		p = avail < IPC_HEADER_LEN ? NULL : evbuffer_pullup(in, IPC_HEADER_LEN);
		rc = p != NULL ? ipc_frame_peek(p, avail, &type, &flen) : -MG_EAGAIN;
		if (rc == -MG_EAGAIN)
			break;
		if (rc == 0 && type != PROTO_SCAN_RESULT)
			rc = -MG_EPROTO;
		if (rc == 0)
			rc = scan_result(sc, evbuffer_pullup(in, (ev_ssize_t)flen), flen);
		if (rc < 0) {
			scan_disconnect(sc, mg_strerror(rc));
			return;
		}
		evbuffer_drain(in, flen);
	}
}

static void
scan_event_cb(struct bufferevent *bev, short what, void *arg)
{
	scan_disconnect(arg, what & BEV_EVENT_EOF ? "closed by scand" : "connection error");
}

/* Hands a frame to the connection; the job now waits for its result. */
static int
job_send(struct smtpd_scan *sc, struct smtpd_scan_job *job, const struct mg_buf *frame)
{
	if (bufferevent_write(sc->bev, frame->data, frame->len) == -1)
		return -MG_ENOMEM;
	job->sent = true;
	job->deadline_ms = mg_clock_ms() + (uint64_t)job->timeout_s * 1000;
	TAILQ_INSERT_TAIL(&sc->sent, job, entry);
	return 0;
}

static int
scan_connect(struct smtpd_scan *sc)
{
	struct timeval tv = { 0, SCAN_RETRY_MS * 1000 };
	int fd = unix_connect(sc->path);

	if (fd >= 0 && (sc->bev = bufferevent_socket_new(sc->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		evutil_closesocket(fd);
	if (sc->bev == NULL) {
		if (!sc->down)
			log_warn("smtpd scand unreachable path=%s", sc->path);
		sc->down = true;
		evtimer_add(sc->retry, &tv);
		return -MG_EIO;
	}
	if (sc->down)
		log_info("smtpd scand connected path=%s", sc->path);
	sc->down = false;
	bufferevent_setcb(sc->bev, scan_read_cb, NULL, scan_event_cb, sc);
	bufferevent_enable(sc->bev, EV_READ | EV_WRITE);
	return 0;
}

/* Connects when requests wait, then sends them in order. */
static void
scan_retry(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_scan *sc = arg;
	struct smtpd_scan_job *job;
	int rc;

	if (TAILQ_EMPTY(&sc->waiting) || (sc->bev == NULL && scan_connect(sc) < 0))
		return;
	while ((job = TAILQ_FIRST(&sc->waiting)) != NULL) {
		TAILQ_REMOVE(&sc->waiting, job, entry);
		rc = job_send(sc, job, &job->frame);
		mg_buf_release(&job->frame);
		if (rc < 0)
			job->done(job, rc, NULL);
	}
}

struct smtpd_scan *
smtpd_scan_new(struct event_base *base, const char *spool_dir)
{
	struct smtpd_scan *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->base = base;
	snprintf(sc->path, sizeof(sc->path), "%s/%s", spool_dir, PROTO_SCAND_SOCK);
	TAILQ_INIT(&sc->sent);
	TAILQ_INIT(&sc->waiting);
	sc->timer_at = UINT64_MAX;
	mg_buf_init(&sc->frame, IPC_HEADER_LEN + IPC_MAX_PAYLOAD);
	sc->timer = evtimer_new(base, scan_expire, sc);
	sc->retry = evtimer_new(base, scan_retry, sc);
	if (sc->timer == NULL || sc->retry == NULL)
		return smtpd_scan_free(sc);
	return sc;
}

struct smtpd_scan *
smtpd_scan_free(struct smtpd_scan *sc)
{
	struct smtpd_scan_job *job;

	if (sc == NULL)
		return NULL;
	while ((job = TAILQ_FIRST(&sc->sent)) != NULL)
		job_done(sc, job, -MG_EIO, NULL);
	while ((job = TAILQ_FIRST(&sc->waiting)) != NULL)
		job_done(sc, job, -MG_EIO, NULL);
	if (sc->bev != NULL)
		bufferevent_free(sc->bev);
	if (sc->timer != NULL)
		event_free(sc->timer);
	if (sc->retry != NULL)
		event_free(sc->retry);
	mg_buf_release(&sc->frame);
	free(sc);
	return NULL;
}

int
smtpd_scan_submit(struct smtpd_scan *sc, struct smtpd_scan_job *job,
    const struct proto_scan_request *req, uint32_t timeout_s)
{
	uint32_t wait = timeout_s < SCAN_CONNECT_WAIT ? timeout_s : SCAN_CONNECT_WAIT;
	int rc;

	job->qid = req->qid;
	job->timeout_s = timeout_s;
	job->sent = false;
	mg_buf_init(&job->frame, 0);
	mg_buf_reset(&sc->frame);
	if ((rc = proto_scan_request_encode(&sc->frame, req)) < 0)
		return rc;
	if (sc->bev == NULL && !evtimer_pending(sc->retry, NULL))
		(void)scan_connect(sc);
	if (sc->bev != NULL) {
		if ((rc = job_send(sc, job, &sc->frame)) < 0)
			return rc;
	} else {
		if ((rc = mg_buf_append(&job->frame, sc->frame.data, sc->frame.len)) < 0) {
			mg_buf_release(&job->frame);
			return rc;
		}
		job->deadline_ms = mg_clock_ms() + (uint64_t)wait * 1000;
		TAILQ_INSERT_TAIL(&sc->waiting, job, entry);
	}
	if (job->deadline_ms < sc->timer_at)
		timer_arm(sc);
	return 0;
}
