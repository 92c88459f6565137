/* guard.screen: settings (defaults, loading, FILE:LINE errors), which DNS
 * list answers count, how zone weights and reverse DNS combine into a
 * verdict, and the per-address cache expiring (injected clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/conf.h"
#include "guard/guard.h"
#include "test_util.h"
#include "guard_fixture.h"
#include "conf_fixture.h"

TEST_SCRATCH_DIR("guard-screen")
static void
test_defaults_and_full(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->guard.screen.nzones, 0);
	assert_int_equal(c->guard.screen.rdns, CONF_RDNS_OFF);
	assert_int_equal(c->guard.screen.timeout_ms, 2000);
	conf_free(c);
	c = conf_fixture_load(dir, CONF_BASE "guard = { screen = {\n"
	    " dnsbl = ( { zone = \"Zen.Example\"; weight = 2; codes = [ \"127.0.0.2\", "
	    "\"127.0.0.4\" ]; },\n   { zone = \"bl.test\"; } );\n"
	    " threshold = 3; rdns = \"require\"; timeout = 0.5; }; };\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->guard.screen.nzones, 2);
	check_str("zone", c->guard.screen.zones[0].zone, "zen.example");
	assert_int_equal(c->guard.screen.zones[0].weight, 2);
	assert_int_equal(c->guard.screen.zones[0].ncodes, 2);
	assert_int_equal(c->guard.screen.zones[0].codes[1], 0x7f000004);
	assert_int_equal(c->guard.screen.zones[1].weight, 1);
	assert_int_equal(c->guard.screen.threshold, 3);
	assert_int_equal(c->guard.screen.rdns, CONF_RDNS_REQUIRE);
	assert_int_equal(c->guard.screen.timeout_ms, 500);
	conf_free(c);
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "guard = { screen = 1; };\n",
		  "test.conf:5: 'guard.screen' must be a group" },
		{ CONF_BASE "guard = { screen = { zones = 1; }; };\n",
		  "test.conf:5: unknown setting 'zones' in guard.screen" },
		{ CONF_BASE "guard = { screen = { threshold = 0; }; };\n",
		  "test.conf:5: guard.screen.threshold = 0 is out of range [1, 100000]" },
		{ CONF_BASE "guard = { screen = { timeout = 0; }; };\n",
		  "test.conf:5: guard.screen.timeout must be above 0" },
		{ CONF_BASE "guard = { screen = { dnsbl = \"zen\"; }; };\n",
		  "test.conf:5: guard.screen.dnsbl must be a list ( { ... }, ... )" },
		{ CONF_BASE "guard = { screen = { dnsbl = ( {\n weight = 1; } ); }; };\n",
		  "test.conf:5: guard.screen.dnsbl[0]: 'zone' is required" },
		{ CONF_BASE "guard = { screen = { dnsbl = ( { zone = \"a..b\"; } ); }; };\n",
		  "test.conf:5: guard.screen.dnsbl[0].zone: 'a..b' is not a domain name" },
		{ CONF_BASE "guard = { screen = { dnsbl = ( { zone = \"a.b\"; },\n"
		  " { zone = \"c.d\"; weight = 2000; } ); }; };\n",
		  "test.conf:6: guard.screen.dnsbl[1].weight = 2000 is out of range [-1000, 1000]" },
		{ CONF_BASE "guard = { screen = { dnsbl = ( { zone = \"a.b\"; ttl = 3; } ); }; };\n",
		  "test.conf:5: unknown setting 'ttl' in guard.screen.dnsbl[0]" },
		{ CONF_BASE "guard = { screen = { dnsbl = ( { zone = \"a.b\";\n"
		  " codes = [ \"127.0.0.256\" ]; } ); }; };\n",
		  "test.conf:6: guard.screen.dnsbl[0].codes: '127.0.0.256' is not an IPv4 "
		  "address" },
	};
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

static void
test_codes(void **state)
{
	struct conf_screen_zone any = { .zone = "a.test" };
	struct conf_screen_zone some = { .zone = "b.test", .codes = { 0x7f000002, 0x7f00000a },
	    .ncodes = 2 };
	static const struct { int zone; uint32_t a; bool want; } cases[] = {
		{ 0, 0x7f000002, true }, { 0, 0x7fffffff, true }, { 0, 0x0a000001, false },
		{ 1, 0x7f000002, true }, { 1, 0x7f00000a, true }, { 1, 0x7f000003, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = guard_screen_code(cases[i].zone ? &some : &any, cases[i].a);
		char what[64];

		snprintf(what, sizeof(what), "code case %zu (%08x)", i, cases[i].a);
		check_str(what, got ? "listed" : "not listed", cases[i].want ? "listed" :
		    "not listed");
	}
	check_failures();
}

static void
test_verdict(void **state)
{
	struct conf_screen_zone zones[] = {
		{ .zone = "zen.example", .weight = 2 }, { .zone = "small.test", .weight = 1 },
		{ .zone = "big.test", .weight = 3 },
	};
	struct conf_screen c = { .zones = zones, .nzones = 3, .threshold = 3 };
	static const struct {
		uint32_t listed;
		enum guard_rdns rdns;
		enum conf_screen_rdns mode;
		const char *want;
	} cases[] = {
		{ 0, GUARD_RDNS_UNKNOWN, CONF_RDNS_OFF, "pass" },
		{ 1, GUARD_RDNS_UNKNOWN, CONF_RDNS_OFF, "pass" },		/* 2 < 3 */
		{ 3, GUARD_RDNS_UNKNOWN, CONF_RDNS_OFF,
		  "554 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.example" },
		{ 7, GUARD_RDNS_CONFIRMED, CONF_RDNS_OFF,
		  "554 5.7.1 Service unavailable; client [192.0.2.1] blocked using big.test" },
		{ 2, GUARD_RDNS_NONE, CONF_RDNS_LOG, "pass" },
		{ 2, GUARD_RDNS_NONE, CONF_RDNS_REQUIRE,
		  "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]" },
		{ 0, GUARD_RDNS_UNCONFIRMED, CONF_RDNS_REQUIRE,
		  "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]" },
		{ 0, GUARD_RDNS_UNKNOWN, CONF_RDNS_REQUIRE, "pass" },	/* fail open */
		{ 0, GUARD_RDNS_CONFIRMED, CONF_RDNS_REQUIRE, "pass" },
		{ 5, GUARD_RDNS_NONE, CONF_RDNS_REQUIRE,
		  "554 5.7.1 Service unavailable; client [192.0.2.1] blocked using big.test" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guard_screen r = { .listed = cases[i].listed, .rdns = cases[i].rdns };
		char reply[GUARD_REPLY_MAX], what[64];
		enum guard_reason why;

		c.rdns = cases[i].mode;
		why = guard_screen_verdict(&c, &r, "192.0.2.1", reply, sizeof(reply));
		snprintf(what, sizeof(what), "verdict case %zu", i);
		check_str(what, why == GUARD_PASS ? "pass" : reply, cases[i].want);
		if (why != GUARD_PASS)
			check_str(what, guard_reason_names[why], reply[0] == '5' ? "dnsbl" : "rdns");
	}
	check_failures();
}

