/* The digest job (queued_digest.h): reads the quarantine rows of the
 * retention period (not held for review, not released), groups them by
 * protected recipient, and queues a digest (quarantine/notice.h) for each
 * recipient that is due and has something new since the last one. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/queued_digest.h"
#include "quarantine/notice.h"
#include "queue/scheduler.h"
#include "spool/spool.h"

struct dg_user {
	char		*addr;		/* lower case */
	size_t		*idx;		/* rows for addr, newest first */
	size_t		 n, cap;
};

struct dg_run {
	const struct mg_conf *conf;
	struct store_quarantine *rows;	/* strings owned */
	size_t		 nrows, caprows;
	struct dg_user	*users;
	size_t		 nusers, capusers;
};

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *np;
	size_t ncap = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -MG_ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int
row_copy(const struct store_quarantine *q, void *arg)
{
	struct dg_run *r = arg;
	struct store_quarantine *c;

	if (q->released != 0)
		return 0;
	if (grow((void **)&r->rows, &r->caprows, r->nrows, sizeof(*r->rows)) < 0)
		return -MG_ENOMEM;
	c = &r->rows[r->nrows];
	*c = *q;
	c->mail_from = strdup(q->mail_from ? q->mail_from : "");
	c->rcpts = strdup(q->rcpts ? q->rcpts : "");
	c->subject = strdup(q->subject ? q->subject : "");
	c->category = strdup(q->category ? q->category : "");
	c->reason = strdup(q->reason ? q->reason : "");
	c->symbols = c->released_to = NULL;
	r->nrows++;
	return c->mail_from && c->rcpts && c->subject && c->category && c->reason ? 0 :
	    -MG_ENOMEM;
}

/* Adds row i to the group of addr (len bytes), made when new. */
static int
user_add(struct dg_run *r, const char *addr, size_t len, size_t i)
{
	struct dg_user *u = NULL;

	for (size_t k = 0; u == NULL && k < r->nusers; k++)
		if (strlen(r->users[k].addr) == len && strncasecmp(r->users[k].addr, addr, len) == 0)
			u = &r->users[k];
	if (u == NULL) {
		if (grow((void **)&r->users, &r->capusers, r->nusers, sizeof(*r->users)) < 0)
			return -MG_ENOMEM;
		u = &r->users[r->nusers];
		*u = (struct dg_user){ .addr = strndup(addr, len) };
		if (u->addr == NULL)
			return -MG_ENOMEM;
		r->nusers++;
		for (char *p = u->addr; *p != '\0'; p++)
			*p = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
	}
	if (u->n > 0 && u->idx[u->n - 1] == i)
		return 0;	/* listed twice in one row */
	if (grow((void **)&u->idx, &u->cap, u->n, sizeof(*u->idx)) < 0)
		return -MG_ENOMEM;
	u->idx[u->n++] = i;
	return 0;
}

/* Groups the rows by their recipients in the protected domains. */
static int
group_rows(struct dg_run *r)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < r->nrows; i++) {
		for (const char *p = r->rows[i].rcpts; rc == 0 && *p != '\0';) {
			const char *end = strstr(p, ", ");
			size_t len = end ? (size_t)(end - p) : strlen(p);
			const char *at = memrchr(p, '@', len);
			if (at != NULL && at + 1 < p + len && len < QTOKEN_USER_MAX &&
			    conf_route_for(r->conf, at + 1, (size_t)(p + len - at - 1)) != NULL)
				rc = user_add(r, p, len, i);
			p += len + (end ? 2 : 0);
		}
	}
	return rc;
}

static void
run_clear(struct dg_run *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		free((char *)r->rows[i].mail_from);
		free((char *)r->rows[i].rcpts);
		free((char *)r->rows[i].subject);
		free((char *)r->rows[i].category);
		free((char *)r->rows[i].reason);
	}
	for (size_t i = 0; i < r->nusers; i++) {
		free(r->users[i].addr);
		free(r->users[i].idx);
	}
	free(r->rows);
	free(r->users);
}

/* Composes, queues and records the digest of u's rows newer than since:
 * 1 when sent, 0 when there was nothing new, or -MG_E*. */
