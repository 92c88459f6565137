/* The account check (account.h): who counts as internal, the hourly rate
 * of each internal account against its baseline (learn/account_rate.h in
 * the shared reputation kv), mass internal mail, finance lures, phishing
 * found by the checks before it, and the alert line after the verdict. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "checks/account.h"
#include "checks/bec.h"
#include "checks/bec_int.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/account_rate.h"
#include "learn/reputation.h"
#include "learn/reputation_addr.h"
#include "mime/mime.h"

#define ACCOUNT_PREFIX		"ACCOUNT_"

time_t (*account_clock)(void);

static const struct symbol_def account_symbols[] = {
	CHECK_SYMBOL("ACCOUNT_BURST", 3.0, SPAM, HOLD, "an internal account sends far more "
	    "messages or recipients this hour than its baseline (option: counts)"),
	CHECK_SYMBOL("ACCOUNT_MANY_INTERNAL", 2.0, POLICY, ACCEPT, "an internal account "
	    "writes to many internal recipients at once (option: how many)"),
	CHECK_SYMBOL("ACCOUNT_FINANCE_LURE", 2.0, BEC, ACCEPT, "payment, gift-card or "
	    "bank-change wording from an internal account that is not a finance sender"),
	CHECK_SYMBOL("ACCOUNT_MASS_LURE", 2.0, BEC, HOLD, "a finance lure from a non-finance "
	    "internal account to many internal recipients"),
	CHECK_SYMBOL("ACCOUNT_PHISHING", 2.0, PHISHING, HOLD, "phishing from an internal "
	    "account (option: the phishing symbol)"),
	CHECK_SYMBOL("ACCOUNT_FAIL", 0.0, CLEAN, ACCEPT, "the account check failed or "
	    "timed out"),
};

struct account {
	struct account_site site;
	struct conf_account conf;	/* engine.account, finance_senders copied */
	struct kv	*kv;		/* NULL: no rates */
	pthread_mutex_t	 lock;		/* read-modify-write of a rate */
};

