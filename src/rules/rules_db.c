/* The compiled form of a set: one Hyperscan database per scope (per
 * header name in the header scopes) with every regex rule of it
 * (HS_FLAG_SINGLEMATCH: a rule fires once), PCRE2 with JIT and match
 * limits for the patterns Hyperscan refuses, and the pool of per-thread
 * scratch space. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "rules/rules_int.h"

static bool
is_regex(const struct rule *r)
{
	return !r->disabled && (r->kind == RULE_MATCH || r->kind == RULE_NOT_MATCH);
}

static unsigned
hs_flags(unsigned f)
{
	unsigned out = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_UTF8;

	out |= f & RULE_F_CASELESS ? HS_FLAG_CASELESS : 0;
	out |= f & RULE_F_DOTALL ? HS_FLAG_DOTALL : 0;
	out |= f & RULE_F_MULTILINE ? HS_FLAG_MULTILINE : 0;
	out |= f & RULE_F_UCP ? HS_FLAG_UCP : 0;
	return out;
}

static uint32_t
pcre_flags(unsigned f)
{
	uint32_t out = PCRE2_UTF;

	out |= f & RULE_F_CASELESS ? PCRE2_CASELESS : 0;
	out |= f & RULE_F_DOTALL ? PCRE2_DOTALL : 0;
	out |= f & RULE_F_MULTILINE ? PCRE2_MULTILINE : 0;
	out |= f & RULE_F_UCP ? PCRE2_UCP : 0;
	return out;
}

static int
db_fail(const struct rule *r, char *err, size_t errlen, const char *what, const char *why)
{
	snprintf(err, errlen, "%s:%d: rule %s: %s: %s", r->file, r->test_line, r->name, what,
	    why);
	return -MG_EINVAL;
}

/* Rule r to PCRE2 (Hyperscan refused it for why). */
static int
db_fallback(struct rules_set *set, struct rules_db *db, unsigned i, const char *why,
    char *err, size_t errlen)
{
	struct rule *r = &set->rules[i];
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, pcre_flags(r->flags),
	    &code, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s:%d: rule %s: bad pattern: %s at offset %zu", r->file,
		    r->test_line, r->name, (const char *)msg, (size_t)off);
		return -MG_EINVAL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* interpreted without JIT */
	db->pcre[db->npcre++] = (struct rules_pcre){ re, i };
	r->flags |= RULE_F_PCRE;
	if ((r->fallback = mg_arena_strndup(set->arena, why, strlen(why))) == NULL)
		return -MG_ENOMEM;
	log_info("rules fallback rule=%s file=%s line=%d engine=pcre2 reason=\"%s\"", r->name,
	    r->file, r->test_line, why);
	return 0;
}

/* Compiles the Hyperscan part of db from rules hs[0..n) (indexes in the
 * set); each pattern it refuses goes to PCRE2 and the rest is retried. */
static int
db_hyperscan(struct rules_set *set, struct rules_db *db, unsigned *hs, size_t n,
    char *err, size_t errlen)
{
	const char **expr = calloc(n ? n : 1, sizeof(*expr));
	unsigned *flags = calloc(n ? n : 1, sizeof(*flags));
	hs_compile_error_t *cerr = NULL;
	int rc = expr && flags ? 0 : -MG_ENOMEM;

	while (rc == 0 && n > 0) {
		for (size_t k = 0; k < n; k++) {
			expr[k] = set->rules[hs[k]].pattern;
			flags[k] = hs_flags(set->rules[hs[k]].flags);
		}
		if (hs_compile_multi(expr, flags, hs, (unsigned)n, HS_MODE_BLOCK, NULL, &db->hs,
		    &cerr) == HS_SUCCESS)
			break;
		if (cerr->expression < 0 || (size_t)cerr->expression >= n) {
			rc = db_fail(&set->rules[hs[0]], err, errlen, "hyperscan", cerr->message);
		} else {
			size_t k = (size_t)cerr->expression;
			rc = db_fallback(set, db, hs[k], cerr->message, err, errlen);
			memmove(hs + k, hs + k + 1, (n - k - 1) * sizeof(*hs));
			n--;
		}
		hs_free_compile_error(cerr);
		cerr = NULL;
	}
	free(expr);
	free(flags);
	return rc;
}

