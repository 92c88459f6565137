/* The engine: open (symbol table, thresholds, checks' init, analysis
 * contexts), scan (parse, analyse, run the checks in table order under
 * per-check and per-task deadlines, compute the verdict), close. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "engine/check.h"
#include "engine/dangerous.h"
#include "engine/engine.h"
#include "engine/symbol.h"
#include "engine/task.h"
#include "engine/verdict.h"
#include "mime/analyze.h"
#include "mime/url.h"
#include "net/dns_sync.h"

#define ENGINE_ARENA_MAX	(512u << 20)	/* one message's parse and analysis */

struct mg_engine {
	struct symbol_table symbols;
	struct verdict_thresholds thresholds;
	uint64_t	 task_timeout_ns, check_timeout_ns;
	struct mime_limits limits;
	const struct mg_check *const *checks;
	size_t		 nchecks;	/* initialised */
	void		**states;
	char		**fail_names;	/* "GTUBE_FAIL", ... */
	pthread_mutex_t	 lock;
	struct mime_analyze_ctx **idle;	/* analysis contexts not in use, under lock */
	size_t		 nidle, idle_cap;
	struct dns_resolver *dns;	/* network checks' resolver; NULL when off */
	bool		 strip;		/* engine.dangerous.action is "strip" */
	char		*notice;	/* engine.dangerous's notice template */
};

/* An analysis context for this scan: an idle one, or a new one (there are
 * as many as scans ever ran at the same time). */
static struct mime_analyze_ctx *
engine_ctx_get(struct mg_engine *e, char *err, size_t errlen)
{
	struct mime_analyze_ctx *c = NULL;

	pthread_mutex_lock(&e->lock);
	if (e->nidle > 0)
		c = e->idle[--e->nidle];
	pthread_mutex_unlock(&e->lock);
	return c != NULL ? c : mime_analyze_ctx_new(err, errlen);
}

static void
engine_ctx_put(struct mg_engine *e, struct mime_analyze_ctx *c)
{
	pthread_mutex_lock(&e->lock);
	if (e->nidle == e->idle_cap) {
		size_t cap = e->idle_cap ? e->idle_cap * 2 : 8;
		struct mime_analyze_ctx **n = realloc(e->idle, cap * sizeof(*n));
		if (n != NULL) {
			e->idle = n;
			e->idle_cap = cap;
		}
	}
	if (e->nidle < e->idle_cap) {
		e->idle[e->nidle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&e->lock);
	mime_analyze_ctx_free(c);
}

static int
engine_init_checks(struct mg_engine *e, const struct mg_conf *conf,
    const struct mg_check *const *checks, size_t n, struct mg_error *err)
{
	if ((e->states = calloc(n + 1, sizeof(*e->states))) == NULL ||
	    (e->fail_names = calloc(n + 1, sizeof(*e->fail_names))) == NULL)
		return -MG_ENOMEM;
	e->checks = checks;
	for (size_t i = 0; i < n; i++) {
		const struct mg_check *c = checks[i];
		size_t len = strlen(c->name);
		char why[480] = "";
		int rc;

		if ((e->fail_names[i] = malloc(len + sizeof("_FAIL"))) == NULL)
			return -MG_ENOMEM;
		for (size_t j = 0; j < len; j++)
			e->fail_names[i][j] = (char)toupper((unsigned char)c->name[j]);
		memcpy(e->fail_names[i] + len, "_FAIL", sizeof("_FAIL"));
		if (c->init != NULL && (rc = c->init(conf, &e->states[i], why, sizeof(why))) < 0) {
			snprintf(err->text, sizeof(err->text), "check %s: %s", c->name,
			    why[0] ? why : mg_strerror(rc));
			return rc;
		}
		e->nchecks++;
	}
	return 0;
}

/* The built-in symbols, those the checks define, and engine.scores. */
static int
engine_load_symbols(struct mg_engine *e, const struct mg_conf *conf, struct mg_error *err)
{
	struct symbol_def *extra = NULL;
	size_t nextra = 0;
	int rc;

	for (size_t i = 0; i < e->nchecks; i++) {
		const struct symbol_def *defs;
		struct symbol_def *grown;
		size_t n = 0;

		if (e->checks[i]->symbols == NULL ||
		    (defs = e->checks[i]->symbols(e->states[i], &n)) == NULL || n == 0)
			continue;
		if ((grown = realloc(extra, (nextra + n) * sizeof(*extra))) == NULL) {
			free(extra);
			snprintf(err->text, sizeof(err->text), "out of memory");
			return -MG_ENOMEM;
		}
		extra = grown;
		memcpy(extra + nextra, defs, n * sizeof(*extra));
		nextra += n;
	}
	rc = symbol_table_load(&e->symbols, conf, extra, nextra, err->text, sizeof(err->text));
	free(extra);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < e->nchecks; i++) {
		const struct symbol_def *learned;
		size_t n = 0;

		if (e->checks[i]->scores != NULL &&
		    (learned = e->checks[i]->scores(e->states[i], &n)) != NULL)
			symbol_table_learned(&e->symbols, learned, n);
	}
	return symbol_table_override(&e->symbols, conf, err->text, sizeof(err->text));
}

