/* Recipient validation by call-out (verify.h): an RCPT probe to the
 * protected server of the recipient's domain through the delivery client
 * in probe mode (EHLO, STARTTLS by the route's policy, MAIL FROM:<sender>,
 * RCPT TO:<addr>, RSET, QUIT). At most max_parallel probes run at once,
 * the others wait in arrival order; a connection that finishes a probe
 * takes a waiting one for the same server. Every answer is delivered from
 * the probe's own event, never from inside a call or a client callback.
 * Host names are resolved with libevent's evdns (/etc/hosts, then the
 * system resolv.conf); IP literals need no lookup. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "core/err.h"
#include "core/log.h"
#include "guard/verify.h"
#include "net/tls.h"
#include "smtp/smtp_client.h"

#define CALLOUT_PEERS_MAX	8	/* addresses of one host tried in turn */

enum probe_state {
	P_QUEUED,		/* waiting for a free slot */
	P_RESOLVING,		/* looking up the host's addresses */
	P_RUNNING,		/* on a connection */
	P_DONE,			/* answered: delivered from ev */
};

struct co_conn;

struct probe {
	TAILQ_ENTRY(probe) entry;
	struct verify_callout *co;
	enum probe_state state;
	char		*addr, *host, *auth_user, *auth_password;
	char		*hop;		/* "host port tls user": probes that share a connection */
	uint16_t	 port;
	enum conf_tls_policy tls;
	struct event	*ev;		/* the deadline, then the answer's delivery */
	struct dns_ticket *ticket;	/* P_RESOLVING with a name */
	struct co_conn	*conn;		/* P_RUNNING */
	struct smtp_tx	 tx;
	struct smtp_tx_rcpt rcpt;
	enum verify_result result;
	char		 detail[VERIFY_DETAIL_MAX];
	verify_cb	 cb;
	void		*arg;
};

/* An evdns lookup outlives a probe that gives up on it: p is cleared then
 * and the lookup's callback frees the ticket. */
struct dns_ticket {
	struct probe	*p;
};

/* One connection to a server, holding a slot until it is closed. */
struct co_conn {
	TAILQ_ENTRY(co_conn) entry;
	struct verify_callout *co;
	struct smtp_client *client;
	struct probe	*p;		/* the probe it carries, NULL between */
	char		*hop;		/* its probes' hop */
};

struct verify_callout {
	struct event_base *base;
	const struct conf_rcpt_callout *c;
	char		*helo;
	struct evdns_base *dns;		/* opened at the first host name */
	SSL_CTX		*tls_plain, *tls_verify;
	TAILQ_HEAD(, probe) probes;	/* every probe not yet delivered, oldest first */
	TAILQ_HEAD(, co_conn) conns;
	unsigned	 busy;		/* slots in use: lookups and connections */
};

static void co_pump(struct verify_callout *);
static bool probe_expired(const struct probe *);

struct verify_callout *
verify_callout_new(struct event_base *base, const struct conf_rcpt_callout *c,
    const char *helo)
{
	struct verify_callout *co = calloc(1, sizeof(*co));

	if (co == NULL)
		return NULL;
	co->base = base;
	co->c = c;
	TAILQ_INIT(&co->probes);
	TAILQ_INIT(&co->conns);
	if ((co->helo = strdup(helo != NULL ? helo : "localhost")) == NULL)
		return verify_callout_free(co);
	return co;
}

static void
conn_free(struct co_conn *cn)
{
	TAILQ_REMOVE(&cn->co->conns, cn, entry);
	cn->co->busy--;
	free(cn->hop);
	free(cn);
}

static void
probe_free(struct probe *p)
{
	if (p->ticket != NULL)
		p->ticket->p = NULL;
	TAILQ_REMOVE(&p->co->probes, p, entry);
	event_free(p->ev);
	smtp_tx_clear_results(&p->tx);
	free(p->addr);
	free(p->host);
	free(p->auth_user);
	free(p->auth_password);
	free(p->hop);
	free(p);
}

