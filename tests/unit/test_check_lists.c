/* engine.reputation: every kind of configuration mistake reported with
 * file and line; and the lists check through the engine: which list
 * fires for which envelope and From field, the forced reject of block
 * lists, and lookup speed with 10,000 entries per list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "checks/lists.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"

static char dir[] = "/tmp/mg-lists-XXXXXX";

static void
test_conf_errors(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "bogus = 1;", ":6: unknown setting 'bogus'" },
		{ "max_domains = 5000;", ":6: 'max_domains' = 5000 is out of range [0, 1000]" },
		{ "dnsbl_check_private = 1;", ":6: 'dnsbl_check_private' must be true or false" },
		{ "lists = [ 1 ];", ":6: lists must be a group" },
		{ "lists = { allow_foo = [ \"x\" ]; };", ":6: unknown setting 'allow_foo'" },
		{ "lists = {\n allow_ip = [ \"192.0.2.300\" ]; };",
		  ":7: allow_ip: '192.0.2.300' is not an address or a CIDR" },
		{ "lists = { block_ip = [ \"192.0.2.0/33\" ]; };", ":6: block_ip: '192.0.2.0/33'" },
		{ "lists = { block_ip = [ \"192.0.2.1/24\" ]; };",
		  ":6: block_ip: '192.0.2.1/24' has address bits set past /24" },
		{ "lists = { block_ip = [ \"2001:db8::1/32\" ]; };", "bits set past /32" },
		{ "lists = { allow_sender = [ \"ceo\" ]; };", "'ceo' is not an address" },
		{ "lists = { allow_sender = [ \"c eo@example.org\" ]; };", "is not an address" },
		{ "lists = { allow_sender = [ \"ceo@bad_domain\" ]; };", "is not an address" },
		{ "lists = { allow_domain = [ \"exa mple.org\" ]; };", "is not a domain" },
		{ "lists = { block_domain = [ \"..example.org\" ]; };", "is not a domain" },
		{ "lists = { block_helo = [ \"[999.1.1.1]\" ]; };", "is not a host name" },
		{ "lists = { block_rcpt = [ \"@example.org\" ]; };", "is not an address or a domain" },
		{ "lists = { allow_ip = \"192.0.2.1\"; };", "allow_ip must be a list" },
		{ "lists = { allow_ip = [ 1 ]; };", "allow_ip: '?' is not an address" },
		{ "history = { half_life_days = 0; };",
		  ":6: 'half_life_days' = 0 is out of range [0.01, 3650]" },
		{ "history = { min_messages = \"x\"; };", "'min_messages' must be an integer" },
		{ "history = { enabled = \"yes\"; };", "'enabled' must be true or false" },
		{ "history = {\n  typo = 1; };", ":7: unknown setting 'typo'" },
		{ "history = { state = \"\"; };", "'state' must not be empty" },
		{ "history = { max_memory = 0; };", "'max_memory' = 0 is out of range" },
	};
	char err[512], want[600];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf *c = conf_fixture_load_reputation(dir, cases[i].text, err, sizeof(err));

		if (c != NULL) {
			conf_free(c);
			fail_msg("case %zu: accepted, want \"%s\"", i, cases[i].want);
		}
		snprintf(want, sizeof(want), "%s", cases[i].want);
		if (strstr(err, "/test.conf:") == NULL || strstr(err, want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"test.conf%s\"", i, err, want);
	}
}

/* What a valid file gives: defaults, normalised lists, the state path. */
static void
test_conf_values(void **state)
{
	char err[512], want[300];
	struct mg_conf *c = conf_fixture_load_reputation(dir, "", err, sizeof(err));
	const struct conf_reputation *r;

	if (c == NULL)
		fail_msg("%s", err);
	r = &c->engine.reputation;
	assert_int_equal(r->nzones, 0);
	assert_false(r->check_private);
	assert_int_equal(r->max_domains, 20);
	assert_true(r->history.enabled && r->history.persist);
	assert_int_equal(r->history.min_messages, 20);
	assert_true(r->history.half_life_days == 30.0);
	assert_null(r->history.state);
	assert_false(r->writer);
	conf_free(c);
	c = conf_fixture_load_reputation(dir, "lists = { allow_domain = [ \".Example.ORG\", \"x.test\" ];\n"
	    "block_ip = [ \"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\" ];\n"
	    "block_helo = [ \"[192.0.2.1]\", \"[IPv6:2001:db8::1]\" ]; };\n"
	    "history = { state = \"rep/state.kv\"; half_life_days = 0.5; };", err,
	    sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	r = &c->engine.reputation;
	assert_int_equal(r->allow[CONF_LIST_DOMAIN].n, 2);
	assert_string_equal(r->allow[CONF_LIST_DOMAIN].names[0], ".example.org");
	assert_int_equal(r->block[CONF_LIST_IP].n, 3);
	assert_int_equal(r->block[CONF_LIST_IP].nets[2].prefix, 32);
	assert_string_equal(r->block[CONF_LIST_HELO].names[1], "[ipv6:2001:db8::1]");
	snprintf(want, sizeof(want), "%s/rep/state.kv", dir);
	assert_string_equal(r->history.state, want);
	conf_free(c);
}

static const char lists_conf[] =
	"lists = {\n"
	"  allow_ip = [ \"203.0.113.0/24\", \"2001:db8:aa::/48\" ];\n"
	"  block_ip = [ \"198.51.100.66\", \"192.0.2.0/25\" ];\n"
	"  allow_sender = [ \"ceo@example.org\" ];\n"
	"  block_sender = [ \"spammer@example.net\" ];\n"
	"  allow_domain = [ \".partner.test\" ];\n"
	"  block_domain = [ \"bad.test\", \".worse.test\" ];\n"
	"  allow_helo = [ \"mx.partner.test\" ];\n"
	"  block_helo = [ \".dynamic.isp.test\", \"[192.0.2.200]\" ];\n"
	"  allow_rcpt = [ \"abuse@example.test\", \"postmaster@example.test\" ];\n"
	"  block_rcpt = [ \"trap@example.test\", \".old.example.test\" ];\n"
	"};";

static struct mg_engine *
open_lists(const char *snippet, struct mg_conf **conf)
{
	static const struct mg_check *const checks[] = { &check_lists };
	char err[512];
	struct mg_error e;
	struct mg_engine *eng;

	if ((*conf = conf_fixture_load_reputation(dir, snippet, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	if ((eng = engine_open_checks(*conf, checks, 1, &e)) == NULL)
		fail_msg("engine: %s", e.text);
	return eng;
}

static void
test_matching(void **state)
{
	static const struct {
		const char	*ip, *helo, *from, *hfrom;
		const char	*rcpts[3];
		const char	*want;		/* symbols with options, then the action */
	} cases[] = {
		{ "8.8.8.8", "mx.example.com", "a@example.com", "a@example.com", { "bob@example.test" },
		  "accept" },
		{ "203.0.113.9", "x", "a@example.com", "a@example.com", { "bob@example.test" },
		  "LIST_ALLOW_IP=203.0.113.9 accept" },
		{ "2001:db8:aa:1::5", "x", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_ALLOW_IP=2001:db8:aa:1::5 accept" },
		{ "::ffff:198.51.100.66", "x", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_BLOCK_IP=::ffff:198.51.100.66 reject" },
		{ "192.0.2.127", "x", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_BLOCK_IP=192.0.2.127 reject" },
		{ "192.0.2.128", "x", "a@x.test", "a@x.test", { "b@example.test" }, "accept" },
		{ "8.8.8.8", "x", "<CEO@Example.org>", "ceo@example.org", { "b@example.test" },
		  "LIST_ALLOW_SENDER=ceo@example.org accept" },
		/* the header From counts too, and each address once */
		{ "8.8.8.8", "x", "other@example.com", "Spammer@Example.NET", { "b@example.test" },
		  "LIST_BLOCK_SENDER=spammer@example.net reject" },
		{ "8.8.8.8", "x", "a@mail.partner.test", "a@x.test", { "b@example.test" },
		  "LIST_ALLOW_DOMAIN=mail.partner.test accept" },
		{ "8.8.8.8", "x", "a@partner.test", "a@x.test", { "b@example.test" },
		  "LIST_ALLOW_DOMAIN=partner.test accept" },
		{ "8.8.8.8", "x", "a@notpartner.test", "a@x.test", { "b@example.test" }, "accept" },
		{ "8.8.8.8", "x", "a@x.test", "a@bad.test", { "b@example.test" },
		  "LIST_BLOCK_DOMAIN=bad.test reject" },
		{ "8.8.8.8", "x", "a@sub.bad.test", "a@x.test", { "b@example.test" }, "accept" },
		{ "8.8.8.8", "x", "a@a.b.worse.test", "a@x.test", { "b@example.test" },
		  "LIST_BLOCK_DOMAIN=a.b.worse.test reject" },
		{ "8.8.8.8", "MX.Partner.TEST", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_ALLOW_HELO=mx.partner.test accept" },
		{ "8.8.8.8", "host-1.dynamic.isp.test", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_BLOCK_HELO=host-1.dynamic.isp.test reject" },
		{ "8.8.8.8", "[192.0.2.200]", "a@x.test", "a@x.test", { "b@example.test" },
		  "LIST_BLOCK_HELO=[192.0.2.200] reject" },
		/* allow_rcpt only when every recipient is listed; block for any */
		{ "8.8.8.8", "x", "a@x.test", "a@x.test", { "abuse@example.test", "b@example.test" },
		  "accept" },
		{ "8.8.8.8", "x", "a@x.test", "a@x.test",
		  { "abuse@example.test", "Postmaster@example.test" },
		  "LIST_ALLOW_RCPT=postmaster@example.test accept" },
		{ "8.8.8.8", "x", "a@x.test", "a@x.test", { "b@example.test", "trap@example.test" },
		  "LIST_BLOCK_RCPT=trap@example.test reject" },
		{ "8.8.8.8", "x", "a@x.test", "a@x.test", { "b@mail.old.example.test" },
		  "LIST_BLOCK_RCPT=b@mail.old.example.test reject" },
		/* allow and block together: the block's forced reject wins */
		{ "203.0.113.1", "x", "spammer@example.net", "a@x.test", { "b@example.test" },
		  "LIST_ALLOW_IP=203.0.113.1 LIST_BLOCK_SENDER=spammer@example.net reject" },
	};
	struct mg_conf *conf;
	struct mg_engine *eng = open_lists(lists_conf, &conf);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[512], got[512] = "", what[32];
		size_t nrcpts = 0, o = 0;
		struct mg_result res;

		while (nrcpts < 3 && cases[i].rcpts[nrcpts])
			nrcpts++;
		struct mg_envelope env = { cases[i].ip, cases[i].helo, cases[i].from,
			cases[i].rcpts, nrcpts, false };
		snprintf(msg, sizeof(msg), "From: Someone <%s>\r\nTo: x@example.test\r\n"
		    "Subject: hi\r\n\r\nHello\r\n", cases[i].hfrom);
		assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
		/* in name order: the result is sorted by score */
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < res.nsymbols; j++) {
				const struct mg_symbol *s = &res.symbols[j];
				if ((pass == 0) != (s->score < 0))
					continue;
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%s=%s ", s->name,
				    s->noptions ? s->options[0] : "");
			}
		snprintf(got + o, sizeof(got) - o, "%s", mg_verdict_action_name(res.verdict_action));
		snprintf(what, sizeof(what), "case %zu", i);
		check_str(what, got, cases[i].want);
		mg_result_clear(&res);
	}
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

/* 10,000 CIDRs of mixed prefixes and 10,000 domains: a scan's lookups stay
 * in microseconds. */
static void
test_large_lists(void **state)
{
	size_t cap = 1 << 20, o = 0;
	char *text = malloc(cap);
	struct mg_conf *conf;
	struct mg_engine *eng;
	struct timespec a, b;
	const int scans = 2000;

	o += (size_t)snprintf(text + o, cap - o, "lists = { block_ip = [");
	for (int i = 0; i < 10000; i++) {
		static const unsigned prefixes[] = { 16, 20, 24, 32 };
		unsigned p = prefixes[i % 4];
		uint32_t v = (uint32_t)(11 + i % 150) << 24 | (uint32_t)(i / 150 % 256) << 16 |
		    (uint32_t)(i % 256) << 8 | (uint32_t)(i % 7 + 1);

		v &= p == 32 ? 0xffffffffu : ~(0xffffffffu >> p);
		o += (size_t)snprintf(text + o, cap - o, "%s\"%u.%u.%u.%u/%u\"", i ? "," : "",
		    v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff, p);
	}
	o += (size_t)snprintf(text + o, cap - o, "]; block_domain = [");
	for (int i = 0; i < 10000; i++)
		o += (size_t)snprintf(text + o, cap - o, "%s\"%sd%d.example\"", i ? "," : "",
		    i % 2 ? "." : "", i);
	snprintf(text + o, cap - o, "]; };");
	eng = open_lists(text, &conf);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < scans; i++) {
		static const char msg[] = "From: <a@www.mail.x.test>\r\n\r\nhi\r\n";
		const char *rcpt[] = { "b@example.test" };
		struct mg_envelope env = { "8.8.8.8", "h.example", "a@www.mail.x.test", rcpt, 1,
			false };
		struct mg_result res;

		assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, sizeof(msg) - 1, &res), 0);
		assert_int_equal(res.nsymbols, 0);
		mg_result_clear(&res);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (int i = 0; i < 2; i++) {
		/* entry 5003 is 64.33.139.6/32; 5001 is 62.33.128.0/20 */
		static const char msg[] = "From: <a@x.test>\r\n\r\nhi\r\n";
		const char *ip = i ? "62.33.143.200" : "64.33.139.6";
		struct mg_envelope env = { ip, "h", "a@d77.example", NULL, 0, false };
		struct mg_result res;

		assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, sizeof(msg) - 1, &res), 0);
		if (res.nsymbols != 2)
			fail_msg("%s: %zu symbols, want LIST_BLOCK_IP and LIST_BLOCK_DOMAIN", ip,
			    res.nsymbols);
		mg_result_clear(&res);
	}
	print_message("%d scans with 10,000+10,000 entries: %.1f us per scan (parse included)\n",
	    scans, ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
	    scans / 1e3);
	mg_engine_close(eng);
	conf_free(conf);
	free(text);
}

static int
setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
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
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_large_lists),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