int
account_site_init(struct account_site *s, const struct mg_conf *conf)
{
	memset(s, 0, sizeof(*s));
	if (conf->nroutes > 0 && (s->domains = calloc(conf->nroutes, sizeof(char *))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < conf->nroutes; i++) {
		if (conf->routes[i].domain == NULL)
			continue;
		if ((s->domains[s->ndomains] = strdup(conf->routes[i].domain)) == NULL)
			return -MG_ENOMEM;
		s->ndomains++;
	}
	if (conf->ntrusted > 0) {
		if ((s->trusted = calloc(conf->ntrusted, sizeof(*s->trusted))) == NULL)
			return -MG_ENOMEM;
		memcpy(s->trusted, conf->trusted, conf->ntrusted * sizeof(*s->trusted));
		s->ntrusted = conf->ntrusted;
	}
	return 0;
}

void
account_site_fini(struct account_site *s)
{
	for (size_t i = 0; i < s->ndomains; i++)
		free(s->domains[i]);
	free(s->domains);
	free(s->trusted);
	memset(s, 0, sizeof(*s));
}

bool
account_site_protected(const struct account_site *s, const char *domain)
{
	size_t n = strlen(domain);

	for (size_t i = 0; i < s->ndomains; i++) {
		size_t k = strlen(s->domains[i]);
		if (n == k && strcasecmp(domain, s->domains[i]) == 0)
			return true;
		if (n > k && domain[n - k - 1] == '.' &&
		    strcasecmp(domain + n - k, s->domains[i]) == 0)
			return true;
	}
	return false;
}

bool
account_site_internal_addr(const struct account_site *s, const char *addr)
{
	char clean[ACCOUNT_ADDR_MAX + 1];

	return rep_addr_clean(addr, clean, sizeof(clean)) == 0 &&
	    account_site_protected(s, rep_addr_domain(clean));
}

static bool
account_site_trusted(const struct account_site *s, const char *ip)
{
	struct rep_ip a;

	if (ip == NULL || rep_ip_parse(ip, &a) < 0)
		return false;
	for (size_t i = 0; i < s->ntrusted; i++)
		if (conf_net_contains(&s->trusted[i], a.family, a.addr))
			return true;
	return false;
}

bool
account_site_internal_sender(const struct account_site *s, const struct mg_envelope *env,
    char *sender)
{
	if (env == NULL || env->mail_from == NULL ||
	    rep_addr_clean(env->mail_from, sender, ACCOUNT_ADDR_MAX + 1) < 0 ||
	    !account_site_protected(s, rep_addr_domain(sender)))
		return false;
	return env->outbound || account_site_trusted(s, env->client_ip);
}

size_t
account_site_internal_rcpts(const struct account_site *s, const struct mg_envelope *env)
{
	size_t n = 0;

	for (size_t i = 0; env != NULL && i < env->nrcpts; i++)
		n += account_site_internal_addr(s, env->rcpts[i]);
	return n;
}

static void
account_fini(void *state)
{
	struct account *a = state;

	if (a == NULL)
		return;
	account_site_fini(&a->site);
	conf_account_free(&a->conf);
	a->kv = kv_close(a->kv);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static int
account_copy_conf(struct account *a, const struct conf_account *c)
{
	a->conf = *c;
	a->conf.finance_senders = NULL;
	a->conf.nfinance_senders = 0;
	if (c->nfinance_senders > 0 && (a->conf.finance_senders =
	    calloc(c->nfinance_senders, sizeof(char *))) == NULL)
		return -MG_ENOMEM;
	for (; a->conf.nfinance_senders < c->nfinance_senders; a->conf.nfinance_senders++)
		if ((a->conf.finance_senders[a->conf.nfinance_senders] =
		    strdup(c->finance_senders[a->conf.nfinance_senders])) == NULL)
			return -MG_ENOMEM;
	return 0;
}

static int
account_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	struct account *a;
	int rc;

	*state = NULL;
	if (!conf->engine.account.enabled)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -MG_ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	if ((rc = account_site_init(&a->site, conf)) < 0 ||
	    (rc = account_copy_conf(a, &conf->engine.account)) < 0) {
		account_fini(a);
		return rc;
	}
	if ((a->kv = rep_state_open(conf, "account", err, errlen)) == NULL)
		log_warn("account rates status=off reason=\"%s\"", err);
	*state = a;
	return 0;
}

/* ACCOUNT_BURST when this hour's messages or recipients pass both their
 * floor and burst_factor times the baseline. */
static int
account_burst(struct account *a, struct mg_task *t, const char *sender)
{
	struct account_rate r;
	char opt[128];
	time_t now = account_clock != NULL ? account_clock() : time(NULL);
	int rc;

	if (a->kv == NULL)
		return 0;
	pthread_mutex_lock(&a->lock);
	rc = account_rate_count(a->kv, sender, (uint32_t)t->env->nrcpts,
	    a->conf.baseline_hours, now, &r);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc == -MG_ELIMIT ? 0 : rc;
	if (r.msgs > a->conf.min_burst && r.msgs > a->conf.burst_factor * r.base_msgs)
		snprintf(opt, sizeof(opt), "messages=%.0f baseline=%.1f", r.msgs, r.base_msgs);
	else if (r.rcpts > a->conf.min_burst_recipients &&
	    r.rcpts > a->conf.burst_factor * r.base_rcpts)
		snprintf(opt, sizeof(opt), "recipients=%.0f baseline=%.1f", r.rcpts,
		    r.base_rcpts);
	else
		return 0;
	return mg_task_symbol(t, "ACCOUNT_BURST", opt);
}

/* ACCOUNT_FINANCE_LURE from an account that is not a finance sender; 1
 * when it fired, 0, or -MG_ENOMEM. */
static int
account_lure(const struct account *a, struct mg_task *t, const char *sender)
{
	static const unsigned sets[] = { BEC_SET_BANK, BEC_SET_PAYMENT, BEC_SET_GIFT };
	const char *ph = NULL;
	char *text;
	int rc = 0;

	if (t->msg == NULL || conf_account_finance(&a->conf, sender) ||
	    (text = bec_message_text(t->msg)) == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]) && ph == NULL; i++)
		ph = bec_phrase_find(text, sets[i]);
	if (ph != NULL)
		rc = mg_task_symbol(t, "ACCOUNT_FINANCE_LURE", ph) < 0 ? -MG_ENOMEM : 1;
	free(text);
	return rc;
}