struct verify_callout *
verify_callout_free(struct verify_callout *co)
{
	struct co_conn *cn;
	struct probe *p;

	if (co == NULL)
		return NULL;
	while ((cn = TAILQ_FIRST(&co->conns)) != NULL) {
		smtp_client_abort(cn->client);
		conn_free(cn);
	}
	while ((p = TAILQ_FIRST(&co->probes)) != NULL)
		probe_free(p);
	if (co->dns != NULL)
		evdns_base_free(co->dns, 1);	/* pending lookups free their tickets */
	SSL_CTX_free(co->tls_plain);
	SSL_CTX_free(co->tls_verify);
	free(co->helo);
	free(co);
	return NULL;
}

/* The answer is known: it is delivered from the probe's event. */
static void
probe_answer(struct probe *p, enum verify_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
probe_answer(struct probe *p, enum verify_result r, const char *fmt, ...)
{
	va_list ap;

	if (p->state == P_DONE)
		return;
	p->state = P_DONE;
	p->result = r;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	evtimer_del(p->ev);
	event_active(p->ev, EV_TIMEOUT, 0);
}

/* What the reply to a probe's transaction means. */
static void
probe_judge(struct probe *p, const char *relay)
{
	const struct smtp_tx_rcpt *r = &p->rcpt;
	const char *text = r->reply != NULL ? r->reply : "no reply";

	if (p->tx.mail_refused)
		probe_answer(p, VERIFY_FAILED, "callout: MAIL refused: %s from %s", text, relay);
	else if (r->reply == NULL || !r->remote)
		probe_answer(p, VERIFY_FAILED, "callout: %s", text);
	else
		probe_answer(p, r->outcome == SMTP_OUT_OK ? VERIFY_KNOWN :
		    r->outcome == SMTP_OUT_PERM ? VERIFY_UNKNOWN : VERIFY_FAILED,
		    "callout: %s from %s", text, relay);
}

/* A connection ready for (another) probe: the one it carries, or a
 * waiting one for the same hop, or none and it quits. */
static void
conn_on_ready(struct smtp_client *cl, void *arg)
{
	struct co_conn *cn = arg;
	struct probe *p = cn->p;

	if (p == NULL) {
		TAILQ_FOREACH(p, &cn->co->probes, entry)
			if (p->state == P_QUEUED && strcmp(p->hop, cn->hop) == 0 &&
			    !probe_expired(p))
				break;
	}
	if (p == NULL) {
		smtp_client_quit(cl);
		return;
	}
	if (smtp_client_send(cl, &p->tx) < 0) {
		cn->p = NULL;
		p->conn = NULL;
		probe_answer(p, VERIFY_FAILED, "callout: cannot start the probe");
		smtp_client_quit(cl);
		return;
	}
	p->state = P_RUNNING;
	p->conn = cn;
	cn->p = p;
}

static void
conn_on_done(struct smtp_client *cl, struct smtp_tx *tx, void *arg)
{
	struct co_conn *cn = arg;
	struct probe *p = cn->p;

	if (p == NULL)
		return;
	cn->p = NULL;
	p->conn = NULL;
	probe_judge(p, smtp_client_relay(cl));
}

static void
conn_on_closed(struct smtp_client *cl, int err, const char *why, void *arg)
{
	struct co_conn *cn = arg;
	struct verify_callout *co = cn->co;
	struct probe *p = cn->p;

	if (p != NULL) {
		p->conn = NULL;
		probe_answer(p, VERIFY_FAILED, "callout: %s", why != NULL ? why : "closed");
	}
	conn_free(cn);
	co_pump(co);
}

static const struct smtp_client_cbs conn_cbs = {
	conn_on_ready, conn_on_done, conn_on_closed,
};

/* The client TLS context for a policy, made at first need. */
static SSL_CTX *
co_tls(struct verify_callout *co, enum conf_tls_policy tls)
{
	SSL_CTX **ctx = tls == CONF_TLS_VERIFY ? &co->tls_verify : &co->tls_plain;
	char err[256];

	if (tls == CONF_TLS_NONE)
		return NULL;
	if (*ctx == NULL &&
	    (*ctx = tls_client_ctx(tls == CONF_TLS_VERIFY, NULL, err, sizeof(err))) == NULL)
		log_warn("guard callout tls error=\"%s\"", err);
	return *ctx;
}

/* Opens a connection for p to its server's addresses; the slot p held
 * for its lookup passes to the connection. */
static void
probe_connect(struct probe *p, const struct smtp_peer *peers, size_t n)
{
	struct verify_callout *co = p->co;
	uint32_t secs = (co->c->timeout_ms + 999) / 1000;
	struct smtp_client_params params = {
		.helo = co->helo, .tls = p->tls, .tls_ctx = co_tls(co, p->tls),
		.auth_user = p->auth_user, .auth_password = p->auth_password,
		.connect_timeout = secs, .reply_timeout = secs,
	};
	struct co_conn *cn = calloc(1, sizeof(*cn));

	if (cn != NULL && (cn->hop = strdup(p->hop)) != NULL)
		cn->client = smtp_client_new(co->base, &params, peers, n, &conn_cbs, cn);
	if (cn == NULL || cn->client == NULL) {
		if (cn != NULL)
			free(cn->hop);
		free(cn);
		co->busy--;
		probe_answer(p, VERIFY_FAILED, "callout: cannot connect to %s: %s", p->host,
		    params.tls_ctx == NULL && p->tls != CONF_TLS_NONE ? "no TLS context" :
		    "out of memory");
		return;
	}
	cn->co = co;
	cn->p = p;
	TAILQ_INSERT_TAIL(&co->conns, cn, entry);
	p->state = P_RUNNING;
	p->conn = cn;
}

static void
probe_on_dns(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct dns_ticket *t = arg;
	struct probe *p = t->p;
	struct smtp_peer peers[CALLOUT_PEERS_MAX];
	size_t n = 0;

	free(t);
	if (p == NULL) {		/* given up (timeout or shutdown) */
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	p->ticket = NULL;
	for (struct evutil_addrinfo *a = ai; a != NULL && n < CALLOUT_PEERS_MAX;
	    a = a->ai_next) {
		if (a->ai_addrlen > sizeof(peers[n].addr))
			continue;
		memset(&peers[n], 0, sizeof(peers[n]));
		snprintf(peers[n].name, sizeof(peers[n].name), "%s", p->host);
		memcpy(&peers[n].addr, a->ai_addr, a->ai_addrlen);
		peers[n].addrlen = (socklen_t)a->ai_addrlen;
		n++;
	}
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	if (n == 0) {
		p->co->busy--;
		probe_answer(p, VERIFY_FAILED, "callout: cannot resolve %s: %s", p->host,
		    err != 0 ? evutil_gai_strerror(err) : "no address");
		co_pump(p->co);
		return;
	}
	probe_connect(p, peers, n);
}

/* An IP literal as the only peer; false when host is a name. */
static bool
probe_literal(const struct probe *p, struct smtp_peer *peer)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&peer->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peer->addr;

	memset(peer, 0, sizeof(*peer));
	snprintf(peer->name, sizeof(peer->name), "%s", p->host);
	if (inet_pton(AF_INET, p->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->port);
		peer->addrlen = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, p->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->port);
		peer->addrlen = sizeof(*s6);
		return true;
	}
	return false;
}

