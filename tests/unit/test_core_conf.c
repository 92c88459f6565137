/* Configuration loading: defaults, ranges, and the file:line: reason of
 * every kind of mistake an administrator makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/conf.h"

#define MINIMAL \
	"spool = \"./sub/../spool\";\nstore = \"db/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"

static char dir[] = "/tmp/mg-conf-XXXXXX";

static const char *
write_conf(const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/test.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Case i: text must be refused with an error containing want. */
static void
expect_error(size_t i, const char *text, const char *want)
{
	char err[512] = "";
	struct mg_conf *c = conf_load(write_conf(text), err, sizeof(err));

	if (c != NULL) {
		conf_free(c);
		fail_msg("case %zu: accepted, want error containing \"%s\"", i, want);
	}
	if (strstr(err, want) == NULL)
		fail_msg("case %zu: got \"%s\", want it to contain \"%s\"", i, err, want);
}

static void
test_defaults(void **state)
{
	char err[512] = "";
	struct mg_conf *c = conf_load(write_conf(MINIMAL), err, sizeof(err));
	char want[300];

	if (c == NULL)
		fail_msg("valid file refused: %s", err);
	assert_int_equal(c->limits.max_message_size, 50u << 20);
	assert_int_equal(c->limits.max_recipients, 1000);
	assert_int_equal(c->queue.retry_min, 60);
	assert_int_equal(c->queue.retry_max, 3600);
	assert_int_equal(c->queue.lifetime, 432000);
	assert_int_equal(c->engine.mime.max_parts, 1024);
	assert_int_equal(c->engine.mime.max_header_len, 64 * 1024);
	assert_true(c->engine.mime.max_decoded == 64u << 20);
	assert_int_equal(c->nlisteners, 1);
	assert_int_equal(c->listeners[0].port, 2525);
	assert_int_equal(c->listeners[0].role, CONF_ROLE_INBOUND);
	assert_null(c->outbound.host);			/* MX lookup */
	assert_string_equal(c->user, "mailgate");
	snprintf(want, sizeof(want), "%s/spool", dir);
	assert_string_equal(c->spool_dir, want);	/* relative to the file */
	assert_non_null(conf_route_for(c, "EXAMPLE.test", 12));
	assert_null(conf_route_for(c, "example.tes", 11));
	assert_int_equal(conf_route_for(c, "example.test", 12)->port, 2526);
	conf_free(c);
}

static void
test_trusted(void **state)
{
	char err[512];
	struct mg_conf *c = conf_load(write_conf(MINIMAL
	    "trusted_networks = [ \"10.1.0.0/16\", \"2001:db8::/32\", \"192.0.2.7\" ];\n"),
	    err, sizeof(err));
	static const struct { const char *ip; bool want; } cases[] = {
		{ "10.1.200.3", true }, { "10.2.0.1", false }, { "192.0.2.7", true },
		{ "192.0.2.8", false }, { "2001:db8:1::5", true }, { "2001:db9::1", false },
		{ "::ffff:10.1.0.9", true },
	};

	if (c == NULL)
		fail_msg("valid file refused: %s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = { 0 };
		if (strchr(cases[i].ip, ':')) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, cases[i].ip, &s6->sin6_addr);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			inet_pton(AF_INET, cases[i].ip, &s4->sin_addr);
		}
		if (conf_is_trusted(c, (struct sockaddr *)&ss) != cases[i].want)
			fail_msg("case %zu (%s): got %d, want %d", i, cases[i].ip,
			    !cases[i].want, cases[i].want);
	}
	conf_free(c);
}

