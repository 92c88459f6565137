/* SPF check_host() (RFC 7208 sections 4 to 6) as a resumable evaluation
 * (spf.h): the identity and its initial checks, the record lookup and
 * selection, directives in order with the limit on DNS-querying terms,
 * include as a nested frame, redirect= as a tail call. Mechanism matching
 * and the lookup cache are in spf_mech.c. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "auth/spf_int.h"
#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"

static const char *const spf_names[] = { "none", "neutral", "pass", "fail", "softfail",
	"temperror", "permerror" };

const char *
spf_result_name(enum spf_result r)
{
	return (unsigned)r < sizeof(spf_names) / sizeof(spf_names[0]) ? spf_names[r] : "none";
}

void
spf_finish(struct spf_eval *ev, enum spf_result r, const char *problem)
{
	if (ev->done)
		return;
	ev->done = true;
	ev->out.result = r;
	ev->out.problem = problem;
}

/* A domain check_host() can start from (4.3): at least two labels of 1 to
 * 63 letters, digits, '-' or '_', 253 bytes at most; lower-cased. */
static char *
spf_identity_domain(struct mg_arena *a, const char *d)
{
	size_t len = strlen(d), lab = 0, labels = 0;
	char *out;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_NAME_MAX || (out = mg_arena_strndup(a, d, len)) == NULL)
		return NULL;
	for (size_t i = 0; i <= len; i++) {
		char c = out[i];
		if (i == len || c == '.') {
			if (lab == 0 || lab > 63)
				return NULL;
			labels++;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return NULL;
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		lab++;
	}
	return labels >= 2 ? out : NULL;
}

/* The client address and its %{i} form; false when unparsable. */
static bool
spf_client(struct spf_eval *ev, const char *ip)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const char hex[] = "0123456789abcdef";
	uint8_t a[16];
	size_t n = 0;

	if (ip != NULL && inet_pton(AF_INET, ip, a) == 1) {
		memcpy(ev->ip, a, 4);
	} else if (ip != NULL && inet_pton(AF_INET6, ip, a) == 1) {
		ev->ipv6 = memcmp(a, mapped, 12) != 0;
		memcpy(ev->ip, ev->ipv6 ? a : a + 12, ev->ipv6 ? 16 : 4);
	} else {
		return false;
	}
	if (!ev->ipv6) {
		snprintf(ev->ipmacro, sizeof(ev->ipmacro), "%u.%u.%u.%u", ev->ip[0], ev->ip[1],
		    ev->ip[2], ev->ip[3]);
		return true;
	}
	for (int i = 0; i < 16; i++) {
		ev->ipmacro[n++] = hex[ev->ip[i] >> 4];
		ev->ipmacro[n++] = '.';
		ev->ipmacro[n++] = hex[ev->ip[i] & 0xf];
		ev->ipmacro[n++] = i < 15 ? '.' : '\0';
	}
	return true;
}

/* Sets the identity (4.3, 2.4): local part, domain and sender. */
static int
spf_identity(struct spf_eval *ev, const struct spf_query *q)
{
	const char *helo = q->helo ? q->helo : "", *at, *dom;
	bool use_helo = q->helo_identity || q->sender == NULL || q->sender[0] == '\0' ||
	    strcmp(q->sender, "<>") == 0;
	size_t llen, slen;
	char *s;

	at = use_helo ? NULL : strrchr(q->sender, '@');
	dom = use_helo ? helo : at ? at + 1 : q->sender;
	llen = at && at > q->sender ? (size_t)(at - q->sender) : 0;
	if ((ev->helo = mg_arena_strndup(ev->arena, helo, strlen(helo))) == NULL ||
	    (ev->local = llen ? mg_arena_strndup(ev->arena, q->sender, llen) :
	    "postmaster") == NULL)
		return -MG_ENOMEM;
	slen = strlen(ev->local) + 1 + strlen(dom) + 1;
	if ((s = mg_arena_alloc(ev->arena, slen)) == NULL)
		return -MG_ENOMEM;
	snprintf(s, slen, "%s@%s", ev->local, dom);
	ev->out.sender = s;
	ev->out.domain = s + strlen(ev->local) + 1;	/* the local part may hold '@' */
	return 0;
}

