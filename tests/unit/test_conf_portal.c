/* The portal group: defaults allocate nothing and resolve against the
 * hostname and the store, every setting is read, and each wrong value is
 * refused with "FILE:LINE: reason". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "core/conf_portal.h"
#include "core/log.h"

static void
test_defaults(void **state)
{
	struct conf_portal c;
	char out[CONF_PORTAL_URL_MAX];

	(void)state;
	conf_portal_defaults(&c);
	assert_false(c.enabled);
	assert_true(c.digest.enabled);
	assert_false(conf_portal_digests(&c));
	assert_int_equal(c.link_days, 7);
	assert_int_equal(c.digest.interval_hours, 24);
	assert_int_equal(conf_portal_url(&c, "gw.test", out, sizeof(out)), 0);
	check_str("url", out, "http://gw.test:8025");
	assert_int_equal(conf_portal_key_file(&c, "/var/db/mailgate/log.db", out, sizeof(out)), 0);
	check_str("key", out, "/var/db/mailgate/portal.key");
	assert_int_equal(conf_portal_from(&c, "gw.test", out, sizeof(out)), 0);
	check_str("from", out, "postmaster@gw.test");
	assert_int_equal(conf_portal_admin(&c, "gw.test", out, 8), -1);
	check_failures();
	conf_portal_free(&c);	/* nothing to free */
}

static void
test_load(void **state)
{
	char dir[] = "/tmp/mg-confportal-XXXXXX", err[512] = "", want[256];
	struct mg_conf *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = conf_fixture_load(dir, CONF_BASE "portal = { enabled = true;\n"
	    "listen = \"[::1]:9025\"; url = \"https://mail.example.test/q/\";\n"
	    "key_file = \"k.key\"; link_days = 3; session_minutes = 30; code_minutes = 5;\n"
	    "digest = { enabled = false; interval_hours = 12; max_items = 10; };\n"
	    "from = \"quarantine@example.test\"; admin = \"sec@example.test\"; };\n",
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("load: %s", err);
	check_str("host", c->portal.listen_host, "::1");
	assert_int_equal(c->portal.listen_port, 9025);
	check_str("url", c->portal.url, "https://mail.example.test/q");
	snprintf(want, sizeof(want), "%s/k.key", dir);
	check_str("key", c->portal.key_file, want);
	assert_int_equal(c->portal.link_days, 3);
	assert_int_equal(c->portal.session_minutes, 30);
	assert_int_equal(c->portal.code_minutes, 5);
	assert_false(conf_portal_digests(&c->portal));
	assert_int_equal(c->portal.digest.interval_hours, 12);
	assert_int_equal(c->portal.digest.max_items, 10);
	check_str("from", c->portal.from, "quarantine@example.test");
	check_str("admin", c->portal.admin, "sec@example.test");
	check_failures();
	conf_free(c);
	remove_tree(dir);
}

static void
test_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "portal = { port = 1; };\n",
		    "test.conf:5: unknown setting 'port' in portal" },
		{ CONF_BASE "portal = {\nlisten = \"nowhere\"; };\n",
		    "test.conf:6: portal.listen 'nowhere' is not HOST:PORT or [IPV6]:PORT" },
		{ CONF_BASE "portal = {\nurl = \"ftp://x\"; };\n",
		    "test.conf:6: portal.url 'ftp://x' must start with http:// or https://" },
		{ CONF_BASE "portal = {\nurl = \"https:///x\"; };\n",
		    "test.conf:6: portal.url 'https:///x' has no host" },
		{ CONF_BASE "portal = {\nurl = \"https://a b\"; };\n",
		    "test.conf:6: portal.url 'https://a b' has a blank, control, non-ASCII, '?', "
		    "'#', '\"' or '<>' character" },
		{ CONF_BASE "portal = {\nlink_days = 91; };\n",
		    "test.conf:6: portal.link_days = 91 is out of range [1, 90]" },
		{ CONF_BASE "portal = { digest = {\ninterval_hours = 0; }; };\n",
		    "test.conf:6: portal.digest.interval_hours = 0 is out of range [1, 168]" },
		{ CONF_BASE "portal = { digest = {\nmaxitems = 3; }; };\n",
		    "test.conf:6: unknown setting 'maxitems' in portal.digest" },
		{ CONF_BASE "portal = {\nfrom = \"postmaster\"; };\n",
		    "test.conf:6: portal.from 'postmaster' is not LOCAL@DOMAIN" },
		{ CONF_BASE "portal = {\nadmin = \"a@bad..test\"; };\n",
		    "test.conf:6: portal.admin 'a@bad..test' has an invalid domain" },
		{ CONF_BASE "portal = 3;\n", "test.conf:5: 'portal' must be a group { enabled = true; }" },
	};
	char dir[] = "/tmp/mg-confportal-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	remove_tree(dir);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_errors),
	};

	log_init("test_conf_portal", true, LOG_LVL_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
