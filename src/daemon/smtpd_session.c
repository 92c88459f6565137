/* smtpd's smtp_server backend: relay control at RCPT, the envelope as the
 * transaction goes, content streamed into spool/incoming/, then the scan
 * round trip to scand and the group commit before the 250. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/smtpd_int.h"
#include "daemon/smtpd_stats.h"
#include "policy/policy.h"
#include "smtp/smtp_data.h"
#include "spool/envelope.h"

#define R_TEMPFAIL	"451 4.3.0 Temporary failure, please try again later"
#define R_RELAY		"550 5.7.1 Relaying denied"
#define R_UNTRUSTED	"550 5.7.1 Relaying denied: client not trusted"
#define R_VERIFY_FAILED	"451 4.4.3 Recipient verification failed, please try again later"
#define XTEXT_MAX	1024		/* decoded ENVID / ORCPT */

struct smtpd_tx {
	struct envelope	 env;
	struct spool_file file;
	bool		 have_file;
	unsigned	 flags;		/* SMTP_DATA_* */
	struct smtpd_scan_job scan;
	struct smtpd_commit_job commit;
};

/* A recipient waiting for its validation (an LDAP or call-out answer). */
struct smtpd_rcpt {
	char		*addr;
	char		*orcpt;		/* decoded, or NULL */
	unsigned	 notify;	/* SMTP_NOTIFY_* */
};

struct smtpd_sess {
	TAILQ_ENTRY(smtpd_sess) entry;
	struct smtpd	*d;
	struct smtpd_listener *lst;
	struct smtpd_cfg *cfg;		/* referenced until the session ends */
	struct smtp_session *smtp;
	struct smtpd_tx	*tx;
	struct guard_client client;	/* guard's view of the peer */
	uint64_t	 accepted_ms;	/* the greet delay counts from here */
	char		 reply[GUARD_REPLY_MAX];	/* a guard refusal */
	struct smtpd_rcpt wait;		/* the recipient being validated */
};

static void
tx_free(struct smtpd_sess *ss)
{
	struct smtpd_tx *tx = ss->tx;

	if (tx == NULL)
		return;
	if (tx->have_file)
		spool_file_abort(&tx->file);
	envelope_clear(&tx->env);
	free(tx);
	ss->tx = NULL;
}

