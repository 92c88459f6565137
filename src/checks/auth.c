/* The sender authentication check (auth.h): drives the SPF evaluations
 * and the DMARC record lookups in shared rounds of mg_task_dns, then DKIM
 * and ARC (each one batch of their own), then DMARC; turns the outcomes
 * into symbols and the Authentication-Results field. */
#include <stdlib.h>
#include <string.h>

#include "auth/arc.h"
#include "auth/authres.h"
#include "auth/dkim.h"
#include "auth/dmarc.h"
#include "auth/spf.h"
#include "checks/auth.h"
#include "core/err.h"

#define S(name, score, cat, desc) { name, score, MG_CAT_##cat, MG_VERDICT_ACCEPT, desc }

static const struct symbol_def auth_symbols[] = {
	S("SPF_PASS", -0.2, CLEAN, "SPF: the client may send for the MAIL FROM domain"),
	S("SPF_FAIL", 1.0, SPAM, "SPF: the MAIL FROM domain says the client may not send (-all)"),
	S("SPF_SOFTFAIL", 0.6, SPAM, "SPF: the MAIL FROM domain says the client is probably not"
	    " allowed (~all)"),
	S("SPF_NEUTRAL", 0.2, SPAM, "SPF: the MAIL FROM domain makes no assertion (?all)"),
	S("SPF_NONE", 0.0, CLEAN, "SPF: no SPF record for the MAIL FROM domain"),
	S("SPF_TEMPERROR", 0.0, CLEAN, "SPF: DNS error or timeout checking the MAIL FROM domain"),
	S("SPF_PERMERROR", 0.1, SPAM, "SPF: the MAIL FROM domain's record is broken or too costly"),
	S("SPF_HELO_PASS", -0.1, CLEAN, "SPF: the client may use its HELO name"),
	S("SPF_HELO_FAIL", 0.5, SPAM, "SPF: the HELO domain says the client may not use it"),
	S("SPF_HELO_SOFTFAIL", 0.3, SPAM, "SPF: the HELO domain says the client probably may not"
	    " use it"),
	S("SPF_HELO_NEUTRAL", 0.0, CLEAN, "SPF: the HELO domain makes no assertion"),
	S("SPF_HELO_NONE", 0.0, CLEAN, "SPF: no SPF record for the HELO name"),
	S("SPF_HELO_ERROR", 0.0, CLEAN, "SPF: temporary or permanent error checking the HELO name"),
	S("DKIM_ALLOW", -0.2, CLEAN, "DKIM: a valid signature (options: the signing domains)"),
	S("DKIM_REJECT", 1.0, SPAM, "DKIM: a signature that does not verify (altered or forged)"),
	S("DKIM_TEMPFAIL", 0.0, CLEAN, "DKIM: the key could not be fetched (DNS error or timeout)"),
	S("DKIM_PERMFAIL", 0.1, SPAM, "DKIM: a signature that cannot be checked (syntax, no key,"
	    " unsupported)"),
	S("DKIM_NA", 0.0, CLEAN, "DKIM: the message is not signed"),
	S("DKIM_WEAK", 0.1, SPAM, "DKIM: a signature with rsa-sha1 or a key under 1024 bits"),
	S("DMARC_POLICY_ALLOW", -0.5, CLEAN, "DMARC: SPF or DKIM aligned with the From domain"),
	S("DMARC_POLICY_REJECT", 6.0, PHISHING, "DMARC: failed; the From domain asks for"
	    " rejection (p=reject)"),
	S("DMARC_POLICY_QUARANTINE", 3.0, PHISHING, "DMARC: failed; the From domain asks for"
	    " quarantine"),
	S("DMARC_POLICY_SOFTFAIL", 0.5, SPAM, "DMARC: failed; the From domain asks for nothing"
	    " (p=none)"),
	S("DMARC_NA", 0.0, CLEAN, "DMARC: no policy published for the From domain"),
	S("DMARC_BAD_POLICY", 0.1, SPAM, "DMARC: the policy record is invalid"),
	S("DMARC_TEMPFAIL", 0.0, CLEAN, "DMARC: DNS error or timeout fetching the policy"),
	S("DMARC_BAD_FROM", 1.5, SPAM, "DMARC: several From fields or domains, or a From domain"
	    " that is not a host name"),
	S("ARC_ALLOW", -0.1, CLEAN, "ARC: the chain of custody validates"),
	S("ARC_REJECT", 0.5, SPAM, "ARC: the chain of custody is broken"),
	S("ARC_NA", 0.0, CLEAN, "ARC: no ARC sets"),
	S("AUTH_UNCHECKED", 0.0, CLEAN, "sender authentication not checked (network checks off)"),
	S("AUTHRES_FORGED", 2.0, SPAM, "an incoming Authentication-Results field claims our authserv-id"),
	S("AUTH_FAIL", 0.0, CLEAN, "the auth check failed or timed out"),
};

