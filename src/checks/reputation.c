/* The sender reputation check (reputation.h): the keys of a message, the
 * scan that reads them and the verdict hook that teaches them, over the
 * decayed counts of learn/reputation.h in a kv_local store. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/reputation.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/reputation.h"
#include "learn/reputation_addr.h"

#define REP_MIN_EVIDENCE	0.1	/* weaker evidence fires nothing */
#define REP_SPF_PASS		"SPF_PASS"	/* the auth check: SPF passed for MAIL FROM */
#define REP_DKIM_PASS		"DKIM_ALLOW"	/* the auth check: the d= domains */

#define S(name, score, cat, desc) { name, score, MG_CAT_##cat, MG_VERDICT_ACCEPT, desc }

/* Indexed [kind * 2 + good]. */
static const struct symbol_def rep_symbols[] = {
	S("REP_IP_BAD", 4.0, SPAM, "the client's /24 (/64) network has mostly sent spam"),
	S("REP_IP_GOOD", -2.0, CLEAN, "the client's /24 (/64) network has mostly sent clean mail"),
	S("REP_DOMAIN_BAD", 3.0, SPAM, "the authenticated sender domain has mostly sent spam"),
	S("REP_DOMAIN_GOOD", -2.0, CLEAN, "the authenticated sender domain has mostly sent "
	    "clean mail"),
	S("REP_DKIM_BAD", 4.0, SPAM, "a DKIM signing domain has mostly signed spam"),
	S("REP_DKIM_GOOD", -3.0, CLEAN, "a DKIM signing domain has mostly signed clean mail"),
	S("REPUTATION_FAIL", 0.0, CLEAN, "the reputation check failed or timed out"),
};

struct reputation {
	struct kv	*kv;		/* NULL when history is off */
	struct rep_params params;
	double		 tag;		/* engine.thresholds.tag */
	double		 clean_max;
	bool		 check_private;
	struct conf_network *trusted;
	size_t		 ntrusted;
};

/* The keys of one message; empty strings for those it does not have. */
struct rep_keys {
	char		 ip[64];
	char		 domain[REP_ENTITY_MAX + 1];
	char		 dkim[TASK_MAX_OPTIONS][REP_ENTITY_MAX + 1];
	size_t		 ndkim;
};

static double
rep_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rep_fini(void *state)
{
	struct reputation *r = state;

	if (r == NULL)
		return;
	r->kv = kv_close(r->kv);
	free(r->trusted);
	free(r);
}

static int
rep_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_reputation *c = &conf->engine.reputation;
	struct reputation *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -MG_ENOMEM;
	r->params = (struct rep_params){ c->history.half_life_days * 86400.0,
		c->history.min_messages };
	r->tag = conf->engine.tag;
	r->clean_max = c->history.clean_max_score;
	r->check_private = c->check_private;
	if (conf->ntrusted > 0) {
		if ((r->trusted = calloc(conf->ntrusted, sizeof(*r->trusted))) == NULL) {
			free(r);
			return -MG_ENOMEM;
		}
		memcpy(r->trusted, conf->trusted, conf->ntrusted * sizeof(*r->trusted));
		r->ntrusted = conf->ntrusted;
	}
	if (c->history.enabled &&
	    (r->kv = rep_state_open(conf, "reputation", err, errlen)) == NULL) {
		rep_fini(r);
		return -MG_ENOMEM;
	}
	*state = r;
	return 0;
}

static const struct symbol_def *
rep_defs(void *state, size_t *n)
{
	*n = sizeof(rep_symbols) / sizeof(rep_symbols[0]);
	return rep_symbols;
}