/* Decodes RFC 3461 xtext into a new string; NULL when absent or bad. */
static char *
xtext_dup(struct mg_slice in)
{
	struct mg_buf b;

	if (in.len == 0)
		return NULL;
	mg_buf_init(&b, XTEXT_MAX);
	if (smtp_xtext_decode(in, &b) < 0 || mg_buf_cstr(&b) < 0) {
		mg_buf_release(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* guard at MAIL: the client's and the sender's message rates, and the
 * authenticated user's. */
static enum guard_reason
mail_guard(struct smtpd_sess *ss)
{
	const struct conf_guard *c = &ss->cfg->conf->guard;
	const char *user = smtp_session_info(ss->smtp)->user;
	enum guard_reason why;

	why = guard_mail(ss->d->guard, c, &ss->client, ss->tx->env.mail_from, ss->reply,
	    sizeof(ss->reply));
	if (why == GUARD_PASS && user != NULL)
		why = guard_mail_user(ss->d->guard, c, &ss->client, user, ss->reply,
		    sizeof(ss->reply));
	return why;
}

static const char *
sess_mail(struct smtp_session *smtp, const struct smtp_cmd *cmd)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);
	struct smtpd_tx *tx;
	enum guard_reason why;

	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return R_TEMPFAIL;
	ss->tx = tx;
	tx->env.mail_from = strndup((const char *)cmd->path.mailbox.ptr,
	    cmd->path.mailbox.len);
	if (tx->env.mail_from != NULL && (why = mail_guard(ss)) != GUARD_PASS) {
		smtpd_refused(ss->d, smtp_session_info(smtp)->id, why, ss->client.ip);
		tx_free(ss);
		return ss->reply;
	}
	tx->env.envid = xtext_dup(cmd->envid);
	tx->env.ret = cmd->ret == SMTP_RET_FULL ? ENV_RET_FULL :
	    cmd->ret == SMTP_RET_HDRS ? ENV_RET_HDRS : ENV_RET_UNSET;
	tx->env.eightbit = cmd->body == SMTP_BODY_8BITMIME;
	tx->env.smtputf8 = cmd->smtputf8;
	tx->env.outbound = ss->lst->role == CONF_ROLE_OUTBOUND;
	if (tx->env.mail_from == NULL) {
		tx_free(ss);
		return R_TEMPFAIL;
	}
	return NULL;
}

/* Relay control. Inbound: protected domains only, and RFC 5321's
 * domainless <postmaster>, which goes to the first protected domain's
 * postmaster. Outbound: trusted or authenticated clients only, any domain. */
static const char *
relay_check(const struct smtpd_sess *ss, const struct smtp_cmd *cmd,
    const char **postmaster_domain)
{
	const struct mg_conf *conf = ss->cfg->conf;
	struct mg_slice dom = cmd->path.domain;

	*postmaster_domain = NULL;
	if (ss->lst->role == CONF_ROLE_OUTBOUND) {
		if (smtp_session_info(ss->smtp)->user == NULL &&
		    !conf_is_trusted(conf, &smtp_session_info(ss->smtp)->peer.sa))
			return R_UNTRUSTED;
	} else if (dom.len > 0 && conf_route_for(conf, (const char *)dom.ptr, dom.len) == NULL) {
		return R_RELAY;
	}
	if (dom.len == 0) {
		if (conf->nroutes == 0)
			return R_RELAY;
		*postmaster_domain = conf->routes[0].domain;
	}
	return NULL;
}

static void
rcpt_clear(struct smtpd_rcpt *r)
{
	free(r->addr);
	free(r->orcpt);
	memset(r, 0, sizeof(*r));
}

/* A guard refusal: counted, its reply in ss->reply; past max_unknown the
 * session closes after it. */
static const char *
rcpt_refused(struct smtpd_sess *ss, enum guard_reason why)
{
	smtpd_refused(ss->d, smtp_session_info(ss->smtp)->id, why, ss->client.ip);
	if (why == GUARD_UNKNOWN_LIMIT)
		smtp_session_close(ss->smtp, NULL);	/* after this reply */
	return ss->reply;
}

/* The recipient exists (or is not validated): the recipient domain's
 * rate, greylisting (inbound, untrusted clients), then the envelope. */
static const char *
rcpt_accept(struct smtpd_sess *ss, const struct smtpd_rcpt *r)
{
	const struct smtp_session_info *info = smtp_session_info(ss->smtp);
	bool grey = ss->lst->role == CONF_ROLE_INBOUND &&
	    !conf_is_trusted(ss->cfg->conf, &info->peer.sa);
	enum guard_reason why;

	why = guard_rcpt_accept(ss->d->guard, &ss->cfg->conf->guard, &ss->client, grey,
	    ss->tx->env.mail_from, r->addr, ss->reply, sizeof(ss->reply));
	if (why != GUARD_PASS)
		return rcpt_refused(ss, why);
	if (envelope_add_rcpt(&ss->tx->env, r->addr, r->orcpt, r->notify) < 0)
		return R_TEMPFAIL;
	return NULL;
}

/* What a validation result means for the recipient: NULL accepts. */
static const char *
rcpt_verdict(struct smtpd_sess *ss, const struct smtpd_rcpt *r, enum verify_result v,
    const char *detail)
{
	const struct conf_guard *c = &ss->cfg->conf->guard;
	uint64_t id = smtp_session_info(ss->smtp)->id;

	if (v == VERIFY_UNKNOWN || v == VERIFY_FAILED)
		log_info("%016" PRIx64 " guard verify rcpt=<%s> result=%s detail=\"%s\"", id,
		    r->addr, v == VERIFY_UNKNOWN ? "unknown" : "failed", detail);
	switch (v) {
	case VERIFY_UNKNOWN:
		return rcpt_refused(ss, guard_rcpt_unknown(c, &ss->client, ss->reply,
		    sizeof(ss->reply)));
	case VERIFY_FAILED:
		if (c->recipients.on_error == CONF_RCPT_TEMPFAIL)
			return R_VERIFY_FAILED;
		/* FALLTHROUGH */
	default:
		return rcpt_accept(ss, r);
	}
}

/* The answer of a validation that rcpt_verify left pending. */
static void
rcpt_verified(enum verify_result v, const char *detail, void *arg)
{
	struct smtpd_sess *ss = arg;
	const char *why = rcpt_verdict(ss, &ss->wait, v, detail);

	rcpt_clear(&ss->wait);
	smtp_session_reply(ss->smtp, "%s", why != NULL ? why : "250 2.1.5 Ok");
}

/* Recipient validation for inbound mail (guard.recipients); the client's
 * recipient rate first. r is taken over when the answer comes later. */
static const char *
rcpt_verify(struct smtpd_sess *ss, struct smtpd_rcpt *r, const struct smtp_cmd *cmd)
{
	const struct conf_route *route;
	char detail[VERIFY_DETAIL_MAX];
	enum guard_reason why;
	enum verify_result v;

	why = guard_rcpt(ss->d->guard, &ss->cfg->conf->guard, &ss->client, ss->reply,
	    sizeof(ss->reply));
	if (why != GUARD_PASS)
		return rcpt_refused(ss, why);
	if (ss->lst->role != CONF_ROLE_INBOUND || ss->client.allowed ||
	    cmd->path.domain.len == 0 ||
	    (route = conf_route_for(ss->cfg->conf, (const char *)cmd->path.domain.ptr,
	    cmd->path.domain.len)) == NULL)
		return rcpt_accept(ss, r);
	v = verify_rcpt(ss->cfg->verify, r->addr, route, rcpt_verified, ss, detail,
	    sizeof(detail));
	if (v != VERIFY_PENDING)
		return rcpt_verdict(ss, r, v, detail);
	ss->wait = *r;
	memset(r, 0, sizeof(*r));
	return smtp_reply_later;
}

static const char *
sess_rcpt(struct smtp_session *smtp, const struct smtp_cmd *cmd)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);
	struct smtpd_rcpt r = { .notify = cmd->notify };
	const char *why, *pm;

	if ((why = relay_check(ss, cmd, &pm)) != NULL)
		return why;
	if (pm != NULL) {
		if ((r.addr = malloc(strlen("postmaster@") + strlen(pm) + 1)) != NULL)
			strcat(strcpy(r.addr, "postmaster@"), pm);
	} else {
		r.addr = strndup((const char *)cmd->path.mailbox.ptr, cmd->path.mailbox.len);
	}
	if (r.addr == NULL)
		return R_TEMPFAIL;
	if (cmd->orcpt.len > 0 && (r.orcpt = xtext_dup(cmd->orcpt)) == NULL) {
		rcpt_clear(&r);
		return "501 5.5.4 Malformed ORCPT parameter";
	}
	why = rcpt_verify(ss, &r, cmd);
	rcpt_clear(&r);
	return why;
}