static const char *const spf_symbol[] = { "SPF_NONE", "SPF_NEUTRAL", "SPF_PASS", "SPF_FAIL",
	"SPF_SOFTFAIL", "SPF_TEMPERROR", "SPF_PERMERROR" };
static const char *const spf_helo_symbol[] = { "SPF_HELO_NONE", "SPF_HELO_NEUTRAL",
	"SPF_HELO_PASS", "SPF_HELO_FAIL", "SPF_HELO_SOFTFAIL", "SPF_HELO_ERROR",
	"SPF_HELO_ERROR" };

struct auth_state {
	char	*authserv_id;
	bool	 spf, dkim, dmarc, arc;
};

/* What one scan found out. */
struct auth_run {
	const struct spf_outcome *spf_from, *spf_helo;
	struct dkim_result *dkim;
	size_t		 ndkim;
	bool		 dkim_done;
	struct arc_result arc;
	bool		 arc_done;
	const char	*from_domain;
	int		 from_rc;	/* of dmarc_from_domain; 1: DMARC off */
	struct dns_lookup dq[2];	/* the DMARC record lookups */
	int		 ndq;
	struct dmarc_outcome dmarc;
	bool		 dmarc_done;
};

static const struct symbol_def *
auth_defs(void *state, size_t *n)
{
	*n = sizeof(auth_symbols) / sizeof(auth_symbols[0]);
	return auth_symbols;
}

static void
auth_fini(void *state)
{
	struct auth_state *st = state;

	if (st != NULL)
		free(st->authserv_id);
	free(st);
}

static int
auth_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_auth *c = &conf->engine.auth;
	const char *id = c->authserv_id ? c->authserv_id :
	    conf->hostname ? conf->hostname : "localhost";
	struct auth_state *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->authserv_id = strdup(id)) == NULL) {
		free(st);
		return -MG_ENOMEM;
	}
	st->spf = c->spf;
	st->dkim = c->dkim && conf->engine.dkim.verify;
	st->dmarc = c->dmarc;
	st->arc = c->arc;
	*state = st;
	return 0;
}

/* The SPF evaluations: MAIL FROM, and HELO unless the path is null (then
 * MAIL FROM is checked as postmaster@HELO, the same evaluation, whose
 * symbols need not count twice). */
static int
auth_spf_new(struct mg_task *t, struct spf_eval **from, struct spf_eval **helo)
{
	const struct mg_envelope *env = t->env;
	struct spf_query q = { env->client_ip, env->helo, env->mail_from, false };
	bool null_path = env->mail_from == NULL || env->mail_from[0] == '\0' ||
	    strcmp(env->mail_from, "<>") == 0;

	if ((*from = spf_eval_new(t->arena, &q)) == NULL)
		return -MG_ENOMEM;
	q.helo_identity = true;
	if (!null_path && env->helo != NULL && (*helo = spf_eval_new(t->arena, &q)) == NULL)
		return -MG_ENOMEM;
	return 0;
}

/* Rounds of lookups shared by both SPF evaluations; the DMARC record
 * lookups ride in the first. */
static int
auth_spf_and_dmarc_dns(struct mg_task *t, struct auth_run *r, struct spf_eval *from,
    struct spf_eval *helo)
{
	const size_t max = 2 * SPF_MAX_ROUND + 2;

