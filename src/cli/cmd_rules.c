/* mailgate rules (cmd_rules.h):
 *   check [DIR...]           load and compile, print rules per scope and the
 *                            patterns that fell back to PCRE2
 *   stats [-d DIR] [-j N] [-l LABEL] LIST.tsv
 *                            the engine over labelled mail (path TAB label,
 *                            as bench/corpus_split.py writes), hits of each
 *                            rule per label; -l lists "RULE TAB path" of
 *                            each hit on mail of that label
 *   bench [-d DIR] LIST.tsv|FILE...
 *                            rules_scan alone, timed (parse and analysis are
 *                            done first and not counted)
 * Directories default to engine.rules.dirs of $MAILGATE_CONF. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/rules.h"
#include "checks/yara.h"
#include "cli/cli_files.h"
#include "cli/cmd_rules.h"
#include "core/clock.h"
#include "core/err.h"
#include "engine/engine.h"
#include "mime/analyze.h"

#define RULES_CLI_MAX_THREADS	64
#define RULES_CLI_MAX_DIRS	CONF_RULES_MAX_DIRS
#define RULES_CLI_ARENA_MAX	(512u << 20)
#define RULES_HAM_WARN		0.5	/* percent of ham a rule should stay under */

enum label { LABEL_HAM, LABEL_SPAM, LABEL_PHISH, LABEL_COUNT };
static const char *const label_names[LABEL_COUNT] = { "ham", "spam", "phish" };

struct rules_cli {
	struct mg_conf	 defaults, *conf;	/* conf: loaded, or &defaults */
	char		**saved_dirs;		/* conf's own, restored at the end */
	size_t		 saved_ndirs;
	char		*dirs[RULES_CLI_MAX_DIRS];
	size_t		 ndirs;
};

/* The configuration of $MAILGATE_CONF (or the defaults), with the -d
 * directories in place of engine.rules.dirs when given. */
static int
cli_conf_open(struct rules_cli *c)
{
	const char *path = getenv("MAILGATE_CONF");
	char err[1024];

	conf_engine_defaults(&c->defaults.engine);
	c->conf = &c->defaults;
	if (path != NULL && (c->conf = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate rules: %s\n", err);
		return -1;
	}
	c->saved_dirs = c->conf->engine.rules.dirs;
	c->saved_ndirs = c->conf->engine.rules.ndirs;
	if (c->ndirs > 0) {
		c->conf->engine.rules.dirs = c->dirs;
		c->conf->engine.rules.ndirs = c->ndirs;
	}
	return 0;
}

static void
cli_conf_close(struct rules_cli *c)
{
	if (c->conf == NULL || c->conf == &c->defaults)
		return;
	c->conf->engine.rules.dirs = c->saved_dirs;
	c->conf->engine.rules.ndirs = c->saved_ndirs;
	c->conf = conf_free(c->conf);
}

static int
cli_add_dir(struct rules_cli *c, char *dir)
{
	if (c->ndirs == RULES_CLI_MAX_DIRS) {
		fprintf(stderr, "mailgate rules: more than %d directories\n", RULES_CLI_MAX_DIRS);
		return -1;
	}
	c->dirs[c->ndirs++] = dir;
	return 0;
}

static int
cli_load(struct rules_cli *c, struct rules_set **set)
{
	char err[1024];
	int rc;

	if (c->conf->engine.rules.ndirs == 0) {
		fprintf(stderr, "mailgate rules: no rule directory (give DIR, or -c FILE with "
		    "engine.rules.dirs)\n");
		return -1;
	}
	if ((rc = rules_check_load(&c->conf->engine.rules, set, err, sizeof(err))) < 0) {
		fprintf(stderr, "mailgate rules: %s\n", err[0] ? err : mg_strerror(rc));
		return -1;
	}
	return 0;
}

/* The YARA rule files of engine.yara compile, and their meta is valid. */
static int
yara_check(struct rules_cli *c)
{
	char err[1024];
	size_t n;

	if (yara_check_files(&c->conf->engine.yara, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate rules: %s\n", err);
		return 1;
	}
	printf("yara rules: %zu\n", n);
	return 0;
}

/* mailgate rules check [DIR...] */
static int
rules_check(struct rules_cli *c)
{
	struct rules_set *set;
	struct rules_info info;
	const char *const *ext;
	size_t n;

	if (cli_load(c, &set) < 0)
		return 1;
	rules_info(set, &info);
	printf("rules: %zu (helpers %zu, disabled %zu)\n", info.total, info.helpers,
	    info.disabled);
	printf("%-12s %9s %6s\n", "scope", "hyperscan", "pcre2");
	for (int s = 0; s < RULE_SCOPE_COUNT; s++)
		printf("%-12s %9zu %6zu\n", rules_scope_name((enum rule_scope)s),
		    info.hyperscan[s], info.pcre[s]);
	printf("header databases: %zu\nexists/missing: %zu\neval: %zu\nmeta: %zu\n",
	    info.header_names, info.presence, info.evals, info.metas);
	for (size_t i = 0; i < rules_count(set); i++) {
		const struct rule *r = rules_get(set, i);
		if (!r->disabled && (r->flags & RULE_F_PCRE))
			printf("pcre2 fallback: %s (%s:%d): %s\n", r->name, r->file,
			    r->test_line, r->fallback);
	}
	ext = rules_externals(set, &n);
	for (size_t i = 0; i < n; i++)
		printf("meta uses symbol of another check: %s\n", ext[i]);
	rules_free(set);
	return yara_check(c);
}

struct list {
	char		**paths;
	enum label	*labels;
	size_t		 n, cap;
};

static int
list_add(struct list *l, const char *path, size_t len, enum label label)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		char **p = realloc(l->paths, cap * sizeof(*p));
		enum label *lb = p ? realloc(l->labels, cap * sizeof(*lb)) : NULL;
		if (p != NULL)
			l->paths = p;
		if (lb == NULL)
			return -1;
		l->labels = lb;
		l->cap = cap;
	}
	if ((l->paths[l->n] = strndup(path, len)) == NULL)
		return -1;
	l->labels[l->n++] = label;
	return 0;
}

