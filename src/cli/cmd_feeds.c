/* mailgate feeds update [--out FILE] [--category C] [--source S] [--shared FILE]...
 * [FILE|DIR...]:
 * builds the URL reputation file from feed files (the operands, or
 * engine.intel.feeds), replacing it atomically so that a running scand
 * picks it up; mailgate feeds lookup [--db FILE] URL...: what the file says
 * about each URL. Fetching feeds over HTTP is left to cron and curl
 * (docs/urls.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli_files.h"
#include "cli/cmd_feeds.h"
#include "cli/commands.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/err.h"
#include "intel/urldb.h"

#define FEEDS_EXIT_LISTED	3	/* lookup: some URL is listed */
#define FEEDS_SHARED_FILES	16	/* --shared options */

struct feeds_run {
	struct urldb_builder *b;
	struct feed_spec spec;		/* template: source, category, format */
	size_t		 max_bytes;
	char *const	*named;		/* operands: taken whatever their name */
	FILE		*report;
	bool		 failed;
};

static int
feeds_usage(void)
{
	fprintf(stderr, "usage: mailgate feeds update [-c CONF] [--out FILE] [--category "
	    "phishing|malware|spam] [--source NAME] [--shared FILE]... [FILE|DIR...]\n"
	    "       mailgate feeds lookup [-c CONF] [--db FILE] URL...\n"
	    "       mailgate feeds bench [--entries N] [--lookups N] [--out FILE] [FILE|DIR...]\n");
	return 2;
}

static int
feeds_add(const struct feed_entry *e, void *arg)
{
	return urldb_builder_add(arg, e);
}

/* Whether a file found in a directory is a feed (not README, LICENSE...). */
static bool
feeds_wanted(const char *path, char *const *named)
{
	static const char *const exts[] = { ".txt", ".csv", ".json", ".list", ".hosts", NULL };
	size_t n = strlen(path);

	for (size_t i = 0; named[i] != NULL; i++)
		if (strcmp(named[i], path) == 0)
			return true;
	for (size_t i = 0; exts[i] != NULL; i++)
		if (n > strlen(exts[i]) && strcasecmp(path + n - strlen(exts[i]), exts[i]) == 0)
			return true;
	return false;
}

static int
feeds_file(void *arg, const char *path)
{
	struct feeds_run *r = arg;
	struct feed_spec spec = r->spec;
	struct feed_stats st = { 0 };
	char err[512];
	int rc;

	if (!feeds_wanted(path, r->named))
		return 0;
	spec.path = path;
	rc = feed_load(&spec, r->max_bytes, feeds_add, r->b, &st, err, sizeof(err));
	if (rc == -MG_ENOMEM || rc == -MG_ELIMIT || rc == -MG_EINVAL) {
		fprintf(stderr, "mailgate: %s: %s\n", path, rc == -MG_ELIMIT && err[0] ? err :
		    mg_strerror(rc));
		r->failed = true;
		return rc == -MG_ELIMIT ? 0 : -1;
	}
	if (rc != 0) {
		fprintf(stderr, "mailgate: %s\n", err);
		r->failed = true;
		return 0;
	}
	fprintf(r->report, "%s: %zu entries, %zu bad\n", path, st.entries, st.bad);
	for (size_t i = 0; i < st.bad && i < FEED_BAD_REPORT; i++)
		fprintf(r->report, "  %s\n", st.first_bad[i]);
	return 0;
}

/* The configured feeds, each with its own source, category and format. */
static int
feeds_configured(struct feeds_run *r, const struct conf_intel *c)
{
	char *one[2] = { NULL, NULL };

	for (size_t i = 0; i < c->nfeeds; i++) {
		r->spec.source = c->feeds[i].source;
		r->spec.category = (unsigned)c->feeds[i].category;
		r->spec.format = (enum feed_format)c->feeds[i].format;
		one[0] = c->feeds[i].path;
		r->named = one;
		if (cli_walk(one, feeds_file, r) != 0)
			return -1;
	}
	return 0;
}

