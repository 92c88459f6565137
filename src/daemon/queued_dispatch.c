/* The dispatch of policy actions in queued (queued_dispatch.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "daemon/queued_dispatch.h"
#include "daemon/queued_quarantine.h"
#include "mime/rewrite.h"
#include "quarantine/notice.h"
#include "spool/spool.h"

#define STRIP_NOTICE \
	"An attachment was removed from this message by the mail gateway's policy\n" \
	"(\"%s\"). Ask the sender to share the file another way, or contact your\n" \
	"mail administrator.\n"

/* One dispatch: the message, its data once read, what was done. */
struct dispatch {
	struct queue_ctx *ctx;
	struct envelope	*e;
	struct mg_buf	 data;		/* read on first need */
	bool		 data_read;
	bool		 id_used;	/* e->id named a quarantine entry already */
	time_t		 now;
};

static bool
act_is(const struct env_rcpt *r, const char *name)
{
	return r->act != NULL && strcmp(r->act, name) == 0;
}

static bool
same_act(const struct env_rcpt *a, const struct env_rcpt *b)
{
	return a->act != NULL && b->act != NULL && strcmp(a->act, b->act) == 0 &&
	    strcmp(a->act_args ? a->act_args : "", b->act_args ? b->act_args : "") == 0 &&
	    strcmp(a->act_filter ? a->act_filter : "", b->act_filter ? b->act_filter : "") == 0;
}

static void
act_clear(struct env_rcpt *r)
{
	free(r->act);
	free(r->act_args);
	free(r->act_filter);
	r->act = r->act_args = r->act_filter = NULL;
}

/* The log line and message-log row of what became of a recipient. */
static void
log_rcpt(const struct dispatch *d, const char *rcpt, const char *status, const char *reply)
{
	struct store_delivery row = { .qid = d->e->id, .time = d->now, .rcpt = rcpt,
	    .remote = "", .status = status, .reply = reply };

	log_info("%016" PRIx64 " delivery rcpt=<%s> status=%s reply=\"%s\"", d->e->id, rcpt,
	    status, reply);
	if (d->ctx->store != NULL && store_log_delivery(d->ctx->store, &row) < 0)
		log_warn("%016" PRIx64 " store log_delivery failed", d->e->id);
}

/* The recipient is done without delivery; reply says how. */
static void
disposed(struct dispatch *d, size_t i, const char *status, const char *reply)
{
	struct env_rcpt *r = &d->e->rcpts[i];

	log_rcpt(d, r->addr, status, reply);
	free(r->reply);
	r->reply = strdup(reply);
	r->status = ENV_RCPT_DISPOSED;
	r->done_at = d->now;
	act_clear(r);
}

static int
data_read(struct dispatch *d)
{
	uint64_t size;
	int fd, rc;

	if (d->data_read)
		return 0;
	if ((rc = spool_data_open(d->ctx->spool, d->e->id, &fd, &size)) < 0)
		return rc;
	if ((rc = mg_buf_reserve(&d->data, (size_t)size)) == 0 &&
	    pread(fd, d->data.data, (size_t)size, 0) != (ssize_t)size)
		rc = -MG_EIO;
	close(fd);
	if (rc == 0) {
		d->data.len = (size_t)size;
		d->data_read = true;
	}
	return rc;
}

/* The recipients with the same action as rcpts[first], pending, into idx. */
static size_t
group(const struct envelope *e, size_t first, size_t *idx)
{
	size_t n = 0;

	for (size_t i = first; i < e->nrcpts; i++)
		if (e->rcpts[i].status == ENV_RCPT_PENDING &&
		    same_act(&e->rcpts[first], &e->rcpts[i]))
			idx[n++] = i;
	return n;
}

