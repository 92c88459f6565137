/* The dnsbl check against a resolver answering from a table: code maps
 * (exact, lists of codes, bit masks), refusals, timeouts and answers that
 * are no listing, weights, IPv6 nibbles, URL and sender domains with the
 * cap, private addresses, outbound mail, one batch per message; and the
 * zone configuration's mistakes with file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"
#include "check_fixture.h"

#include "checks/dnsbl.h"
#include "core/err.h"
#include "mime/url.h"
#include "net/dns.h"

static char init_err[512];	/* a check's init failure */

static char dir[] = "/tmp/mg-dnsbl-XXXXXX";

static void
test_conf_errors(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "dnsbl = { zone = \"x.test\"; };", ":6: dnsbl must be a list" },
		{ "dnsbl = ( \"x.test\" );", ":6: each dnsbl entry must be a group" },
		{ "dnsbl = ( { zone = \"x.test\"; } );", ":6: missing setting 'symbol'" },
		{ "dnsbl = ( { symbol = \"X\"; } );", ":6: missing setting 'zone'" },
		{ "dnsbl = ( {\n zone = \"bad zone.test\"; symbol = \"X\"; } );",
		  ":7: zone 'bad zone.test' is not a domain name" },
		{ "dnsbl = ( { zone = \"localhost\"; symbol = \"X\"; } );", "is not a domain name" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"x\"; } );",
		  "symbol 'x': names are upper case letters" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"LIST_X\"; } );",
		  "names starting with LIST_ are the reputation checks' own" },
		{ "uribl = ( { zone = \"x.test\"; symbol = \"REP_IP_BAD\"; } );", "REP_" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"DNSBL\"; } );",
		  "symbol 'DNSBL_FAIL' is a check's own" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X23456789012345678901234567890"
		  "1234567890123456789012345678901\"; } );",
		  "at most 59 characters for a zone, whose X23456789012345678901234567890"
		  "1234567890123456789012345678901_FAIL must fit in 64" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; },\n"
		  "  { zone = \"y.test\"; symbol = \"X\"; } );",
		  ":7: symbol 'X' is already defined at line 6" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; },\n"
		  "  { zone = \"y.test\"; symbol = \"X_FAIL\"; } );",
		  ":7: symbol 'X_FAIL' is already defined at line 6" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"127.0.0.2\"; symbol = \"X\"; } ); } );",
		  ":7: symbol 'X' is already defined at line 6" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; },\n"
		  "  { zone = \"X.test\"; symbol = \"Y\"; } );",
		  ":7: zone 'x.test' is already listed at line 6" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; score = -1.0; } );",
		  "'score' = -1 is out of range [0, 1000]" },
		{ "dnswl = ( { zone = \"x.test\"; symbol = \"X\"; score = 1.0; } );",
		  "'score' = 1 is out of range [-1000, 0]" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; weight = 101; } );",
		  "'weight' = 101 is out of range" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; type = \"url\"; } );",
		  "'type' must be one of: ip, domain" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; sender = true; } );",
		  "'sender' applies to zones of type \"domain\" only" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; category = \"bad\"; } );",
		  "'category' must be one of" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; colour = 1; } );",
		  ":6: unknown setting 'colour'" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"127.0.0.2\"; symbol = \"X2\"; flavour = 1; } ); } );",
		  ":7: unknown setting 'flavour'" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"10.0.0.2\"; symbol = \"X2\"; } ); } );",
		  ":7: code 10.0.0.2 is not in 127.0.0.0/8" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"127.0.0.256\"; symbol = \"X2\"; } ); } );",
		  ":7: code must be an IPv4 address" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = ( \"127.0.0.2\", 3 ); symbol = \"X2\"; } ); } );",
		  "code must be an IPv4 address" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { symbol = \"X2\"; } ); } );",
		  ":7: a code entry needs exactly one of 'code' and 'mask'" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"127.0.0.2\"; mask = 2; symbol = \"X2\"; } ); } );",
		  "exactly one of 'code' and 'mask'" },
		{ "uribl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { mask = 0; symbol = \"X2\"; } ); } );",
		  ":7: 'mask' = 0 is out of range [1, 16777215]" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; refused = 1; } );",
		  ":6: refused must be \"127.0.0.2\" or [ \"127.0.0.4\", ... ]" },
		{ "dnsbl = ( { zone = \"x.test\"; symbol = \"X\"; refused = [ \"1.2.3.4\" ]; } );",
		  ":6: code 1.2.3.4 is not in 127.0.0.0/8" },
		{ "dnswl = ( { zone = \"x.test\"; symbol = \"X\"; codes = (\n"
		  "  { code = \"127.0.10.3\"; symbol = \"X2\"; score = 2; } ); } );",
		  ":7: 'score' = 2 is out of range [-1000, 0]" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf *c = conf_fixture_load_reputation(dir, cases[i].text, err, sizeof(err));

		if (c != NULL) {
			conf_free(c);
			fail_msg("case %zu: accepted, want \"%s\"", i, cases[i].want);
		}
		if (strstr(err, "/test.conf:") == NULL || strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"test.conf%s\"", i, err, cases[i].want);
	}
}

