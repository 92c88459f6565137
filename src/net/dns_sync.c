/* Batches of DNS lookups for scanning threads (dns_sync.h), over one
 * libunbound context per process. Scanning threads submit with
 * ub_resolve_async and sleep on their batch's condition variable; one
 * background thread waits on ub_fd() and runs ub_process(), whose
 * callbacks hand answers over under the lock. A lookup given up at the
 * deadline is cancelled; if its answer is already on its way (ub_cancel
 * finds no query), the callback frees it instead of touching the batch. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "net/dns_sync.h"
#include "net/dns_ub.h"

struct dns_sync {
	struct dns_resolver	 r;	/* first: the public face */
	struct ub_ctx		*ctx;
	pthread_mutex_t		 lock;	/* batches and their pending lookups */
	pthread_t		 thread;
	bool			 running;
	int			 stop[2];	/* written to end the thread */
	uint64_t		 timeout_ns;	/* per query */
};

struct sync_batch {
	pthread_cond_t	 done;
	size_t		 remaining;
};

/* One submitted lookup; malloc'ed because it may outlive its batch. */
struct sync_pending {
	struct dns_sync	*ds;
	struct sync_batch *batch;	/* NULL once the batch gave up on it */
	int		 async_id;
	bool		 answered;
	int		 err;
	struct ub_result *res;
};

/* Runs in the background thread, from ub_process. */
static void
sync_on_result(void *arg, int err, struct ub_result *res)
{
	struct sync_pending *p = arg;
	struct dns_sync *ds = p->ds;

	pthread_mutex_lock(&ds->lock);
	if (p->batch == NULL) {
		pthread_mutex_unlock(&ds->lock);
		ub_resolve_free(res);
		free(p);
		return;
	}
	p->answered = true;
	p->err = err != 0 || res == NULL ? -MG_EIO : 0;
	p->res = res;
	if (--p->batch->remaining == 0)
		pthread_cond_signal(&p->batch->done);
	pthread_mutex_unlock(&ds->lock);
}

static void *
sync_thread(void *arg)
{
	struct dns_sync *ds = arg;
	int rc;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ub_fd(ds->ctx), .events = POLLIN },
			{ .fd = ds->stop[0], .events = POLLIN },
		};
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_syserr("dns sync poll");
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0 && (rc = ub_process(ds->ctx)) != 0)
			log_err("dns sync process error=\"%s\"", ub_strerror(rc));
	}
	return NULL;
}

/* Copies the answer of p into q (rr in the arena); 0 or -MG_ENOMEM. */
static int
sync_copy(struct dns_lookup *q, const struct sync_pending *p, struct mg_arena *arena)
{
	const struct ub_result *res = p->res;
	size_t n = 0;

	q->err = p->err;
	if (p->err != 0)
		return 0;
	q->rcode = res->rcode;
	while (res->havedata && n < DNS_MAX_RR && res->data[n] != NULL)
		n++;
	if (n > 0 && (q->rr = mg_arena_alloc(arena, n * sizeof(*q->rr))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0;
		uint8_t *d = mg_arena_alloc(arena, len ? len : 1);
		if (d == NULL)
			return -MG_ENOMEM;
		memcpy(d, res->data[i], len);
		q->rr[i] = mg_slice_make(d, len);
	}
	q->nrr = n;
	return 0;
}

/* Submits p for q; a lookup that cannot be submitted is answered -MG_EIO. */
static void
sync_submit(struct dns_sync *ds, struct sync_pending *p, const struct dns_lookup *q)
{
	int rc = ub_resolve_async(ds->ctx, q->name, q->type, 1, p, sync_on_result,
	    &p->async_id);

	if (rc == 0)
		return;
	log_debug("dns sync query name=%s error=\"%s\"", q->name, ub_strerror(rc));
	pthread_mutex_lock(&ds->lock);
	p->answered = true;
	p->err = -MG_EIO;
	p->batch->remaining--;
	pthread_mutex_unlock(&ds->lock);
}

/* Waits for the batch until until (monotonic ns), then gives up on what
 * is unanswered: a cancelled lookup is freed here, one whose answer is
 * already being delivered is left to its callback. Under ds->lock. */
static void
sync_wait(struct dns_sync *ds, struct sync_batch *b, struct sync_pending **p, size_t n,
    uint64_t until)
{
	struct timespec ts = { .tv_sec = (time_t)(until / 1000000000u),
		.tv_nsec = (long)(until % 1000000000u) };

	while (b->remaining > 0 && mg_clock_ns() < until)
		if (pthread_cond_timedwait(&b->done, &ds->lock, &ts) == ETIMEDOUT)
			break;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == NULL || p[i]->answered)
			continue;
		if (ub_cancel(ds->ctx, p[i]->async_id) != 0)
			p[i]->batch = NULL;
		else
			free(p[i]);
		p[i] = NULL;
	}
}

