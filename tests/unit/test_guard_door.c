/* guard's door rules: the pregreet, strict_pipelining, tarpit and
 * max_idle_commands settings (defaults, loading, FILE:LINE errors), the
 * tarpit's delay formula, and a pre-greeting client remembered then
 * refused at connect until its entry expires (injected clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/conf.h"
#include "guard/guard.h"
#include "test_util.h"
#include "guard_fixture.h"
#include "conf_fixture.h"

TEST_SCRATCH_DIR("guard-door")
static void
check_u32(const char *what, uint32_t got, uint32_t want)
{
	char g[32], w[32];

	snprintf(g, sizeof(g), "%u", got);
	snprintf(w, sizeof(w), "%u", want);
	check_str(what, g, w);
}

static void
test_defaults_and_full(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	assert_false(c->guard.pregreet.enabled);
	check_u32("pregreet.delay_ms", c->guard.pregreet.delay_ms, 2000);
	check_u32("pregreet.remember", c->guard.pregreet.remember, 3600);
	assert_false(c->guard.strict_pipelining);
	assert_false(c->guard.tarpit.enabled);
	check_u32("tarpit.step_ms", c->guard.tarpit.step_ms, 1000);
	check_u32("tarpit.max_ms", c->guard.tarpit.max_ms, 10000);
	check_u32("max_idle_commands", c->guard.max_idle_commands, 0);
	conf_free(c);
	c = conf_fixture_load(dir, CONF_BASE "guard = { pregreet = { enabled = true; delay = 0.3; remember = 60; };\n"
	    " strict_pipelining = true; max_idle_commands = 5; max_noop = 2; max_vrfy = 1;\n"
	    " tarpit = { enabled = true; step = 0.25; max = 2; }; };\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_true(c->guard.pregreet.enabled);
	check_u32("pregreet.delay_ms", c->guard.pregreet.delay_ms, 300);
	check_u32("pregreet.remember", c->guard.pregreet.remember, 60);
	assert_true(c->guard.strict_pipelining);
	check_u32("tarpit.step_ms", c->guard.tarpit.step_ms, 250);
	check_u32("tarpit.max_ms", c->guard.tarpit.max_ms, 2000);
	check_u32("max_idle_commands", c->guard.max_idle_commands, 5);
	check_u32("max_rset", c->guard.max_each[0], 0);
	check_u32("max_noop", c->guard.max_each[1], 2);
	check_u32("max_help", c->guard.max_each[2], 0);
	check_u32("max_vrfy", c->guard.max_each[3], 1);
	conf_free(c);
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "guard = { pregreet = 1; };\n",
		  "test.conf:5: 'guard.pregreet' must be a group" },
		{ CONF_BASE "guard = { pregreet = { wait = 1; }; };\n",
		  "test.conf:5: unknown setting 'wait' in guard.pregreet" },
		{ CONF_BASE "guard = { pregreet = {\n delay = 61; }; };\n",
		  "test.conf:6: guard.pregreet.delay = 61 is out of range [0, 60]" },
		{ CONF_BASE "guard = { pregreet = { delay = \"2\"; }; };\n",
		  "test.conf:5: guard.pregreet.delay must be a number" },
		{ CONF_BASE "guard = { pregreet = { enabled = true; delay = 0; }; };\n",
		  "test.conf:5: guard.pregreet.delay must be above 0 when enabled" },
		{ CONF_BASE "guard = { pregreet = { remember = -1; }; };\n",
		  "test.conf:5: guard.pregreet.remember = -1 is out of range [0, 2592000]" },
		{ CONF_BASE "guard = { strict_pipelining = \"yes\"; };\n",
		  "test.conf:5: guard.strict_pipelining must be true or false" },
		{ CONF_BASE "guard = { tarpit = true; };\n",
		  "test.conf:5: 'guard.tarpit' must be a group" },
		{ CONF_BASE "guard = { tarpit = { step = -1.0; }; };\n",
		  "test.conf:5: guard.tarpit.step = -1 is out of range [0, 60]" },
		{ CONF_BASE "guard = { tarpit = { max = 301; }; };\n",
		  "test.conf:5: guard.tarpit.max = 301 is out of range [0, 300]" },
		{ CONF_BASE "guard = { tarpit = { step = 5; max = 2; }; };\n",
		  "test.conf:5: guard.tarpit.max must not be below guard.tarpit.step" },
		{ CONF_BASE "guard = { tarpit = { enable = true; }; };\n",
		  "test.conf:5: unknown setting 'enable' in guard.tarpit" },
		{ CONF_BASE "guard = { max_idle_commands = -3; };\n",
		  "test.conf:5: guard.max_idle_commands = -3 is out of range [0, 1000000]" },
		{ CONF_BASE "guard = { max_vrfy = 2000000; };\n",
		  "test.conf:5: guard.max_vrfy = 2000000 is out of range [0, 1000000]" },
		{ CONF_BASE "guard = { max_expn = 1; };\n",
		  "test.conf:5: unknown setting 'max_expn' in guard" },
	};
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

static void
test_tarpit_formula(void **state)
{
	static const struct { struct conf_tarpit t; uint32_t n, want; } cases[] = {
		{ { false, 1000, 10000 }, 5, 0 },
		{ { true, 1000, 10000 }, 0, 0 },
		{ { true, 1000, 10000 }, 1, 1000 },
		{ { true, 1000, 10000 }, 3, 3000 },
		{ { true, 1000, 10000 }, 10, 10000 },
		{ { true, 1000, 10000 }, 11, 10000 },
		{ { true, 250, 600 }, 2, 500 },
		{ { true, 250, 600 }, 3, 600 },
		{ { true, 60000, 300000 }, UINT32_MAX, 300000 },	/* no overflow */
	};
	char what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "tarpit case %zu", i);
		check_u32(what, guard_tarpit_ms(&cases[i].t, cases[i].n), cases[i].want);
	}
	check_failures();
}

static void
client(struct guard_client *gc, const struct conf_guard *c, const char *ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(guard_client_init(gc, c, (struct sockaddr *)&sin), 0);
}

static void
test_pregreet_remembered(void **state)
{
	struct conf_guard c;
	struct guard_client a, b;
	struct guard *g;
	char reply[GUARD_REPLY_MAX] = "";

	conf_guard_defaults(&c);
	c.pregreet.enabled = true;
	c.pregreet.remember = 60;
	assert_non_null(g = guard_new(open_kv(), guard_clock));
	client(&a, &c, "192.0.2.1");
	client(&b, &c, "192.0.2.2");
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	guard_disconnect(g, &a);
	guard_pregreet_remember(g, &c, &a);
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PREGREET_LISTED);
	check_str("reply", reply,
	    "421 4.7.0 Protocol error: talked before the greeting, try again later");
	assert_int_equal(guard_connect(g, &c, &b, reply, sizeof(reply)), GUARD_PASS);
	guard_disconnect(g, &b);
	now_ms += 61 * 1000;
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	guard_disconnect(g, &a);
	c.pregreet.enabled = false;	/* off: nothing remembered, nothing checked */
	guard_pregreet_remember(g, &c, &a);
	c.pregreet.enabled = true;
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	guard_disconnect(g, &a);
	guard_free(g);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tarpit_formula),
		cmocka_unit_test(test_pregreet_remembered),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