static const char zones_conf[] =
	"dnsbl_check_private = true; max_domains = 3;\n"
	"dnsbl = ( { zone = \"bl.test\"; symbol = \"BL\"; score = 2.0; codes = (\n"
	"    { code = \"127.0.0.2\"; symbol = \"BL_SBL\"; score = 4.0; },\n"
	"    { code = [ \"127.0.0.4\", \"127.0.0.5\" ]; symbol = \"BL_XBL\"; score = 3.0; } ); },\n"
	"  { zone = \"plain.test\"; symbol = \"PLAIN\"; score = 1.5; weight = 2.0; } );\n"
	"dnswl = ( { zone = \"wl.test\"; symbol = \"WL\"; score = -1.0; } );\n"
	"uribl = ( { zone = \"uri.test\"; symbol = \"URI\"; sender = true;\n"
	"    refused = [ \"127.0.0.1\" ]; codes = (\n"
	"    { mask = 2; symbol = \"URI_BLACK\"; score = 4.0; category = \"phishing\"; },\n"
	"    { mask = 4; symbol = \"URI_GREY\"; score = 1.0; } ); },\n"
	"  { zone = \"dbl.test\"; symbol = \"DBL\"; score = 3.0; } );\n";

/* The resolver of the tests: names from a table, NXDOMAIN otherwise. */
struct fake_answer {
	const char	*name;
	int		 err;
	const char	*a;		/* an A record, or NULL */
	int		 rcode;		/* DNS_RCODE_NOERROR unless given */
};

static const struct fake_answer answers[] = {
	{ "4.4.8.8.bl.test", 0, "127.0.0.2", 0 },
	{ "4.4.8.8.plain.test", 0, "127.0.0.9", 0 },
	{ "5.4.8.8.bl.test", 0, "127.0.0.5", 0 },
	{ "6.4.8.8.bl.test", 0, "127.0.0.77", 0 },
	{ "7.4.8.8.bl.test", 0, "127.255.255.254", 0 },
	{ "8.4.8.8.bl.test", -MG_ETIMEOUT, NULL, 0 },
	{ "8.4.8.8.plain.test", 0, "10.0.0.1", 0 },
	{ "9.4.8.8.wl.test", 0, "127.0.10.3", 0 },
	{ "9.4.8.8.plain.test", -MG_EIO, NULL, 0 },
	{ "10.4.8.8.bl.test", 0, NULL, 5 },	/* REFUSED */
	{ "10.4.8.8.plain.test", 0, NULL, DNS_RCODE_SERVFAIL },
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test", 0,
	  "127.0.0.2", 0 },
	{ "1.0.0.127.plain.test", 0, "127.0.0.2", 0 },
	{ "spam.test.uri.test", 0, "127.0.0.6", 0 },
	{ "spam.test.dbl.test", 0, "127.0.1.2", 0 },
	{ "refused.test.uri.test", 0, "127.0.0.1", 0 },
	{ "unknown.test.uri.test", 0, "127.0.0.9", 0 },
	{ "sender.example.uri.test", 0, "127.0.0.2", 0 },
};

struct fake_dns {
	struct dns_resolver r;
	unsigned	 calls;
	size_t		 lookups;
	char		 names[1024];	/* the names asked, space-separated */
};

