/* The smtpd child: one event loop holding every SMTP session on the
 * listening sockets inherited from the master. Configuration references
 * (SIGHUP swaps in a new one; sessions keep theirs), the connection limit,
 * and the drain on SIGTERM. Sessions are in smtpd_session.c. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/children.h"
#include "daemon/smtpd_auth.h"
#include "daemon/smtpd_int.h"
#include "daemon/smtpd_stats.h"
#include "net/tls.h"

_Static_assert(SMTP_IDLE_KINDS == CONF_IDLE_KINDS, "guard.max_rset... feed smtp_server");

#define ACCEPT_RETRY_S	1		/* after EMFILE and the like */
#define GUARD_KV_MAX_BYTES (64u << 20)	/* guard state ceiling */

/* The TLS context of listener i: its own certificate when the
 * configuration gives it one, else the shared one. -1 when a certificate
 * cannot be loaded. */
static int
cfg_listener_tls(struct smtpd_cfg *c, const struct mg_conf *conf, size_t i, SSL_CTX **out)
{
	const struct conf_listener *cl = i < conf->nlisteners ? &conf->listeners[i] : NULL;
	char err[512];

	*out = c->tls;
	if (cl == NULL || cl->tls_cert == NULL)
		return 0;
	if ((c->own_tls[i] = tls_server_ctx(cl->tls_cert, cl->tls_key, err,
	    sizeof(err))) == NULL) {
		log_err("smtpd tls listener=%s error=\"%s\"", cl->address, err);
		return -1;
	}
	*out = c->own_tls[i];
	return 0;
}

/* Builds what sessions read from conf; NULL when TLS cannot be set up. */
static struct smtpd_cfg *
cfg_new(struct smtpd *d, struct mg_conf *conf, bool owned)
{
	struct smtpd_cfg *c;
	char err[512];

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->scfg = calloc(d->nlisteners, sizeof(*c->scfg))) == NULL ||
	    (c->own_tls = calloc(d->nlisteners, sizeof(*c->own_tls))) == NULL)
		goto fail;
	c->nlisteners = d->nlisteners;
	if (conf->tls_cert != NULL && conf->tls_key != NULL &&
	    (c->tls = tls_server_ctx(conf->tls_cert, conf->tls_key, err, sizeof(err))) == NULL) {
		log_err("smtpd tls error=\"%s\"", err);
		goto fail;
	}
	for (size_t i = 0; i < d->nlisteners; i++) {
		const struct smtpd_listener *l = &d->listeners[i];
		SSL_CTX *tls;

		if (cfg_listener_tls(c, conf, i, &tls) < 0)
			goto fail;
		c->scfg[i] = (struct smtp_server_cfg){
			.hostname = conf->hostname,
			.name = l->address,
			.limits = &conf->limits,
			.tls = l->tls != CONF_LTLS_NONE ? tls : NULL,
			.tls_required = l->tls == CONF_LTLS_REQUIRED,
			.strict_pipelining = conf->guard.strict_pipelining,
			.max_idle_commands = conf->guard.max_idle_commands,
			.max_each = conf->guard.max_each,
			.auth = i < conf->nlisteners ?
			    (enum smtp_auth_mode)conf->listeners[i].auth : SMTP_AUTH_OFF,
			.auth_plaintext = i < conf->nlisteners &&
			    conf->listeners[i].auth_plaintext,
			.auth_check = smtpd_auth,
			.auth_arg = d,
		};
		if (l->tls != CONF_LTLS_NONE && tls == NULL)
			log_warn("smtpd listener=%s tls=unavailable reason=\"no certificate\"",
			    l->address);
	}
	if ((c->verify = verify_new(d->base, &conf->guard.recipients, d->guard->kv,
	    conf->hostname)) == NULL)
		goto fail;
	c->conf = conf;
	c->owned = owned;
	c->refs = 1;
	return c;
fail:
	if (c != NULL) {
		c->refs = 1;
		smtpd_cfg_unref(c);
	}
	return NULL;
}

void
smtpd_cfg_unref(struct smtpd_cfg *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	verify_free(c->verify);
	SSL_CTX_free(c->tls);
	for (size_t i = 0; c->own_tls && i < c->nlisteners; i++)
		SSL_CTX_free(c->own_tls[i]);
	if (c->owned)
		conf_free(c->conf);
	free(c->own_tls);
	free(c->scfg);
	free(c);
}

void
smtpd_session_gone(struct smtpd *d)
{
	if (d->stopping && d->nsessions == 0)
		event_base_loopexit(d->base, NULL);
}