/* The one resolver of the network checks (net/dns_sync.h), opened when
 * engine.network is on; tasks borrow it (t->dns). 0, or -1 with err set. */
static int
engine_dns_open(struct mg_engine *e, const struct mg_conf *conf, struct mg_error *err)
{
	if (!conf->engine.network)
		return 0;
	e->dns = dns_sync_open(&conf->resolver, err->text, sizeof(err->text));
	return e->dns != NULL ? 0 : -1;
}

struct mg_engine *
engine_open_checks(const struct mg_conf *conf, const struct mg_check *const *checks,
    size_t n, struct mg_error *err)
{
	struct mg_engine *e = calloc(1, sizeof(*e));
	struct mime_analyze_ctx *ctx;
	char why[256];
	int rc;

	if (e == NULL) {
		snprintf(err->text, sizeof(err->text), "out of memory");
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->thresholds = (struct verdict_thresholds){ conf->engine.tag, conf->engine.quarantine,
		conf->engine.reject };
	e->task_timeout_ns = (uint64_t)(conf->engine.task_timeout * 1e9);
	e->check_timeout_ns = (uint64_t)(conf->engine.check_timeout * 1e9);
	mime_limits_conf(&e->limits, &conf->engine.mime);
	e->strip = conf->engine.dangerous.action == CONF_DANGEROUS_STRIP;
	if ((e->notice = strdup(conf_dangerous_notice(&conf->engine.dangerous))) == NULL) {
		snprintf(err->text, sizeof(err->text), "out of memory");
		goto fail;
	}
	if (engine_dns_open(e, conf, err) < 0)
		goto fail;
	if ((rc = engine_init_checks(e, conf, checks, n, err)) < 0) {
		if (rc == -MG_ENOMEM)
			snprintf(err->text, sizeof(err->text), "out of memory");
		goto fail;
	}
	if (engine_load_symbols(e, conf, err) < 0)
		goto fail;
	/* The Public Suffix List before scanning threads start; without it
	 * registrable domains fall back to hosts. */
	if (url_init(why, sizeof(why)) < 0)
		log_warn("engine url_init reason=\"%s\"", why);
	/* One analysis context now, so that a broken libmagic shows at open. */
	if ((ctx = mime_analyze_ctx_new(err->text, sizeof(err->text))) == NULL)
		goto fail;
	engine_ctx_put(e, ctx);
	return e;
fail:
	mg_engine_close(e);
	return NULL;
}

struct mg_engine *
mg_engine_open(const struct mg_conf *conf, struct mg_error *err)
{
	return engine_open_checks(conf, check_table, check_count, err);
}

/* Parse and analysis; -1 when there is no message for the checks. */
static int
engine_prepare(struct mg_engine *e, struct mg_task *t)
{
	struct mime_analyze_ctx *ctx;
	char why[256];
	int rc;

	if ((t->msg = mime_parse(t->arena, t->raw, t->len, &e->limits)) == NULL) {
		mg_task_symbol(t, "PARSE_FAIL", mg_strerror(-MG_ENOMEM));
		return -1;
	}
	if ((ctx = engine_ctx_get(e, why, sizeof(why))) == NULL) {
		mg_task_symbol(t, "ANALYZE_FAIL", why);
		return 0;
	}
	rc = mime_analyze(ctx, t->arena, t->msg);
	engine_ctx_put(e, ctx);
	if (rc < 0)
		mg_task_symbol(t, "ANALYZE_FAIL", mg_strerror(rc));
	return 0;
}

/* The checks in table order; a failure or an overrun adds <NAME>_FAIL. */
static void
engine_run_checks(struct mg_engine *e, struct mg_task *t)
{
	for (size_t i = 0; i < e->nchecks; i++) {
		uint64_t start = task_now();
		int rc;

		if (start >= t->task_deadline) {
			mg_task_symbol(t, "TASK_TIMEOUT", e->checks[i]->name);
			break;
		}
		t->check_deadline = start + e->check_timeout_ns < t->task_deadline ?
		    start + e->check_timeout_ns : t->task_deadline;
		rc = e->checks[i]->scan(e->states[i], t);
		if (rc == 0 && task_now() > t->check_deadline)
			rc = -MG_ETIMEOUT;
		if (rc < 0)
			mg_task_symbol(t, e->fail_names[i],
			    rc == -MG_ETIMEOUT ? "timeout" : mg_strerror(rc));
	}
	t->check_deadline = t->task_deadline;
}

static int
symbol_order(const void *a, const void *b)
{
	const struct mg_symbol *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Fills res from the verdict and hands it the task's symbol arena. */
static int
engine_result(struct mg_task *t, const struct verdict *v, struct mg_result *res)
{
	res->score = v->score;
	res->category = v->category;
	res->verdict = mg_category_name(v->category);
	res->verdict_action = v->action;
	res->forced_by = v->forced_by;
	res->action = v->action == MG_VERDICT_REJECT ? MG_ACTION_REJECT : MG_ACTION_ACCEPT;
	if (res->action == MG_ACTION_REJECT)
		snprintf(res->reply, sizeof(res->reply), "Message rejected as %s", res->verdict);
	else if (t->tempfail != NULL) {
		res->action = MG_ACTION_TEMPFAIL;
		snprintf(res->reply, sizeof(res->reply), "%s", t->tempfail);
	}
	if (t->nsymbols > 0 &&
	    (res->symbols = mg_arena_alloc(t->sym_arena, t->nsymbols * sizeof(*res->symbols))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < t->nsymbols; i++) {
		const struct task_symbol *s = &t->symbols[i];
		res->symbols[i] = (struct mg_symbol){ s->name, s->score, s->options, s->noptions };
	}
	res->nsymbols = t->nsymbols;
	if (res->nsymbols > 1)
		qsort(res->symbols, res->nsymbols, sizeof(*res->symbols), symbol_order);
	res->arena = t->sym_arena;
	t->sym_arena = NULL;
	mg_buf_release(&res->headers);
	res->headers = t->headers;
	mg_buf_init(&t->headers, 0);
	memcpy(res->forged_ar, t->forged_ar, sizeof(res->forged_ar));
	res->nforged_ar = t->nforged_ar;
	return 0;
}

/* The checks that learn from verdicts (sender reputation). */
static void
engine_tell_verdict(struct mg_engine *e, const struct mg_task *t, const struct mg_result *res)
{
	for (size_t i = 0; i < e->nchecks; i++)
		if (e->checks[i]->verdict != NULL)
			e->checks[i]->verdict(e->states[i], t, res);
}

int
mg_scan(struct mg_engine *e, const struct mg_envelope *env, const uint8_t *msg,
    size_t len, struct mg_result *res)
{
	return mg_scan_ex(e, env, msg, len, res, NULL);
}

int
mg_scan_ex(struct mg_engine *e, const struct mg_envelope *env, const uint8_t *msg,
    size_t len, struct mg_result *res, const struct mg_scan_opts *opts)
{
	struct mg_strip *strip = opts != NULL ? opts->strip : NULL;
	struct mg_task t;
	struct verdict v;
	int rc;

	if (strip != NULL)
		mg_strip_clear(strip);
	memset(res, 0, sizeof(*res));
	mg_buf_init(&res->headers, 64 * 1024);
	if ((rc = task_init(&t, &e->symbols, msg, len, env, ENGINE_ARENA_MAX)) < 0)
		return rc;
	t.task_deadline = task_now() + e->task_timeout_ns;
	t.dns = e->dns;
	if (engine_prepare(e, &t) == 0)
		engine_run_checks(e, &t);
	verdict_compute(&e->thresholds, t.symbols, t.nsymbols, &v);
	rc = strip != NULL && e->strip ?
	    dangerous_strip(&t, &e->thresholds, e->notice, &v, strip) : 0;
	if (rc == 0)
		rc = engine_result(&t, &v, res);
	if (rc == 0 && t.msg != NULL)
		engine_tell_verdict(e, &t, res);
	if (rc == 0 && opts != NULL && opts->inspect != NULL)
		rc = opts->inspect(t.msg, res, opts->arg);
	task_clear(&t);
	if (rc < 0) {
		mg_result_clear(res);
		if (strip != NULL)
			mg_strip_clear(strip);
	}
	return rc;
}

void
mg_result_clear(struct mg_result *res)
{
	mg_buf_release(&res->headers);
	res->arena = mg_arena_free(res->arena);
	res->symbols = NULL;
	res->nsymbols = 0;
}

int
mg_result_format_symbols(const struct mg_result *res, struct mg_buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < res->nsymbols && rc == 0; i++)
		rc = mg_buf_appendf(out, "%s%s(%.2f)", i ? "," : "", res->symbols[i].name,
		    res->symbols[i].score);
	return rc;
}

const char *
mg_category_name(enum mg_category c)
{
	return (unsigned)c < MG_CAT_COUNT ? conf_category_names[c] : "unknown";
}

const char *
mg_verdict_action_name(enum mg_verdict_action a)
{
	return (unsigned)a <= MG_VERDICT_REJECT ? conf_action_names[a] : "unknown";
}

void
mg_engine_close(struct mg_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nchecks; i++)
		if (e->checks[i]->fini != NULL)
			e->checks[i]->fini(e->states[i]);
	for (size_t i = 0; e->fail_names != NULL && e->fail_names[i] != NULL; i++)
		free(e->fail_names[i]);
	for (size_t i = 0; i < e->nidle; i++)
		mime_analyze_ctx_free(e->idle[i]);
	free(e->idle);
	free(e->notice);
	free(e->fail_names);
	free(e->states);
	symbol_table_clear(&e->symbols);
	e->dns = dns_sync_close(e->dns);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