static int
fake_resolve(void *ctx, struct dns_lookup *q, size_t n, uint64_t deadline, struct mg_arena *a)
{
	struct fake_dns *f = ctx;

	f->calls++;
	f->lookups += n;
	for (size_t i = 0; i < n; i++) {
		size_t o = strlen(f->names);
		snprintf(f->names + o, sizeof(f->names) - o, "%s%s", o ? " " : "", q[i].name);
		q[i].err = 0;
		q[i].rcode = DNS_RCODE_NXDOMAIN;
		q[i].nrr = 0;
		for (size_t j = 0; j < sizeof(answers) / sizeof(answers[0]); j++) {
			struct in_addr addr;
			if (strcmp(answers[j].name, q[i].name) != 0)
				continue;
			q[i].err = answers[j].err;
			q[i].rcode = answers[j].rcode;
			if (answers[j].a == NULL)
				break;
			inet_pton(AF_INET, answers[j].a, &addr);
			q[i].rr = mg_arena_alloc(a, sizeof(*q[i].rr));
			q[i].rr[0] = mg_slice_make(mg_arena_strndup(a, &addr, 4), 4);
			q[i].nrr = 1;
		}
	}
	return 0;
}

/* One scan: envelope, From field and URL domains in, "NAME(score)=opt|opt"
 * and the lookups out. */
struct dnsbl_case {
	const char	*ip;
	bool		 outbound;
	const char	*mail_from;
	const char	*domains[5];	/* URL domains */
	const char	*want;
	size_t		 lookups;
};

static void
run_case(const char *conf_text, const struct dnsbl_case *c, size_t i, bool network)
{
	char err[512], got[2048] = "", what[32];
	struct mg_conf *conf = conf_fixture_load_reputation(dir, conf_text, err, sizeof(err));
	struct fake_dns f = { { fake_resolve, &f }, 0, 0, "" };
	struct mime_header from = { MG_SLICE_LIT("From"), { 0 }, "Someone <user@From.Example>" };
	struct mime_url urls[5] = { 0 };
	struct mime_part root = { .headers = &from, .nheaders = 1 };
	struct mime_msg msg = { .root = &root, .urls = urls };
	struct mg_envelope env = { c->ip, "helo.test", c->mail_from, NULL, 0, c->outbound };
	const struct symbol_def *defs;
	struct symbol_table st;
	struct mg_task t;
	void *state = NULL;
	size_t ndefs, o = 0;

	if (conf == NULL)
		fail_msg("%s", err);
	for (; msg.nurls < 5 && c->domains[msg.nurls]; msg.nurls++)
		urls[msg.nurls].domain = c->domains[msg.nurls];
	assert_int_equal(check_dnsbl.init(conf, &state, init_err, sizeof(init_err)), 0);
	defs = check_dnsbl.symbols(state, &ndefs);
	if (symbol_table_load(&st, conf, defs, ndefs, err, sizeof(err)) != 0)
		fail_msg("symbols: %s", err);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, &env, 1 << 20), 0);
	t.msg = &msg;
	t.dns = network ? &f.r : NULL;
	assert_int_equal(check_dnsbl.scan(state, &t), 0);
	for (size_t j = 0; j < t.nsymbols; j++) {
		const struct task_symbol *s = &t.symbols[j];
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s(%g)", j ? " " : "", s->name,
		    s->score);
		for (size_t k = 0; k < s->noptions; k++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%c%s", k ? '|' : '=',
			    s->options[k]);
	}
	snprintf(what, sizeof(what), "case %zu symbols", i);
	check_str(what, got, c->want);
	if (f.lookups != c->lookups || f.calls > 1)
		fail_msg("case %zu: %zu lookups in %u calls (%s), want %zu in one", i, f.lookups,
		    f.calls, f.names, c->lookups);
	task_clear(&t);
	check_dnsbl.fini(state);
	symbol_table_clear(&st);
	conf_free(conf);
}

