/* Group commit for smtpd: sessions hand finished messages to a few
 * committer threads; a free thread takes its share of every message
 * waiting, prepares each (fdatasync of data and envelope) and commits them
 * all with one fsync of queue/, then wakes the event loop through an
 * eventfd. Several threads keep the disk busy with concurrent syncs while
 * each batch still shares one directory fsync. Also the best-effort
 * QUEUE_NOTIFY to queued, which finds missed messages on its next scan,
 * and the channel smtpd_stats sends its counts through. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/err.h"
#include "core/log.h"
#include "core/clock.h"
#include "daemon/smtpd_int.h"
#include "daemon/smtpd_stats.h"
#include "daemon/unix_socket.h"

#define COMMIT_THREADS		4
#define NOTIFY_BACKLOG_MAX	(256 * 1024)	/* unsent notifications kept */
#define NOTIFY_SYNC_MS		1000		/* a synchronous send waits this long */

TAILQ_HEAD(commit_jobs, smtpd_commit_job);

struct smtpd_committer {
	pthread_t	 threads[COMMIT_THREADS];
	size_t		 nthreads;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct commit_jobs todo;	/* submitted, for the threads */
	size_t		 ntodo;
	unsigned	 idle;		/* threads waiting for work */
	struct commit_jobs done;	/* committed or failed, for the loop */
	bool		 stop;
	int		 efd;		/* eventfd: a thread wakes the loop */
	struct event	*ev;
};

/* Commits one batch; every job gets its rc. Runs on a committer thread. */
static void
commit_batch(struct commit_jobs *work, size_t n)
{
	struct smtpd_commit_job *job;
	struct spool_file **files;
	size_t k = 0;
	int rc;

	if ((files = calloc(n, sizeof(*files))) == NULL) {
		TAILQ_FOREACH(job, work, entry) {
			job->rc = -MG_ENOMEM;
			spool_file_abort(job->file);
		}
		return;
	}
	TAILQ_FOREACH(job, work, entry) {
		if ((job->rc = spool_commit_prepare(job->file, job->env)) < 0)
			spool_file_abort(job->file);
		else
			files[k++] = job->file;
	}
	rc = spool_commit_batch(files, k);	/* aborts all of them on error */
	TAILQ_FOREACH(job, work, entry)
		if (job->rc == 0)
			job->rc = rc;
	free(files);
	log_debug("smtpd commit batch=%zu committed=%zu", n, rc == 0 ? k : 0);
}

/* Takes this thread's share of the waiting jobs: all of them, divided
 * among the threads that are free. Called locked; 0 when stopping. */
static size_t
commit_take(struct smtpd_committer *c, struct commit_jobs *work)
{
	size_t share, n;

	while (c->ntodo == 0 && !c->stop) {
		c->idle++;
		pthread_cond_wait(&c->cond, &c->lock);
		c->idle--;
	}
	share = (c->ntodo + c->idle) / (c->idle + 1);
	for (n = 0; n < share; n++) {
		struct smtpd_commit_job *job = TAILQ_FIRST(&c->todo);

		TAILQ_REMOVE(&c->todo, job, entry);
		TAILQ_INSERT_TAIL(work, job, entry);
	}
	c->ntodo -= share;
	if (c->ntodo > 0 && c->idle > 0)
		pthread_cond_signal(&c->cond);
	return share;
}