/* A .tsv list ("path TAB label ..."), or a message file (label ham). */
static int
list_read(struct list *l, const char *arg)
{
	size_t len = strlen(arg), cap = 0;
	char *line = NULL;
	ssize_t got;
	FILE *f;

	if (len < 4 || strcmp(arg + len - 4, ".tsv") != 0)
		return list_add(l, arg, len, LABEL_HAM);
	if ((f = fopen(arg, "r")) == NULL) {
		fprintf(stderr, "mailgate rules: %s: cannot open\n", arg);
		return -1;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		char *tab = strchr(line, '\t'), *lab = tab ? tab + 1 : NULL;
		enum label k = LABEL_COUNT;
		for (int i = 0; lab && i < LABEL_COUNT; i++)
			if (strncmp(lab, label_names[i], strlen(label_names[i])) == 0 &&
			    strchr("\t\r\n", lab[strlen(label_names[i])]) != NULL)
				k = (enum label)i;
		if (k == LABEL_COUNT || list_add(l, line, (size_t)(tab - line), k) < 0) {
			fprintf(stderr, "mailgate rules: %s: bad line: %s", arg, line);
			break;
		}
	}
	free(line);
	fclose(f);
	return got > 0 ? -1 : 0;
}

static void
list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->labels);
}

struct stats_run {
	struct mg_engine *engine;
	const struct rules_set *set;
	const struct list *list;
	atomic_size_t	 next;
	pthread_mutex_t	 lock;
	size_t		 (*hits)[LABEL_COUNT];	/* [rules_count], under lock */
	size_t		 total[LABEL_COUNT];
	size_t		 errors;
	int		 show;		/* enum label to list the hits of, or -1 */
};

