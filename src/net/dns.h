/* The process's DNS resolver: one libunbound context (caching, DNSSEC
 * capable) driven from the libevent loop through ub_fd()/ub_process().
 * Queries are asynchronous with a per-query deadline; if dns_query fails,
 * its callback never runs, and after dns_cancel it never runs either. */
#ifndef MG_NET_DNS_H
#define MG_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/conf.h"

struct event_base;
struct dns;
struct dns_query;

#define DNS_TYPE_A	1
#define DNS_TYPE_PTR	12
#define DNS_TYPE_MX	15
#define DNS_TYPE_TXT	16
#define DNS_TYPE_AAAA	28

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3

#define DNS_NAME_MAX	255	/* presentation form, without the final dot */

/* An answer, valid only during the callback. rr[i] are the uncompressed
 * RDATA of the answer records of the type asked for. */
struct dns_answer {
	int		 rcode;		/* DNS_RCODE_* */
	bool		 secure;	/* DNSSEC validated */
	bool		 bogus;		/* DNSSEC validation failed */
	size_t		 nrr;
	const struct mg_slice *rr;
};

/* err is 0 with an answer (whatever its rcode), -MG_ETIMEOUT when the
 * deadline passed, -MG_EIO when the resolver failed (answer is NULL). */
typedef void dns_fn(int err, const struct dns_answer *answer, void *arg);

/* Creates the resolver: upstream "ip" or "ip@port" as the only forwarder
 * (loopback allowed, for tests), else the system resolv.conf; /etc/hosts
 * is consulted either way. NULL with a reason in err on failure. */
struct dns	*dns_open(struct event_base *, const struct conf_resolver *,
		    char *err, size_t errlen);
/* Cancels every outstanding query (their callbacks never run). */
struct dns	*dns_close(struct dns *);	/* returns NULL */
/* New per-query deadline (seconds) for queries started from now on. */
void		 dns_set_timeout(struct dns *, uint32_t seconds);

/* Starts a query for name (presentation form) and rrtype in class IN.
 * *out (may be NULL) receives a handle valid until the callback runs. */
int	dns_query(struct dns *, const char *name, uint16_t rrtype, dns_fn *fn,
	    void *arg, struct dns_query **out);
void	dns_cancel(struct dns_query *);

/* Decodes a wire-format (uncompressed) domain name from rdata at *off into
 * lower-case presentation form without the final dot ("" for the root).
 * Advances *off. Only letters, digits, '-' and '_' are accepted in labels.
 * 0 or -MG_EPROTO. */
int	dns_name_decode(struct mg_slice rdata, size_t *off, char out[DNS_NAME_MAX + 1]);
/* MX RDATA: preference and exchange name; 0 or -MG_EPROTO. */
int	dns_mx_decode(struct mg_slice rdata, uint16_t *pref, char out[DNS_NAME_MAX + 1]);

#endif
