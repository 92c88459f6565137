/* Next hop to addresses (see resolve.h): one MX query, then A and AAAA
 * queries for every exchanger in parallel; the peers are assembled in MX
 * order, IPv4 before IPv6 within one exchanger. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "queue/resolve.h"

#define RS_ADDRS	8	/* addresses kept per exchanger and family */
#define RS_MX_RR	32	/* MX records looked at */

enum rs_state { RS_WAIT, RS_OK, RS_NONE, RS_TEMP };

struct rs_family {
	enum rs_state	 state;
	size_t		 n;
	uint8_t		 addr[RS_ADDRS][16];
};

struct rs_host {
	char		 name[DNS_NAME_MAX + 1];
	struct rs_family v4, v6;
};

/* The argument of one DNS query: which host and family it is for. */
struct rs_query {
	struct resolve	*r;
	struct dns_query *q;
	size_t		 host;
	int		 family;	/* AF_INET, AF_INET6, or 0 for MX */
};

struct resolve {
	struct dns	*dns;
	struct event	*later;		/* runs the callback for literals */
	struct route_hop hop;
	resolve_fn	*fn;
	void		*arg;
	bool		 implicit;	/* no MX: the domain is its own exchanger */
	struct rs_host	 hosts[RESOLVE_MAX_MX];
	size_t		 nhosts;
	struct rs_query	 qs[2 * RESOLVE_MAX_MX + 1];
	size_t		 nqs;
	unsigned	 pending;
	struct smtp_peer peers[RESOLVE_MAX_PEERS];
	size_t		 npeers;
};

static void rs_on_mx(int err, const struct dns_answer *a, void *arg);
static void rs_on_addr(int err, const struct dns_answer *a, void *arg);

static void
rs_free(struct resolve *r)
{
	for (size_t i = 0; i < r->nqs; i++)
		if (r->qs[i].q != NULL)
			dns_cancel(r->qs[i].q);
	event_free(r->later);
	free(r);
}

static void
rs_finish(struct resolve *r, int err, const char *why)
{
	resolve_fn *fn = r->fn;
	void *arg = r->arg;
	struct smtp_peer peers[RESOLVE_MAX_PEERS];
	size_t n = r->npeers;

	memcpy(peers, r->peers, n * sizeof(peers[0]));
	rs_free(r);
	fn(err, why, peers, n, arg);
}

static int
rs_query(struct resolve *r, const char *name, uint16_t type, size_t host, int family)
{
	struct rs_query *q = &r->qs[r->nqs];
	int rc;

	*q = (struct rs_query){ .r = r, .host = host, .family = family };
	rc = dns_query(r->dns, name, type, family ? rs_on_addr : rs_on_mx, q, &q->q);
	if (rc < 0)
		return rc;
	r->nqs++;
	r->pending++;
	return 0;
}

static void
rs_add_peer(struct resolve *r, const char *name, int family, const uint8_t *addr)
{
	struct smtp_peer *p = &r->peers[r->npeers];

	if (r->npeers == RESOLVE_MAX_PEERS)
		return;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(r->hop.port);
		memcpy(&sin->sin_addr, addr, 4);
		p->addrlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(r->hop.port);
		memcpy(&sin6->sin6_addr, addr, 16);
		p->addrlen = sizeof(*sin6);
	}
	r->npeers++;
}

/* All address queries answered: build the peer list or explain why not. */
static void
rs_assemble(struct resolve *r)
{
	static char why[DNS_NAME_MAX + 128];
	bool temp = false;

	for (size_t i = 0; i < r->nhosts; i++) {
		struct rs_host *h = &r->hosts[i];
		for (size_t k = 0; k < h->v4.n; k++)
			rs_add_peer(r, h->name, AF_INET, h->v4.addr[k]);
		for (size_t k = 0; k < h->v6.n; k++)
			rs_add_peer(r, h->name, AF_INET6, h->v6.addr[k]);
		temp |= h->v4.state == RS_TEMP || h->v6.state == RS_TEMP;
	}
	if (r->npeers > 0) {
		rs_finish(r, 0, NULL);
	} else if (temp) {
		snprintf(why, sizeof(why), "address lookup for %s failed temporarily",
		    r->hop.host);
		rs_finish(r, -MG_EAGAIN, why);
	} else if (r->hop.kind == ROUTE_HOST) {
		/* a configured route never bounces mail for a DNS mistake */
		snprintf(why, sizeof(why), "route host %s has no address", r->hop.host);
		rs_finish(r, -MG_EAGAIN, why);
	} else {
		snprintf(why, sizeof(why), r->implicit ?
		    "5.1.2 domain %s has no MX and no address record" :
		    "5.4.4 no address for any mail exchanger of %s", r->hop.host);
		rs_finish(r, -MG_ENOENT, why);
	}
}

