/* Evaluation of the policy filters for one recipient: the condition tree
 * against a struct policy_msg, and the ordering by scope and priority that
 * picks the deciding filter. Pure: no state, no I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_int.h"

#define REGEX_MATCH_LIMIT	100000u

int
cond_ip_check(const char *cidr)
{
	unsigned char a[16];
	char host[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
	char *end;
	long bits = -1;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, cidr, n);
	host[n] = '\0';
	if (slash != NULL && ((bits = strtol(slash + 1, &end, 10)) < 0 || *end != '\0' ||
	    end == slash + 1))
		return -1;
	if (inet_pton(AF_INET, host, a) == 1)
		return bits <= 32 ? 4 : -1;
	if (inet_pton(AF_INET6, host, a) == 1)
		return bits <= 128 ? 6 : -1;
	return -1;
}

bool
cond_ip_match(const char *addr, const char *cidr)
{
	unsigned char a[16], b[16];
	char host[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
	int fam = cond_ip_check(cidr), bits;

	if (fam < 0 || n >= sizeof(host))
		return false;
	memcpy(host, cidr, n);
	host[n] = '\0';
	fam = fam == 4 ? AF_INET : AF_INET6;
	if (inet_pton(fam, addr, a) != 1 || inet_pton(fam, host, b) != 1)
		return false;
	bits = slash ? atoi(slash + 1) : (fam == AF_INET ? 32 : 128);
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a[i] & mask) != (b[i] & mask))
			return false;
	}
	return true;
}

static const char *
domain_of(const char *addr)
{
	const char *at;

	if (addr == NULL)
		return NULL;
	return (at = strrchr(addr, '@')) != NULL ? at + 1 : "";
}

static bool
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static bool
regex_match(const pcre2_code *re, const char *s)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	int rc = -1;

	if (md != NULL && mc != NULL) {
		pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
		rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, mc);
	}
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc >= 0;
}

/* One text value against the leaf (NE is handled by the caller). */
static bool
text_match(const struct policy_cond *c, const char *v)
{
	switch (c->op) {
	case OP_SUB:
		return contains_nocase(v, c->vals[0]);
	case OP_REGEX:
		return regex_match(c->re, v);
	default:
		for (size_t i = 0; i < c->nvals; i++)
			if (c->field == F_IP ? cond_ip_match(v, c->vals[i]) :
			    strcasecmp(v, c->vals[i]) == 0)
				return true;
		return false;
	}
}

static bool
has_symbol(const struct policy_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nsymbols; i++)
		if (strcasecmp(m->symbols[i], name) == 0)
			return true;
	return false;
}

/* The authentication result of method (SPF_, DKIM_, DMARC_) from symbols. */
static const char *
auth_result(const struct policy_msg *m, enum cond_field f)
{
	static const struct { enum cond_field f; const char *sym, *res; } map[] = {
		{ F_SPF, "SPF_PASS", "pass" }, { F_SPF, "SPF_FAIL", "fail" },
		{ F_SPF, "SPF_SOFTFAIL", "softfail" }, { F_SPF, "SPF_NEUTRAL", "neutral" },
		{ F_SPF, "SPF_TEMPERROR", "temperror" }, { F_SPF, "SPF_PERMERROR", "permerror" },
		{ F_DKIM, "DKIM_ALLOW", "pass" }, { F_DKIM, "DKIM_REJECT", "fail" },
		{ F_DKIM, "DKIM_PERMFAIL", "permerror" }, { F_DKIM, "DKIM_TEMPFAIL", "tempfail" },
		{ F_DMARC, "DMARC_POLICY_ALLOW", "pass" },
		{ F_DMARC, "DMARC_POLICY_REJECT", "fail" },
		{ F_DMARC, "DMARC_POLICY_QUARANTINE", "fail" },
		{ F_DMARC, "DMARC_POLICY_SOFTFAIL", "fail" },
		{ F_DMARC, "DMARC_TEMPFAIL", "tempfail" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].f == f && has_symbol(m, map[i].sym))
			return map[i].res;
	return "none";
}

/* The single value of a text field for rcpt, or NULL when unknown. */
static const char *
text_value(const struct policy_cond *c, const struct policy_msg *m, const char *rcpt)
{
	switch (c->field) {
	case F_FROM: return m->mail_from;
	case F_FROM_DOMAIN: return domain_of(m->mail_from);
	case F_HEADER_FROM: return m->header_from;
	case F_RCPT: return rcpt;
	case F_RCPT_DOMAIN: return domain_of(rcpt);
	case F_IP: return m->client_ip;
	case F_HELO: return m->helo;
	case F_SUBJECT: return m->subject;
	case F_CATEGORY: return m->category;
	case F_SPF: case F_DKIM: case F_DMARC: return auth_result(m, c->field);
	default: return NULL;
	}
}

/* Fields with many values: whether any matches; *seen counts them. */
static bool
multi_match(const struct policy_cond *c, const struct policy_msg *m, size_t *seen)
{
	*seen = 0;
	if (c->field == F_HEADER) {
		for (size_t i = 0; i < m->nheaders; i++)
			if (strcasecmp(m->headers[i].name, c->hname) == 0 && ++*seen &&
			    m->headers[i].value != NULL && text_match(c, m->headers[i].value))
				return true;
		return false;
	}
	for (size_t i = 0; i < m->natts; i++) {
		const struct policy_attachment *a = &m->atts[i];
		const char *v = c->field == F_ATT_NAME ? a->name :
		    c->field == F_ATT_TYPE ? a->real_type : a->extension;
		if (v != NULL && ++*seen && text_match(c, v))
			return true;
	}
	return false;
}