static void
stats_one(struct stats_run *r, size_t k)
{
	struct cli_file f;
	struct mg_result res;
	char err[256];
	enum label lb = r->list->labels[k];

	if (cli_file_map(r->list->paths[k], &f, err, sizeof(err)) < 0)
		goto fail;
	if (mg_scan(r->engine, NULL, f.data, f.len, &res) < 0) {
		cli_file_unmap(&f);
		goto fail;
	}
	pthread_mutex_lock(&r->lock);
	r->total[lb]++;
	for (size_t i = 0; i < res.nsymbols; i++) {
		long idx = rules_find(r->set, res.symbols[i].name);
		if (idx < 0)
			continue;
		r->hits[idx][lb]++;
		if ((int)lb == r->show)
			printf("%s\t%s\n", res.symbols[i].name, r->list->paths[k]);
	}
	pthread_mutex_unlock(&r->lock);
	mg_result_clear(&res);
	cli_file_unmap(&f);
	return;
fail:
	pthread_mutex_lock(&r->lock);
	r->errors++;
	pthread_mutex_unlock(&r->lock);
}

static void *
stats_worker(void *arg)
{
	struct stats_run *r = arg;
	size_t k;

	while ((k = atomic_fetch_add(&r->next, 1)) < r->list->n)
		stats_one(r, k);
	return NULL;
}

static double
pct(size_t n, size_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0.0;
}

static void
stats_print(const struct stats_run *r)
{
	printf("messages: ham %zu, spam %zu, phish %zu, errors %zu\n", r->total[LABEL_HAM],
	    r->total[LABEL_SPAM], r->total[LABEL_PHISH], r->errors);
	printf("%-32s %6s %6s %6s %6s %6s %6s %6s\n", "rule", "score", "ham", "ham%", "spam",
	    "spam%", "phish", "phish%");
	for (size_t i = 0; i < rules_count(r->set); i++) {
		const struct rule *ru = rules_get(r->set, i);
		const size_t *h = r->hits[i];
		if (ru->disabled || strncmp(ru->name, "__", 2) == 0)
			continue;
		printf("%-32s %6.2f %6zu %6.2f %6zu %6.2f %6zu %6.2f%s\n", ru->name, ru->score,
		    h[LABEL_HAM], pct(h[LABEL_HAM], r->total[LABEL_HAM]), h[LABEL_SPAM],
		    pct(h[LABEL_SPAM], r->total[LABEL_SPAM]), h[LABEL_PHISH],
		    pct(h[LABEL_PHISH], r->total[LABEL_PHISH]),
		    pct(h[LABEL_HAM], r->total[LABEL_HAM]) > RULES_HAM_WARN ? "  !ham" : "");
	}
}

/* mailgate rules stats: the whole engine, so that meta rules see the
 * other checks' symbols exactly as in production. */
static int
rules_stats(struct rules_cli *c, const struct list *list, unsigned threads, int show)
{
	struct stats_run r = { .list = list, .show = show };
	struct rules_set *set;
	pthread_t tids[RULES_CLI_MAX_THREADS];
	struct mg_error err;
	unsigned started = 0;

	if (cli_load(c, &set) < 0)
		return 1;
	r.set = set;
	if ((r.engine = mg_engine_open(c->conf, &err)) == NULL) {
		fprintf(stderr, "mailgate rules: %s\n", err.text);
		rules_free(set);
		return 1;
	}
	if ((r.hits = calloc(rules_count(set) + 1, sizeof(*r.hits))) == NULL) {
		mg_engine_close(r.engine);
		rules_free(set);
		return 1;
	}
	pthread_mutex_init(&r.lock, NULL);
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&tids[started], NULL, stats_worker, &r) == 0)
			started++;
	if (started == 0)
		stats_worker(&r);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	stats_print(&r);
	pthread_mutex_destroy(&r.lock);
	free(r.hits);
	mg_engine_close(r.engine);
	rules_free(set);
	return 0;
}

/* One message parsed and analysed, then matched; the seconds matching
 * took, or -1. */