void
smtpd_refuse_fd(evutil_socket_t fd, const char *reply)
{
	char line[GUARD_REPLY_MAX + 2];
	int n;

	if (reply != NULL) {
		n = snprintf(line, sizeof(line), "%s\r\n", reply);
		(void)!send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	evutil_closesocket(fd);
}

void
smtpd_refused(struct smtpd *d, uint64_t sid, enum guard_reason why, const char *ip)
{
	guard_refused(d->guard, sid, why, ip);
	smtpd_stats_count(d->stats, ip, guard_reason_names[why]);
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct smtpd_listener *l = arg;
	struct smtpd *d = l->d;
	const struct conf_guard *gconf = &d->cfg->conf->guard;
	uint32_t max = d->cfg->conf->limits.max_sessions;
	struct guard_client gc;
	char reply[GUARD_REPLY_MAX];
	enum guard_reason why;
	bool known = guard_client_init(&gc, gconf, sa) == 0;

	smtpd_stats_count(d->stats, known ? gc.ip : NULL, "connect");
	if (d->nsessions >= max) {
		log_info("smtpd refuse listener=%s reason=max_sessions limit=%u",
		    l->address, max);
		smtpd_stats_count(d->stats, known ? gc.ip : NULL, "max_sessions");
		smtpd_refuse_fd(fd, "421 4.3.2 Too many connections, try again later");
		return;
	}
	if (known &&
	    (why = guard_connect(d->guard, gconf, &gc, reply, sizeof(reply))) != GUARD_PASS) {
		smtpd_refused(d, 0, why, gc.ip);
		smtpd_refuse_fd(fd, reply);
		return;
	}
	if (smtpd_screen_start(d, l, fd, sa, (socklen_t)salen, &gc) != 0)
		return;
	if (smtpd_session_start(d, l, fd, sa, (socklen_t)salen, &gc, mg_clock_ms()) < 0)
		log_warn("smtpd session start failed listener=%s error=\"out of memory\"",
		    l->address);
}

static void
accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_listener *l = arg;

	if (!l->d->stopping)
		evconnlistener_enable(l->lev);
}

/* accept() failed (EMFILE, ENFILE, ENOMEM): pause this listener a moment
 * rather than spin on a ready socket. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct smtpd_listener *l = arg;
	struct timeval tv = { ACCEPT_RETRY_S, 0 };

	log_syswarn("smtpd accept listener=%s", l->address);
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

static int
listeners_start(struct smtpd *d, const struct mg_conf *conf, const int *fds, size_t nfds)
{
	if ((d->listeners = calloc(nfds, sizeof(*d->listeners))) == NULL)
		return -MG_ENOMEM;
	d->nlisteners = nfds;
	for (size_t i = 0; i < nfds; i++) {
		struct smtpd_listener *l = &d->listeners[i];

		l->d = d;
		l->index = i;
		l->role = conf->listeners[i].role;
		l->tls = conf->listeners[i].tls;
		if ((l->address = strdup(conf->listeners[i].address)) == NULL)
			return -MG_ENOMEM;
		evutil_make_socket_nonblocking(fds[i]);
		l->lev = evconnlistener_new(d->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_CLOSE_ON_EXEC, 0, fds[i]);
		l->retry = evtimer_new(d->base, accept_retry, l);
		if (l->lev == NULL || l->retry == NULL) {
			log_syserr("smtpd listen address=%s", l->address);
			return -MG_EIO;
		}
		evconnlistener_set_error_cb(l->lev, on_accept_error);
	}
	return 0;
}

static void
listeners_free(struct smtpd *d)
{
	for (size_t i = 0; i < d->nlisteners; i++) {
		struct smtpd_listener *l = &d->listeners[i];

		if (l->lev != NULL)
			evconnlistener_free(l->lev);
		if (l->retry != NULL)
			event_free(l->retry);
		free(l->address);
	}
	free(d->listeners);
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct smtpd *d = arg;
	struct mg_conf *conf;
	struct smtpd_cfg *c;
	char err[1024];

	if ((conf = conf_load(d->cfg->conf->path, err, sizeof(err))) == NULL) {
		log_err("smtpd reload failed, keeping the running configuration error=\"%s\"", err);
		return;
	}
	if ((c = cfg_new(d, conf, true)) == NULL) {
		log_err("smtpd reload failed, keeping the running configuration");
		conf_free(conf);
		return;
	}
	smtpd_cfg_unref(d->cfg);
	d->cfg = c;
	log_set_level(conf->log_level);
	log_info("smtpd reloaded path=%s sessions=%u", conf->path, d->nsessions);
}

static void
close_with_421(struct smtp_session *s)
{
	smtp_session_close(s, "421 4.3.2 Service shutting down");
}

/* Sessions still busy are closed; those waiting on scand or the committer
 * close once answered, so nothing acknowledged is cut short. */
