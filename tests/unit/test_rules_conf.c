/* engine.rules in the configuration file: directories made absolute and
 * checked, the numeric bounds, and every error with its file and line. */
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

static char dir[] = "/tmp/test_rules_conf.XXXXXX";

/* Loads text as dir/test.conf; the configuration, or NULL with err. */
static void
test_conf_valid(void **state)
{
	char err[512], want[256];
	struct mg_conf *c;

	c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->engine.rules.ndirs, 0);
	assert_null(c->engine.rules.dirs);
	assert_int_equal(c->engine.rules.max_scan_bytes, 512u << 10);
	assert_int_equal(c->engine.rules.pcre_match_limit, 100000);
	conf_free(c);

	c = conf_fixture_load(dir, CONF_BASE "engine = { rules = { dirs = [ \"rules\", \"./rules/../local\" ];\n"
	    "max_scan_bytes = 2048; pcre_match_limit = 5000; }; };\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->engine.rules.ndirs, 2);
	snprintf(want, sizeof(want), "%s/rules", dir);
	check_str("dirs[0]", c->engine.rules.dirs[0], want);
	snprintf(want, sizeof(want), "%s/local", dir);
	check_str("dirs[1]", c->engine.rules.dirs[1], want);
	assert_int_equal(c->engine.rules.max_scan_bytes, 2048);
	assert_int_equal(c->engine.rules.pcre_match_limit, 5000);
	conf_free(c);
	check_failures();
}

static void
test_conf_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "engine = { rules = 5; };\n",
		  "test.conf:5: 'engine.rules' must be a group { dirs = [ ... ]; }" },
		{ CONF_BASE "engine = { rules = { dir = [ \"rules\" ]; }; };\n",
		  "test.conf:5: unknown setting 'dir'" },
		{ CONF_BASE "engine = { rules = { dirs = \"rules\"; }; };\n",
		  "test.conf:5: engine.rules.dirs must be a list [ \"DIR\", ... ]" },
		{ CONF_BASE "engine = { rules = {\n dirs = [ \"nope\" ]; }; };\n",
		  "test.conf:6: engine.rules.dirs: 'nope' is not a directory" },
		{ CONF_BASE "engine = { rules = { dirs = [ \"test.conf\" ]; }; };\n",
		  "test.conf:5: engine.rules.dirs: 'test.conf' is not a directory" },
		{ CONF_BASE "engine = { rules = { dirs = [ 5 ]; }; };\n",
		  "test.conf:5: engine.rules.dirs: each element must be a non-empty string" },
		{ CONF_BASE "engine = { rules = { max_scan_bytes = 10; }; };\n",
		  "test.conf:5: engine.rules.max_scan_bytes = 10 is out of range [1024, 67108864]" },
		{ CONF_BASE "engine = { rules = { pcre_match_limit = \"x\"; }; };\n",
		  "test.conf:5: engine.rules.pcre_match_limit must be an integer" },
	};
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

static int
setup(void **state)
{
	char sub[256];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sub, sizeof(sub), "%s/rules", dir);
	if (mkdir(sub, 0755) != 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/local", dir);
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
		cmocka_unit_test(test_conf_valid),
		cmocka_unit_test(test_conf_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