static int
digest_send(struct queue_ctx *ctx, const struct notice_ctx *nc, struct dg_run *r,
    const struct dg_user *u, time_t since, time_t upto)
{
	uint32_t max = ctx->conf->portal.digest.max_items;
	struct store_quarantine *items = calloc(max, sizeof(*items));
	struct mg_buf msg;
	size_t n = 0, total = 0;
	uint64_t id;
	int rc;

	if (items == NULL)
		return -MG_ENOMEM;
	for (size_t k = 0; k < u->n; k++) {
		if (r->rows[u->idx[k]].time <= since)
			continue;
		if (n < max)
			items[n++] = r->rows[u->idx[k]];
		total++;
	}
	mg_buf_init(&msg, NOTICE_MAX_LEN);
	rc = total == 0 ? 0 : notice_digest(nc, u->addr, items, n, total, &msg);
	if (rc == 0 && total > 0 && (rc = notice_submit(ctx->spool, u->addr, &msg, nc->now,
	    &id)) == 0) {
		log_info("%016" PRIx64 " digest queued to=<%s> items=%zu listed=%zu size=%zu", id,
		    u->addr, total, n, msg.len);
		if (ctx->sched != NULL && sched_add(ctx->sched, id, nc->now, true) < 0)
			log_warn("%016" PRIx64 " digest not scheduled; the next queue scan finds it",
			    id);
		if (store_digest_set(ctx->store, u->addr, upto) < 0)
			log_warn("%016" PRIx64 " digest not recorded to=<%s>", id, u->addr);
	}
	mg_buf_release(&msg);
	free(items);
	return rc < 0 ? rc : total > 0;
}

/* Sends the digests that are due; *sent and *deferred count them. */
static void
digest_users(struct queue_ctx *ctx, const struct notice_ctx *nc, struct dg_run *r,
    time_t upto, size_t *sent, size_t *deferred)
{
	time_t interval = (time_t)ctx->conf->portal.digest.interval_hours * 3600;

	for (size_t i = 0; i < r->nusers; i++) {
		time_t last = 0;
		int rc;
		if (store_digest_get(ctx->store, r->users[i].addr, &last) < 0) {
			log_warn("digest status=failed to=<%s> error=\"store\"", r->users[i].addr);
			continue;
		}
		if (last != 0 && nc->now - last < interval)
			continue;
		if (*sent >= QUEUED_DIGEST_USERS_MAX) {
			(*deferred)++;
			continue;
		}
		if ((rc = digest_send(ctx, nc, r, &r->users[i], last ? last : upto - interval,
		    upto)) < 0)
			log_warn("digest status=failed to=<%s> error=\"%s\"", r->users[i].addr,
			    mg_strerror(rc));
		else
			*sent += (size_t)rc;
	}
}

void
queued_digest_run(struct queue_ctx *ctx, time_t now)
{
	const struct mg_conf *conf = ctx->conf;
	uint8_t key[QTOKEN_KEY_LEN];
	char path[4096];
	struct dg_run r = { .conf = conf };
	struct notice_ctx nc = { .conf = &conf->portal, .hostname = conf->hostname,
	    .key = key, .now = now };
	/* rows up to the second before now: all of them are written by now */
	struct store_quarantine_query q = { .hold = STORE_HOLD_NONE, .until = now - 1,
	    .since = now - (time_t)conf->quarantine.retention * 86400,
	    .limit = QUEUED_DIGEST_ROWS_MAX };
	size_t sent = 0, deferred = 0;
	int rc;

	if (!conf_portal_digests(&conf->portal) || ctx->store == NULL)
		return;
	if (conf_portal_key_file(&conf->portal, conf->store_path, path, sizeof(path)) < 0 ||
	    (rc = qtoken_key_load(path, key)) < 0) {
		log_err("digest status=failed error=\"portal key %s unusable\"", path);
		return;
	}
	if ((rc = store_quar_search(ctx->store, &q, row_copy, &r)) < 0 ||
	    (rc = group_rows(&r)) < 0)
		log_err("digest status=failed error=\"%s\"", mg_strerror(rc));
	else
		digest_users(ctx, &nc, &r, now - 1, &sent, &deferred);
	if (deferred > 0)
		log_info("digest deferred users=%zu sent=%zu; the next run sends them", deferred,
		    sent);
	if (sent > 0 && ctx->kick != NULL)
		ctx->kick(ctx);
	run_clear(&r);
}