static void *
committer_main(void *arg)
{
	struct smtpd_committer *c = arg;
	struct commit_jobs work;
	uint64_t one = 1;
	size_t n;

	for (;;) {
		TAILQ_INIT(&work);
		pthread_mutex_lock(&c->lock);
		n = commit_take(c, &work);
		pthread_mutex_unlock(&c->lock);
		if (n == 0)
			break;

		commit_batch(&work, n);

		pthread_mutex_lock(&c->lock);
		TAILQ_CONCAT(&c->done, &work, entry);
		pthread_mutex_unlock(&c->lock);
		while (write(c->efd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

/* On the loop: answers every finished job. */
static void
committer_wake(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_committer *c = arg;
	struct commit_jobs done;
	struct smtpd_commit_job *job;
	uint64_t count;

	(void)!read(c->efd, &count, sizeof(count));
	TAILQ_INIT(&done);
	pthread_mutex_lock(&c->lock);
	TAILQ_CONCAT(&done, &c->done, entry);
	pthread_mutex_unlock(&c->lock);
	while ((job = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, job, entry);
		job->done(job);
	}
}

static void
committer_stop(struct smtpd_committer *c)
{
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	c->nthreads = 0;
}

struct smtpd_committer *
smtpd_committer_new(struct event_base *base)
{
	struct smtpd_committer *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	TAILQ_INIT(&c->todo);
	TAILQ_INIT(&c->done);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if ((c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_syserr("smtpd eventfd");
		goto fail;
	}
	if ((c->ev = event_new(base, c->efd, EV_READ | EV_PERSIST, committer_wake, c)) == NULL ||
	    event_add(c->ev, NULL) == -1)
		goto fail;
	for (; c->nthreads < COMMIT_THREADS; c->nthreads++) {
		if ((errno = pthread_create(&c->threads[c->nthreads], NULL,
		    committer_main, c)) != 0) {
			log_syserr("smtpd committer thread");
			goto fail;
		}
	}
	return c;
fail:
	committer_stop(c);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->efd != -1)
		close(c->efd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

struct smtpd_committer *
smtpd_committer_free(struct smtpd_committer *c)
{
	if (c == NULL)
		return NULL;
	committer_stop(c);
	event_free(c->ev);
	close(c->efd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

void
smtpd_commit_submit(struct smtpd_committer *c, struct smtpd_commit_job *job)
{
	pthread_mutex_lock(&c->lock);
	TAILQ_INSERT_TAIL(&c->todo, job, entry);
	c->ntodo++;
	if (c->idle > 0)
		pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

struct smtpd_notify {
	struct event_base *base;
	char		 path[4096];
	struct bufferevent *bev;	/* NULL while disconnected */
	struct mg_buf	 frame;
};

static void
notify_drop(struct smtpd_notify *n)
{
	bufferevent_free(n->bev);
	n->bev = NULL;
}

static void
notify_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));	/* queued sends nothing */
}

static void
notify_event_cb(struct bufferevent *bev, short what, void *arg)
{
	log_info("smtpd queued disconnected");
	notify_drop(arg);
}

struct smtpd_notify *
smtpd_notify_new(struct event_base *base, const char *spool_dir)
{
	struct smtpd_notify *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->base = base;
	snprintf(n->path, sizeof(n->path), "%s/%s", spool_dir, PROTO_QUEUED_SOCK);
	mg_buf_init(&n->frame, 64);
	return n;
}

struct smtpd_notify *
smtpd_notify_free(struct smtpd_notify *n)
{
	if (n == NULL)
		return NULL;
	if (n->bev != NULL)
		bufferevent_free(n->bev);
	mg_buf_release(&n->frame);
	free(n);
	return NULL;
}

/* Connected to queued with room in the backlog: 0, else -MG_EAGAIN.
 * A connection attempt per message while queued is away costs
 * microseconds; backing off would leave messages committed just after
 * queued's restart waiting for its periodic scan. */
static int
notify_ready(struct smtpd_notify *n)
{
	int fd;

	if (n->bev == NULL) {
		if ((fd = unix_connect(n->path)) < 0)
			return -MG_EAGAIN;
		if ((n->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			evutil_closesocket(fd);
			return -MG_EAGAIN;
		}
		bufferevent_setcb(n->bev, notify_read_cb, NULL, notify_event_cb, n);
		bufferevent_enable(n->bev, EV_READ | EV_WRITE);
	}
	if (evbuffer_get_length(bufferevent_get_output(n->bev)) > NOTIFY_BACKLOG_MAX)
		return -MG_EAGAIN;
	return 0;
}

void
smtpd_notify_send(struct smtpd_notify *n, uint64_t qid)
{
	if (notify_ready(n) < 0)
		return;
	mg_buf_reset(&n->frame);
	if (proto_queue_notify_encode(&n->frame, qid) == 0)
		bufferevent_write(n->bev, n->frame.data, n->frame.len);
}

int
smtpd_notify_frames(struct smtpd_notify *n, const void *frames, size_t len, bool sync)
{
	struct evbuffer *out;
	struct pollfd pfd;
	uint64_t deadline = mg_clock_ms() + NOTIFY_SYNC_MS, now;

	if (notify_ready(n) < 0)
		return -MG_EAGAIN;
	if (bufferevent_write(n->bev, frames, len) == -1)
		return -MG_EAGAIN;
	if (!sync)
		return 0;
	out = bufferevent_get_output(n->bev);
	pfd.fd = bufferevent_getfd(n->bev);
	pfd.events = POLLOUT;
	/* a socket bufferevent keeps its output frozen but while it writes:
	 * write the same way it does */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		if (evbuffer_write(out, pfd.fd) >= 0)
			continue;
		if ((errno != EAGAIN && errno != EINTR) || (now = mg_clock_ms()) >= deadline ||
		    (poll(&pfd, 1, (int)(deadline - now)) == -1 && errno != EINTR)) {
			log_syswarn("smtpd queued write unsent=%zu", evbuffer_get_length(out));
			notify_drop(n);
			return -MG_EIO;
		}
	}
	evbuffer_freeze(out, 1);
	return 0;
}