static const char *
sess_data_begin(struct smtp_session *smtp)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);

	if (spool_file_create(ss->d->spool, &ss->tx->file) < 0)
		return R_TEMPFAIL;
	ss->tx->have_file = true;
	return NULL;
}

static int
sess_data_chunk(struct smtp_session *smtp, const uint8_t *p, size_t len)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);

	return spool_file_write(&ss->tx->file, p, len);
}

/* Ends the transaction with a reply; the session may be gone after it. */
static void
tx_finish(struct smtpd_sess *ss, const char *reply)
{
	tx_free(ss);
	smtp_session_reply(ss->smtp, "%s", reply);
}

static void
commit_done(struct smtpd_commit_job *job)
{
	struct smtpd_sess *ss = job->arg;
	struct smtpd_tx *tx = ss->tx;
	const struct smtp_session_info *info = smtp_session_info(ss->smtp);
	uint64_t qid = tx->file.id;
	char from[256];

	if (job->rc < 0) {
		tx->have_file = false;		/* the spool aborted it */
		log_err("%016" PRIx64 " smtp commit failed qid=%016" PRIx64, info->id, qid);
		tx_finish(ss, R_TEMPFAIL);
		return;
	}
	tx->have_file = false;
	smtp_printable(mg_slice_make(tx->env.mail_from, strlen(tx->env.mail_from)),
	    from, sizeof(from));
	log_info("%016" PRIx64 " smtp accepted qid=%016" PRIx64 " from=<%s> nrcpt=%zu"
	    " size=%" PRIu64 " verdict=%s", info->id, qid, from, tx->env.nrcpts,
	    tx->file.size, tx->env.verdict);
	smtpd_notify_send(ss->d->notify, qid);
	smtpd_stats_count(ss->d->stats, ss->client.ip, "message");
	tx_free(ss);
	smtp_session_reply(ss->smtp, "250 2.0.0 Ok: queued as %016" PRIx64, qid);
}