struct spf_eval *
spf_eval_new(struct mg_arena *a, const struct spf_query *q)
{
	struct spf_eval *ev = mg_arena_zalloc(a, sizeof(*ev));
	const char *dom;

	if (ev == NULL)
		return NULL;
	ev->arena = a;
	if (spf_identity(ev, q) < 0)
		return NULL;
	if (!spf_client(ev, q->ip)) {
		spf_finish(ev, SPF_NONE, "no valid client address");
		return ev;
	}
	if ((dom = spf_identity_domain(a, ev->out.domain)) == NULL) {
		spf_finish(ev, SPF_NONE, "the identity's domain is not a host name");
		return ev;
	}
	ev->out.domain = dom;
	ev->frames[0].domain = dom;
	ev->depth = 1;
	return ev;
}

/* The frame's check_host() ends with r (never an error: those end the whole
 * evaluation): the top frame gives the outcome; an include's result is
 * applied to the include term of the frame below (5.2). */
static void
spf_frame_result(struct spf_eval *ev, enum spf_result r, const char *mechanism)
{
	for (;;) {
		struct spf_frame *f = &ev->frames[ev->depth - 1];
		const struct spf_term *inc;

		if (r == SPF_NONE && f->redirected) {
			spf_finish(ev, SPF_PERMERROR, "redirect= domain has no SPF record");
			return;
		}
		if (ev->depth == 1) {
			ev->out.mechanism = mechanism;
			spf_finish(ev, r, r == SPF_NONE ? "no SPF record" : NULL);
			return;
		}
		f = &ev->frames[--ev->depth - 1];
		inc = &f->rec.terms[f->next];
		if (r == SPF_NONE) {
			spf_finish(ev, SPF_PERMERROR, "include: domain has no SPF record");
			return;
		}
		if (r != SPF_PASS) {
			f->next++;
			f->counted = false;
			return;
		}
		r = inc->qualifier;
		mechanism = inc->text;
	}
}

/* Fetches and parses the frame's record (4.4, 4.5). */
static enum spf_match
spf_load(struct spf_eval *ev, struct spf_frame *f)
{
	const struct dns_lookup *l = spf_need(ev, f->domain, DNS_TYPE_TXT);
	const char *rec = NULL, *txt, *why;
	size_t found = 0, len = 0, n;
	int rc;

	if (l == NULL)
		return ev->done ? SPF_STOP : SPF_BLOCKED;
	if (l->err != 0 || (l->rcode != DNS_RCODE_NOERROR && l->rcode != DNS_RCODE_NXDOMAIN)) {
		spf_finish(ev, SPF_TEMPERROR, "DNS error fetching the SPF record");
		return SPF_STOP;
	}
	for (size_t i = 0; i < l->nrr; i++) {
		if (dns_txt_join(ev->arena, l->rr[i], &txt, &n) < 0 || !spf_record_is_spf(txt, n))
			continue;
		rec = txt;
		len = n;
		found++;
	}
	if (found == 0) {
		spf_frame_result(ev, SPF_NONE, NULL);
		return SPF_STOP;
	}
	if (found > 1) {
		spf_finish(ev, SPF_PERMERROR, "more than one SPF record");
		return SPF_STOP;
	}
	if ((rc = spf_record_parse(ev->arena, rec, len, &f->rec, &why)) < 0) {
		spf_finish(ev, rc == -MG_ENOMEM ? SPF_TEMPERROR : SPF_PERMERROR,
		    rc == -MG_ENOMEM ? "out of memory" : why);
		return SPF_STOP;
	}
	f->loaded = true;
	return SPF_MATCH;
}

