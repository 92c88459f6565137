/* smtpd's connection screen (guard.screen, docs/guard.md): before a
 * session starts, the client address is looked up in the DNS lists and,
 * when asked, its reverse DNS is looked up and forward-confirmed, all in
 * parallel on the event loop and bounded by screen.timeout. A client that
 * talks meanwhile is a pregreet; a failed lookup never refuses. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/smtpd_int.h"
#include "net/dns.h"
#include "net/dns_rr.h"

#define RDNS_SLOT	CONF_SCREEN_MAX_ZONES	/* PTR, then the forward lookup */

struct screen_slot {
	struct smtpd_screen *sc;
	size_t		 index;
	struct dns_query *q;		/* NULL when not running */
};

struct smtpd_screen {
	TAILQ_ENTRY(smtpd_screen) entry;
	struct smtpd	*d;
	struct smtpd_listener *lst;
	struct smtpd_cfg *cfg;
	evutil_socket_t	 fd;
	struct sockaddr_storage sa;
	socklen_t	 salen;
	struct guard_client gc;
	uint64_t	 accepted_ms;
	struct event	*timer, *readable;
	struct screen_slot slot[CONF_SCREEN_MAX_ZONES + 1];
	unsigned	 pending;
	struct guard_screen res;
};

static void
screen_free(struct smtpd_screen *sc)
{
	for (size_t i = 0; i <= RDNS_SLOT; i++)
		if (sc->slot[i].q != NULL)
			dns_cancel(sc->slot[i].q);
	if (sc->timer != NULL)
		event_free(sc->timer);
	if (sc->readable != NULL)
		event_free(sc->readable);
	TAILQ_REMOVE(&sc->d->screens, sc, entry);
	sc->d->nsessions--;
	smtpd_cfg_unref(sc->cfg);
	free(sc);
}

/* Refused or cut short: one reply line (or none), then close. */
static void
screen_close(struct smtpd_screen *sc, const char *reply)
{
	struct smtpd *d = sc->d;

	smtpd_refuse_fd(sc->fd, reply);
	guard_disconnect(d->guard, &sc->gc);
	screen_free(sc);
	smtpd_session_gone(d);
}

static const char *const rdns_names[] = { "unknown", "none", "unconfirmed", "confirmed" };

static void
screen_finish(struct smtpd_screen *sc)
{
	struct smtpd *d = sc->d;
	const struct conf_screen *c = &sc->cfg->conf->guard.screen;
	char reply[GUARD_REPLY_MAX];
	enum guard_reason why;

	sc->gc.dnswl = guard_screen_allowed(c, &sc->res);
	log_info("smtpd screen ip=%s listed=%#" PRIx32 " rdns=%s%s%s", sc->gc.ip,
	    sc->res.listed, rdns_names[sc->res.rdns], sc->gc.dnswl ? " dnswl=yes" : "",
	    sc->res.failed ? " failed=yes" : "");
	if (d->stopping) {
		screen_close(sc, "421 4.3.2 Service shutting down");
		return;
	}
	if ((why = guard_screen_verdict(c, &sc->res, sc->gc.ip, reply,
	    sizeof(reply))) != GUARD_PASS) {
		smtpd_refused(d, 0, why, sc->gc.ip);
		screen_close(sc, reply);
		return;
	}
	/* the session takes over the socket and the guard's slot */
	if (smtpd_session_start(d, sc->lst, sc->fd, (struct sockaddr *)&sc->sa, sc->salen,
	    &sc->gc, sc->accepted_ms) < 0)
		log_warn("smtpd session start failed error=\"out of memory\"");
	screen_free(sc);
}

/* One lookup (or the forward pair) is over; its slot's handle is gone. */
static void
screen_done_one(struct smtpd_screen *sc)
{
	if (--sc->pending > 0)
		return;
	guard_screen_store(sc->d->guard, sc->gc.ip, &sc->res);
	screen_finish(sc);
}

static bool
answer_ok(struct smtpd_screen *sc, int err, const struct dns_answer *a, const char *what)
{
	if (err == 0 && (a->rcode == DNS_RCODE_NOERROR || a->rcode == DNS_RCODE_NXDOMAIN))
		return true;
	if (err < 0)
		log_info("smtpd screen ip=%s lookup=%s error=\"%s\" action=pass", sc->gc.ip,
		    what, mg_strerror(err));
	else
		log_info("smtpd screen ip=%s lookup=%s rcode=%d action=pass", sc->gc.ip, what,
		    a->rcode);
	sc->res.failed = true;
	return false;
}

