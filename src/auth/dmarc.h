/* DMARC (RFC 7489): the header From domain, the policy record found at it
 * or at its organisational domain (Public Suffix List), identifier
 * alignment of SPF and DKIM (strict or relaxed), and the disposition
 * that applies: p or sp, with pct sampled deterministically per message
 * (a hash of its Message-ID). Reports (rua, ruf) are parsed, not sent. */
#ifndef MG_AUTH_DMARC_H
#define MG_AUTH_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/spf.h"
#include "core/arena.h"
#include "mime/mime.h"
#include "net/dns_sync.h"

enum dmarc_result { DMARC_NONE, DMARC_PASS, DMARC_FAIL, DMARC_TEMPERROR, DMARC_PERMERROR };
enum dmarc_policy { DMARC_P_NONE, DMARC_P_QUARANTINE, DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p, sp;	/* sp = p when absent */
	unsigned	 pct;		/* 0..100, default 100 */
	bool		 adkim_strict, aspf_strict;
	const char	*rua, *fo;	/* as written (arena), or NULL */
	const char	*bad;		/* the first tag with an invalid value
					 * (ignored), or NULL */
};

/* Parses one TXT record. 0; -MG_ENOENT when it is not a DMARC record
 * ("v=DMARC1" first); -MG_EPROTO when p (or sp) is missing or invalid and
 * there is no rua (no DMARC processing, 6.6.3), with the reason in
 * rec->bad; -MG_ENOMEM. */
int	dmarc_record_parse(struct mg_arena *, const char *txt, size_t len,
	    struct dmarc_record *rec);

/* The domain of the header From address, lower case (arena). 0;
 * -MG_ENOENT when there is no From field or no domain in it; -MG_EPROTO
 * for several From fields, addresses of different domains, or a domain
 * that is not a host name. */
int	dmarc_from_domain(struct mg_arena *, const struct mime_msg *, const char **domain);

/* The organisational domain of domain (its registrable domain), a pointer
 * into domain; domain itself when the list does not know better. */
const char *dmarc_org_domain(const char *domain);

/* The policy lookups for from_domain into q[0..2): _dmarc.<domain> and,
 * when it differs, _dmarc.<organisational domain>, asked together so that
 * a missing record at the first costs no second round. Returns how many
 * (1 or 2), or -MG_ENOMEM. */
int	dmarc_lookups(struct mg_arena *, const char *from_domain, struct dns_lookup *q);

/* The identifiers that were authenticated. */
struct dmarc_auth {
	enum spf_result	 spf;		/* MAIL FROM result (HELO's for a null path) */
	const char	*spf_domain;
	const char *const *dkim_domains;	/* d= of the passing signatures */
	size_t		 ndkim;
	const char	*msgid;		/* Message-ID value, for pct sampling; may be NULL */
};

struct dmarc_outcome {
	enum dmarc_result result;
	enum dmarc_policy policy;	/* published policy that applies: p, or sp below
					 * the organisational domain */
	enum dmarc_policy disposition;	/* what to do: policy on fail after pct, else none */
	bool		 sampled_out;	/* pct spared the message a stricter policy */
	bool		 spf_aligned, dkim_aligned;
	const char	*from_domain;
	const char	*record_domain;	/* where the record was found, or NULL */
	struct dmarc_record rec;	/* valid when record_domain != NULL */
	const char	*problem;	/* why none/temperror/permerror, or NULL */
};

/* Evaluates from the answered lookups of dmarc_lookups. 0 or -MG_ENOMEM. */
int	dmarc_evaluate(struct mg_arena *, const char *from_domain, const struct dns_lookup *q,
	    size_t n, const struct dmarc_auth *, struct dmarc_outcome *);

const char *dmarc_result_name(enum dmarc_result);	/* "pass", ... (RFC 8601) */
const char *dmarc_policy_name(enum dmarc_policy);	/* "none", "quarantine", "reject" */

#endif
