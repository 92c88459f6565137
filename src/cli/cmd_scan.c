/* mailgate scan (cmd_scan.h): the file list (directories walked in name
 * order), N threads taking files from it, one output line per message
 * written whole under a lock, and the summary. --parse-only and
 * --no-checks stop after mime_parse or mime_analyze: the figures of the
 * parser alone for bench/scan_throughput.py. */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_files.h"
#include "cli/cmd_json.h"
#include "cli/cmd_scan.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/err.h"
#include "engine/engine.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "mime/url.h"

#define SCAN_MAX_THREADS	256
#define SCAN_ARENA_MAX		(512u << 20)

enum scan_mode { SCAN_FULL, SCAN_NO_CHECKS, SCAN_PARSE_ONLY };

struct scan_run {
	enum scan_mode	 mode;
	bool		 json;
	struct mg_engine *engine;	/* SCAN_FULL */
	struct mime_limits limits;
	char		**files;
	size_t		 nfiles, cap;
	atomic_size_t	 next;
	atomic_uint_fast64_t bytes, messages, errors;
	pthread_mutex_t	 out_lock;
};

static int
scan_add_file(void *arg, const char *path)
{
	struct scan_run *r = arg;

	if (r->nfiles == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		char **n = realloc(r->files, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		r->files = n;
		r->cap = cap;
	}
	if ((r->files[r->nfiles] = strdup(path)) == NULL)
		return -1;
	r->nfiles++;
	return 0;
}

static void
scan_emit(struct scan_run *r, const char *line)
{
	pthread_mutex_lock(&r->out_lock);
	fputs(line, stdout);
	pthread_mutex_unlock(&r->out_lock);
}

/* Emits obj as one JSON line and releases it. */
static void
scan_emit_json(struct scan_run *r, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));

	json_decref(obj);
	if (s == NULL)
		return;
	pthread_mutex_lock(&r->out_lock);
	fputs(s, stdout);
	fputc('\n', stdout);
	pthread_mutex_unlock(&r->out_lock);
	free(s);
}

static void
scan_error(struct scan_run *r, const char *path, const char *why)
{
	char line[4200], p[4096];

	atomic_fetch_add(&r->errors, 1);
	if (r->json) {
		scan_emit_json(r, json_pack("{s:o,s:s}", "file", cli_json_str(path), "error", why));
		return;
	}
	cli_sanitize(path, p, sizeof(p));
	snprintf(line, sizeof(line), "%s: error: %s\n", p, why);
	scan_emit(r, line);
}

static json_t *
scan_symbols_json(const struct mg_result *res)
{
	json_t *a = json_array();

	for (size_t i = 0; i < res->nsymbols; i++) {
		const struct mg_symbol *s = &res->symbols[i];
		json_t *opts = json_array();
		for (size_t j = 0; j < s->noptions; j++)
			json_array_append_new(opts, cli_json_str(s->options[j]));
		json_array_append_new(a, json_pack("{s:s,s:f,s:o}", "name", s->name, "score",
		    s->score, "options", opts));
	}
	return a;
}

static void
scan_print_result(struct scan_run *r, const char *path, size_t size,
    const struct mg_result *res)
{
	char tmp[4096];
	struct mg_buf b;

	if (r->json) {
		scan_emit_json(r, json_pack("{s:o,s:I,s:f,s:s,s:s,s:o}", "file", cli_json_str(path),
		    "size", (json_int_t)size, "score", res->score, "category", res->verdict,
		    "action", mg_verdict_action_name(res->verdict_action), "symbols",
		    scan_symbols_json(res)));
		return;
	}
	mg_buf_init(&b, 0);
	cli_sanitize(path, tmp, sizeof(tmp));
	mg_buf_appendf(&b, "%s: %s %s %.2f", tmp, res->verdict,
	    mg_verdict_action_name(res->verdict_action), res->score);
	for (size_t i = 0; i < res->nsymbols; i++) {
		const struct mg_symbol *s = &res->symbols[i];
		mg_buf_appendf(&b, " %s(%.2f)", s->name, s->score);
		for (size_t j = 0; j < s->noptions; j++) {
			cli_sanitize(s->options[j], tmp, sizeof(tmp));
			mg_buf_appendf(&b, "%s%s", j ? "; " : "[", tmp);
		}
		if (s->noptions > 0)
			mg_buf_putc(&b, ']');
	}
	mg_buf_putc(&b, '\n');
	if (mg_buf_cstr(&b) == 0)
		scan_emit(r, (const char *)b.data);
	mg_buf_release(&b);
}