	for (unsigned round = 0;; round++) {
		struct dns_lookup *q = mg_arena_alloc(t->arena, max * sizeof(*q));
		size_t n = 0, d = 0;
		int rc;

		if (q == NULL)
			return -MG_ENOMEM;
		if (round == 0)
			for (int i = 0; i < r->ndq; i++)
				q[n++] = r->dq[i];
		d = n;
		if (from != NULL && spf_eval_step(from, q, &n, max))
			r->spf_from = spf_eval_outcome(from);
		if (helo != NULL && spf_eval_step(helo, q, &n, max))
			r->spf_helo = spf_eval_outcome(helo);
		if (n == 0)
			return 0;
		if ((rc = mg_task_dns(t, q, n)) < 0)
			return rc;
		for (size_t i = 0; i < d; i++)
			r->dq[i] = q[i];
	}
}

/* SPF and the DMARC policy lookups, in shared rounds. */
static int
auth_dns_phase(const struct auth_state *st, struct mg_task *t, struct auth_run *r)
{
	struct spf_eval *from = NULL, *helo = NULL;
	int rc;

	if (st->spf && t->env != NULL && t->env->client_ip != NULL &&
	    (rc = auth_spf_new(t, &from, &helo)) < 0)
		return rc;
	if (st->dmarc) {
		r->from_rc = dmarc_from_domain(t->arena, t->msg, &r->from_domain);
		if (r->from_rc == -MG_ENOMEM)
			return r->from_rc;
		if (r->from_rc == 0 && (r->ndq = dmarc_lookups(t->arena, r->from_domain, r->dq)) < 0)
			return r->ndq;
		if (r->from_rc == -MG_EPROTO) {
			r->dmarc = (struct dmarc_outcome){ .result = DMARC_PERMERROR,
				.problem = "several From fields or domains, or not a host name" };
			r->dmarc_done = true;
		}
	}
	return auth_spf_and_dmarc_dns(t, r, from, helo);
}

static int
auth_dmarc(struct mg_task *t, struct auth_run *r)
{
	const struct mime_header *mid = mime_header_find(t->msg->root, "Message-ID");
	const char **d = mg_arena_alloc(t->arena, (r->ndkim ? r->ndkim : 1) * sizeof(*d));
	struct dmarc_auth auth = { .spf = r->spf_from ? r->spf_from->result : SPF_NONE,
		.spf_domain = r->spf_from ? r->spf_from->domain : NULL, .dkim_domains = d,
		.msgid = mid ? mid->value : NULL };

	if (d == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < r->ndkim; i++)
		if (r->dkim[i].status == DKIM_PASS && r->dkim[i].domain != NULL)
			d[auth.ndkim++] = r->dkim[i].domain;
	r->dmarc_done = true;
	return dmarc_evaluate(t->arena, r->from_domain, r->dq, (size_t)r->ndq, &auth, &r->dmarc);
}

static int
auth_spf_symbols(struct mg_task *t, const struct auth_run *r)
{
	int rc = 0;

	if (r->spf_from != NULL)
		rc = mg_task_symbol(t, spf_symbol[r->spf_from->result], r->spf_from->domain);
	if (rc == 0 && r->spf_helo != NULL)
		rc = mg_task_symbol(t, spf_helo_symbol[r->spf_helo->result], r->spf_helo->domain);
	return rc;
}

static int
auth_dkim_symbols(struct mg_task *t, const struct auth_run *r)
{
	int rc = 0;

	if (r->dkim_done && r->ndkim == 0)
		rc = mg_task_symbol(t, "DKIM_NA", NULL);
	for (size_t i = 0; rc == 0 && i < r->ndkim; i++) {
		const struct dkim_result *d = &r->dkim[i];
		const char *sym = d->status == DKIM_PASS ? "DKIM_ALLOW" :
		    d->status == DKIM_FAIL ? "DKIM_REJECT" :
		    d->status == DKIM_TEMPERROR ? "DKIM_TEMPFAIL" : "DKIM_PERMFAIL";
		rc = mg_task_symbol(t, sym, d->domain);
		if (rc == 0 && d->weak)
			rc = mg_task_symbol(t, "DKIM_WEAK", d->domain);
	}
	return rc;
}