/* One database from rules[0..n): patterns Hyperscan cannot parse go to
 * PCRE2 first (cheap), the others are compiled together. */
static int
db_build_one(struct rules_set *set, struct rules_db *db, const unsigned *rules, size_t n,
    char *err, size_t errlen)
{
	unsigned *hs;
	size_t nhs = 0;
	int rc = 0;

	db->header = set->rules[rules[0]].header;
	db->nrules = n;
	if ((db->rules = mg_arena_alloc(set->arena, n * sizeof(*db->rules))) == NULL ||
	    (db->pcre = mg_arena_alloc(set->arena, n * sizeof(*db->pcre))) == NULL ||
	    (hs = calloc(n, sizeof(*hs))) == NULL)
		return -MG_ENOMEM;
	memcpy(db->rules, rules, n * sizeof(*rules));
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct rule *r = &set->rules[rules[k]];
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;

		if (hs_expression_info(r->pattern, hs_flags(r->flags), &info, &cerr) ==
		    HS_SUCCESS)
			hs[nhs++] = rules[k];
		else
			rc = db_fallback(set, db, rules[k], cerr->message, err, errlen);
		free(info);
		hs_free_compile_error(cerr);
	}
	if (rc == 0)
		rc = db_hyperscan(set, db, hs, nhs, err, errlen);
	free(hs);
	return rc;
}

/* Regex rules of a scope ordered by header name, then definition. */
static int
sort_rules(const void *a, const void *b, void *arg)
{
	const struct rules_set *set = arg;
	const struct rule *x = &set->rules[*(const unsigned *)a];
	const struct rule *y = &set->rules[*(const unsigned *)b];
	int c = x->scope <= RULE_SCOPE_HEADER_RAW ? strcmp(x->header, y->header) : 0;

	if (c != 0)
		return c;
	return (*(const unsigned *)a > *(const unsigned *)b) -
	    (*(const unsigned *)a < *(const unsigned *)b);
}

static bool
same_db(const struct rules_set *set, unsigned a, unsigned b)
{
	const struct rule *x = &set->rules[a], *y = &set->rules[b];

	return x->scope > RULE_SCOPE_HEADER_RAW || strcmp(x->header, y->header) == 0;
}