/* Counts the frame's current term as querying DNS, once (4.6.4). */
static bool
spf_count_term(struct spf_eval *ev, struct spf_frame *f)
{
	if (f->counted)
		return true;
	f->counted = true;
	if (++ev->out.dns_terms <= SPF_MAX_DNS_TERMS)
		return true;
	spf_finish(ev, SPF_PERMERROR, "more than 10 DNS-querying terms");
	return false;
}

/* No directive matched: redirect= (6.1), or the default neutral (4.7). */
static enum spf_match
spf_end_of_record(struct spf_eval *ev, struct spf_frame *f)
{
	const char *target;
	enum spf_match m;

	if (f->rec.redirect == NULL) {
		spf_frame_result(ev, SPF_NEUTRAL, NULL);
		return SPF_STOP;
	}
	if (!spf_count_term(ev, f))
		return SPF_STOP;
	if ((m = spf_target(ev, f->rec.redirect, f->rec.redirect_len, &target)) != SPF_MATCH)
		return m;
	if (target == NULL) {
		spf_finish(ev, SPF_PERMERROR, "redirect= target is not a domain");
		return SPF_STOP;
	}
	*f = (struct spf_frame){ .domain = target, .redirected = true };
	return SPF_MATCH;
}

static enum spf_match
spf_include(struct spf_eval *ev, const struct spf_term *t)
{
	const char *target;
	enum spf_match m;

	if ((m = spf_target(ev, t->spec, t->speclen, &target)) != SPF_MATCH)
		return m;
	if (target == NULL || ev->depth == SPF_MAX_FRAMES) {
		spf_finish(ev, SPF_PERMERROR, "include: target is not a domain");
		return SPF_STOP;
	}
	ev->frames[ev->depth++] = (struct spf_frame){ .domain = target };
	return SPF_MATCH;
}

static bool
spf_queries_dns(enum spf_mech m)
{
	return m == SPF_M_INCLUDE || m == SPF_M_A || m == SPF_M_MX || m == SPF_M_PTR ||
	    m == SPF_M_EXISTS;
}

/* Runs until the evaluation ends or waits for DNS. */
static void
spf_run(struct spf_eval *ev)
{
	while (!ev->done) {
		struct spf_frame *f = &ev->frames[ev->depth - 1];
		const struct spf_term *t;
		enum spf_match m;

		if (!f->loaded)
			m = spf_load(ev, f);
		else if (f->next == f->rec.nterms)
			m = spf_end_of_record(ev, f);
		else if (spf_queries_dns((t = &f->rec.terms[f->next])->mech) &&
		    !spf_count_term(ev, f))
			m = SPF_STOP;
		else if (t->mech == SPF_M_INCLUDE)
			m = spf_include(ev, t);
		else if ((m = spf_mech_match(ev, t)) == SPF_MATCH)
			spf_frame_result(ev, t->qualifier, t->text);
		else if (m == SPF_NOMATCH) {
			f->next++;
			f->counted = false;
		}
		if (m == SPF_BLOCKED)
			return;
	}
}

bool
spf_eval_step(struct spf_eval *ev, struct dns_lookup *q, size_t *n, size_t max)
{
	if (spf_absorb(ev) < 0)
		spf_finish(ev, SPF_TEMPERROR, "out of memory");
	if (ev->done)
		return true;
	ev->q = q;
	ev->qn = n;
	ev->qmax = max;
	ev->qstart = *n;
	ev->blocked = false;
	spf_run(ev);
	ev->asked = q + ev->qstart;
	ev->nasked = *n - ev->qstart;
	if (!ev->done && ev->nasked == 0 && *n < max)
		spf_finish(ev, SPF_TEMPERROR, "evaluation stalled");
	return ev->done;
}

const struct spf_outcome *
spf_eval_outcome(const struct spf_eval *ev)
{
	return &ev->out;
}
