/* DNS for scanning threads: batches of lookups resolved in parallel and
 * waited for until a deadline, through the program's one resolver
 * implementation (libunbound, the same upstream and timeout settings as
 * net/dns.h). Checks see it as a struct dns_resolver so that unit tests
 * can answer from a table instead. */
#ifndef MG_NET_DNS_SYNC_H
#define MG_NET_DNS_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"

/* One question of a batch and, after resolve, its answer. */
struct dns_lookup {
	const char	*name;		/* presentation form, no final dot */
	uint16_t	 type;		/* DNS_TYPE_* of net/dns.h */
	/* filled by resolve: */
	int		 err;		/* 0 answered, -MG_ETIMEOUT, -MG_EIO */
	int		 rcode;		/* DNS_RCODE_* when err == 0 */
	size_t		 nrr;
	struct mg_slice	*rr;		/* RDATA of answers of that type, in the arena */
};

struct dns_resolver {
	/* Resolves q[0..n) in parallel; returns when all are answered or
	 * deadline (task_now() clock, monotonic ns) passed, whichever comes
	 * first; unanswered ones get err = -MG_ETIMEOUT. Answers are copied
	 * into arena. Thread-safe. Returns 0 or -MG_ENOMEM. */
	int	(*resolve)(void *ctx, struct dns_lookup *q, size_t n, uint64_t deadline,
		    struct mg_arena *arena);
	void	*ctx;
};

/* The libunbound resolver: NULL with a reason in err on failure. */
struct dns_resolver *dns_sync_open(const struct conf_resolver *, char *err, size_t errlen);
struct dns_resolver *dns_sync_close(struct dns_resolver *);	/* returns NULL */

#endif
