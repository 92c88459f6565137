/* The content rules check (rules.h): adapts the rules library to the task
 * API. Errors while scanning fail open: RULES_FAIL, and the symbols that
 * fired before the error are kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/rules.h"
#include "core/err.h"
#include "core/log.h"
#include "rules/rules.h"

struct rules_state {
	struct rules_set *set;
	struct symbol_def *defs;	/* RULES_FAIL, then each reported rule */
	size_t		 ndefs;
};

static bool
is_helper(const struct rule *r)
{
	return strncmp(r->name, "__", 2) == 0;
}

static bool
is_builtin(const char *name)
{
	for (size_t i = 0; i < symbol_ndefaults; i++)
		if (strcmp(symbol_defaults[i].name, name) == 0)
			return true;
	return false;
}

/* The symbols of the set (checked by rules_check_load). */
static int
rules_defs(struct rules_state *st)
{
	size_t n = rules_count(st->set);

	if ((st->defs = calloc(n + 1, sizeof(*st->defs))) == NULL)
		return -MG_ENOMEM;
	st->defs[st->ndefs++] = (struct symbol_def){ "RULES_FAIL", 0.0, MG_CAT_CLEAN,
		MG_VERDICT_ACCEPT, "the rules check failed or timed out" };
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = rules_get(st->set, i);
		if (!r->disabled && !is_helper(r))
			st->defs[st->ndefs++] = (struct symbol_def){ r->name, r->score,
				r->category, MG_VERDICT_ACCEPT, r->description };
	}
	return 0;
}

int
rules_check_load(const struct conf_rules *c, struct rules_set **out, char *err,
    size_t errlen)
{
	struct rules_limits lim = { c->max_scan_bytes, c->pcre_match_limit };
	struct rules_set *set = rules_new();
	int rc;

	err[0] = '\0';
	*out = NULL;
	if (set == NULL)
		return -MG_ENOMEM;
	if ((rc = rules_load_dirs(set, (const char *const *)c->dirs, c->ndirs, err,
	    errlen)) < 0 || (rc = rules_compile(set, &lim, err, errlen)) < 0) {
		rules_free(set);
		return rc;
	}
	for (size_t i = 0; i < rules_count(set); i++) {
		const struct rule *r = rules_get(set, i);
		if (r->disabled || is_helper(r) ||
		    (!is_builtin(r->name) && strcmp(r->name, "RULES_FAIL") != 0))
			continue;
		snprintf(err, errlen, "%s:%d: rule %s: the name of a built-in symbol", r->file,
		    r->line, r->name);
		rules_free(set);
		return -MG_EINVAL;
	}
	*out = set;
	return 0;
}

/* The load summary, and the symbols meta rules use that neither the set
 * nor the built-in table defines (another check's, or a typing error). */
static void
rules_log(const struct rules_set *set)
{
	const char *const *ext;
	struct rules_info info;
	size_t n, nhs = 0, npcre = 0;

	rules_info(set, &info);
	for (int s = 0; s < RULE_SCOPE_COUNT; s++) {
		nhs += info.hyperscan[s];
		npcre += info.pcre[s];
	}
	log_info("rules load rules=%zu regex=%zu pcre2=%zu presence=%zu eval=%zu meta=%zu "
	    "helpers=%zu disabled=%zu", info.total, nhs, npcre, info.presence, info.evals,
	    info.metas, info.helpers, info.disabled);
	ext = rules_externals(set, &n);
	for (size_t i = 0; i < n; i++)
		if (!is_builtin(ext[i]))
			log_info("rules meta_symbol=%s note=\"not a rule nor a built-in symbol: "
			    "another check must define it\"", ext[i]);
}

static void
rules_fini(void *state)
{
	struct rules_state *st = state;

	if (st == NULL)
		return;
	rules_free(st->set);
	free(st->defs);
	free(st);
}

static int
rules_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	struct rules_state *st = calloc(1, sizeof(*st));
	int rc = -MG_ENOMEM;

	err[0] = '\0';
	if (st == NULL ||
	    (rc = rules_check_load(&conf->engine.rules, &st->set, err, errlen)) < 0 ||
	    (rc = rules_defs(st)) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", mg_strerror(rc));
		rules_fini(st);
		return rc;
	}
	rules_log(st->set);
	*state = st;
	return 0;
}

static const struct symbol_def *
rules_symbols(void *state, size_t *n)
{
	struct rules_state *st = state;

	*n = st->ndefs;
	return st->defs;
}

static bool
rules_fired(void *arg, const char *name)
{
	return mg_task_symbol_get(arg, name) != NULL;
}

static bool
rules_expired(void *arg)
{
	return mg_task_expired(arg);
}

static int
rules_scan_task(void *state, struct mg_task *t)
{
	struct rules_state *st = state;
	struct rules_env env = { rules_fired, rules_expired, t, time(NULL) };
	struct rules_hits hits = { 0 };
	int rc = rules_scan(st->set, t->arena, t->msg, &env, &hits), rc2 = 0;

	if (hits.option == NULL)
		return rc;
	for (size_t i = 0; i < rules_count(st->set) && rc2 == 0; i++) {
		const struct rule *r = rules_get(st->set, i);
		if (hits.fired[i] && !is_helper(r))
			rc2 = mg_task_symbol(t, r->name, hits.option[i]);
	}
	return rc < 0 ? rc : rc2;
}

const struct mg_check check_rules = {
	.name = "rules",
	.init = rules_init,
	.scan = rules_scan_task,
	.fini = rules_fini,
	.symbols = rules_symbols,
};