/* The headers in front of the message: Received, scand's, Message-ID. */
static int
tx_headers(struct smtpd_sess *ss, const struct proto_scan_result *res)
{
	struct smtpd_tx *tx = ss->tx;
	const struct mg_conf *conf = ss->cfg->conf;
	struct mg_buf h;
	int rc;

	mg_buf_init(&h, 0);
	rc = smtpd_received(&h, smtp_session_info(ss->smtp), conf->hostname,
	    tx->file.id, tx->env.nrcpts == 1 ? tx->env.rcpts[0].addr : NULL, time(NULL));
	if (rc == 0 && res->headers != NULL)
		rc = mg_buf_append(&h, res->headers, strlen(res->headers));
	if (rc == 0 && tx->env.outbound && !(tx->flags & SMTP_DATA_HAS_MSGID))
		rc = smtpd_message_id(&h, tx->file.id, conf->hostname);
	if (rc == 0)
		rc = mg_buf_cstr(&h);
	if (rc < 0) {
		mg_buf_release(&h);
		return rc;
	}
	tx->env.headers = (char *)h.data;
	return 0;
}

/* A copy of s, NULL for NULL or "". */
static int
dup_nonempty(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || s[0] == '\0' || (*out = strdup(s)) != NULL ? 0 : -MG_ENOMEM;
}

/* Each recipient's policy action, for queued (docs/policy.md); "accept"
 * is written only when the verdict would have held the message. */