static void
rep_lower_copy(char *out, size_t outlen, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* The client's network, unless private (see dnsbl_check_private) or trusted. */
static void
rep_key_ip(const struct reputation *r, const struct mg_task *t, struct rep_keys *k)
{
	struct rep_ip ip;

	if (rep_ip_parse(t->env->client_ip, &ip) < 0 ||
	    (!r->check_private && rep_ip_private(&ip)))
		return;
	for (size_t i = 0; i < r->ntrusted; i++)
		if (conf_net_contains(&r->trusted[i], ip.family, ip.addr))
			return;
	rep_ip_network(&ip, k->ip, sizeof(k->ip));
}

/* The DKIM domains, and the envelope sender's registrable domain when SPF
 * passed for it or a DKIM signer is in the same registrable domain. */
static void
rep_key_domains(const struct mg_task *t, struct rep_keys *k)
{
	const struct task_symbol *dkim = mg_task_symbol_get(t, REP_DKIM_PASS);
	const struct task_symbol *spf = mg_task_symbol_get(t, REP_SPF_PASS);
	char addr[REP_ADDR_MAX + 1];
	const char *dom;
	bool authenticated = false;

	for (size_t i = 0; dkim != NULL && i < dkim->noptions; i++)
		if (strlen(dkim->options[i]) <= REP_ENTITY_MAX)
			rep_lower_copy(k->dkim[k->ndkim++], sizeof(k->dkim[0]), dkim->options[i]);
	if (rep_addr_clean(t->env->mail_from, addr, sizeof(addr)) < 0 ||
	    (dom = rep_registrable(t->arena, rep_addr_domain(addr))) == NULL ||
	    strlen(dom) > REP_ENTITY_MAX)
		return;
	/* SPF_PASS names the domain it passed for; DKIM_ALLOW the signers */
	for (size_t i = 0; spf != NULL && i < spf->noptions && !authenticated; i++) {
		const char *reg = rep_registrable(t->arena, spf->options[i]);
		authenticated = reg != NULL && strcmp(reg, dom) == 0;
	}
	for (size_t i = 0; i < k->ndkim && !authenticated; i++) {
		const char *reg = rep_registrable(t->arena, k->dkim[i]);
		authenticated = reg != NULL && strcmp(reg, dom) == 0;
	}
	if (authenticated)
		snprintf(k->domain, sizeof(k->domain), "%s", dom);
}

static void
rep_keys_of(const struct reputation *r, const struct mg_task *t, struct rep_keys *k)
{
	memset(k, 0, sizeof(*k));
	if (t->env == NULL)
		return;
	rep_key_ip(r, t, k);
	rep_key_domains(t, k);
}

/* Adds name with "ENTITY spam=N clean=N"; scaled by factor when it is new. */
static int
rep_fire(struct mg_task *t, const char *name, double factor, const char *entity,
    const struct rep_counts *c)
{
	char opt[REP_ENTITY_MAX + 64];

	snprintf(opt, sizeof(opt), "%s spam=%.1f clean=%.1f", entity, c->spam, c->clean);
	return mg_task_symbol_scaled(t, name, factor, opt);
}

/* Fires kind's BAD and/or GOOD symbol scaled by the strongest evidence
 * among the entities, each entity pointing that way as an option. */
static int
rep_score(const struct reputation *r, struct mg_task *t, enum rep_kind kind,
    const char *const *entities, size_t n, double now)
{
	struct rep_counts c[TASK_MAX_OPTIONS];
	double ev[TASK_MAX_OPTIONS];
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		ev[i] = 0.0;
		if (entities[i][0] != '\0' &&
		    rep_read(r->kv, &r->params, kind, entities[i], now, &c[i]) == 0)
			ev[i] = rep_evidence(&r->params, &c[i]);
	}
	for (int good = 0; good < 2 && rc == 0; good++) {
		const char *name = rep_symbols[kind * 2 + good].name;
		double sign = good ? -1.0 : 1.0;
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (sign * ev[i] >= REP_MIN_EVIDENCE &&
			    (best == n || sign * ev[i] > sign * ev[best]))
				best = i;
		if (best == n)
			continue;
		rc = rep_fire(t, name, sign * ev[best], entities[best], &c[best]);
		for (size_t i = 0; i < n && rc == 0; i++)
			if (i != best && sign * ev[i] >= REP_MIN_EVIDENCE)
				rc = rep_fire(t, name, sign * ev[i], entities[i], &c[i]);
	}
	return rc;
}

static int
rep_scan(void *state, struct mg_task *t)
{
	struct reputation *r = state;
	struct rep_keys k;
	const char *ip[1], *domain[1], *dkim[TASK_MAX_OPTIONS];
	double now = rep_now();
	int rc;

	if (r->kv == NULL || t->env == NULL || t->env->outbound)
		return 0;
	rep_keys_of(r, t, &k);
	ip[0] = k.ip;
	domain[0] = k.domain;
	for (size_t i = 0; i < k.ndkim; i++)
		dkim[i] = k.dkim[i];
	rc = rep_score(r, t, REP_KIND_IP, ip, 1, now);
	rc = rc ? rc : rep_score(r, t, REP_KIND_DOMAIN, domain, 1, now);
	return rc ? rc : rep_score(r, t, REP_KIND_DKIM, dkim, k.ndkim, now);
}

/* Spam: a verdict that is not clean and not accepted, and would be even
 * without reputation's own symbols; clean: accepted with a score at most
 * clean_max_score. Mail that a local list decided teaches nothing. */
static int
rep_lesson(const struct reputation *r, const struct mg_result *res)
{
	double own = 0.0;

	for (size_t i = 0; i < res->nsymbols; i++) {
		const char *name = res->symbols[i].name;
		if (strncmp(name, "LIST_", 5) == 0)
			return -1;
		if (strncmp(name, "REP_", 4) == 0)
			own += res->symbols[i].score;
	}
	if (res->category != MG_CAT_CLEAN && res->verdict_action != MG_VERDICT_ACCEPT &&
	    res->score - own >= r->tag)
		return 1;
	if (res->verdict_action == MG_VERDICT_ACCEPT && res->score - own <= r->clean_max)
		return 0;
	return -1;
}

static void
rep_verdict(void *state, const struct mg_task *t, const struct mg_result *res)
{
	struct reputation *r = state;
	struct rep_keys k;
	double now;
	int spam, rc = 0;

	if (r->kv == NULL || t->env == NULL || t->env->outbound ||
	    (spam = rep_lesson(r, res)) < 0)
		return;
	rep_keys_of(r, t, &k);
	now = rep_now();
	if (k.ip[0])
		rc = rep_learn(r->kv, &r->params, REP_KIND_IP, k.ip, spam, now);
	if (rc == 0 && k.domain[0])
		rc = rep_learn(r->kv, &r->params, REP_KIND_DOMAIN, k.domain, spam, now);
	for (size_t i = 0; i < k.ndkim && rc == 0; i++)
		rc = rep_learn(r->kv, &r->params, REP_KIND_DKIM, k.dkim[i], spam, now);
	if (rc < 0)
		log_debug("reputation learn status=failed reason=%s", mg_strerror(rc));
}

const struct mg_check check_reputation = {
	.name = "reputation",
	.init = rep_init,
	.scan = rep_scan,
	.fini = rep_fini,
	.symbols = rep_defs,
	.verdict = rep_verdict,
};
