/* engine.intel in the configuration file: the defaults (off), a full group
 * read back (paths made absolute, feed groups, shared platforms), and
 * every error with its file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/conf.h"
#include "test_util.h"
#include "conf_fixture.h"

TEST_SCRATCH_DIR("intel-conf")

static void
test_defaults_and_full(void **state)
{
	static const char full[] = CONF_BASE "engine = { intel = {\n"
	    "db = \"var/urls.db\";\n"
	    "feeds = ( \"/srv/feeds/openphish.txt\", { path = \"feeds/urlhaus\"; category = \"malware\";"
	    " source = \"urlhaus\"; format = \"csv\"; } );\n"
	    "shared_platforms = [ \"Tenant.Example\" ];\n"
	    "shared_files = [ \"lists/redirectors.txt\" ];\n"
	    "reload_interval = 5; max_feed_bytes = 1048576;\n}; };\n";
	char err[512], want[256];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));
	const struct conf_intel *in;

	if (c == NULL)
		fail_msg("%s", err);
	in = &c->engine.intel;
	assert_null(in->db);
	assert_int_equal(in->nfeeds, 0);
	assert_int_equal(in->reload_interval, 30);
	assert_int_equal(in->max_feed_bytes, 256u << 20);
	conf_free(c);
	if ((c = conf_fixture_load(dir, full, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	in = &c->engine.intel;
	snprintf(want, sizeof(want), "%s/var/urls.db", dir);
	check_str("db", in->db, want);
	assert_int_equal(in->nfeeds, 2);
	check_str("feed 0", in->feeds[0].path, "/srv/feeds/openphish.txt");
	assert_null(in->feeds[0].source);
	assert_int_equal(in->feeds[0].category, 0);
	snprintf(want, sizeof(want), "%s/feeds/urlhaus", dir);
	check_str("feed 1", in->feeds[1].path, want);
	check_str("feed 1 source", in->feeds[1].source, "urlhaus");
	check_str("feed 1 category", conf_intel_categories[in->feeds[1].category], "malware");
	check_str("feed 1 format", conf_intel_formats[in->feeds[1].format], "csv");
	assert_int_equal(in->nshared, 1);
	check_str("shared", in->shared[0], "tenant.example");
	snprintf(want, sizeof(want), "%s/lists/redirectors.txt", dir);
	check_str("shared file", in->shared_files[0], want);
	assert_int_equal(in->reload_interval, 5);
	assert_int_equal(in->max_feed_bytes, 1048576);
	conf_free(c);
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct { const char *snippet, *want; } cases[] = {
		{ "intel = 3;", "test.conf:5: 'engine.intel' must be a group { db = \"...\"; }" },
		{ "intel = { dbs = \"x\"; };", "test.conf:5: unknown setting 'dbs' in engine.intel" },
		{ "intel = { feeds = \"x\"; };",
		  "test.conf:5: engine.intel.feeds must be a list ( ... ) or [ ... ]" },
		{ "intel = { feeds = ( 3 ); };", "test.conf:5: engine.intel.feeds: each element is a "
		  "path or a group { path = \"...\"; category = \"...\"; }" },
		{ "intel = { feeds = ( { path = \"x\"; category = \"evil\"; } ); };",
		  "test.conf:5: 'category' must be one of: guess, phishing, malware, spam" },
		{ "intel = { feeds = ( { category = \"spam\"; } ); };", NULL },
		{ "intel = { feeds = ( { path = \"x\"; colour = \"red\"; } ); };",
		  "test.conf:5: unknown setting 'colour' in engine.intel.feeds" },
		{ "intel = { feeds = [ \"\" ]; };",
		  "test.conf:5: engine.intel: a path must not be empty" },
		{ "intel = { shared_platforms = [ \"not a domain\" ]; };", NULL },
		{ "intel = { shared_files = [ 1 ]; };",
		  "test.conf:5: engine.intel.shared_files: each element is a path" },
		{ "intel = { reload_interval = 0; };", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], err[512], what[64];
		struct mg_conf *c;

		snprintf(text, sizeof(text), CONF_BASE "engine = { %s };\n", cases[i].snippet);
		snprintf(what, sizeof(what), "case %zu", i);
		if (cases[i].want != NULL) {
			conf_fixture_expect_error(dir, what, text, cases[i].want);
			continue;
		}
		/* refused with test.conf:5 and some reason */
		if ((c = conf_fixture_load(dir, text, err, sizeof(err))) != NULL) {
			conf_free(c);
			check_str(what, "(loaded)", "refused");
		} else if (strstr(err, "test.conf:5: ") == NULL)
			check_str(what, err, "test.conf:5: ...");
	}
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_full),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
