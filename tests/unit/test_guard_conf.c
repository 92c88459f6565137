/* The guard group of the configuration: every protection off by default,
 * a full group loaded, and each invalid setting refused with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/conf.h"
#include "test_util.h"
#include "conf_fixture.h"

TEST_SCRATCH_DIR("guard-conf")

static void
test_defaults_off(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	for (int i = 0; i < CONF_GUARD_NSCOPES; i++)
		assert_int_equal(c->guard.rates[i].rate, 0);
	assert_int_equal(c->guard.max_connections_per_ip, 0);
	assert_int_equal(c->guard.nallow, 0);
	assert_false(c->guard.greylist.enabled);
	assert_int_equal(c->guard.greylist.delay, 300);
	assert_int_equal(c->guard.greylist.retry_window, 86400);
	assert_int_equal(c->guard.greylist.auto_allow, 36 * 86400);
	assert_int_equal(c->guard.recipients.nlisted, 0);
	assert_int_equal(c->guard.recipients.max_unknown, 0);
	conf_free(c);
}

static void
test_full(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE "guard = {\n"
	    " max_connections_per_ip = 10;\n"
	    " allow_ip = [ \"10.0.0.0/8\", \"::1\" ];\n"
	    " rate_limits = {\n"
	    "  connections_per_ip = { rate = 30; per = 60; burst = 10; };\n"
	    "  messages_per_sender = { rate = 100; per = 3600; };\n"
	    "  messages_per_rcpt_domain = { rate = 50; per = 600; burst = 5; };\n"
	    " };\n"
	    " greylisting = { enabled = true; delay = 2; retry_window = 60;\n"
	    "  auto_allow = 0; domains = [ \"Example.TEST\" ]; };\n"
	    " recipients = { static = [ \"Bob@example.test\", \"@all.test\" ];\n"
	    "  max_unknown = 3; };\n"
	    "};\n", err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->guard.max_connections_per_ip, 10);
	assert_int_equal(c->guard.nallow, 2);
	assert_int_equal(c->guard.rates[CONF_GUARD_CONN_IP].rate, 30);
	assert_int_equal(c->guard.rates[CONF_GUARD_CONN_IP].per, 60);
	assert_int_equal(c->guard.rates[CONF_GUARD_CONN_IP].burst, 10);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_SENDER].burst, 100);	/* = rate */
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_IP].rate, 0);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_RCPT_DOMAIN].rate, 50);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_RCPT_DOMAIN].per, 600);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_RCPT_DOMAIN].burst, 5);
	assert_true(c->guard.greylist.enabled);
	assert_int_equal(c->guard.greylist.delay, 2);
	assert_int_equal(c->guard.greylist.auto_allow, 0);
	check_str("domain", c->guard.greylist.domains[0], "example.test");
	assert_int_equal(c->guard.recipients.nlisted, 2);
	check_str("static", c->guard.recipients.listed[0], "bob@example.test");
	assert_int_equal(c->guard.recipients.max_unknown, 3);
	conf_free(c);
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "guard = 5;\n", "test.conf:5: 'guard' must be a group { ... }" },
		{ CONF_BASE "guard = { tarpits = 1; };\n",
		  "test.conf:5: unknown setting 'tarpits' in guard" },
		{ CONF_BASE "guard = { max_connections_per_ip = -1; };\n",
		  "test.conf:5: guard.max_connections_per_ip = -1 is out of range [0, 100000]" },
		{ CONF_BASE "guard = {\n allow_ip = [ \"10.0.0.0/33\" ]; };\n",
		  "test.conf:6: guard.allow_ip: '10.0.0.0/33' is not an address or CIDR" },
		{ CONF_BASE "guard = { allow_ip = \"10.0.0.1\"; };\n",
		  "test.conf:5: 'guard.allow_ip' must be a list [ \"CIDR\", ... ]" },
		{ CONF_BASE "guard = { rate_limits = { connections_per_hour = { rate = 1; }; }; };\n",
		  "test.conf:5: unknown setting 'connections_per_hour' in guard.rate_limits" },
		{ CONF_BASE "guard = { rate_limits = { messages_per_ip = 5; }; };\n",
		  "test.conf:5: 'guard.rate_limits.messages_per_ip' must be a group "
		  "{ rate = N; per = SECONDS; burst = N; }" },
		{ CONF_BASE "guard = { rate_limits = { messages_per_ip = { per = 5; }; }; };\n",
		  "test.conf:5: guard.rate_limits.messages_per_ip: 'rate' is required" },
		{ CONF_BASE "guard = { rate_limits = {\n messages_per_ip = { rate = 5; per = 0; };\n"
		  "}; };\n",
		  "test.conf:6: guard.rate_limits.messages_per_ip.per = 0 is out of range "
		  "[1, 86400]" },
		{ CONF_BASE "guard = { rate_limits = { recipients_per_ip = { rate = 5; burst = 0; "
		  "}; }; };\n",
		  "test.conf:5: guard.rate_limits.recipients_per_ip.burst = 0 is out of range "
		  "[1, 1000000]" },
		{ CONF_BASE "guard = { rate_limits = { recipients_per_ip = { rate = 5; size = 1; "
		  "}; }; };\n",
		  "test.conf:5: unknown setting 'size' in guard.rate_limits.recipients_per_ip" },
		{ CONF_BASE "guard = { rate_limits = {\n messages_per_rcpt_domain = { per = 60; };\n"
		  "}; };\n",
		  "test.conf:6: guard.rate_limits.messages_per_rcpt_domain: 'rate' is required" },
		{ CONF_BASE "guard = { rate_limits = { messages_per_rcpt_domain = {\n"
		  " rate = 2000000; }; }; };\n",
		  "test.conf:6: guard.rate_limits.messages_per_rcpt_domain.rate = 2000000 is out "
		  "of range [0, 1000000]" },
		{ CONF_BASE "guard = { greylisting = { enabled = 1; }; };\n",
		  "test.conf:5: guard.greylisting.enabled must be true or false" },
		{ CONF_BASE "guard = { greylisting = { delay = 0; }; };\n",
		  "test.conf:5: guard.greylisting.delay = 0 is out of range [1, 86400]" },
		{ CONF_BASE "guard = { greylisting = { domains = [ \"bad..domain\" ]; }; };\n",
		  "test.conf:5: guard.greylisting.domains: 'bad..domain' is not a domain name" },
		{ CONF_BASE "guard = { recipients = { static = [ \"bob\" ]; }; };\n",
		  "test.conf:5: guard.recipients.static: 'bob' is not \"user@domain\" or "
		  "\"@domain\"" },
		{ CONF_BASE "guard = { recipients = { static = [ \"a b@x.test\" ]; }; };\n",
		  "test.conf:5: guard.recipients.static: 'a b@x.test' has a character not "
		  "allowed in a local part" },
		{ CONF_BASE "guard = { recipients = { static = [ \"b@\" ]; }; };\n",
		  "test.conf:5: guard.recipients.static: 'b@' does not end in a domain name" },
		{ CONF_BASE "guard = { recipients = { static = [ 1 ]; }; };\n",
		  "test.conf:5: guard.recipients.static: each element must be a string" },
		{ CONF_BASE "guard = { recipients = { max_unknown = 5000; }; };\n",
		  "test.conf:5: guard.recipients.max_unknown = 5000 is out of range [0, 1000]" },
	};
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_off),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