static void
on_dnsbl(int err, const struct dns_answer *a, void *arg)
{
	struct screen_slot *s = arg;
	struct smtpd_screen *sc = s->sc;
	const struct conf_screen_zone *z = &sc->cfg->conf->guard.screen.zones[s->index];

	s->q = NULL;
	if (answer_ok(sc, err, a, z->zone))
		for (size_t i = 0; a->rcode == DNS_RCODE_NOERROR && i < a->nrr; i++) {
			const uint8_t *p = a->rr[i].ptr;

			if (a->rr[i].len == 4 && guard_screen_code(z, (uint32_t)p[0] << 24 |
			    (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]))
				sc->res.listed |= UINT32_C(1) << s->index;
		}
	screen_done_one(sc);
}

/* The client's address bytes and family; IPv4-mapped IPv6 as IPv4. */
static const uint8_t *
client_addr(const struct smtpd_screen *sc, int *family)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&sc->sa;

	*family = AF_INET;
	if (sc->sa.ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)&sc->sa)->sin_addr;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return sin6->sin6_addr.s6_addr + 12;
	*family = AF_INET6;
	return sin6->sin6_addr.s6_addr;
}

/* The A or AAAA records of the PTR name: confirmed when one is the client. */
static void
on_forward(int err, const struct dns_answer *a, void *arg)
{
	struct screen_slot *s = arg;
	struct smtpd_screen *sc = s->sc;
	int family;
	const uint8_t *ip = client_addr(sc, &family);
	size_t iplen = family == AF_INET ? 4 : 16;

	s->q = NULL;
	if (answer_ok(sc, err, a, "forward")) {
		sc->res.rdns = GUARD_RDNS_UNCONFIRMED;
		for (size_t i = 0; a->rcode == DNS_RCODE_NOERROR && i < a->nrr; i++)
			if (a->rr[i].len == iplen && memcmp(a->rr[i].ptr, ip, iplen) == 0)
				sc->res.rdns = GUARD_RDNS_CONFIRMED;
	}
	screen_done_one(sc);
}

static void
on_ptr(int err, const struct dns_answer *a, void *arg)
{
	struct screen_slot *s = arg;
	struct smtpd_screen *sc = s->sc;
	char name[DNS_NAME_MAX + 1];
	size_t off = 0;
	int family;

	(void)client_addr(sc, &family);
	s->q = NULL;
	if (!answer_ok(sc, err, a, "ptr")) {
		screen_done_one(sc);
		return;
	}
	if (a->rcode != DNS_RCODE_NOERROR || a->nrr == 0 ||
	    dns_name_decode(a->rr[0], &off, name) < 0 || name[0] == '\0') {
		sc->res.rdns = GUARD_RDNS_NONE;
		screen_done_one(sc);
		return;
	}
	if (dns_query(sc->d->dns, name, family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA,
	    on_forward, s, &s->q) < 0) {
		sc->res.failed = true;
		screen_done_one(sc);
	}
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_screen *sc = arg;

	log_info("smtpd screen ip=%s timeout action=pass", sc->gc.ip);
	sc->res.failed = true;
	for (size_t i = 0; i <= RDNS_SLOT; i++)
		if (sc->slot[i].q != NULL) {
			dns_cancel(sc->slot[i].q);
			sc->slot[i].q = NULL;
		}
	sc->pending = 0;
	screen_finish(sc);
}

/* Data (or the end) before the banner: a pregreet, as smtp_server does. */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_screen *sc = arg;
	const struct conf_guard *g = &sc->cfg->conf->guard;
	char c;

	if (recv(fd, &c, 1, MSG_PEEK) <= 0) {
		screen_close(sc, NULL);
		return;
	}
	log_info("smtpd reject stage=pregreet ip=%s", sc->gc.ip);
	smtpd_refused(sc->d, 0, GUARD_PREGREET, sc->gc.ip);
	guard_pregreet_remember(sc->d->guard, g, &sc->gc);
	screen_close(sc, "554 5.5.1 Protocol error: talked before the greeting");
}