static double
bench_one(const struct rules_set *set, struct mime_analyze_ctx *ctx, const char *path,
    size_t *bytes)
{
	struct rules_env env = { .now = time(NULL) };
	struct mime_limits lim;
	struct rules_hits hits;
	struct cli_file f;
	struct mg_arena *a;
	struct mime_msg *m;
	char err[256];
	double t = -1;

	mime_limits_default(&lim);
	if (cli_file_map(path, &f, err, sizeof(err)) < 0)
		return -1;
	if ((a = mg_arena_new(64 * 1024, RULES_CLI_ARENA_MAX)) != NULL &&
	    (m = mime_parse(a, f.data, f.len, &lim)) != NULL &&
	    mime_analyze(ctx, a, m) == 0) {
		t = mg_clock_seconds();
		t = rules_scan(set, a, m, &env, &hits) == 0 ? mg_clock_seconds() - t : -1;
		*bytes += f.len;
	}
	mg_arena_free(a);
	cli_file_unmap(&f);
	return t;
}

/* mailgate rules bench: one thread, rules_scan alone. */
static int
rules_bench(struct rules_cli *c, const struct list *list)
{
	struct mime_analyze_ctx *ctx;
	struct rules_set *set;
	size_t bytes = 0, done = 0;
	double total = 0;
	char err[256];

	if (cli_load(c, &set) < 0)
		return 1;
	if ((ctx = mime_analyze_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate rules: %s\n", err);
		rules_free(set);
		return 1;
	}
	for (size_t i = 0; i < list->n; i++) {
		double t = bench_one(set, ctx, list->paths[i], &bytes);
		if (t >= 0) {
			total += t;
			done++;
		}
	}
	printf("rules bench: %zu messages (%zu failed), %.1f MB, rules_scan %.3f s: "
	    "%.0f messages/s, %.1f MB/s on one thread\n", done, list->n - done,
	    (double)bytes / 1e6, total, total > 0 ? (double)done / total : 0.0,
	    total > 0 ? (double)bytes / 1e6 / total : 0.0);
	mime_analyze_ctx_free(ctx);
	rules_free(set);
	return 0;
}

static int
rules_usage(void)
{
	fprintf(stderr, "usage: mailgate rules check [DIR...]\n"
	    "       mailgate rules stats [-d DIR]... [-j N] [-l LABEL] LIST.tsv\n"
	    "       mailgate rules bench [-d DIR]... LIST.tsv|FILE...\n");
	return 2;
}

/* stats and bench: options, then the lists. */
static int
rules_run(struct rules_cli *c, int argc, char **argv, bool stats)
{
	struct list list = { 0 };
	unsigned long threads = 1;
	char *end;
	int ch, rc = 1, show = -1;

	optind = 0;	/* GNU getopt: start again, options after operands too */
	while ((ch = getopt(argc, argv, stats ? "d:j:l:" : "d:")) != -1) {
		if (ch == 'd' && cli_add_dir(c, optarg) == 0)
			continue;
		for (int i = 0; ch == 'l' && i < LABEL_COUNT; i++)
			show = strcmp(optarg, label_names[i]) == 0 ? i : show;
		if (ch == 'l' && show >= 0)
			continue;
		if (ch == 'j' && (threads = strtoul(optarg, &end, 10)) >= 1 &&
		    threads <= RULES_CLI_MAX_THREADS && *end == '\0')
			continue;
		return rules_usage();
	}
	if (optind == argc || (stats && argc - optind != 1))
		return rules_usage();
	for (int i = optind; i < argc; i++)
		if (list_read(&list, argv[i]) < 0)
			goto out;
	if (cli_conf_open(c) == 0)
		rc = stats ? rules_stats(c, &list, (unsigned)threads, show) :
		    rules_bench(c, &list);
out:
	list_free(&list);
	return rc;
}

int
cmd_rules(int argc, char **argv)
{
	struct rules_cli c = { 0 };
	int rc = 1;

	if (argc < 2)
		return rules_usage();
	if (strcmp(argv[1], "check") == 0) {
		for (int i = 2; i < argc; i++)
			if (argv[i][0] == '-' || cli_add_dir(&c, argv[i]) < 0)
				return rules_usage();
		if (cli_conf_open(&c) == 0)
			rc = rules_check(&c);
	} else if (strcmp(argv[1], "stats") == 0 || strcmp(argv[1], "bench") == 0) {
		rc = rules_run(&c, argc - 1, argv + 1, argv[1][0] == 's');
	} else {
		return rules_usage();
	}
	cli_conf_close(&c);
	return rc;
}