static int
tx_rcpt_acts(struct envelope *env, const struct proto_scan_result *res)
{
	if (res->nrcpts != env->nrcpts)
		return res->nrcpts == 0 ? 0 : -MG_EPROTO;
	for (size_t i = 0; i < env->nrcpts; i++) {
		struct env_rcpt *r = &env->rcpts[i];
		if (res->rcpts[i].act == POLICY_ACT_ACCEPT &&
		    res->verdict_action <= MG_VERDICT_TAG)
			continue;
		if ((r->act = strdup(policy_act_name(res->rcpts[i].act))) == NULL ||
		    dup_nonempty(res->rcpts[i].args, &r->act_args) < 0 ||
		    dup_nonempty(res->rcpts[i].filter, &r->act_filter) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

/* Fills the envelope from the session and the verdict. */
static int
tx_envelope(struct smtpd_sess *ss, const struct proto_scan_result *res)
{
	const struct smtp_session_info *info = smtp_session_info(ss->smtp);
	struct envelope *env = &ss->tx->env;

	env->id = ss->tx->file.id;
	env->created = time(NULL);
	env->eightbit = env->eightbit || (ss->tx->flags & SMTP_DATA_8BIT);
	env->client_ip = strdup(info->ip);
	env->client_helo = strdup(info->helo != NULL ? info->helo : "");
	env->tls = info->tls != NULL ? strdup(info->tls) : NULL;
	env->verdict = strdup(res->verdict != NULL ? res->verdict : "clean");
	env->score = (double)res->score_milli / 1000.0;
	env->action = strdup(conf_action_names[res->verdict_action]);
	if (res->symbols != NULL && res->symbols[0] != '\0' &&
	    (env->symbols = strdup(res->symbols)) == NULL)
		return -MG_ENOMEM;
	if (tx_rcpt_acts(env, res) < 0 || dup_nonempty(res->reason, &env->reason) < 0)
		return -MG_ENOMEM;
	if (env->client_ip == NULL || env->client_helo == NULL || env->verdict == NULL ||
	    env->action == NULL || (info->tls != NULL && env->tls == NULL))
		return -MG_ENOMEM;
	return tx_headers(ss, res);
}

/* scand's reply text when it is one printable line, else ours. */
static void
scan_reply(char *out, size_t outlen, const char *text, const char *code,
    const char *fallback)
{
	size_t n = text != NULL ? strlen(text) : 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			n = 0;
	if (n == 0)
		snprintf(out, outlen, "%s", fallback);
	else if (n > 4 && text[0] == code[0] && text[3] == ' ')
		snprintf(out, outlen, "%s", text);
	else
		snprintf(out, outlen, "%s %s", code, text);
}

/* Incoming Authentication-Results fields in the gateway's name (scand found
 * them) are renamed, so that no system behind the gateway trusts them;
 * -MG_EIO fails the message with a temporary error. */
static int
tx_rename_forged(struct smtpd_sess *ss, const struct proto_scan_result *res)
{
	struct smtpd_tx *tx = ss->tx;

	for (uint32_t i = 0; i < res->nforged_ar; i++) {
		int rc = spool_file_patch(&tx->file, res->forged_ar[i], "Authentication-Results",
		    "Untrusted-Auth-Results");
		if (rc == -MG_EIO)
			return rc;
		if (rc < 0)
			log_warn("%016" PRIx64 " smtp forged_ar offset=%" PRIu64 " not renamed",
			    tx->file.id, res->forged_ar[i]);
	}
	return 0;
}

static void
scan_done(struct smtpd_scan_job *job, int err, const struct proto_scan_result *res)
{
	struct smtpd_sess *ss = job->arg;
	struct smtpd_tx *tx = ss->tx;
	char reply[512];

	if (err < 0) {
		log_warn("%016" PRIx64 " smtp scan failed qid=%016" PRIx64 " error=\"%s\"",
		    smtp_session_info(ss->smtp)->id, tx->file.id, mg_strerror(err));
		tx_finish(ss, R_TEMPFAIL);
		return;
	}
	if (res->action == PROTO_SCAN_TEMPFAIL || res->action == PROTO_SCAN_REJECT) {
		if (res->action == PROTO_SCAN_TEMPFAIL)
			scan_reply(reply, sizeof(reply), res->reply, "451 4.7.1",
			    "451 4.7.1 Message deferred by content filter");
		else
			scan_reply(reply, sizeof(reply), res->reply, "550 5.7.1",
			    "550 5.7.1 Message rejected by content filter");
		tx_finish(ss, reply);
		return;
	}
	/* the stripped copy first: forged_ar are offsets in it */
	if ((res->nstripped > 0 && spool_file_replace(&tx->file) < 0) ||
	    tx_envelope(ss, res) < 0 || tx_rename_forged(ss, res) < 0) {
		tx_finish(ss, R_TEMPFAIL);
		return;
	}
	if (res->nstripped > 0)
		log_info("%016" PRIx64 " smtp stripped qid=%016" PRIx64 " files=%" PRIu32
		    " size=%" PRIu64, smtp_session_info(ss->smtp)->id, tx->file.id,
		    res->nstripped, tx->file.size);
	tx->commit.file = &tx->file;
	tx->commit.env = &tx->env;
	tx->commit.done = commit_done;
	tx->commit.arg = ss;
	smtpd_commit_submit(ss->d->committer, &tx->commit);
}

static void
sess_data_end(struct smtp_session *smtp, uint64_t size, unsigned flags)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);
	const struct smtp_session_info *info = smtp_session_info(smtp);
	struct smtpd_tx *tx = ss->tx;
	struct proto_scan_request req = { 0 };
	char path[4096], **rcpts;
	int rc = -MG_ENOMEM;

	tx->flags = flags;
	spool_file_path(&tx->file, path, sizeof(path));
	if ((rcpts = calloc(tx->env.nrcpts, sizeof(*rcpts))) != NULL) {
		for (size_t i = 0; i < tx->env.nrcpts; i++)
			rcpts[i] = tx->env.rcpts[i].addr;
		req = (struct proto_scan_request){
			.qid = tx->file.id, .session = info->id, .path = path,
			.client_ip = (char *)info->ip, .helo = info->helo,
			.mail_from = tx->env.mail_from, .nrcpts = (uint32_t)tx->env.nrcpts,
			.rcpts = rcpts, .outbound = tx->env.outbound,
		};
		tx->scan.done = scan_done;
		tx->scan.arg = ss;
		rc = smtpd_scan_submit(ss->d->scan, &tx->scan, &req,
		    ss->cfg->conf->limits.scan_timeout);
		free(rcpts);
	}
	if (rc < 0) {
		log_warn("%016" PRIx64 " smtp scan unavailable qid=%016" PRIx64 " error=\"%s\"",
		    info->id, tx->file.id, mg_strerror(rc));
		tx_finish(ss, R_TEMPFAIL);
	}
}

static void
sess_reset(struct smtp_session *smtp)
{
	tx_free(smtp_session_udata(smtp));
}

static void
sess_close(struct smtp_session *smtp)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);
	struct smtpd *d = ss->d;

	tx_free(ss);
	rcpt_clear(&ss->wait);
	guard_disconnect(d->guard, &ss->client);
	TAILQ_REMOVE(&d->sessions, ss, entry);
	d->nsessions--;
	smtpd_cfg_unref(ss->cfg);
	free(ss);
	smtpd_session_gone(d);
}