/* Takes a slot for p: connect to a literal, or look the name up. */
static void
probe_start(struct probe *p)
{
	struct verify_callout *co = p->co;
	struct evutil_addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP, .ai_family = AF_UNSPEC };
	struct smtp_peer peer;
	char port[8];

	co->busy++;
	p->state = P_RESOLVING;
	if (probe_literal(p, &peer)) {
		probe_connect(p, &peer, 1);
		return;
	}
	if (co->dns == NULL && (co->dns = evdns_base_new(co->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		co->busy--;
		probe_answer(p, VERIFY_FAILED, "callout: no resolver for %s", p->host);
		return;
	}
	if ((p->ticket = malloc(sizeof(*p->ticket))) == NULL) {
		co->busy--;
		probe_answer(p, VERIFY_FAILED, "callout: out of memory");
		return;
	}
	p->ticket->p = p;
	snprintf(port, sizeof(port), "%u", (unsigned)p->port);
	/* may answer at once (hosts file): probe_on_dns runs before this returns */
	(void)evdns_getaddrinfo(co->dns, p->host, port, &hints, probe_on_dns, p->ticket);
}

/* Whether p's deadline has come (its event is about to report it). */
static bool
probe_expired(const struct probe *p)
{
	struct timeval deadline, now;

	if (!evtimer_pending(p->ev, &deadline))
		return true;
	event_base_gettimeofday_cached(p->co->base, &now);
	return !evutil_timercmp(&now, &deadline, <);
}

/* Starts waiting probes, oldest first, while slots are free. */
static void
co_pump(struct verify_callout *co)
{
	struct probe *p;

	TAILQ_FOREACH(p, &co->probes, entry) {
		if (co->busy >= co->c->max_parallel)
			return;
		if (p->state == P_QUEUED && !probe_expired(p))
			probe_start(p);
	}
}

/* The deadline passed, or the answer is ready: deliver it. */
static void
probe_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct verify_callout *co = p->co;
	enum verify_result r;
	char detail[VERIFY_DETAIL_MAX];
	verify_cb cb = p->cb;
	void *cbarg = p->arg;

	if (p->state != P_DONE) {
		const char *where = p->state == P_QUEUED ? "waiting for a free probe slot" :
		    p->state == P_RESOLVING ? "resolving the host" :
		    smtp_client_relay(p->conn->client);

		snprintf(detail, sizeof(detail), "callout: timeout after %" PRIu32 " ms (%s)",
		    co->c->timeout_ms, where);
		if (p->state == P_RESOLVING)
			co->busy--;
		if (p->state == P_RUNNING) {
			smtp_client_abort(p->conn->client);
			conn_free(p->conn);
		}
		r = VERIFY_FAILED;
	} else {
		r = p->result;
		snprintf(detail, sizeof(detail), "%s", p->detail);
	}
	log_debug("guard callout rcpt=<%s> host=%s result=%s detail=\"%s\"", p->addr,
	    p->host, r == VERIFY_KNOWN ? "known" : r == VERIFY_UNKNOWN ? "unknown" : "failed",
	    detail);
	probe_free(p);
	co_pump(co);
	cb(r, detail, cbarg);		/* last: it may free co */
}