static bool
num_match(const struct policy_cond *c, double v)
{
	switch (c->op) {
	case OP_EQ: return v == c->num;
	case OP_NE: return v != c->num;
	case OP_LT: return v < c->num;
	case OP_LE: return v <= c->num;
	case OP_GT: return v > c->num;
	default: return v >= c->num;
	}
}

static bool
leaf_eval(const struct policy_cond *c, const struct policy_msg *m, const char *rcpt,
    char *why, size_t whylen)
{
	enum cond_type t = cond_fields[c->field].type;
	const char *v;
	double num;
	size_t seen;
	bool r;

	if (t == T_SYMBOL) {
		r = has_symbol(m, c->vals[0]);
		snprintf(why, whylen, "%s (%s)", c->text, r ? "present" : "absent");
		return r;
	}
	if (t == T_NUM) {
		num = c->field == F_SIZE ? (double)m->size : c->field == F_SCORE ? m->score :
		    (double)m->nrcpts;
		snprintf(why, whylen, "%s (is %g)", c->text, num);
		return num_match(c, num);
	}
	if (c->field == F_HEADER || (c->field >= F_ATT_NAME && c->field <= F_ATT_EXT)) {
		r = multi_match(c, m, &seen);
		snprintf(why, whylen, "%s (%zu %s, %s)", c->text, seen,
		    c->field == F_HEADER ? "fields" : "attachments", r ? "one matches" : "none matches");
	} else {
		v = text_value(c, m, rcpt);
		r = v != NULL && text_match(c, v);
		snprintf(why, whylen, "%s (is %s%s%s)", c->text, v ? "\"" : "",
		    v ? v : "unknown", v ? "\"" : "");
		if (v == NULL)
			return false;	/* unknown matches neither = nor != */
	}
	return c->op == OP_NE ? !r : r;
}

bool
policy_cond_eval(const struct policy_cond *c, const struct policy_msg *m, const char *rcpt,
    char *why, size_t whylen)
{
	char tmp[8];
	bool r;

	if (why == NULL)
		why = tmp, whylen = sizeof(tmp);
	switch (c->kind) {
	case COND_AND:
		return policy_cond_eval(c->a, m, rcpt, why, whylen) &&
		    policy_cond_eval(c->b, m, rcpt, why, whylen);
	case COND_OR:
		return policy_cond_eval(c->a, m, rcpt, why, whylen) ||
		    policy_cond_eval(c->b, m, rcpt, why, whylen);
	case COND_NOT:
		r = !policy_cond_eval(c->a, m, rcpt, why, whylen);
		if (strlen(why) + 5 < whylen) {
			memmove(why + 4, why, strlen(why) + 1);
			memcpy(why, "not ", 4);
		}
		return r;
	default:
		return leaf_eval(c, m, rcpt, why, whylen);
	}
}

/* 3 user, 2 domain, 1 global, 0 not in scope of rcpt. */
static int
scope_rank(const struct policy_filter *f, const char *rcpt)
{
	const char *d = domain_of(rcpt);

	switch (f->scope) {
	case POLICY_SCOPE_USER: return strcasecmp(f->scope_value, rcpt) == 0 ? 3 : 0;
	case POLICY_SCOPE_DOMAIN: return d && strcasecmp(f->scope_value, d) == 0 ? 2 : 0;
	default: return 1;
	}
}

static bool
before(const struct policy_filter *a, const struct policy_filter *b, const char *rcpt)
{
	int ra = scope_rank(a, rcpt), rb = scope_rank(b, rcpt);

	if (ra != rb)
		return ra > rb;
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->id < b->id;
}

/* The next filter in scope after prev in evaluation order, or NULL. */
static const struct policy_filter *
next_filter(const struct policy_set *set, const struct policy_filter *prev, const char *rcpt)
{
	const struct policy_filter *best = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct policy_filter *f = &set->filters[i];
		if (scope_rank(f, rcpt) == 0 || (prev && !before(prev, f, rcpt)))
			continue;
		if (best == NULL || before(f, best, rcpt))
			best = f;
	}
	return best;
}

void
policy_decide(const struct policy_set *set, const struct policy_msg *m, const char *rcpt,
    struct policy_decision *d, policy_trace_fn trace, void *arg)
{
	const struct policy_filter *f = NULL;
	enum policy_outcome out;
	char why[1024];

	memset(d, 0, sizeof(*d));
	while ((f = next_filter(set, f, rcpt)) != NULL) {
		why[0] = '\0';
		if (d->filter != NULL)
			out = POLICY_OUT_SHADOWED;
		else if (f->state == POLICY_DISABLED)
			out = POLICY_OUT_DISABLED;
		else if (!policy_cond_eval(f->cond, m, rcpt, why, sizeof(why)))
			out = POLICY_OUT_NOMATCH;
		else if (f->scope == POLICY_SCOPE_USER && f->action == POLICY_ACT_ACCEPT &&
		    m->category != NULL && strcmp(m->category, "malware") == 0)
			out = POLICY_OUT_MALWARE;
		else if (f->state == POLICY_MONITOR) {
			out = POLICY_OUT_MONITOR;
			if (d->nmonitor < POLICY_MONITOR_MAX)
				d->monitor[d->nmonitor++] = f;
		} else {
			out = POLICY_OUT_MATCH;
			d->filter = f;
		}
		if (trace != NULL)
			trace(f, out, why, arg);
	}
}