/* ACCOUNT_PHISHING for each phishing symbol an earlier check added. */
static int
account_phishing(struct mg_task *t)
{
	size_t n = t->nsymbols;

	for (size_t i = 0; i < n; i++) {
		const struct task_symbol *s = &t->symbols[i];
		if (s->category == MG_CAT_PHISHING && s->score > 0 &&
		    strncmp(s->name, ACCOUNT_PREFIX, strlen(ACCOUNT_PREFIX)) != 0 &&
		    mg_task_symbol(t, "ACCOUNT_PHISHING", s->name) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

static int
account_scan(void *state, struct mg_task *t)
{
	struct account *a = state;
	char sender[ACCOUNT_ADDR_MAX + 1], opt[32];
	size_t internal;
	int lure, rc;

	if (a == NULL || !account_site_internal_sender(&a->site, t->env, sender))
		return 0;
	if ((rc = account_burst(a, t, sender)) < 0)
		return rc;
	internal = account_site_internal_rcpts(&a->site, t->env);
	if (internal > a->conf.many_internal) {
		snprintf(opt, sizeof(opt), "recipients=%zu", internal);
		if (mg_task_symbol(t, "ACCOUNT_MANY_INTERNAL", opt) < 0)
			return -MG_ENOMEM;
	}
	if ((lure = account_lure(a, t, sender)) < 0)
		return lure;
	if (lure && internal > a->conf.many_internal &&
	    mg_task_symbol(t, "ACCOUNT_MASS_LURE", opt) < 0)
		return -MG_ENOMEM;
	return account_phishing(t);
}

/* The alert of a message the check fired on, with the final action. */
static void
account_verdict(void *state, const struct mg_task *t, const struct mg_result *res)
{
	struct account *a = state;
	char sender[ACCOUNT_ADDR_MAX + 1], reasons[128] = "";
	size_t len = 0;

	if (a == NULL || !account_site_internal_sender(&a->site, t->env, sender))
		return;
	for (size_t i = 0; i < res->nsymbols && len + 1 < sizeof(reasons); i++) {
		const char *name = res->symbols[i].name;
		if (strncmp(name, ACCOUNT_PREFIX, strlen(ACCOUNT_PREFIX)) != 0 ||
		    strcmp(name, "ACCOUNT_FAIL") == 0)
			continue;
		len += (size_t)snprintf(reasons + len, sizeof(reasons) - len, "%s", len ? "," : "");
		for (name += strlen(ACCOUNT_PREFIX); *name && len + 1 < sizeof(reasons); name++)
			reasons[len++] = (char)tolower((unsigned char)*name);
		reasons[len] = '\0';
	}
	if (len == 0)
		return;
	log_warn("%016" PRIx64 " alert compromised_account account=%s reason=%s action=%s "
	    "score=%.2f rcpts=%zu ip=%s", (uint64_t)XXH3_64bits(t->raw, t->len), sender, reasons,
	    mg_verdict_action_name(res->verdict_action), res->score, t->env->nrcpts,
	    t->env->client_ip != NULL ? t->env->client_ip : "-");
}

CHECK_SYMBOLS_HOOK(account_defs, account_symbols)

const struct mg_check check_account = {
	.name = "account",
	.init = account_init,
	.scan = account_scan,
	.fini = account_fini,
	.symbols = account_defs,
	.verdict = account_verdict,
};