/* --parse-only and --no-checks: what the parser found, in brief, as JSON. */
static void
scan_print_parsed(struct scan_run *r, const char *path, size_t size, const struct mime_msg *m)
{
	json_t *o = json_object();
	size_t natt = 0;

	for (size_t i = 0; i < m->nparts; i++)
		natt += m->parts[i]->att != NULL;
	cli_json_set(o, "file", cli_json_str(path));
	cli_json_set(o, "size", json_integer((json_int_t)size));
	cli_json_set(o, "parts", json_integer((json_int_t)m->nparts));
	cli_json_set(o, "flags", cli_json_flags(m->flags, MIME_F_COUNT, mime_flag_name));
	if (r->mode == SCAN_NO_CHECKS) {
		cli_json_set(o, "urls", json_integer((json_int_t)m->nurls));
		cli_json_set(o, "attachments", json_integer((json_int_t)natt));
	}
	scan_emit_json(r, o);
}

/* Parse (and analyse) only; ctx is the thread's analysis context. */
static int
scan_parse(struct scan_run *r, struct mime_analyze_ctx *ctx, const char *path,
    const struct cli_file *f)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, SCAN_ARENA_MAX);
	struct mime_msg *m;
	int rc = -MG_ENOMEM;

	if (a != NULL && (m = mime_parse(a, f->data, f->len, &r->limits)) != NULL &&
	    (r->mode == SCAN_PARSE_ONLY || (rc = mime_analyze(ctx, a, m)) == 0)) {
		scan_print_parsed(r, path, f->len, m);
		rc = 0;
	}
	mg_arena_free(a);
	return rc;
}

static void
scan_file(struct scan_run *r, struct mime_analyze_ctx *ctx, const char *path)
{
	struct mg_result res;
	struct cli_file f;
	char err[256];
	int rc;

	if (cli_file_map(path, &f, err, sizeof(err)) < 0) {
		scan_error(r, path, err);
		return;
	}
	if (r->mode != SCAN_FULL) {
		rc = scan_parse(r, ctx, path, &f);
	} else if ((rc = mg_scan(r->engine, NULL, f.data, f.len, &res)) == 0) {
		scan_print_result(r, path, f.len, &res);
		mg_result_clear(&res);
	}
	if (rc < 0) {
		snprintf(err, sizeof(err), "scan failed: %s", mg_strerror(rc));
		scan_error(r, path, err);
	} else {
		atomic_fetch_add(&r->messages, 1);
		atomic_fetch_add(&r->bytes, f.len);
	}
	cli_file_unmap(&f);
}

