/* Private to the SPF code (spf_record.c, spf_macro.c, spf_eval.c,
 * spf_mech.c) and exported for its tests and fuzzer: the parsed record
 * (RFC 7208 section 12 grammar), macro strings (section 7) and the state
 * of an evaluation. */
#ifndef MG_AUTH_SPF_INT_H
#define MG_AUTH_SPF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/spf.h"
#include "core/arena.h"

#define SPF_MAX_DNS_TERMS	10	/* RFC 7208 4.6.4 */
#define SPF_MAX_VOID		2
#define SPF_MAX_NAMES		10	/* MX or PTR names looked at per mechanism */
#define SPF_NAME_MAX		253	/* a longer expansion loses labels on the left */
#define SPF_EXPAND_MAX		2048	/* bytes one macro-string may expand to */
#define SPF_MAX_TERMS		128	/* directives and modifiers per record */

enum spf_mech {
	SPF_M_ALL, SPF_M_INCLUDE, SPF_M_A, SPF_M_MX, SPF_M_PTR, SPF_M_IP4, SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	enum spf_mech	 mech;
	enum spf_result	 qualifier;	/* PASS, FAIL, SOFTFAIL or NEUTRAL */
	const char	*spec;		/* domain-spec (macro string), or NULL */
	size_t		 speclen;
	uint8_t		 net[16];	/* ip4/ip6 network */
	unsigned	 cidr4, cidr6;	/* prefix lengths: 32 and 128 by default */
	const char	*text;		/* the whole term, for reports (arena) */
};

struct spf_record {
	struct spf_term	*terms;		/* directives, in order */
	size_t		 nterms;
	const char	*redirect;	/* domain-spec of redirect=, or NULL */
	size_t		 redirect_len;
};

/* Whether txt[0..len) is an SPF record: "v=spf1" (any case) then a space
 * or the end (4.5). */
bool	spf_record_is_spf(const char *txt, size_t len);
/* Parses a whole record (syntax errors anywhere fail it, 4.6). 0, or
 * -MG_EPROTO with a short reason in *why, or -MG_ENOMEM. */
int	spf_record_parse(struct mg_arena *, const char *txt, size_t len, struct spf_record *,
	    const char **why);

/* Checks the syntax of a macro-string of a domain-spec (the letters c, r
 * and t belong to explanation text, which is never fetched). *ends_macro
 * tells whether it ends with a macro-expand. 0 or -MG_EPROTO. */
int	spf_macro_check(const char *s, size_t len, bool *ends_macro);
/* Whether s uses %{p} (which needs DNS before expanding). */
bool	spf_macro_uses_p(const char *s, size_t len);

/* The values macros expand to (7.3). */
struct spf_macro_env {
	const char	*sender;	/* s */
	const char	*local;		/* l */
	const char	*sender_domain;	/* o */
	const char	*domain;	/* d */
	const char	*ip;		/* i: dotted quad, or dotted nibbles */
	const char	*ptr;		/* p: validated name or "unknown" */
	const char	*helo;		/* h */
	bool		 ipv6;		/* v: "ip6" or "in-addr" */
};

/* Expands a checked macro-string into out[0..outmax) NUL-terminated;
 * -MG_ELIMIT when it does not fit. */
int	spf_macro_expand(const char *s, size_t len, const struct spf_macro_env *, char *out,
	    size_t outmax);
/* Makes an expanded target name usable: trailing dot removed, labels cut
 * on the left down to SPF_NAME_MAX, lower case. False when a label is
 * empty or longer than 63 bytes (the mechanism then does not match). */
bool	spf_target_name(char *name);

/* The state of one check_host() (spf_eval.c drives it, spf_mech.c
 * matches mechanisms). A step replays the current term from the start:
 * every lookup goes through spf_need, which answers from the lookups
 * already resolved or asks for the lookup and makes the step stop. */
struct spf_frame {
	const char	*domain;	/* <domain> of this check_host() */
	struct spf_record rec;
	bool		 loaded;	/* rec parsed */
	bool		 redirected;	/* reached through redirect= */
	size_t		 next;		/* the term being evaluated */
	bool		 counted;	/* it counted as a DNS-querying term */
};

#define SPF_MAX_FRAMES	(SPF_MAX_DNS_TERMS + 1)

struct spf_eval {
	struct mg_arena	*arena;
	struct spf_outcome out;
	bool		 done;
	bool		 ipv6;		/* v4-mapped addresses count as IPv4 */
	uint8_t		 ip[16];	/* 4 bytes used for IPv4 */
	char		 ipmacro[72];	/* %{i} */
	const char	*local, *helo;
	struct spf_frame frames[SPF_MAX_FRAMES];
	size_t		 depth;
	struct dns_lookup *cache;	/* resolved lookups */
	size_t		 ncache, capcache;
	struct dns_lookup *asked;	/* in the caller's array until the next step */
	size_t		 nasked;
	struct dns_lookup *q;		/* where this step appends lookups */
	size_t		*qn, qmax, qstart;
	bool		 blocked;
};

/* What a term's evaluation came to; SPF_STOP: the evaluation ended, or its
 * state moved on by itself (a frame pushed or popped). */
enum spf_match { SPF_NOMATCH, SPF_MATCH, SPF_BLOCKED, SPF_STOP };

/* spf_eval.c: ends the evaluation with r (problem may be NULL). */
void	spf_finish(struct spf_eval *, enum spf_result r, const char *problem);

/* spf_mech.c */
/* The answer to name/type, or NULL after asking for it (the step stops). */
const struct dns_lookup *spf_need(struct spf_eval *, const char *name, uint16_t type);
/* Moves the answers of the previous step's lookups into the cache. */
int	spf_absorb(struct spf_eval *);
/* The target of a domain-spec (the frame's domain when spec is NULL):
 * SPF_MATCH with *name (NULL when the expansion is not a usable name),
 * SPF_BLOCKED while %{p} waits for DNS, SPF_STOP when out of memory. */
enum spf_match spf_target(struct spf_eval *, const char *spec, size_t len, const char **name);
/* Whether a directive other than include matches (include: spf_eval.c). */
enum spf_match spf_mech_match(struct spf_eval *, const struct spf_term *);

#endif