/* quarantine or hold for the recipients like rcpts[first]. */
static int
do_quarantine(struct dispatch *d, size_t first, size_t *idx)
{
	struct env_rcpt *r = &d->e->rcpts[first];
	bool hold = act_is(r, "hold");
	uint64_t id = d->id_used ? mg_id_queue() : d->e->id;
	size_t n = group(d->e, first, idx);
	char reason[160], reply[200];
	int rc;

	if (r->act_filter != NULL)
		snprintf(reason, sizeof(reason), "policy:%s", r->act_filter);
	if ((rc = queued_quarantine(d->ctx, d->e, idx, n, hold, id,
	    r->act_filter != NULL ? reason : NULL)) < 0)
		return rc;
	d->id_used = true;
	snprintf(reply, sizeof(reply), "%s as %016" PRIx64, hold ? "held for review" :
	    "quarantined", id);
	for (size_t k = 0; k < n; k++) {
		free(d->e->rcpts[idx[k]].reply);
		d->e->rcpts[idx[k]].reply = strdup(reply);
		d->e->rcpts[idx[k]].status = ENV_RCPT_DISPOSED;
		d->e->rcpts[idx[k]].done_at = d->now;
		act_clear(&d->e->rcpts[idx[k]]);
	}
	return 0;
}

/* The rewritten copy for an action: tag, banner or strip. */
static int
rewrite(struct dispatch *d, const struct env_rcpt *r, struct mg_buf *out, const char **hdr)
{
	const char *args = r->act_args ? r->act_args : "";
	char notice[512];
	size_t nstripped;

	*hdr = NULL;
	if (act_is(r, "tag") && strncmp(args, "subject ", 8) == 0)
		return mime_rewrite_subject(d->data.data, d->data.len, args + 8, out);
	if (act_is(r, "tag") && strncmp(args, "header ", 7) == 0) {
		*hdr = args + 7;
		return mg_buf_append(out, d->data.data, d->data.len);
	}
	if (act_is(r, "deliver-with-banner"))
		return mime_rewrite_banner(d->data.data, d->data.len, args, out);
	snprintf(notice, sizeof(notice), STRIP_NOTICE, r->act_filter ? r->act_filter : "strip");
	return mime_rewrite_strip_all(d->data.data, d->data.len, notice, out, &nstripped);
}

/* The envelope of a copy: e's, with the recipients idx and hdr (a field
 * without its line end, or NULL) added to the gateway's header block. */
static int
copy_envelope(const struct envelope *e, const size_t *idx, size_t n, const char *hdr,
    struct envelope *c)
{
	int rc = 0;

	*c = (struct envelope){ .created = e->created, .outbound = e->outbound,
	    .ret = e->ret, .eightbit = e->eightbit, .smtputf8 = e->smtputf8, .score = e->score };
	if ((e->client_ip && !(c->client_ip = strdup(e->client_ip))) ||
	    (e->client_helo && !(c->client_helo = strdup(e->client_helo))) ||
	    (e->tls && !(c->tls = strdup(e->tls))) ||
	    !(c->mail_from = strdup(e->mail_from)) ||
	    (e->envid && !(c->envid = strdup(e->envid))) ||
	    (e->verdict && !(c->verdict = strdup(e->verdict))) ||
	    (e->action && !(c->action = strdup(e->action))) ||
	    (e->symbols && !(c->symbols = strdup(e->symbols))))
		rc = -MG_ENOMEM;
	else if (asprintf(&c->headers, "%s%s%s", e->headers ? e->headers : "", hdr ? hdr : "",
	    hdr ? "\r\n" : "") < 0) {
		c->headers = NULL;	/* asprintf leaves it undefined */
		rc = -MG_ENOMEM;
	}
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = envelope_add_rcpt(c, e->rcpts[idx[k]].addr, e->rcpts[idx[k]].orcpt,
		    e->rcpts[idx[k]].notify);
	return rc;
}