static int
db_build_scope(struct rules_set *set, enum rule_scope s, unsigned *idx, char *err,
    size_t errlen)
{
	size_t n = 0, ndb = 0;
	int rc = 0;

	for (size_t i = 0; i < set->nrules; i++)
		if (is_regex(&set->rules[i]) && set->rules[i].scope == s)
			idx[n++] = (unsigned)i;
	if (n == 0)
		return 0;
	qsort_r(idx, n, sizeof(*idx), sort_rules, set);
	for (size_t i = 0; i < n; i++)
		ndb += i == 0 || !same_db(set, idx[i - 1], idx[i]);
	if ((set->dbs[s] = calloc(ndb, sizeof(*set->dbs[s]))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0, start = 0; i <= n && rc == 0; i++) {
		if (i < n && (i == start || same_db(set, idx[start], idx[i])))
			continue;
		rc = db_build_one(set, &set->dbs[s][set->ndbs[s]++], idx + start, i - start,
		    err, errlen);
		start = i;
	}
	return rc;
}

static int
db_scratch(struct rules_set *set)
{
	if ((set->pool = calloc(1, sizeof(*set->pool))) == NULL)
		return -MG_ENOMEM;
	pthread_mutex_init(&set->pool->lock, NULL);
	for (int s = 0; s < RULE_SCOPE_COUNT; s++)
		for (size_t i = 0; i < set->ndbs[s]; i++)
			if (set->dbs[s][i].hs != NULL &&
			    hs_alloc_scratch(set->dbs[s][i].hs, &set->pool->proto) != HS_SUCCESS)
				return -MG_ENOMEM;
	return 0;
}

int
rules_db_build(struct rules_set *set, char *err, size_t errlen)
{
	unsigned *idx = calloc(set->nrules ? set->nrules : 1, sizeof(*idx));
	int rc = idx ? 0 : -MG_ENOMEM;

	for (int s = 0; s < RULE_SCOPE_COUNT && rc == 0; s++)
		rc = db_build_scope(set, (enum rule_scope)s, idx, err, errlen);
	free(idx);
	if (rc == 0 && (set->mctx = pcre2_match_context_create(NULL)) == NULL)
		rc = -MG_ENOMEM;
	if (rc == 0) {
		pcre2_set_match_limit(set->mctx, set->limits.pcre_match_limit);
		pcre2_set_depth_limit(set->mctx, set->limits.pcre_match_limit);
		rc = db_scratch(set);
	}
	return rc;
}

void
rules_db_free(struct rules_set *set)
{
	for (int s = 0; s < RULE_SCOPE_COUNT; s++) {
		for (size_t i = 0; i < set->ndbs[s]; i++) {
			struct rules_db *db = &set->dbs[s][i];
			hs_free_database(db->hs);
			for (size_t k = 0; k < db->npcre; k++)
				pcre2_code_free(db->pcre[k].re);
		}
		free(set->dbs[s]);
	}
	pcre2_match_context_free(set->mctx);
	if (set->pool == NULL)
		return;
	while (set->pool->idle != NULL) {
		struct rules_scratch *s = set->pool->idle;
		set->pool->idle = s->next;
		hs_free_scratch(s->hs);
		pcre2_match_data_free(s->md);
		free(s);
	}
	hs_free_scratch(set->pool->proto);
	pthread_mutex_destroy(&set->pool->lock);
	free(set->pool);
}

struct rules_scratch *
rules_scratch_get(const struct rules_set *set)
{
	struct rules_pool *pool = set->pool;
	struct rules_scratch *s;

	pthread_mutex_lock(&pool->lock);
	if ((s = pool->idle) != NULL)
		pool->idle = s->next;
	pthread_mutex_unlock(&pool->lock);
	if (s != NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return s;
	if ((pool->proto != NULL && hs_clone_scratch(pool->proto, &s->hs) != HS_SUCCESS) ||
	    (s->md = pcre2_match_data_create(1, NULL)) == NULL) {
		hs_free_scratch(s->hs);
		free(s);
		return NULL;
	}
	return s;
}

void
rules_scratch_put(const struct rules_set *set, struct rules_scratch *s)
{
	struct rules_pool *pool = set->pool;

	pthread_mutex_lock(&pool->lock);
	s->next = pool->idle;
	pool->idle = s;
	pthread_mutex_unlock(&pool->lock);
}

struct db_match {
	uint8_t		*matched;
	const char	**option;
	const char	*opt;
};

static int
db_on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
    void *arg)
{
	struct db_match *m = arg;

	(void)from;
	(void)to;
	(void)flags;
	m->matched[id] = 1;
	if (m->opt != NULL)
		m->option[id] = m->opt;
	return 0;
}

int
rules_db_scan(const struct rules_set *set, const struct rules_db *db,
    struct rules_scratch *s, const char *text, size_t len, uint8_t *matched,
    const char **option, const char *opt)
{
	struct db_match m = { matched, option, opt };

	if (db->hs != NULL && hs_scan(db->hs, text, (unsigned)len, 0, s->hs, db_on_match,
	    &m) != HS_SUCCESS)
		return -MG_EIO;
	for (size_t k = 0; k < db->npcre; k++) {
		unsigned id = db->pcre[k].rule;
		if (matched[id])
			continue;
		if (pcre2_match(db->pcre[k].re, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK,
		    s->md, set->mctx) >= 0)
			db_on_match(id, 0, 0, 0, &m);
	}
	return 0;
}
