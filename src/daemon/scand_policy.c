/* scand's side of the policies (scand_policy.h): the shared filter set,
 * reread on a timer, and the per-recipient decision made while the engine
 * still holds the parsed message. */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/scand_policy.h"
#include "engine/policy_msg.h"
#include "store/store.h"

#define DECIDE_ARENA_MAX	(64u << 20)

struct scand_policy {
	struct mg_conf	*const *conf;
	pthread_mutex_t	 lock;
	struct policy_ref *cur;		/* under lock */
	struct event	*timer;
	bool		 store_down;	/* the last read failed (logged once) */
};

static void
ref_release(struct policy_ref *r)
{
	policy_set_clear(&r->set);
	free(r);
}

void
scand_policy_put(struct scand_policy *sp, struct policy_ref *r)
{
	bool last;

	pthread_mutex_lock(&sp->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&sp->lock);
	if (last)
		ref_release(r);
}

struct policy_ref *
scand_policy_get(struct scand_policy *sp)
{
	struct policy_ref *r;

	pthread_mutex_lock(&sp->lock);
	r = sp->cur;
	r->refs++;
	pthread_mutex_unlock(&sp->lock);
	return r;
}

/* Reads the filters; a store that cannot be read keeps the set in use. */
static void
policy_reload(struct scand_policy *sp)
{
	const struct mg_conf *conf = *sp->conf;
	struct policy_ref *fresh = calloc(1, sizeof(*fresh)), *old;
	struct store *st;
	char err[512];
	int rc = -MG_ENOMEM;

	if (fresh != NULL && (st = store_open(conf->store_path, true, err, sizeof(err))) != NULL) {
		rc = policy_set_load(st, &fresh->set);
		store_close(st);
	} else if (fresh != NULL) {
		rc = -MG_EIO;
	}
	if (rc < 0) {
		if (!sp->store_down)
			log_warn("scand policy reload status=failed error=\"%s\" filters=kept",
			    rc == -MG_EIO ? err : mg_strerror(rc));
		sp->store_down = true;
		free(fresh);
		return;
	}
	fresh->refs = 1;
	pthread_mutex_lock(&sp->lock);
	old = sp->cur;
	if (sp->store_down || old->set.n != fresh->set.n)
		log_info("scand policy reload status=ok filters=%zu", fresh->set.n);
	sp->store_down = false;
	sp->cur = fresh;
	pthread_mutex_unlock(&sp->lock);
	if (old != NULL)
		scand_policy_put(sp, old);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	policy_reload(arg);
}

struct scand_policy *
scand_policy_new(struct event_base *base, struct mg_conf *const *conf)
{
	struct scand_policy *sp = calloc(1, sizeof(*sp));
	struct timeval tv = { SCAND_POLICY_RELOAD, 0 };

	if (sp == NULL)
		return NULL;
	sp->conf = conf;
	pthread_mutex_init(&sp->lock, NULL);
	/* an empty set until the store can be read */
	if ((sp->cur = calloc(1, sizeof(*sp->cur))) == NULL ||
	    (sp->timer = event_new(base, -1, EV_PERSIST, on_timer, sp)) == NULL ||
	    event_add(sp->timer, &tv) == -1)
		return scand_policy_free(sp);
	sp->cur->refs = 1;
	policy_reload(sp);
	return sp;
}

struct scand_policy *
scand_policy_free(struct scand_policy *sp)
{
	if (sp == NULL)
		return NULL;
	if (sp->timer != NULL)
		event_free(sp->timer);
	if (sp->cur != NULL)
		scand_policy_put(sp, sp->cur);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
	return NULL;
}

/* Bulk mail (checks/bulk.h: BULK_MAIL fired) accepted by the verdict
 * gets the recipient's bulk action (engine.bulk, docs/bulk.md). */