/* tag, banner or strip for the recipients like rcpts[first]: one copy. */
static int
do_copy(struct dispatch *d, size_t first, size_t *idx)
{
	const struct env_rcpt *r = &d->e->rcpts[first];
	size_t n = group(d->e, first, idx);
	struct envelope c = { 0 };
	struct mg_buf out;
	const char *hdr;
	char reply[200];
	int rc;

	mg_buf_init(&out, SIZE_MAX);
	if ((rc = data_read(d)) == 0 && (rc = rewrite(d, r, &out, &hdr)) == -MG_ENOENT)
		rc = mg_buf_append(&out, d->data.data, d->data.len);	/* nothing to change */
	if (rc == 0 && (rc = copy_envelope(d->e, idx, n, hdr, &c)) == 0 &&
	    (rc = spool_inject(d->ctx->spool, &c, out.data, out.len)) == 0) {
		snprintf(reply, sizeof(reply), "%s%s%s: copy queued as %016" PRIx64, r->act,
		    r->act_args ? " " : "", r->act_args ? r->act_args : "", c.id);
		for (size_t k = n; k-- > 0;)
			disposed(d, idx[k], "copied", reply);
	}
	envelope_clear(&c);
	mg_buf_release(&out);
	return rc;
}

/* The address a notify action writes to, in out; "" when there is none. */
static void
notify_to(const struct dispatch *d, const struct env_rcpt *r, char *out, size_t outlen)
{
	const char *who = r->act_args ? r->act_args : "admin";
	const struct mg_conf *conf = d->ctx->conf;

	if (strcmp(who, "sender") == 0)
		snprintf(out, outlen, "%s", d->e->mail_from);
	else if (strcmp(who, "recipient") == 0)
		snprintf(out, outlen, "%s", r->addr);
	else if (conf_portal_admin(&conf->portal, conf->hostname, out, outlen) < 0)
		out[0] = '\0';
}

/* notify: a notice to the sender, the recipient or the administrator
 * about what the verdict does with the message. */
static int
do_notify(struct dispatch *d, size_t i)
{
	const struct env_rcpt *r = &d->e->rcpts[i];
	const struct mg_conf *conf = d->ctx->conf;
	struct notice_ctx nc = { &conf->portal, conf->hostname, NULL, d->now };
	struct notice_event ev = { d->e->id, d->e->created, d->e->mail_from, r->addr, NULL,
	    d->e->action, r->act_filter, d->e->verdict };
	enum notice_target target = NOTICE_ADMIN;
	struct mg_buf msg;
	char to[320];
	uint64_t id;
	int rc;

	notify_to(d, r, to, sizeof(to));
	if (to[0] == '\0')
		return 0;	/* the null sender gets no notice */
	if (r->act_args != NULL && strcmp(r->act_args, "sender") == 0)
		target = NOTICE_SENDER;
	else if (r->act_args != NULL && strcmp(r->act_args, "recipient") == 0)
		target = NOTICE_RECIPIENT;
	mg_buf_init(&msg, NOTICE_MAX_LEN);
	if ((rc = notice_policy(&nc, target, to, &ev, &msg)) == 0 &&
	    (rc = notice_submit(d->ctx->spool, to, &msg, d->now, &id)) == 0)
		log_info("%016" PRIx64 " policy notify rcpt=<%s> to=<%s> qid=%016" PRIx64,
		    d->e->id, r->addr, to, id);
	mg_buf_release(&msg);
	return rc;
}

/* bcc ADDR: one more recipient, once. */
static int
do_bcc(struct dispatch *d, size_t i, size_t *nbcc)
{
	const char *addr = d->e->rcpts[i].act_args;

	if (addr == NULL || addr[0] == '\0')
		return 0;
	for (size_t k = 0; k < d->e->nrcpts; k++)
		if (strcasecmp(d->e->rcpts[k].addr, addr) == 0)
			return 0;
	if (++*nbcc > DISPATCH_BCC_MAX)
		return 0;
	log_rcpt(d, addr, "added", "blind copy by policy");
	return envelope_add_rcpt(d->e, addr, NULL, 0);
}