static int
sync_resolve(void *ctx, struct dns_lookup *q, size_t n, uint64_t deadline,
    struct mg_arena *arena)
{
	struct dns_sync *ds = ctx;
	struct sync_pending **p;
	struct sync_batch b = { .remaining = n };
	pthread_condattr_t ca;
	uint64_t until = mg_clock_ns() + ds->timeout_ns;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		q[i] = (struct dns_lookup){ .name = q[i].name, .type = q[i].type,
			.err = -MG_ETIMEOUT };
	if (n == 0)
		return 0;
	if ((p = calloc(n, sizeof(*p))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((p[i] = calloc(1, sizeof(**p))) == NULL) {
			while (i-- > 0)
				free(p[i]);
			free(p);
			return -MG_ENOMEM;
		}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b.done, &ca);
	pthread_condattr_destroy(&ca);
	for (size_t i = 0; i < n; i++) {
		*p[i] = (struct sync_pending){ .ds = ds, .batch = &b };
		sync_submit(ds, p[i], &q[i]);
	}
	pthread_mutex_lock(&ds->lock);
	sync_wait(ds, &b, p, n, deadline < until ? deadline : until);
	pthread_mutex_unlock(&ds->lock);
	pthread_cond_destroy(&b.done);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == NULL)
			continue;
		if (rc == 0)
			rc = sync_copy(&q[i], p[i], arena);
		ub_resolve_free(p[i]->res);
		free(p[i]);
	}
	free(p);
	return rc;
}

struct dns_resolver *
dns_sync_open(const struct conf_resolver *rc, char *err, size_t errlen)
{
	struct dns_sync *ds = calloc(1, sizeof(*ds));

	if (ds == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ds->stop[0] = ds->stop[1] = -1;
	pthread_mutex_init(&ds->lock, NULL);
	ds->r = (struct dns_resolver){ .resolve = sync_resolve, .ctx = ds };
	ds->timeout_ns = (uint64_t)(rc->timeout ? rc->timeout : 5) * 1000000000u;
	if ((ds->ctx = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "cannot create resolver context");
		goto fail;
	}
	if (dns_ub_configure(ds->ctx, rc, err, errlen) < 0)
		goto fail;
	if (pipe2(ds->stop, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&ds->thread, NULL, sync_thread, ds) != 0) {
		snprintf(err, errlen, "cannot start the resolver thread");
		goto fail;
	}
	ds->running = true;
	return &ds->r;
fail:
	dns_sync_close(&ds->r);
	return NULL;
}

/* Only once no thread is inside resolve. */
struct dns_resolver *
dns_sync_close(struct dns_resolver *r)
{
	struct dns_sync *ds;

	if (r == NULL)
		return NULL;
	ds = r->ctx;
	if (ds->running) {
		while (write(ds->stop[1], "x", 1) == -1 && errno == EINTR)
			;
		pthread_join(ds->thread, NULL);
	}
	if (ds->ctx != NULL)
		ub_ctx_delete(ds->ctx);
	for (int i = 0; i < 2; i++)
		if (ds->stop[i] != -1)
			close(ds->stop[i]);
	pthread_mutex_destroy(&ds->lock);
	free(ds);
	return NULL;
}
