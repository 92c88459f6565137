/* DMARC evaluation (dmarc.h): policy discovery (RFC 7489 6.6.3) from the
 * answers to the two lookups asked together, identifier alignment (3.1),
 * the policy that applies (p, or sp below the organisational domain) and
 * pct sampling (6.6.4), deterministic per Message-ID. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/dmarc.h"
#include "core/err.h"
#include "mime/url.h"
#include "net/dns.h"
#include "net/dns_rr.h"

static const char *const dmarc_results[] = { "none", "pass", "fail", "temperror", "permerror" };
static const char *const dmarc_policies[] = { "none", "quarantine", "reject" };

const char *
dmarc_result_name(enum dmarc_result r)
{
	return (unsigned)r <= DMARC_PERMERROR ? dmarc_results[r] : "none";
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	return (unsigned)p <= DMARC_P_REJECT ? dmarc_policies[p] : "none";
}

const char *
dmarc_org_domain(const char *domain)
{
	const char *reg = url_registrable_domain(domain);

	return reg != NULL ? reg : domain;
}

static char *
dmarc_name(struct mg_arena *a, const char *domain)
{
	size_t len = strlen(domain) + sizeof("_dmarc.");
	char *n = mg_arena_alloc(a, len);

	if (n != NULL)
		snprintf(n, len, "_dmarc.%s", domain);
	return n;
}

int
dmarc_lookups(struct mg_arena *a, const char *from_domain, struct dns_lookup *q)
{
	const char *org = dmarc_org_domain(from_domain);
	int n = strcmp(org, from_domain) != 0 ? 2 : 1;

	q[0] = (struct dns_lookup){ .name = dmarc_name(a, from_domain), .type = DNS_TYPE_TXT };
	if (n == 2)
		q[1] = (struct dns_lookup){ .name = dmarc_name(a, org), .type = DNS_TYPE_TXT };
	return q[0].name != NULL && (n == 1 || q[1].name != NULL) ? n : -MG_ENOMEM;
}

enum dmarc_found { DMARC_FOUND_NONE, DMARC_FOUND_ONE, DMARC_FOUND_DNS_ERROR };

/* The one DMARC record among the answers of l: enum dmarc_found (none: no
 * record, or several), or -MG_ENOMEM. */
static int
dmarc_pick(struct mg_arena *a, const struct dns_lookup *l, struct dmarc_record *rec,
    int *parse_rc)
{
	struct dmarc_record r;
	size_t found = 0;

	if (l->err != 0 || (l->rcode != DNS_RCODE_NOERROR && l->rcode != DNS_RCODE_NXDOMAIN))
		return DMARC_FOUND_DNS_ERROR;
	for (size_t i = 0; i < l->nrr; i++) {
		const char *txt;
		size_t len;
		int rc;

		if (dns_txt_join(a, l->rr[i], &txt, &len) < 0)
			continue;
		if ((rc = dmarc_record_parse(a, txt, len, &r)) == -MG_ENOMEM)
			return rc;
		if (rc == -MG_ENOENT)
			continue;
		if (++found == 1) {
			*rec = r;
			*parse_rc = rc;
		}
	}
	return found == 1 ? DMARC_FOUND_ONE : DMARC_FOUND_NONE;
}

/* Relaxed: same organisational domain; strict: the same domain. */
static bool
dmarc_aligned(const char *id, const char *from, bool strict)
{
	if (id == NULL)
		return false;
	if (strcasecmp(id, from) == 0)
		return true;
	return !strict && strcasecmp(dmarc_org_domain(id), dmarc_org_domain(from)) == 0;
}

/* FNV-1a of the Message-ID: the same message always falls on the same
 * side of pct. */
static unsigned
dmarc_sample(const char *msgid)
{
	uint32_t h = 2166136261u;

	for (const char *p = msgid ? msgid : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h % 100;
}

static void
dmarc_apply(const struct dmarc_auth *auth, struct dmarc_outcome *o)
{
	const struct dmarc_record *r = &o->rec;

	o->policy = strcmp(o->record_domain, o->from_domain) == 0 ? r->p : r->sp;
	o->spf_aligned = auth->spf == SPF_PASS &&
	    dmarc_aligned(auth->spf_domain, o->from_domain, r->aspf_strict);
	for (size_t i = 0; i < auth->ndkim && !o->dkim_aligned; i++)
		o->dkim_aligned = dmarc_aligned(auth->dkim_domains[i], o->from_domain,
		    r->adkim_strict);
	o->result = o->spf_aligned || o->dkim_aligned ? DMARC_PASS : DMARC_FAIL;
	if (o->result == DMARC_PASS)
		return;
	o->disposition = o->policy;
	if (r->pct < 100 && o->policy != DMARC_P_NONE && dmarc_sample(auth->msgid) >= r->pct) {
		o->disposition = o->policy - 1;	/* reject -> quarantine -> none */
		o->sampled_out = true;
	}
}

int
dmarc_evaluate(struct mg_arena *a, const char *from_domain, const struct dns_lookup *q,
    size_t n, const struct dmarc_auth *auth, struct dmarc_outcome *o)
{
	int found = DMARC_FOUND_NONE, parse_rc = 0;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->from_domain = from_domain;
	for (i = 0; i < n && found == DMARC_FOUND_NONE; i++)
		if ((found = dmarc_pick(a, &q[i], &o->rec, &parse_rc)) < 0)
			return found;
	if (found == DMARC_FOUND_DNS_ERROR) {
		o->result = DMARC_TEMPERROR;
		o->problem = "DNS error fetching the DMARC record";
		return 0;
	}
	if (found == DMARC_FOUND_NONE) {
		o->problem = "no DMARC record";
		return 0;
	}
	o->record_domain = q[i - 1].name + strlen("_dmarc.");
	if (parse_rc < 0) {
		o->result = DMARC_PERMERROR;
		o->problem = "DMARC record without a valid policy";
		return 0;
	}
	dmarc_apply(auth, o);
	return 0;
}