/* redirect ADDR: the recipient is replaced; ORCPT keeps who it was. */
static int
do_redirect(struct dispatch *d, size_t i)
{
	struct env_rcpt *r = &d->e->rcpts[i];
	char *addr = r->act_args ? strdup(r->act_args) : NULL, *orcpt = NULL, reply[400];

	if (addr == NULL || (r->orcpt == NULL && asprintf(&orcpt, "rfc822;%s", r->addr) < 0)) {
		free(addr);
		return -MG_ENOMEM;
	}
	snprintf(reply, sizeof(reply), "redirected to <%s> by policy \"%s\"", addr,
	    r->act_filter ? r->act_filter : "");
	log_rcpt(d, r->addr, "redirected", reply);
	if (orcpt != NULL)
		r->orcpt = orcpt;
	free(r->addr);
	r->addr = addr;
	return 0;
}

/* The action the verdict gives, for what follows notify and bcc (a
 * rejection bounces with the verdict's reply, as smtpd would have given). */
static int
verdict_act(struct env_rcpt *r, const struct envelope *e)
{
	const char *action = e->action;

	act_clear(r);
	if (action == NULL || (strcmp(action, "quarantine") != 0 &&
	    strcmp(action, "hold") != 0 && strcmp(action, "reject") != 0))
		return 0;
	if ((r->act = strdup(action)) == NULL)
		return -MG_ENOMEM;
	if (strcmp(action, "reject") == 0 && asprintf(&r->act_args,
	    "550 5.7.1 Message rejected as %s", e->verdict ? e->verdict : "spam") < 0) {
		r->act_args = NULL;	/* asprintf leaves it undefined */
		return -MG_ENOMEM;
	}
	return 0;
}

/* The side effects that leave the recipient where it was. */
static int
dispatch_first_pass(struct dispatch *d)
{
	size_t nbcc = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < d->e->nrcpts; i++) {
		struct env_rcpt *r = &d->e->rcpts[i];
		if (r->status != ENV_RCPT_PENDING || r->act == NULL)
			continue;
		if (act_is(r, "notify") || act_is(r, "bcc")) {
			rc = act_is(r, "notify") ? do_notify(d, i) : do_bcc(d, i, &nbcc);
			r = &d->e->rcpts[i];	/* bcc may have moved the array */
			rc = rc ? rc : verdict_act(r, d->e);
		} else if (act_is(r, "redirect")) {
			rc = do_redirect(d, i);
			act_clear(r);
		} else if (act_is(r, "accept") || (act_is(r, "tag") && r->act_args == NULL)) {
			act_clear(r);
		} else if (act_is(r, "discard")) {
			char reply[200];
			snprintf(reply, sizeof(reply), "discarded by policy \"%s\"",
			    r->act_filter ? r->act_filter : "verdict");
			disposed(d, i, "discarded", reply);
		}
	}
	return rc;
}

int
queued_dispatch(struct queue_ctx *ctx, struct envelope *e)
{
	struct dispatch d = { .ctx = ctx, .e = e, .now = time(NULL) };
	size_t *idx;
	int rc;

	mg_buf_init(&d.data, SIZE_MAX);
	if ((rc = dispatch_first_pass(&d)) < 0 ||
	    (idx = calloc(e->nrcpts ? e->nrcpts : 1, sizeof(*idx))) == NULL) {
		mg_buf_release(&d.data);
		return rc < 0 ? rc : -MG_ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < e->nrcpts; i++) {
		const struct env_rcpt *r = &e->rcpts[i];
		if (r->status != ENV_RCPT_PENDING || r->act == NULL || act_is(r, "reject"))
			continue;
		if (act_is(r, "quarantine") || act_is(r, "hold"))
			rc = do_quarantine(&d, i, idx);
		else
			rc = do_copy(&d, i, idx);
	}
	free(idx);
	mg_buf_release(&d.data);
	return rc;
}