static void
test_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ MINIMAL "limits = { max_recipients = 0; };\n",
		  ":5: limits.max_recipients = 0 is out of range [1, 100000]" },
		{ MINIMAL "limits = { max_recipients = \"ten\"; };\n",
		  ":5: limits.max_recipients must be an integer" },
		{ MINIMAL "limits = { max_recipents = 10; };\n",
		  ":5: unknown setting 'max_recipents'" },
		{ MINIMAL "queue = { retry_min = 600; retry_max = 60; };\n",
		  ":5: queue.retry_max (60) is smaller than queue.retry_min (600)" },
		{ MINIMAL "colour = \"blue\";\n", ":5: unknown setting 'colour'" },
		{ MINIMAL "scan = { workers = 99; };\n",
		  ":5: scan.workers = 99 is out of range [1, 64]" },
		{ MINIMAL "scan = { threads = 2; };\n", ":5: unknown setting 'threads'" },
		{ MINIMAL "engine = { mime = { max_parts = 0; }; };\n",
		  ":5: engine.mime.max_parts = 0 is out of range [1, 100000]" },
		{ MINIMAL "engine = { mime = { max_partz = 9; }; };\n",
		  ":5: unknown setting 'max_partz'" },
		{ MINIMAL "trusted_networks = [ \"10.0.0.0/33\" ];\n",
		  ":5: trusted network '10.0.0.0/33' is not an address or CIDR" },
		{ MINIMAL "outbound = { route = \"smart:host:25\"; };\n",
		  ":5: route 'smart:host:25' is not HOST, HOST:PORT or [IPV6]:PORT or \"mx\"" },
		{ MINIMAL "outbound = { route = \"relay.test:587\"; tls = \"opportunistic\"; "
		  "auth = { user = \"u\"; password = \"p\"; }; };\n",
		  ":5: auth needs tls = \"required\" or \"verify\"" },
		{ MINIMAL "log_level = \"loud\";\n", ":5: log_level must be one of" },
		{ MINIMAL "limits = { max_message_size = = 10; };\n", ":5: syntax error" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1\"; role = \"inbound\"; } );\n"
		  "domains = ( { name = \"example.test\"; route = \"h\"; } );\n",
		  ":3: listener address '127.0.0.1' is not HOST:PORT" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; role = \"sideways\"; } );\n"
		  "domains = ( { name = \"example.test\"; route = \"h\"; } );\n",
		  ":3: 'role' must be one of: inbound, outbound" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; tls = \"starttls\"; } );\n"
		  "domains = ( { name = \"example.test\"; route = \"h\"; } );\n",
		  ":3: listener 127.0.0.1:25 uses TLS but tls.certificate is not set" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; tls = \"starttls\";\n"
		  "  certificate = \"c.pem\"; } );\n"
		  "domains = ( { name = \"example.test\"; route = \"h\"; } );\n",
		  ":3: listener 127.0.0.1:25: certificate and key go together" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; } );\n"
		  "domains = ( { name = \"exa mple.test\"; route = \"h\"; } );\n",
		  ":4: 'exa mple.test' is not a valid domain name" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; } );\n"
		  "domains = ( { name = \"a.test\"; route = \"h\"; },\n"
		  "  { name = \"A.test\"; route = \"h\"; } );\n",
		  ":5: domain a.test is defined twice" },
		{ "spool = \"s\";\nstore = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; } );\n",
		  "test.conf: no protected 'domains' defined" },
		{ "store = \"d/x.db\";\n"
		  "listeners = ( { address = \"127.0.0.1:25\"; } );\n",
		  "test.conf: missing setting 'spool'" },
		{ MINIMAL "tls = { certificate = \"nope.pem\"; key = \"nope.key\"; };\n",
		  ":5: cannot read " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(i, cases[i].text, cases[i].want);
}