/* DNSWL zones (negative weights): they lower the sum that refuses, and at
 * or below allow_threshold the client is allow-listed: not greylisted. */
static void
test_allow(void **state)
{
	struct conf_screen_zone zones[] = {
		{ .zone = "bl.test", .weight = 3 }, { .zone = "wl.test", .weight = -5 },
		{ .zone = "hi.wl.test", .weight = -10 },
	};
	struct conf_screen c = { .zones = zones, .nzones = 3, .threshold = 3,
	    .allow_threshold = -5 };
	static const struct { uint32_t listed; const char *want; bool allowed; } cases[] = {
		{ 0, "pass", false },
		{ 1, "554 5.7.1 Service unavailable; client [192.0.2.1] blocked using bl.test",
		  false },
		{ 3, "pass", false },		/* 3 - 5 = -2: neither blocked nor allowed */
		{ 2, "pass", true },		/* -5 */
		{ 6, "pass", true },		/* -15 */
		{ 7, "pass", true },		/* 3 - 15 = -12 */
	};
	struct conf_guard gcf;
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct guard_client gc = { .ip = "192.0.2.1", .net = "192.0.2.0/24" };
	char reply[GUARD_REPLY_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guard_screen r = { .listed = cases[i].listed };
		enum guard_reason why = guard_screen_verdict(&c, &r, "192.0.2.1", reply,
		    sizeof(reply));
		char what[64];

		snprintf(what, sizeof(what), "allow case %zu", i);
		check_str(what, why == GUARD_PASS ? "pass" : reply, cases[i].want);
		check_str(what, guard_screen_allowed(&c, &r) ? "allowed" : "-",
		    cases[i].allowed ? "allowed" : "-");
	}
	c.allow_threshold = 0;		/* off */
	check_str("off", guard_screen_allowed(&c, &(struct guard_screen){ .listed = 4 }) ?
	    "allowed" : "-", "-");
	conf_guard_defaults(&gcf);
	gcf.greylist.enabled = true;
	gc.dnswl = true;
	assert_int_equal(guard_rcpt_accept(g, &gcf, &gc, true, "s@x.test", "r@example.test",
	    reply, sizeof(reply)), GUARD_PASS);
	gc.dnswl = false;
	assert_int_equal(guard_rcpt_accept(g, &gcf, &gc, true, "s@x.test", "r@example.test",
	    reply, sizeof(reply)), GUARD_GREYLISTED);
	guard_free(g);
	check_failures();
}

static void
test_cache(void **state)
{
	struct guard_screen r = { .listed = 5, .rdns = GUARD_RDNS_CONFIRMED }, got;
	struct guard *g;

	assert_non_null(g = guard_new(open_kv(), guard_clock));
	assert_int_equal(guard_screen_cached(g, "192.0.2.1", &got), 0);
	guard_screen_store(g, "192.0.2.1", &r);
	r.failed = true;
	guard_screen_store(g, "192.0.2.2", &r);		/* a failed lookup: not kept */
	assert_int_equal(guard_screen_cached(g, "192.0.2.2", &got), 0);
	assert_int_equal(guard_screen_cached(g, "192.0.2.1", &got), 1);
	assert_int_equal(got.listed, 5);
	assert_int_equal(got.rdns, GUARD_RDNS_CONFIRMED);
	now_ms += (GUARD_SCREEN_TTL + 1) * 1000ull;
	assert_int_equal(guard_screen_cached(g, "192.0.2.1", &got), 0);
	guard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
