/* The url_intel check on hand-built URL lists against a small reputation
 * file: one symbol per category with "host (source)" options, malware
 * forcing quarantine, shared platforms and clean URLs silent, and the
 * check off without engine.intel.db or before the file exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/url_intel.h"
#include "core/err.h"
#include "intel/urldb.h"
#include "mime/mime.h"

#define MAXURLS	4

static char dir[] = "/tmp/mg-urlintel-XXXXXX";
static char dbpath[128];

static void
build_db(void)
{
	static const struct { const char *tok; unsigned cat; const char *src; } feed[] = {
		{ "http://login.evil.example/verify?id=1", INTEL_CAT_PHISHING, "openphish" },
		{ "pub-abc.r2.dev", INTEL_CAT_PHISHING, "openphish" },
		{ "dl.bad.example/bins", INTEL_CAT_MALWARE, "urlhaus" },
		{ "cheap.example", INTEL_CAT_SPAM, "spamlist" },
	};
	struct urldb_builder *b = urldb_builder_new();
	struct mg_arena *a = mg_arena_new(4096, 0);
	char err[256];

	for (size_t i = 0; i < sizeof(feed) / sizeof(feed[0]); i++) {
		struct feed_entry e;
		assert_int_equal(feed_entry_of(a, feed[i].tok, strlen(feed[i].tok), &e), 0);
		e.category = feed[i].cat;
		e.source = feed[i].src;
		assert_int_equal(urldb_builder_add(b, &e), 0);
	}
	for (size_t i = 0; urldb_shared_default[i] != NULL; i++)
		assert_int_equal(urldb_builder_shared(b, urldb_shared_default[i]), 0);
	assert_int_equal(urldb_builder_write(b, dbpath, NULL, err, sizeof(err)), 0);
	urldb_builder_free(b);
	mg_arena_free(a);
}

/* Runs the check (state st) on urls; the symbols as "NAME=opt|opt ...". */
static void
run(void *st, const struct symbol_table *tab, const char *const *urls, char *got, size_t len)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_url u[MAXURLS];
	struct mime_msg msg = { .urls = u };
	struct mg_task t;

	for (size_t i = 0; i < MAXURLS && urls[i] != NULL; i++)
		assert_int_equal(url_normalize(a, urls[i], strlen(urls[i]), 0, &u[msg.nurls++]), 0);
	assert_int_equal(task_init(&t, tab, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &msg;
	assert_int_equal(check_url_intel.scan(st, &t), 0);
	symbols_text(&t, got, len);
	task_clear(&t);
	mg_arena_free(a);
}

static void
test_symbols(void **state)
{
	static const struct { const char *urls[MAXURLS]; const char *want; } cases[] = {
		{ { "https://login.evil.example/verify?id=1" },
		  "URL_FEED_PHISHING=login.evil.example (openphish)" },
		{ { "http://dl.bad.example/bins/a.sh", "http://cheap.example/x",
		    "http://PUB-ABC.r2.dev/index.html" },
		  "URL_FEED_MALWARE=dl.bad.example (urlhaus) URL_FEED_SPAM=cheap.example (spamlist) "
		  "URL_FEED_PHISHING=pub-abc.r2.dev (openphish)" },
		/* a shared-platform neighbour, a clean site, a mailto */
		{ { "https://pub-other.r2.dev/index.html", "https://example.com/",
		    "mailto:a@cheap.example" }, "" },
		{ { "https://login.evil.example/verify?id=2" }, "" },
	};
	struct mg_conf conf = { 0 };
	const struct symbol_def *defs, *d;
	struct symbol_table tab;
	char err[256], got[1024];
	void *st;
	size_t n;

	conf_engine_defaults(&conf.engine);
	conf.engine.intel.db = dbpath;
	conf.engine.intel.reload_interval = 30;
	assert_int_equal(check_url_intel.init(&conf, &st, err, sizeof(err)), 0);
	assert_non_null(st);
	defs = check_url_intel.symbols(st, &n);
	if (symbol_table_load(&tab, &conf, defs, n, err, sizeof(err)) != 0)
		fail_msg("symbols: %s", err);
	assert_non_null(d = symbol_find(&tab, "URL_FEED_MALWARE"));
	assert_int_equal(d->force, MG_VERDICT_QUARANTINE);
	assert_non_null(d = symbol_find(&tab, "URL_FEED_PHISHING"));
	assert_int_equal(d->category, MG_CAT_PHISHING);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(st, &tab, cases[i].urls, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
	}
	symbol_table_clear(&tab);
	check_url_intel.fini(st);
}

/* No db configured: no state; a db not built yet: silent until it is. */
static void
test_off_and_late(void **state)
{
	static const char *const urls[] = { "http://cheap.example/", NULL };
	struct mg_conf conf = { 0 };
	const struct symbol_def *defs;
	struct symbol_table tab;
	char err[256], got[256], late[160];
	void *st;
	size_t n;

	conf_engine_defaults(&conf.engine);
	assert_int_equal(check_url_intel.init(&conf, &st, err, sizeof(err)), 0);
	assert_null(st);
	snprintf(late, sizeof(late), "%s/late.db", dir);
	conf.engine.intel.db = late;
	conf.engine.intel.reload_interval = 1;
	assert_int_equal(check_url_intel.init(&conf, &st, err, sizeof(err)), 0);
	defs = check_url_intel.symbols(st, &n);
	assert_int_equal(symbol_table_load(&tab, &conf, defs, n, err, sizeof(err)), 0);
	run(st, &tab, urls, got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(link(dbpath, late), 0);
	urldb_watch_reload(st);
	run(st, &tab, urls, got, sizeof(got));
	assert_string_equal(got, "URL_FEED_SPAM=cheap.example (spamlist)");
	symbol_table_clear(&tab);
	check_url_intel.fini(st);
	unlink(late);
}

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/urls.db", dir);
	build_db();
	return 0;
}

static int
teardown(void **state)
{
	unlink(dbpath);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_off_and_late),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