static void
test_engine(void **state)
{
	char err[512] = "";
	struct mg_conf *c = conf_load(write_conf(MINIMAL), err, sizeof(err));

	if (c == NULL)
		fail_msg("valid file refused: %s", err);
	assert_true(c->engine.tag == 5.0 && c->engine.quarantine == 10.0 &&
	    c->engine.reject == 20.0);
	assert_true(c->engine.task_timeout == 10.0 && c->engine.check_timeout == 5.0);
	assert_int_equal(c->engine.nsymbols, 0);
	conf_free(c);

	c = conf_load(write_conf(MINIMAL "engine = {\n"
	    "  thresholds = { tag = 4; quarantine = 8.5; reject = 15.0; };\n"
	    "  task_timeout = 2.5; check_timeout = 0.5;\n"
	    "  scores = { GTUBE = 500;\n"
	    "    ATT_BOMB = { score = 7.5; category = \"policy\"; force = \"quarantine\"; };\n"
	    "    HTML_HIDDEN_BIDI = { category = \"bec\"; }; };\n};\n"), err, sizeof(err));
	if (c == NULL)
		fail_msg("valid engine group refused: %s", err);
	assert_true(c->engine.tag == 4.0 && c->engine.quarantine == 8.5 &&
	    c->engine.reject == 15.0);
	assert_true(c->engine.task_timeout == 2.5 && c->engine.check_timeout == 0.5);
	assert_int_equal(c->engine.nsymbols, 3);
	assert_string_equal(c->engine.symbols[0].name, "GTUBE");
	assert_true(c->engine.symbols[0].has_score && c->engine.symbols[0].score == 500.0);
	assert_int_equal(c->engine.symbols[0].category, -1);
	assert_int_equal(c->engine.symbols[0].line, 8);
	assert_true(c->engine.symbols[1].score == 7.5);
	assert_int_equal(c->engine.symbols[1].category, MG_CAT_POLICY);
	assert_int_equal(c->engine.symbols[1].force, MG_VERDICT_QUARANTINE);
	assert_false(c->engine.symbols[2].has_score);
	assert_int_equal(c->engine.symbols[2].category, MG_CAT_BEC);
	assert_int_equal(c->engine.symbols[2].force, -1);
	conf_free(c);
}

static void
test_engine_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ MINIMAL "engine = { thresholds = { tag = 12.0; quarantine = 10.0; }; };\n",
		  ":5: engine.thresholds must be tag <= quarantine <= reject (12, 10, 20)" },
		{ MINIMAL "engine = { thresholds = { reject = \"high\"; }; };\n",
		  ":5: engine.thresholds.reject must be a number" },
		{ MINIMAL "engine = { thresholds = { tag = 1e9; }; };\n",
		  ":5: engine.thresholds.tag = 1e+09 is out of range [-1000, 1e+06]" },
		{ MINIMAL "engine = { thresholds = { spam = 3; }; };\n",
		  ":5: unknown setting 'spam'" },
		{ MINIMAL "engine = { thresholds = 5; };\n",
		  ":5: 'engine.thresholds' must be a group" },
		{ MINIMAL "engine = { task_timeout = 0; };\n",
		  ":5: engine.task_timeout = 0 is out of range [0.01, 3600]" },
		{ MINIMAL "engine = { task_timeout = 2; check_timeout = 3; };\n",
		  ":5: engine.check_timeout (3) is longer than engine.task_timeout (2)" },
		{ MINIMAL "engine = { timeout = 2; };\n", ":5: unknown setting 'timeout'" },
		{ MINIMAL "engine = 3;\n", ":5: 'engine' must be a group" },
		{ MINIMAL "engine = { scores = ( 1, 2 ); };\n",
		  ":5: 'engine.scores' must be a group { SYMBOL = score; }" },
		{ MINIMAL "engine = {\n scores = {\n GTUBE = \"lots\"; }; };\n",
		  ":7: score of GTUBE must be a number" },
		{ MINIMAL "engine = { scores = { GTUBE = 1e6; }; };\n",
		  ":5: score of GTUBE = 1e+06 is out of range [-100000, 100000]" },
		{ MINIMAL "engine = { scores = { gtube = 1.0; }; };\n",
		  ":5: symbol 'gtube': names are upper case letters, digits and '_'" },
		{ MINIMAL "engine = { scores = { GTUBE = { category = \"ham\"; }; }; };\n",
		  ":5: 'category' must be one of: clean, spam, bulk, phishing, malware, bec, policy" },
		{ MINIMAL "engine = { scores = { GTUBE = { force = \"drop\"; }; }; };\n",
		  ":5: 'force' must be one of: accept, tag, quarantine, hold, reject" },
		{ MINIMAL "engine = { scores = { GTUBE = { weight = 1; }; }; };\n",
		  ":5: unknown setting 'weight'" },
		{ MINIMAL "engine = { scores = { GTUBE = 1.0; GTUBE = 2.0; }; };\n",
		  ":5: duplicate setting name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(i, cases[i].text, cases[i].want);
}

static void
test_missing_file(void **state)
{
	char err[512];

	assert_null(conf_load("/nonexistent/mailgate.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/mailgate.conf: cannot read"));
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
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_engine_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