static void
rs_on_addr(int err, const struct dns_answer *a, void *arg)
{
	struct rs_query *q = arg;
	struct resolve *r = q->r;
	struct rs_host *h = &r->hosts[q->host];
	struct rs_family *f = q->family == AF_INET ? &h->v4 : &h->v6;
	size_t want = q->family == AF_INET ? 4 : 16;

	q->q = NULL;
	if (err < 0 || (a->rcode != DNS_RCODE_NOERROR && a->rcode != DNS_RCODE_NXDOMAIN)) {
		f->state = RS_TEMP;
	} else {
		for (size_t i = 0; i < a->nrr && f->n < RS_ADDRS; i++)
			if (a->rr[i].len == want)
				memcpy(f->addr[f->n++], a->rr[i].ptr, want);
		f->state = f->n > 0 ? RS_OK : RS_NONE;
	}
	if (--r->pending == 0)
		rs_assemble(r);
}

/* Starts A and AAAA queries for every exchanger in r->hosts. */
static void
rs_lookup_hosts(struct resolve *r)
{
	for (size_t i = 0; i < r->nhosts; i++) {
		if (rs_query(r, r->hosts[i].name, DNS_TYPE_A, i, AF_INET) < 0)
			r->hosts[i].v4.state = RS_TEMP;
		if (rs_query(r, r->hosts[i].name, DNS_TYPE_AAAA, i, AF_INET6) < 0)
			r->hosts[i].v6.state = RS_TEMP;
	}
	if (r->pending == 0)
		rs_finish(r, -MG_EAGAIN, "cannot start DNS queries");
}

static void
rs_on_mx(int err, const struct dns_answer *a, void *arg)
{
	static char why[DNS_NAME_MAX + 128];
	struct rs_query *q = arg;
	struct resolve *r = q->r;
	struct route_mx mx[RS_MX_RR];
	size_t n = 0;

	q->q = NULL;
	r->pending--;
	if (err < 0 || (a->rcode != DNS_RCODE_NOERROR && a->rcode != DNS_RCODE_NXDOMAIN)) {
		snprintf(why, sizeof(why), "MX lookup for %s failed: %s", r->hop.host,
		    err == -MG_ETIMEOUT ? "timeout" : "server failure");
		rs_finish(r, -MG_EAGAIN, why);
		return;
	}
	if (a->rcode == DNS_RCODE_NXDOMAIN) {
		snprintf(why, sizeof(why), "5.1.2 domain %s does not exist", r->hop.host);
		rs_finish(r, -MG_ENOENT, why);
		return;
	}
	for (size_t i = 0; i < a->nrr && n < RS_MX_RR; i++)
		if (dns_mx_decode(a->rr[i], &mx[n].pref, mx[n].name) == 0)
			n++;
	if (route_mx_is_null(mx, n)) {
		snprintf(why, sizeof(why), "5.1.10 domain %s accepts no mail (null MX)",
		    r->hop.host);
		rs_finish(r, -MG_ENOENT, why);
		return;
	}
	if (a->nrr == 0) {
		r->implicit = true;
		memcpy(r->hosts[0].name, r->hop.host, sizeof(r->hop.host));
		r->nhosts = 1;
	} else {
		n = route_mx_sort(mx, n, (uint32_t)mg_id_random() | 1u);
		for (size_t i = 0; i < n && r->nhosts < RESOLVE_MAX_MX; i++)
			memcpy(r->hosts[r->nhosts++].name, mx[i].name, sizeof(mx[i].name));
	}
	if (r->nhosts == 0) {
		snprintf(why, sizeof(why), "no usable MX record for %s", r->hop.host);
		rs_finish(r, -MG_EAGAIN, why);
		return;
	}
	rs_lookup_hosts(r);
}

static void
rs_on_later(evutil_socket_t fd, short what, void *arg)
{
	rs_finish(arg, 0, NULL);
}

/* An IP literal needs no DNS; its result is delivered from the loop. */
static bool
rs_literal(struct resolve *r)
{
	uint8_t addr[16];

	if (inet_pton(AF_INET, r->hop.host, addr) == 1)
		rs_add_peer(r, r->hop.host, AF_INET, addr);
	else if (inet_pton(AF_INET6, r->hop.host, addr) == 1)
		rs_add_peer(r, r->hop.host, AF_INET6, addr);
	else
		return false;
	event_active(r->later, EV_TIMEOUT, 0);
	return true;
}

struct resolve *
resolve_start(struct event_base *base, struct dns *dns, const struct route_hop *hop,
    resolve_fn *fn, void *arg)
{
	struct resolve *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->dns = dns;
	r->hop = *hop;
	r->fn = fn;
	r->arg = arg;
	if ((r->later = event_new(base, -1, 0, rs_on_later, r)) == NULL) {
		free(r);
		return NULL;
	}
	if (rs_literal(r))
		return r;
	if (hop->kind == ROUTE_HOST) {
		memcpy(r->hosts[0].name, hop->host, sizeof(hop->host));
		r->nhosts = 1;
		if (rs_query(r, hop->host, DNS_TYPE_A, 0, AF_INET) == 0 &&
		    rs_query(r, hop->host, DNS_TYPE_AAAA, 0, AF_INET6) == 0)
			return r;
	} else if (rs_query(r, hop->host, DNS_TYPE_MX, 0, 0) == 0) {
		return r;
	}
	rs_free(r);
	return NULL;
}

void
resolve_cancel(struct resolve *r)
{
	rs_free(r);
}