static void
drain_expired(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd *d = arg;

	log_info("smtpd drain timeout sessions=%u action=close", d->nsessions);
	smtpd_sessions_each(d, close_with_421);
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct smtpd *d = arg;
	struct timeval tv = { (time_t)d->cfg->conf->limits.drain_timeout, 0 };

	if (d->stopping)
		return;
	d->stopping = true;
	log_info("smtpd stopping signal=%d sessions=%u drain=%us", (int)sig, d->nsessions,
	    d->cfg->conf->limits.drain_timeout);
	/* our copies of the listening sockets are closed; new connections are
	 * refused once the master has closed its own */
	for (size_t i = 0; i < d->nlisteners; i++) {
		evconnlistener_free(d->listeners[i].lev);
		d->listeners[i].lev = NULL;
	}
	smtpd_sessions_each(d, smtp_session_drain);
	evtimer_add(d->drain_timer, &tv);
	smtpd_session_gone(d);
}

static int
signals_start(struct smtpd *d)
{
	signal(SIGPIPE, SIG_IGN);
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_sighup, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, on_sigterm, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_sigterm, d);
	d->drain_timer = evtimer_new(d->base, drain_expired, d);
	if (d->sig_hup == NULL || d->sig_term == NULL || d->sig_int == NULL ||
	    d->drain_timer == NULL || event_add(d->sig_hup, NULL) == -1 ||
	    event_add(d->sig_term, NULL) == -1 || event_add(d->sig_int, NULL) == -1)
		return -MG_ENOMEM;
	return 0;
}

static void
smtpd_cleanup(struct smtpd *d)
{
	struct event *evs[] = { d->sig_hup, d->sig_term, d->sig_int, d->drain_timer };

	listeners_free(d);
	smtpd_screens_free(d);
	d->committer = smtpd_committer_free(d->committer);
	d->scan = smtpd_scan_free(d->scan);
	d->stats = smtpd_stats_free(d->stats);	/* sends the last counts */
	d->notify = smtpd_notify_free(d->notify);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	smtpd_cfg_unref(d->cfg);	/* its verify uses the guard's kv */
	if (d->guard != NULL)
		guard_log_stats(d->guard);
	d->guard = guard_free(d->guard);
	d->spool = spool_close(d->spool);
	if (d->base != NULL)
		event_base_free(d->base);
}

/* The guard's state: in this process's memory only (kv_local without a
 * snapshot, bounded), so a restart forgets buckets and greylist triplets. */
static struct guard *
guard_open(void)
{
	const struct kv_local_opts opts = { .max_bytes = GUARD_KV_MAX_BYTES };
	char err[256];
	struct kv *kv;

	if ((kv = kv_local_open(&opts, err, sizeof(err))) == NULL) {
		log_err("smtpd guard store error=\"%s\"", err);
		return NULL;
	}
	return guard_new(kv, NULL);
}

int
smtpd_main(struct mg_conf *conf, const int *listen_fds, size_t nfds)
{
	struct smtpd d = { 0 };
	int rc = 1;

	TAILQ_INIT(&d.sessions);
	TAILQ_INIT(&d.screens);
	if ((d.base = event_base_new()) == NULL) {
		log_err("smtpd cannot create event loop");
		return 1;
	}
	if ((d.guard = guard_open()) == NULL ||
	    listeners_start(&d, conf, listen_fds, nfds) < 0 ||
	    (d.cfg = cfg_new(&d, conf, false)) == NULL || signals_start(&d) < 0)
		goto out;
	if (spool_open(conf->spool_dir, &d.spool) < 0 ||
	    (d.scan = smtpd_scan_new(d.base, conf->spool_dir)) == NULL ||
	    (d.notify = smtpd_notify_new(d.base, conf->spool_dir)) == NULL ||
	    (d.stats = smtpd_stats_new(d.base, d.notify)) == NULL ||
	    (d.committer = smtpd_committer_new(d.base)) == NULL)
		goto out;
	log_info("smtpd started listeners=%zu max_sessions=%u", nfds,
	    conf->limits.max_sessions);
	if (event_base_dispatch(d.base) == 0)
		rc = 0;
	log_info("smtpd stopped");
out:
	smtpd_cleanup(&d);
	return rc;
}
