/* A struct dns_resolver answering from a table, for the tests of code that
 * looks things up in DNS (SPF, DMARC, DKIM, ARC, the auth check): records
 * written as text, { "host.test", "A", "192.0.2.1" }, in a static table
 * and/or added at run time with fake_add; TXT strings separated by '|'
 * become separate character-strings (cut into pieces of 255 bytes); type
 * "TIMEOUT" or "SERVFAIL" makes every lookup of that name time out or fail.
 * A name with no record at all is NXDOMAIN. Counts lookups and batches. */
#ifndef MG_TESTS_FAKE_DNS_H
#define MG_TESTS_FAKE_DNS_H

#include <arpa/inet.h>
#include <stdbool.h>
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

#define FAKE_DNS_ADDED	64	/* records fake_add can hold */

struct fake_dns {
	const struct fake_rr *rr;	/* a static table, borrowed */
	size_t		 n;
	struct fake_rr	 added[FAKE_DNS_ADDED];	/* fake_add's, strings owned */
	size_t		 nadded;
	unsigned	 lookups, batches;
	size_t		 largest;	/* lookups in the largest batch */
};

/* Adds a record: name and data copied (data may be NULL for TIMEOUT and
 * SERVFAIL) and freed by fake_clear; type is borrowed. Needs cmocka.h. */
static inline void
fake_add(struct fake_dns *fd, const char *name, const char *type, const char *data)
{
	struct fake_rr *r = &fd->added[fd->nadded];

	assert_true(fd->nadded < FAKE_DNS_ADDED);
	r->name = strdup(name);
	r->type = type;
	r->data = strdup(data ? data : "");
	assert_true(r->name != NULL && r->data != NULL);
	fd->nadded++;
}

static inline void
fake_clear(struct fake_dns *fd)
{
	for (size_t i = 0; i < fd->nadded; i++) {
		free((void *)fd->added[i].name);
		free((void *)fd->added[i].data);
	}
	memset(fd, 0, sizeof(*fd));
}

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

/* RDATA of a record written as text into out (2 * strlen(data) + 16
 * bytes are enough); its length. */
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
			do {	/* an empty string is one empty character-string */
				size_t k = l < 255 ? l : 255;
				out[n++] = (uint8_t)k;
				memcpy(out + n, s, k);
				n += k;
				s += k;
				l -= k;
			} while (l > 0);
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
	for (size_t i = 0; i < fd->n + fd->nadded; i++) {
		const struct fake_rr *r = i < fd->n ? &fd->rr[i] : &fd->added[i - fd->n];
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
			uint8_t *d = mg_arena_alloc(a, 2 * strlen(r->data) + 16);
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

static inline struct dns_resolver
fake_resolver(struct fake_dns *fd)
{
	return (struct dns_resolver){ fake_resolve, fd };
}

#endif