static void
test_scan(void **state)
{
	static const struct dnsbl_case cases[] = {
		{ "8.8.4.4", false, "", { NULL },
		  "BL_SBL(4)=8.8.4.4 127.0.0.2 PLAIN(3)=8.8.4.4 127.0.0.9", 4 },
		{ "8.8.4.5", false, "", { NULL }, "BL_XBL(3)=8.8.4.5 127.0.0.5", 4 },
		{ "8.8.4.6", false, "", { NULL }, "BL_FAIL(0)=8.8.4.6 unknown code 127.0.0.77", 4 },
		{ "8.8.4.7", false, "", { NULL }, "BL_FAIL(0)=8.8.4.7 127.255.255.254", 4 },
		{ "8.8.4.8", false, "", { NULL },
		  "BL_FAIL(0)=8.8.4.8 timeout PLAIN_FAIL(0)=8.8.4.8 answer outside 127.0.0.0/8", 4 },
		{ "8.8.4.9", false, "", { NULL },
		  "PLAIN_FAIL(0)=8.8.4.9 input/output error WL(-1)=8.8.4.9 127.0.10.3", 4 },
		{ "8.8.4.10", false, "", { NULL },
		  "BL_FAIL(0)=8.8.4.10 rcode 5 PLAIN_FAIL(0)=8.8.4.10 servfail", 4 },
		{ "2001:db8::1", false, "", { NULL }, "BL_SBL(4)=2001:db8::1 127.0.0.2", 4 },
		/* loopback is looked up: dnsbl_check_private is on */
		{ "127.0.0.1", false, "", { NULL }, "PLAIN(3)=127.0.0.1 127.0.0.2", 4 },
		/* bit masks: 127.0.0.6 is black and grey; URL domains once each */
		{ "8.8.8.8", false, "", { "spam.test", "ok.test", "spam.test" },
		  "URI_BLACK(4)=spam.test 127.0.0.6 URI_GREY(1)=spam.test 127.0.0.6 "
		  "DBL(3)=spam.test 127.0.1.2", 3 + 2 * 2 + 1 },
		{ "8.8.8.8", false, "", { "refused.test", "unknown.test" },
		  "URI_FAIL(0)=refused.test 127.0.0.1|unknown.test unknown code 127.0.0.9",
		  3 + 2 * 2 + 1 },
		/* at most max_domains (3) URL domains; the senders (envelope and
		 * From: from.example in every case) only for uri.test */
		{ "8.8.8.8", false, "x@Sender.Example", { "a.test", "b.test", "c.test", "spam.test" },
		  "URI_BLACK(4)=sender.example 127.0.0.2", 3 + 3 * 2 + 2 },
		/* outbound: no address lookups, domains still */
		{ "8.8.4.4", true, "", { "spam.test" },
		  "URI_BLACK(4)=spam.test 127.0.0.6 URI_GREY(1)=spam.test 127.0.0.6 "
		  "DBL(3)=spam.test 127.0.1.2", 2 + 1 },
		{ "not an address", false, "", { NULL }, "", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(zones_conf, &cases[i], i, true);
	check_failures();
}

/* Private addresses are skipped by default; no zones or no network means
 * no lookups at all. */
static void
test_skips(void **state)
{
	static const struct dnsbl_case priv = { "127.0.0.1", false, "", { NULL }, "", 1 };
	static const struct dnsbl_case off = { "8.8.4.4", false, "", { "spam.test" }, "", 0 };
	char conf[2048];

	snprintf(conf, sizeof(conf), "%s", zones_conf + strlen("dnsbl_check_private = true;"));
	run_case(conf, &priv, 0, true);
	run_case("", &off, 1, true);
	run_case(zones_conf, &off, 2, false);
	check_failures();
}

/* Every zone and code defines its symbol, with its score and category,
 * and a zero-score _FAIL companion. */
static void
test_symbol_rows(void **state)
{
	char err[512], got[2048] = "";
	struct mg_conf *conf = conf_fixture_load_reputation(dir, zones_conf, err, sizeof(err));
	const struct symbol_def *defs;
	void *st = NULL;
	size_t n, o = 0;

	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(check_dnsbl.init(conf, &st, init_err, sizeof(init_err)), 0);
	defs = check_dnsbl.symbols(st, &n);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s=%g/%s", i ? " " : "",
		    defs[i].name, defs[i].score, mg_category_name(defs[i].category));
	check_str("rows", got, "DNSBL_FAIL=0/clean BL=2/spam BL_FAIL=0/clean BL_SBL=4/spam "
	    "BL_XBL=3/spam PLAIN=1.5/spam PLAIN_FAIL=0/clean WL=-1/clean WL_FAIL=0/clean "
	    "URI=1/spam URI_FAIL=0/clean URI_BLACK=4/phishing URI_GREY=1/spam DBL=3/spam "
	    "DBL_FAIL=0/clean");
	check_dnsbl.fini(st);
	conf_free(conf);
	check_failures();
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
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_skips),
		cmocka_unit_test(test_symbol_rows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