/* guard.pregreet: allow_ip and trusted clients get the banner at once;
 * the time spent in the connection screen counts towards the delay. */
static uint32_t
sess_greet_delay(struct smtp_session *smtp)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);
	const struct conf_pregreet *pg = &ss->cfg->conf->guard.pregreet;
	uint64_t spent = mg_clock_ms() - ss->accepted_ms;

	if (!pg->enabled || ss->client.allowed ||
	    conf_is_trusted(ss->cfg->conf, &smtp_session_info(smtp)->peer.sa) ||
	    spent >= pg->delay_ms)
		return 0;
	return pg->delay_ms - (uint32_t)spent;
}

static uint32_t
sess_error_delay(struct smtp_session *smtp, uint32_t n)
{
	struct smtpd_sess *ss = smtp_session_udata(smtp);

	return guard_tarpit_ms(&ss->cfg->conf->guard.tarpit, n);
}

static void
sess_abuse(struct smtp_session *smtp, enum smtp_abuse what)
{
	static const enum guard_reason reasons[] = {
		[SMTP_ABUSE_PREGREET] = GUARD_PREGREET,
		[SMTP_ABUSE_PIPELINING] = GUARD_PIPELINING,
		[SMTP_ABUSE_IDLE] = GUARD_IDLE_COMMANDS,
	};
	struct smtpd_sess *ss = smtp_session_udata(smtp);

	smtpd_refused(ss->d, smtp_session_info(smtp)->id, reasons[what], ss->client.ip);
	if (what == SMTP_ABUSE_PREGREET)
		guard_pregreet_remember(ss->d->guard, &ss->cfg->conf->guard, &ss->client);
}

static const struct smtp_server_ops smtpd_ops = {
	.on_mail = sess_mail,
	.on_rcpt = sess_rcpt,
	.on_data_begin = sess_data_begin,
	.on_data_chunk = sess_data_chunk,
	.on_data_end = sess_data_end,
	.on_reset = sess_reset,
	.on_close = sess_close,
	.greet_delay = sess_greet_delay,
	.error_delay = sess_error_delay,
	.on_abuse = sess_abuse,
};

int
smtpd_session_start(struct smtpd *d, struct smtpd_listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, socklen_t salen, const struct guard_client *gc,
    uint64_t accepted_ms)
{
	struct smtpd_sess *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		struct guard_client copy = *gc;

		guard_disconnect(d->guard, &copy);
		evutil_closesocket(fd);
		return -MG_ENOMEM;
	}
	ss->client = *gc;
	ss->accepted_ms = accepted_ms;
	ss->d = d;
	ss->lst = lst;
	ss->cfg = d->cfg;
	ss->cfg->refs++;
	TAILQ_INSERT_TAIL(&d->sessions, ss, entry);
	d->nsessions++;
	ss->smtp = smtp_session_new(d->base, fd, sa, salen, &ss->cfg->scfg[lst->index],
	    &smtpd_ops, ss);
	if (ss->smtp == NULL) {
		guard_disconnect(d->guard, &ss->client);
		TAILQ_REMOVE(&d->sessions, ss, entry);
		d->nsessions--;
		smtpd_cfg_unref(ss->cfg);
		free(ss);
		return -MG_ENOMEM;
	}
	return 0;
}

void
smtpd_sessions_each(struct smtpd *d, void (*fn)(struct smtp_session *))
{
	struct smtpd_sess *ss, *next;

	for (ss = TAILQ_FIRST(&d->sessions); ss != NULL; ss = next) {
		next = TAILQ_NEXT(ss, entry);
		fn(ss->smtp);
	}
}