int
feeds_load_into(struct urldb_builder *b, char *const *paths, FILE *report)
{
	struct feeds_run r = { .b = b, .max_bytes = 256u << 20, .named = paths,
		.report = report };

	return paths[0] == NULL || cli_walk(paths, feeds_file, &r) == 0 ? 0 : -1;
}

/* A host of a shared-platform list: URLs and prefixes in it are ignored. */
static int
feeds_shared_entry(const struct feed_entry *e, void *arg)
{
	char host[URL_HOST_MAX + 1];

	if (e->kind != INTEL_HOST && e->kind != INTEL_DOMAIN)
		return 0;
	snprintf(host, sizeof(host), "%.*s", (int)e->keylen, e->key);
	return urldb_builder_shared(arg, host);
}

static int
feeds_shared_file(struct feeds_run *r, const char *path)
{
	struct feed_spec spec = { .path = path };
	struct feed_stats st = { 0 };
	char err[512];

	if (feed_load(&spec, r->max_bytes, feeds_shared_entry, r->b, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailgate: shared platforms: %s\n", err[0] ? err : path);
		return -1;
	}
	fprintf(r->report, "%s: %zu shared platforms, %zu bad\n", path, st.entries, st.bad);
	return 0;
}

/* The built-in shared platforms, engine.intel's and those of the files. */
static int
feeds_shared(struct feeds_run *r, const struct conf_intel *c, char *const *files, size_t n)
{
	for (size_t i = 0; urldb_shared_default[i] != NULL; i++)
		if (urldb_builder_shared(r->b, urldb_shared_default[i]) != 0)
			return -1;
	for (size_t i = 0; c != NULL && i < c->nshared; i++)
		if (urldb_builder_shared(r->b, c->shared[i]) != 0)
			return -1;
	for (size_t i = 0; c != NULL && i < c->nshared_files; i++)
		if (feeds_shared_file(r, c->shared_files[i]) != 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (feeds_shared_file(r, files[i]) != 0)
			return -1;
	return 0;
}

static int
feeds_write(struct feeds_run *r, const char *out, uint64_t t0)
{
	struct urldb_build_stats st;
	char err[512];

	if (urldb_builder_write(r->b, out, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailgate: %s\n", err);
		return 1;
	}
	printf("%s: %" PRIu64 " entries (%" PRIu64 " urls, %" PRIu64 " prefixes, %" PRIu64
	    " hosts, %" PRIu64 " domains, %" PRIu64 " shared platforms), %" PRIu64
	    " duplicates, %" PRIu64 " naming a shared platform dropped, %" PRIu64
	    " hosts with paths, %" PRIu64 " bytes, %.0f ms\n", out, st.entries,
	    st.kinds[INTEL_EXACT], st.kinds[INTEL_PREFIX], st.kinds[INTEL_HOST],
	    st.kinds[INTEL_DOMAIN], st.kinds[0], st.duplicates, st.dropped, st.path_hosts, st.bytes,
	    (double)(mg_clock_ns() - t0) / 1e6);
	return r->failed ? 1 : 0;
}

static struct mg_conf *
feeds_conf(const char *path, bool needed)
{
	struct mg_conf *conf;
	char err[1024];

	if (path == NULL && !needed)
		return NULL;
	if ((conf = conf_load(path != NULL ? path : "etc/mailgate.conf", err, sizeof(err))) == NULL)
		fprintf(stderr, "mailgate: %s\n", err);
	return conf;
}

static int
feeds_update(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "category", required_argument, NULL, 'C' },
		{ "source", required_argument, NULL, 'S' },
		{ "shared", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct feeds_run r = { .max_bytes = 256u << 20, .report = stdout };
	char *shared[FEEDS_SHARED_FILES];
	size_t nshared = 0;
	const char *out = NULL;
	struct mg_conf *conf;
	uint64_t t0 = mg_clock_ns();
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'o': out = optarg; break;
		case 'C':
			if ((r.spec.category = intel_cat_parse(optarg)) == 0)
				return feeds_usage();
			break;
		case 'S': r.spec.source = optarg; break;
		case 'H':
			if (nshared == FEEDS_SHARED_FILES)
				return feeds_usage();
			shared[nshared++] = optarg;
			break;
		default: return feeds_usage();
		}
	}
	conf = feeds_conf(conf_path, out == NULL || optind == argc);
	if (conf == NULL && (conf_path != NULL || out == NULL || optind == argc))
		return 1;
	if (out == NULL && (out = conf->engine.intel.db) == NULL) {
		fprintf(stderr, "mailgate: no --out and no engine.intel.db in %s\n", conf->path);
		goto done;
	}
	if (conf != NULL)
		r.max_bytes = conf->engine.intel.max_feed_bytes;
	if ((r.b = urldb_builder_new()) == NULL)
		goto done;
	r.named = argv + optind;
	if (optind == argc ? feeds_configured(&r, &conf->engine.intel) != 0 :
	    cli_walk(argv + optind, feeds_file, &r) != 0) {
		fprintf(stderr, "mailgate: feeds update stopped: nothing written\n");
		goto done;
	}
	if (feeds_shared(&r, conf != NULL ? &conf->engine.intel : NULL, shared, nshared) == 0)
		rc = feeds_write(&r, out, t0);
done:
	urldb_builder_free(r.b);
	conf_free(conf);
	return rc;
}

/* One line per URL: "URL: listed KIND CATEGORY source=S key=K" or "URL: not listed". */
static int
feeds_lookup_one(const struct urldb *db, struct mg_arena *a, const char *arg, bool *listed)
{
	struct urldb_match m;
	struct mime_url u;
	char shown[512];

	cli_sanitize(arg, shown, sizeof(shown));
	if (url_normalize(a, arg, strlen(arg), 0, &u) != 0 &&
	    url_normalize(a, arg, strlen(arg), URL_F_SCHEMELESS, &u) != 0) {
		printf("%s: not a URL\n", shown);
		return 0;
	}
	if (urldb_lookup(db, &u, &m) != 1) {
		printf("%s: not listed\n", shown);
		return 0;
	}
	*listed = true;
	printf("%s: listed %s %s source=%s key=%.*s\n", shown, intel_kind_name(m.kind),
	    intel_cat_name(m.category) ? intel_cat_name(m.category) : "?", m.source,
	    (int)m.keylen, m.key);
	return 0;
}

static int
feeds_lookup(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct mg_conf *conf = NULL;
	struct mg_arena *a = NULL;
	struct urldb *db = NULL;
	bool listed = false;
	char err[512];
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': path = optarg; break;
		default: return feeds_usage();
		}
	}
	if (optind == argc)
		return feeds_usage();
	if (path == NULL && ((conf = feeds_conf(conf_path, true)) == NULL ||
	    (path = conf->engine.intel.db) == NULL)) {
		if (conf != NULL)
			fprintf(stderr, "mailgate: no --db and no engine.intel.db\n");
		goto done;
	}
	if ((db = urldb_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate: %s\n", err);
		goto done;
	}
	if ((a = mg_arena_new(64u << 10, 0)) == NULL)
		goto done;
	for (int i = optind; i < argc; i++)
		feeds_lookup_one(db, a, argv[i], &listed);
	rc = listed ? FEEDS_EXIT_LISTED : 0;
done:
	mg_arena_free(a);
	urldb_release(db);
	conf_free(conf);
	return rc;
}

int
cmd_feeds(int argc, char **argv)
{
	const char *conf_path = getenv("MAILGATE_CONF");

	if (argc < 2)
		return feeds_usage();
	optind = 0;
	if (strcmp(argv[1], "update") == 0)
		return feeds_update(conf_path, argc - 1, argv + 1);
	if (strcmp(argv[1], "lookup") == 0)
		return feeds_lookup(conf_path, argc - 1, argv + 1);
	if (strcmp(argv[1], "bench") == 0)
		return feeds_bench(argc - 1, argv + 1);
	return feeds_usage();
}