static bool
bulk_act(const struct scand_decision *d, const struct mg_result *res, const char *rcpt,
    struct proto_rcpt_act *a)
{
	static const struct proto_rcpt_act acts[] = {
		[CONF_BULK_TAG] = { POLICY_ACT_TAG, "header X-Mailgate-Bulk: yes", "bulk" },
		[CONF_BULK_QUARANTINE] = { POLICY_ACT_QUARANTINE, "", "bulk" },
		[CONF_BULK_HOLD] = { POLICY_ACT_HOLD, "", "bulk" },
		[CONF_BULK_DISCARD] = { POLICY_ACT_DISCARD, "", "bulk" },
	};
	int act;
	size_t i;

	if (res->verdict_action > MG_VERDICT_TAG || !d->bulk->enabled)
		return false;
	for (i = 0; i < res->nsymbols && strcmp(res->symbols[i].name, "BULK_MAIL") != 0; i++)
		;
	if (i == res->nsymbols || (act = conf_bulk_action(d->bulk, rcpt)) == CONF_BULK_DELIVER)
		return false;
	*a = acts[act];
	return true;
}

/* The verdict's own action for a recipient no filter decided for. */
static enum policy_act
verdict_act(enum mg_verdict_action a)
{
	switch (a) {
	case MG_VERDICT_TAG:		return POLICY_ACT_TAG;
	case MG_VERDICT_QUARANTINE:	return POLICY_ACT_QUARANTINE;
	case MG_VERDICT_HOLD:		return POLICY_ACT_HOLD;
	case MG_VERDICT_REJECT:		return POLICY_ACT_REJECT;
	default:			return POLICY_ACT_ACCEPT;
	}
}

static void
decide_rcpt(struct scand_decision *d, const struct policy_msg *pm, const struct mg_result *res,
    uint32_t i)
{
	const char *rcpt = d->req->rcpts[i];
	struct proto_rcpt_act *a = &d->acts[i];
	struct policy_decision pd;

	policy_decide(d->set, pm, rcpt, &pd, NULL, NULL);
	for (size_t k = 0; k < pd.nmonitor; k++)
		log_info("%016" PRIx64 " policy monitor filter=\"%s\" rcpt=<%s> would=%s",
		    d->req->qid, pd.monitor[k]->name, rcpt, policy_act_name(pd.monitor[k]->action));
	if (pd.filter != NULL) {
		*a = (struct proto_rcpt_act){ (uint8_t)pd.filter->action, pd.filter->args,
		    pd.filter->name };
		log_info("%016" PRIx64 " policy filter=\"%s\" rcpt=<%s> action=%s%s%s",
		    d->req->qid, pd.filter->name, rcpt, policy_act_name(pd.filter->action),
		    pd.filter->args[0] ? " args=" : "", pd.filter->args);
	} else if (!bulk_act(d, res, rcpt, a)) {
		*a = (struct proto_rcpt_act){ (uint8_t)verdict_act(res->verdict_action), "", "" };
		if (a->act == POLICY_ACT_REJECT)
			a->args = d->verdict_reply;
	}
	if (a->act == POLICY_ACT_REJECT) {
		d->nreject++;
		if (d->reject_reply == NULL && a->args[0] != '\0')
			d->reject_reply = a->args;
	}
}

int
scand_policy_inspect(const struct mime_msg *m, const struct mg_result *res, void *arg)
{
	struct scand_decision *d = arg;
	const struct proto_scan_request *req = d->req;
	struct policy_msg pm = { .mail_from = req->mail_from, .client_ip = req->client_ip,
		.helo = req->helo, .nrcpts = req->nrcpts, .size = d->size };
	struct mg_arena *a = NULL;
	int rc = 0;

	snprintf(d->verdict_reply, sizeof(d->verdict_reply), "550 5.7.1 %s", res->reply);
	if (d->set->n > 0) {
		if ((a = mg_arena_new(64 * 1024, DECIDE_ARENA_MAX)) == NULL)
			return -MG_ENOMEM;
		rc = policy_msg_from_scan(a, m, res, &pm);
	}
	for (uint32_t i = 0; rc == 0 && i < req->nrcpts; i++)
		decide_rcpt(d, &pm, res, i);
	mg_arena_free(a);
	return rc;
}