static void *
scan_worker(void *arg)
{
	struct scan_run *r = arg;
	struct mime_analyze_ctx *ctx = NULL;
	char err[256];
	size_t i;

	if (r->mode == SCAN_NO_CHECKS && (ctx = mime_analyze_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate scan: %s\n", err);
		return NULL;
	}
	while ((i = atomic_fetch_add(&r->next, 1)) < r->nfiles)
		scan_file(r, ctx, r->files[i]);
	mime_analyze_ctx_free(ctx);
	return NULL;
}

static double
scan_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
scan_summary(struct scan_run *r, unsigned threads, double wall, double cpu)
{
	uint64_t n = atomic_load(&r->messages), bytes = atomic_load(&r->bytes);
	double mb = (double)bytes / 1e6;

	if (wall <= 0)
		wall = 1e-9;
	if (cpu <= 0)
		cpu = 1e-9;
	fprintf(stderr, "mailgate scan: %llu messages, %llu errors, %.1f MB in %.3f s: "
	    "%.1f msg/s, %.2f MB/s; cpu %.3f s: %.1f msg/s, %.2f MB/s per core; "
	    "%u threads, %s\n", (unsigned long long)n,
	    (unsigned long long)atomic_load(&r->errors), mb, wall, (double)n / wall, mb / wall,
	    cpu, (double)n / cpu, mb / cpu, threads, r->mode == SCAN_FULL ? "full scan" :
	    r->mode == SCAN_NO_CHECKS ? "parse and analysis" : "parse only");
}

/* Runs the workers over the file list and prints the summary. */
static void
scan_run_threads(struct scan_run *r, unsigned nthreads)
{
	pthread_t tids[SCAN_MAX_THREADS];
	double wall = mg_clock_seconds(), cpu = scan_cpu_seconds();
	unsigned started = 0;

	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, scan_worker, r) == 0)
			started++;
	if (started == 0)
		scan_worker(r);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	fflush(stdout);
	scan_summary(r, started ? started : 1, mg_clock_seconds() - wall,
	    scan_cpu_seconds() - cpu);
}

static int
scan_usage(void)
{
	fprintf(stderr, "usage: mailgate scan [-c FILE] [--json] [-j N] [--parse-only | "
	    "--no-checks] FILE|DIR...\n");
	return 2;
}

/* The engine, with the engine settings of -c FILE or the defaults. */
static struct mg_engine *
scan_open_engine(const char *conf_path)
{
	struct mg_conf defaults = { 0 }, *conf = &defaults;
	struct mg_engine *e;
	struct mg_error err;
	char text[1024];

	conf_engine_defaults(&defaults.engine);
	if (conf_path != NULL && (conf = conf_load(conf_path, text, sizeof(text))) == NULL) {
		fprintf(stderr, "mailgate scan: %s\n", text);
		return NULL;
	}
	if ((e = mg_engine_open(conf, &err)) == NULL)
		fprintf(stderr, "mailgate scan: %s\n", err.text);
	if (conf != &defaults)
		conf_free(conf);
	return e;
}

int
cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "parse-only", no_argument, NULL, 'P' },
		{ "no-checks", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_run r = { .mode = SCAN_FULL };
	const char *conf_path = getenv("MAILGATE_CONF");	/* mailgate -c FILE scan */
	unsigned long threads = 1;
	char *end, err[256];
	int ch, rc = 0;

	optind = 0;	/* GNU getopt: start again, options after operands too */
	while ((ch = getopt_long(argc, argv, "c:j:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'J': r.json = true; break;
		case 'P': r.mode = SCAN_PARSE_ONLY; break;
		case 'N': r.mode = SCAN_NO_CHECKS; break;
		case 'j':
			threads = strtoul(optarg, &end, 10);
			if (*end != '\0' || threads < 1 || threads > SCAN_MAX_THREADS)
				return scan_usage();
			break;
		default:
			return scan_usage();
		}
	}
	if (optind >= argc)
		return scan_usage();
	mime_limits_default(&r.limits);
	if (r.mode != SCAN_FULL && url_init(err, sizeof(err)) < 0)
		fprintf(stderr, "mailgate scan: %s\n", err);
	if (r.mode == SCAN_FULL && (r.engine = scan_open_engine(conf_path)) == NULL)
		return 1;
	pthread_mutex_init(&r.out_lock, NULL);
	if (cli_walk(argv + optind, scan_add_file, &r) < 0) {
		fprintf(stderr, "mailgate scan: cannot list files: %s\n", strerror(errno));
		rc = 1;
	} else {
		scan_run_threads(&r, (unsigned)threads);
	}
	for (size_t i = 0; i < r.nfiles; i++)
		free(r.files[i]);
	free(r.files);
	pthread_mutex_destroy(&r.out_lock);
	mg_engine_close(r.engine);
	url_fini();
	return rc;
}