static int
probe_copy(struct probe *p, const struct conf_route *route, const char *addr)
{
	const char *sender = p->co->c->sender != NULL ? p->co->c->sender : "";
	const char *user = route->auth_user != NULL ? route->auth_user : "";
	size_t hoplen;

	p->port = route->port != 0 ? route->port : 25;
	p->tls = route->tls;
	if ((p->addr = strdup(addr)) == NULL || (p->host = strdup(route->host)) == NULL ||
	    (route->auth_user != NULL && ((p->auth_user = strdup(route->auth_user)) == NULL ||
	    (p->auth_password = strdup(route->auth_password != NULL ?
	    route->auth_password : "")) == NULL)))
		return -MG_ENOMEM;
	hoplen = strlen(p->host) + strlen(user) + 32;
	if ((p->hop = malloc(hoplen)) == NULL)
		return -MG_ENOMEM;
	snprintf(p->hop, hoplen, "%s %u %d %s", p->host, (unsigned)p->port, (int)p->tls, user);
	p->rcpt.addr = p->addr;
	p->tx.probe = true;
	p->tx.mail_from = sender;
	p->tx.ret = ENV_RET_UNSET;
	p->tx.smtputf8 = mg_has_8bit(addr, strlen(addr)) || mg_has_8bit(sender, strlen(sender));
	p->tx.data_fd = -1;
	p->tx.rcpts = &p->rcpt;
	p->tx.nrcpts = 1;
	return 0;
}

int
verify_callout_lookup(struct verify_callout *co, const struct conf_route *route,
    const char *addr, verify_cb cb, void *arg)
{
	struct timeval tv = { .tv_sec = co->c->timeout_ms / 1000,
	    .tv_usec = (co->c->timeout_ms % 1000) * 1000 };
	struct probe *p;

	if (route == NULL || route->host == NULL || addr == NULL || cb == NULL)
		return -MG_EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -MG_ENOMEM;
	p->co = co;
	p->cb = cb;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&co->probes, p, entry);
	if (probe_copy(p, route, addr) < 0 ||
	    (p->ev = evtimer_new(co->base, probe_on_event, p)) == NULL ||
	    evtimer_add(p->ev, &tv) == -1) {
		probe_free(p);
		return -MG_ENOMEM;
	}
	co_pump(co);
	return 0;
}
