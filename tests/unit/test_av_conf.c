/* engine.av in the configuration file: the defaults (no engine), a full
 * group read back, and every error with its file and line. */
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

static char dir[] = "/tmp/test_av_conf.XXXXXX";

static void
test_conf_defaults(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));
	const struct conf_av *av;

	if (c == NULL)
		fail_msg("%s", err);
	av = &c->engine.av;
	assert_false(conf_av_enabled(av));
	assert_null(av->database);
	assert_null(av->clamd);
	assert_int_equal(av->max_filesize, 25u << 20);
	assert_int_equal(av->max_scansize, 100u << 20);
	assert_int_equal(av->max_recursion, 17);
	assert_int_equal(av->max_files, 10000);
	assert_int_equal(av->cache_ttl, 3600);
	assert_int_equal(av->cache_max_entries, 100000);
	assert_int_equal(av->on_failure, CONF_AV_TEMPFAIL);
	assert_true(av->bodies);
	conf_free(c);
}

static void
test_conf_full(void **state)
{
	char err[512], want[300];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE "engine = { av = {\n"
	    "clamav = { database = \"sigs\"; max_filesize = 2048; max_scansize = 4096;\n"
	    "  max_recursion = 3; max_files = 7; timeout = 2.5; };\n"
	    "clamd = { address = \"unix:run/clamd.sock\"; timeout = 1; };\n"
	    "cache = { ttl = 0; max_entries = 5; };\n"
	    "on_failure = \"accept_with_header\"; bodies = false; }; };\n", err, sizeof(err));
	const struct conf_av *av;

	if (c == NULL)
		fail_msg("%s", err);
	av = &c->engine.av;
	assert_true(av->clamav);	/* a clamav group turns it on */
	snprintf(want, sizeof(want), "%s/sigs", dir);
	check_str("database", av->database, want);
	snprintf(want, sizeof(want), "unix:%s/run/clamd.sock", dir);
	check_str("clamd", av->clamd, want);
	assert_int_equal(av->max_filesize, 2048);
	assert_int_equal(av->max_scansize, 4096);
	assert_int_equal(av->max_recursion, 3);
	assert_int_equal(av->max_files, 7);
	assert_true(av->clamav_timeout == 2.5 && av->clamd_timeout == 1.0);
	assert_int_equal(av->cache_ttl, 0);
	assert_int_equal(av->cache_max_entries, 5);
	assert_int_equal(av->on_failure, CONF_AV_ACCEPT_WITH_HEADER);
	assert_false(av->bodies);
	conf_free(c);

	c = conf_fixture_load(dir, CONF_BASE "engine = { av = { clamav = { enabled = false; };\n"
	    "clamd = { address = \"tcp:127.0.0.1:3310\"; }; }; };\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_false(c->engine.av.clamav);
	check_str("tcp clamd", c->engine.av.clamd, "tcp:127.0.0.1:3310");
	assert_true(conf_av_enabled(&c->engine.av));
	conf_free(c);
	check_failures();
}

static void
test_conf_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "engine = { av = 1; };\n",
		  "test.conf:5: 'engine.av' must be a group { ... }" },
		{ CONF_BASE "engine = { av = { clamv = {}; }; };\n",
		  "test.conf:5: unknown setting 'clamv' in engine.av" },
		{ CONF_BASE "engine = { av = { clamav = { enabled = 1; }; }; };\n",
		  "test.conf:5: engine.av.clamav.enabled must be true or false" },
		{ CONF_BASE "engine = { av = { clamav = { max_recursion = 0; }; }; };\n",
		  "test.conf:5: engine.av.clamav.max_recursion = 0 is out of range [1, 64]" },
		{ CONF_BASE "engine = { av = { clamav = { max_filesize = 4096;\n"
		  " max_scansize = 2048; }; }; };\n",
		  "test.conf:5: engine.av.clamav: max_scansize is smaller than max_filesize" },
		{ CONF_BASE "engine = { av = { clamav = { timeout = 0; }; }; };\n",
		  "test.conf:5: engine.av.clamav.timeout = 0 is out of range [0.1, 3600]" },
		{ CONF_BASE "engine = { av = { clamav = { size = 1; }; }; };\n",
		  "test.conf:5: unknown setting 'size' in engine.av.clamav" },
		{ CONF_BASE "engine = { av = { clamd = { timeout = 1; }; }; };\n",
		  "test.conf:5: engine.av.clamd: 'address' is required" },
		{ CONF_BASE "engine = { av = { clamd = { address = \"/run/clamd\"; }; }; };\n",
		  "test.conf:5: engine.av.clamd.address: '/run/clamd' is neither unix:/PATH "
		  "nor tcp:HOST:PORT" },
		{ CONF_BASE "engine = { av = { clamd = { address = \"tcp:localhost\"; }; }; };\n",
		  "test.conf:5: engine.av.clamd.address: 'tcp:localhost' is not tcp:HOST:PORT" },
		{ CONF_BASE "engine = { av = { clamd = { address = 3310; }; }; };\n",
		  "test.conf:5: engine.av.clamd.address must be a string" },
		{ CONF_BASE "engine = { av = { cache = { ttl = -1; }; }; };\n",
		  "test.conf:5: engine.av.cache.ttl = -1 is out of range [0, 604800]" },
		{ CONF_BASE "engine = { av = { cache = { size = 1; }; }; };\n",
		  "test.conf:5: unknown setting 'size' in engine.av.cache" },
		{ CONF_BASE "engine = { av = { on_failure = \"accept\"; }; };\n",
		  "test.conf:5: 'on_failure' must be one of: tempfail, accept_with_header" },
	};
	char want[512];

	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	snprintf(want, sizeof(want), "test.conf:6: engine.av.clamav.database: '%s/nope' is "
	    "not a directory", dir);
	conf_fixture_expect_error(dir, "missing database", CONF_BASE "engine = { av = {\n"
	    " clamav = { database = \"nope\"; }; }; };\n", want);
	check_failures();
}

static int
setup(void **state)
{
	char sub[256];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sub, sizeof(sub), "%s/sigs", dir);
	return mkdir(sub, 0755);
}

static int
teardown(void **state)
{
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_full),
		cmocka_unit_test(test_conf_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