static int
screen_query(struct smtpd_screen *sc, size_t i, const char *name, uint16_t type, dns_fn *fn)
{
	struct screen_slot *s = &sc->slot[i];
	int rc;

	s->sc = sc;
	s->index = i;
	sc->pending++;
	if ((rc = dns_query(sc->d->dns, name, type, fn, s, &s->q)) < 0) {
		sc->pending--;
		sc->res.failed = true;
		log_info("smtpd screen ip=%s lookup=%s error=\"%s\" action=pass", sc->gc.ip,
		    name, mg_strerror(rc));
	}
	return rc;
}

/* Every zone's A query and the PTR query, in parallel. */
static void
screen_queries(struct smtpd_screen *sc, const struct conf_screen *c)
{
	int family;
	const uint8_t *ip = client_addr(sc, &family);
	char name[DNS_NAME_MAX + 1];

	for (size_t i = 0; i < c->nzones; i++)
		if (dns_reverse_name(family, ip, c->zones[i].zone, name, sizeof(name)) == 0)
			(void)screen_query(sc, i, name, DNS_TYPE_A, on_dnsbl);
	if (c->rdns != CONF_RDNS_OFF &&
	    dns_reverse_name(family, ip, NULL, name, sizeof(name)) == 0)
		(void)screen_query(sc, RDNS_SLOT, name, DNS_TYPE_PTR, on_ptr);
}

static struct smtpd_screen *
screen_new(struct smtpd *d, struct smtpd_listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, socklen_t salen, const struct guard_client *gc)
{
	const struct conf_guard *g = &d->cfg->conf->guard;
	struct timeval tv = { g->screen.timeout_ms / 1000, (g->screen.timeout_ms % 1000) * 1000 };
	struct smtpd_screen *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->d = d;
	sc->lst = lst;
	sc->cfg = d->cfg;
	sc->cfg->refs++;
	sc->fd = fd;
	memcpy(&sc->sa, sa, salen);
	sc->salen = salen;
	sc->gc = *gc;
	sc->accepted_ms = mg_clock_ms();
	TAILQ_INSERT_TAIL(&d->screens, sc, entry);
	d->nsessions++;
	sc->timer = evtimer_new(d->base, on_timeout, sc);
	if (g->pregreet.enabled)
		sc->readable = event_new(d->base, fd, EV_READ, on_readable, sc);
	if (sc->timer == NULL || evtimer_add(sc->timer, &tv) == -1 ||
	    (g->pregreet.enabled && (sc->readable == NULL ||
	    event_add(sc->readable, NULL) == -1))) {
		screen_free(sc);
		return NULL;
	}
	return sc;
}

/* The resolver, opened at the first screened connection. */
static int
screen_dns(struct smtpd *d)
{
	char err[256];

	if (d->dns != NULL)
		return 0;
	if ((d->dns = dns_open(d->base, &d->cfg->conf->resolver, err, sizeof(err))) == NULL) {
		log_err("smtpd screen resolver error=\"%s\"", err);
		return -MG_EIO;
	}
	return 0;
}

int
smtpd_screen_start(struct smtpd *d, struct smtpd_listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, socklen_t salen, const struct guard_client *gc)
{
	const struct mg_conf *conf = d->cfg->conf;
	const struct conf_screen *c = &conf->guard.screen;
	struct guard_screen cached;
	struct guard_client copy;
	struct smtpd_screen *sc;
	char reply[GUARD_REPLY_MAX];
	enum guard_reason why;

	if ((c->nzones == 0 && c->rdns == CONF_RDNS_OFF) || gc->allowed ||
	    conf_is_trusted(conf, sa) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	if (guard_screen_cached(d->guard, gc->ip, &cached) == 1) {
		if ((why = guard_screen_verdict(c, &cached, gc->ip, reply,
		    sizeof(reply))) == GUARD_PASS)
			return 0;
		smtpd_refused(d, 0, why, gc->ip);
		copy = *gc;
		guard_disconnect(d->guard, &copy);
		smtpd_refuse_fd(fd, reply);
		return 1;
	}
	if (screen_dns(d) < 0 || (sc = screen_new(d, lst, fd, sa, salen, gc)) == NULL)
		return 0;	/* fail open */
	sc->pending = 1;	/* held until every query has started */
	screen_queries(sc, c);
	screen_done_one(sc);
	return 1;
}

void
smtpd_screens_free(struct smtpd *d)
{
	struct smtpd_screen *sc;

	while ((sc = TAILQ_FIRST(&d->screens)) != NULL) {
		evutil_closesocket(sc->fd);
		guard_disconnect(d->guard, &sc->gc);
		screen_free(sc);
	}
	d->dns = dns_close(d->dns);
}
