/* SPF (RFC 7208): check_host() for the MAIL FROM and HELO identities, our
 * own implementation. An evaluation is a state machine that asks for its
 * DNS lookups in rounds, so that the caller can resolve the lookups of
 * several evaluations (and of DMARC) in one parallel batch:
 *
 *	ev = spf_eval_new(arena, &query);
 *	for (;;) { n = 0; if (spf_eval_step(ev, q, &n, max)) break; resolve(q, n); }
 *
 * Limits: 10 DNS-querying terms, 2 void lookups, 10 MX and 10 PTR names
 * per mechanism; macros are expanded; exp= is checked but never fetched. */
#ifndef MG_AUTH_SPF_H
#define MG_AUTH_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "net/dns_sync.h"

enum spf_result {
	SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_TEMPERROR,
	SPF_PERMERROR,
};

struct spf_query {
	const char	*ip;		/* client address, presentation form */
	const char	*helo;		/* HELO/EHLO argument, or NULL */
	const char	*sender;	/* MAIL FROM without < >; NULL or "" = null path */
	bool		 helo_identity;	/* check HELO, not MAIL FROM */
};

struct spf_outcome {
	enum spf_result	 result;
	const char	*domain;	/* the identity's domain checked, or NULL */
	const char	*sender;	/* the identity: "local@domain" (postmaster@HELO
					 * for a null path or HELO), or NULL */
	const char	*mechanism;	/* the term that matched, or NULL */
	const char	*problem;	/* why none/temperror/permerror, or NULL */
	unsigned	 dns_terms;	/* terms that queried DNS (limit 10) */
	unsigned	 void_lookups;	/* limit 2 */
};

#define SPF_MAX_ROUND	10	/* lookups one step asks for at most */

struct spf_eval;

/* A new evaluation in the arena (which must outlive it); NULL only when the
 * arena is exhausted. Strings of q are copied. */
struct spf_eval *spf_eval_new(struct mg_arena *, const struct spf_query *q);
/* Takes the answers of the lookups asked for by the previous step (resolved
 * in place in the caller's array, which must stay valid until this call),
 * runs as far as they allow, and appends the lookups it needs next to
 * q[*n..max) (names in the arena). True when the evaluation is over; false
 * with at least one lookup appended, or none when q was full (call again
 * with room). */
bool	spf_eval_step(struct spf_eval *, struct dns_lookup *q, size_t *n, size_t max);
/* The outcome, once spf_eval_step returned true. */
const struct spf_outcome *spf_eval_outcome(const struct spf_eval *);

const char *spf_result_name(enum spf_result);	/* "pass", ... (RFC 8601) */

#endif
