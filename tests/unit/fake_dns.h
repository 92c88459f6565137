/* A struct dns_resolver answering from a table, for the tests of code that
 * looks things up in DNS (SPF, DMARC, the auth check): records written as
 * text, { "host.test", "A", "192.0.2.1" }; TXT strings separated by '|'
 * become separate character-strings; type "TIMEOUT" or "SERVFAIL" makes
 * every lookup of that name time out or fail. A name with no record at
 * all is NXDOMAIN. Counts lookups and batches. */
#ifndef MG_TESTS_FAKE_DNS_H
#define MG_TESTS_FAKE_DNS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"
#include "net/dns_sync.h"

struct fake_rr {
	const char	*name, *type, *data;
};

struct fake_dns {
	const struct fake_rr *rr;
	size_t		 n;
	unsigned	 lookups, batches;
	size_t		 largest;	/* lookups in the largest batch */
};

/* Wire form of a name into out; its length. */
static inline size_t
fake_name_wire(const char *name, uint8_t *out)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

/* RDATA of a record written as text, in the arena; its length. */
static inline size_t
fake_rdata(const struct fake_rr *r, uint16_t type, uint8_t *out)
{
	size_t n = 0;

	switch (type) {
	case DNS_TYPE_A:
		return inet_pton(AF_INET, r->data, out) == 1 ? 4 : 0;
	case DNS_TYPE_AAAA:
		return inet_pton(AF_INET6, r->data, out) == 1 ? 16 : 0;
	case DNS_TYPE_MX: {
		unsigned pref = (unsigned)atoi(r->data);
		const char *host = strchr(r->data, ' ');
		out[0] = (uint8_t)(pref >> 8);
		out[1] = (uint8_t)pref;
		return 2 + fake_name_wire(host ? host + 1 : "", out + 2);
	}
	case DNS_TYPE_PTR:
		return fake_name_wire(r->data, out);
	default:	/* TXT */
		for (const char *s = r->data;;) {
			const char *bar = strchr(s, '|');
			size_t l = bar ? (size_t)(bar - s) : strlen(s);
			out[n++] = (uint8_t)l;
			memcpy(out + n, s, l);
			n += l;
			if (bar == NULL)
				return n;
			s = bar + 1;
		}
	}
}

static inline uint16_t
fake_type(const char *t)
{
	return strcmp(t, "A") == 0 ? DNS_TYPE_A : strcmp(t, "AAAA") == 0 ? DNS_TYPE_AAAA :
	    strcmp(t, "MX") == 0 ? DNS_TYPE_MX : strcmp(t, "PTR") == 0 ? DNS_TYPE_PTR :
	    strcmp(t, "TXT") == 0 ? DNS_TYPE_TXT : 0;
}

static inline void
fake_answer(struct fake_dns *fd, struct dns_lookup *q, struct mg_arena *a)
{
	bool exists = false;

	q->err = 0;
	q->rcode = DNS_RCODE_NOERROR;
	q->nrr = 0;
	q->rr = mg_arena_alloc(a, 64 * sizeof(*q->rr));
	for (size_t i = 0; i < fd->n; i++) {
		const struct fake_rr *r = &fd->rr[i];
		if (strcasecmp(r->name, q->name) != 0)
			continue;
		exists = true;
		if (strcmp(r->type, "TIMEOUT") == 0) {
			q->err = -MG_ETIMEOUT;
			return;
		}
		if (strcmp(r->type, "SERVFAIL") == 0) {
			q->rcode = DNS_RCODE_SERVFAIL;
			return;
		}
		if (fake_type(r->type) == q->type && q->nrr < 64) {
			uint8_t *d = mg_arena_alloc(a, 1024);
			q->rr[q->nrr++] = mg_slice_make(d, fake_rdata(r, q->type, d));
		}
	}
	if (!exists)
		q->rcode = DNS_RCODE_NXDOMAIN;
}

static inline int
fake_resolve(void *ctx, struct dns_lookup *q, size_t n, uint64_t deadline,
    struct mg_arena *a)
{
	struct fake_dns *fd = ctx;

	(void)deadline;
	fd->batches++;
	fd->lookups += (unsigned)n;
	if (n > fd->largest)
		fd->largest = n;
	for (size_t i = 0; i < n; i++)
		fake_answer(fd, &q[i], a);
	return 0;
}

#endif