static int
auth_dmarc_symbols(struct mg_task *t, const struct auth_run *r)
{
	const struct dmarc_outcome *o = &r->dmarc;
	const char *sym = "DMARC_NA";

	if (r->from_rc == -MG_EPROTO)
		return mg_task_symbol(t, "DMARC_BAD_FROM", NULL);
	if (r->from_rc == -MG_ENOENT)
		return mg_task_symbol(t, "DMARC_NA", "no From domain");
	if (!r->dmarc_done)
		return 0;
	switch (o->result) {
	case DMARC_PASS:
		sym = "DMARC_POLICY_ALLOW";
		break;
	case DMARC_FAIL:
		sym = o->disposition == DMARC_P_REJECT ? "DMARC_POLICY_REJECT" :
		    o->disposition == DMARC_P_QUARANTINE ? "DMARC_POLICY_QUARANTINE" :
		    "DMARC_POLICY_SOFTFAIL";
		break;
	case DMARC_TEMPERROR:
		sym = "DMARC_TEMPFAIL";
		break;
	case DMARC_PERMERROR:
		sym = "DMARC_BAD_POLICY";
		break;
	default:
		break;
	}
	return mg_task_symbol(t, sym, o->from_domain);
}

static int
auth_symbols_and_header(const struct auth_state *st, struct mg_task *t,
    const struct auth_run *r)
{
	struct authres_input in = { .authserv_id = st->authserv_id, .spf_mailfrom = r->spf_from,
		.spf_helo = r->spf_helo,
		.dkim_checked = r->dkim_done, .dkim = r->dkim, .ndkim = r->ndkim,
		.dmarc = r->dmarc_done ? &r->dmarc : NULL, .arc = r->arc_done ? &r->arc : NULL };
	const char *value;
	int rc;

	if ((rc = auth_spf_symbols(t, r)) < 0 || (rc = auth_dkim_symbols(t, r)) < 0 ||
	    (rc = auth_dmarc_symbols(t, r)) < 0)
		return rc;
	if (r->arc_done && (rc = mg_task_symbol(t, r->arc.status == ARC_PASS ? "ARC_ALLOW" :
	    r->arc.status == ARC_FAIL ? "ARC_REJECT" : "ARC_NA", r->arc.reason)) < 0)
		return rc;
	if ((value = authres_build(t->arena, &in)) == NULL)
		return -MG_ENOMEM;
	return mg_task_header(t, AUTHRES_NAME, value);
}

/* Incoming Authentication-Results fields in our name (RFC 8601 section 5)
 * are renamed by the gateway and flagged. */
static int
auth_forged_fields(const struct auth_state *st, struct mg_task *t)
{
	const struct mime_part *root = t->msg->root;
	int rc = 0;

	for (size_t i = 0; i < root->nheaders && rc == 0; i++) {
		const struct mime_header *h = &root->headers[i];

		if (mg_slice_eq_nocase(h->name, AUTHRES_NAME) &&
		    authres_is_ours((const char *)h->raw.ptr, h->raw.len, st->authserv_id) &&
		    (rc = mg_task_forged_ar(t, h->name.ptr)) == 0)
			rc = mg_task_symbol(t, "AUTHRES_FORGED", NULL);
	}
	return rc;
}

static int
auth_scan(void *state, struct mg_task *t)
{
	const struct auth_state *st = state;
	struct auth_run r = { .from_rc = 1 };
	int rc;

	if ((t->env != NULL && t->env->outbound) || !(st->spf || st->dkim || st->dmarc || st->arc))
		return 0;
	if ((rc = auth_forged_fields(st, t)) < 0)
		return rc;
	if (t->dns == NULL)
		return mg_task_symbol(t, "AUTH_UNCHECKED", "network checks off");
	if ((rc = auth_dns_phase(st, t, &r)) < 0)
		return rc;
	if (st->dkim) {
		if ((rc = dkim_verify(t->msg, t->raw, t->len, t->dns, t->check_deadline, t->arena,
		    &r.dkim, &r.ndkim)) < 0)
			return rc;
		r.dkim_done = true;
	}
	if (st->arc) {
		if ((rc = arc_verify(t->msg, t->raw, t->len, t->dns, t->check_deadline, t->arena,
		    &r.arc)) < 0)
			return rc;
		r.arc_done = true;
	}
	if (r.ndq > 0 && (rc = auth_dmarc(t, &r)) < 0)
		return rc;
	return auth_symbols_and_header(st, t, &r);
}

const struct mg_check check_auth = {
	.name = "auth",
	.init = auth_init,
	.scan = auth_scan,
	.fini = auth_fini,
	.symbols = auth_defs,
};
