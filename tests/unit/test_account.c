/* The account check: engine.account errors, a burst over a baseline
 * learned across simulated hours (injected clock), external mail left
 * alone, phishing from an internal account held, finance lures from a
 * non-finance versus a finance sender, many internal recipients, and the
 * lure to many held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "checks/account.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"

TEST_SCRATCH_DIR("account")
static time_t fake_now;

#define ACC_BASE \
	"spool = \"s\";\nstore = \"d/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.com\"; route = \"127.0.0.1:2526\"; } );\n"

static const char acc_conf[] = ACC_BASE
	"trusted_networks = [ \"10.0.0.0/8\" ];\n"
	"engine = { reputation = { history = { persist = false; }; };\n"
	"  account = { finance_senders = [ \"ap@example.com\", \"@billing.example.com\" ]; }; };\n";

static time_t
clock_fake(void)
{
	return fake_now;
}

/* A stand-in for the phishing checks that run before account. */
static const struct symbol_def fake_symbols[] = {
	CHECK_SYMBOL("TEST_PHISH", 1.0, PHISHING, ACCEPT, "subject says PHISH"),
};
CHECK_SYMBOLS_HOOK(fake_defs, fake_symbols)

static int
fake_scan(void *state, struct mg_task *t)
{
	const struct mime_header *h;

	if (t->msg == NULL || (h = mime_header_find(t->msg->root, "Subject")) == NULL ||
	    h->value == NULL || strstr(h->value, "PHISH") == NULL)
		return 0;
	return mg_task_symbol(t, "TEST_PHISH", NULL);
}

static const struct mg_check check_fake = { .name = "fake", .scan = fake_scan,
	.symbols = fake_defs };

static struct mg_engine *
open_account(struct mg_conf **conf)
{
	static const struct mg_check *const checks[] = { &check_fake, &check_account };
	char err[512];
	struct mg_error e;
	struct mg_engine *eng;

	if ((*conf = conf_fixture_load(dir, acc_conf, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	if ((eng = engine_open_checks(*conf, checks, 2, &e)) == NULL)
		fail_msg("engine: %s", e.text);
	return eng;
}

struct acc_case {
	const char	*from;		/* envelope sender */
	const char	*ip;
	bool		 outbound;
	size_t		 nrcpts;	/* rcpt1..N@example.com, then one outside */
	const char	*subject, *body;
	const char	*want;		/* "NAME=opt ... action", by result order */
};

/* Scans one message and writes "NAME=opt ... action" into got. */
static void
scan_case(struct mg_engine *eng, const struct acc_case *c, char *got, size_t gotlen)
{
	static char rbuf[200][32];
	static const char *rcpts[200];
	struct mg_envelope env = { c->ip, "host.test", c->from, rcpts, c->nrcpts + 1,
		c->outbound };
	char msg[2048];
	struct mg_result res;
	size_t o = 0;

	for (size_t i = 0; i < c->nrcpts && i < 199; i++) {
		snprintf(rbuf[i], sizeof(rbuf[i]), "<rcpt%zu@example.com>", i);
		rcpts[i] = rbuf[i];
	}
	rcpts[c->nrcpts] = "<friend@elsewhere.test>";
	snprintf(msg, sizeof(msg), "From: <%s>\r\nTo: friend@elsewhere.test\r\nSubject: %s\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\r\n", c->from, c->subject ? c->subject : "hi",
	    c->body ? c->body : "Lunch at noon?");
	assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
	got[0] = '\0';
	for (size_t j = 0; j < res.nsymbols; j++)
		o += (size_t)snprintf(got + o, gotlen - o, "%s=%s ", res.symbols[j].name,
		    res.symbols[j].noptions ? res.symbols[j].options[0] : "");
	snprintf(got + o, gotlen - o, "%s", mg_verdict_action_name(res.verdict_action));
	mg_result_clear(&res);
}

static void
test_conf_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ ACC_BASE "engine = { account = {\n typo = 1; }; };",
		  "test.conf:6: unknown setting 'typo' in engine.account" },
		{ ACC_BASE "engine = { account = {\n burst_factor = 0.5; }; };",
		  "test.conf:6: engine.account.burst_factor = 0.5 is out of range [1, 1000]" },
		{ ACC_BASE "engine = { account = {\n min_burst = 0; }; };",
		  "test.conf:6: engine.account.min_burst = 0 is out of range [1, 1000000]" },
		{ ACC_BASE "engine = { account = {\n finance_senders = [ \"nobody\" ]; }; };",
		  "test.conf:6: engine.account.finance_senders: 'nobody' is not an address or "
		  "@domain" },
		{ ACC_BASE "engine = { account = {\n first_seen = { warm = 3; }; }; };",
		  "test.conf:6: unknown setting 'warm' in engine.account.first_seen" },
		{ ACC_BASE "engine = { account = {\n first_seen = 1; }; };",
		  "test.conf:6: 'engine.account.first_seen' must be a group { warmup = N; }" },
		{ ACC_BASE "engine = { account = 1; };",
		  "test.conf:5: 'engine.account' must be a group { min_burst = N; ... }" },
	};

	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

/* 20 messages an hour for two days, then a spike: quiet up to five times
 * the baseline (100), then ACCOUNT_BURST and hold. */
static void
test_burst(void **state)
{
	static const struct acc_case c = { "alice@example.com", "192.0.2.1", true, 1, NULL, NULL, NULL };
	struct mg_conf *conf;
	struct mg_engine *eng = open_account(&conf);
	char got[1024], what[64];

	account_clock = clock_fake;
	fake_now = 1700000000;
	for (int h = 0; h < 48; h++, fake_now += 3600)
		for (int m = 0; m < 20; m++) {
			scan_case(eng, &c, got, sizeof(got));
			snprintf(what, sizeof(what), "hour %d message %d", h, m);
			check_str(what, got, "accept");
		}
	for (int m = 1; m <= 101; m++) {
		scan_case(eng, &c, got, sizeof(got));
		snprintf(what, sizeof(what), "spike message %d", m);
		check_str(what, got, m <= 100 ? "accept" :
		    "ACCOUNT_BURST=messages=101 baseline=20.0 hold");
	}
	/* a quiet account sending 51 at once is past min_burst */
	fake_now += 3600;
	for (int m = 1; m <= 51; m++) {
		static const struct acc_case b = { "bob@example.com", "192.0.2.1", true, 1, NULL, NULL, NULL };
		scan_case(eng, &b, got, sizeof(got));
		snprintf(what, sizeof(what), "new account message %d", m);
		check_str(what, got, m <= 50 ? "accept" :
		    "ACCOUNT_BURST=messages=51 baseline=0.0 hold");
	}
	account_clock = NULL;
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

static void
test_cases(void **state)
{
	static const char lure[] = "Please process the payment today, wire transfer details "
	    "attached.";
	static const struct acc_case cases[] = {
		/* external: an untrusted client, however internal the sender looks */
		{ "ceo@example.com", "198.51.100.9", false, 60, "PHISH", lure, "TEST_PHISH= accept" },
		{ "x@partner.test", "10.1.2.3", false, 60, "PHISH", lure, "TEST_PHISH= accept" },
		{ "x@partner.test", "192.0.2.1", true, 60, "PHISH", lure, "TEST_PHISH= accept" },
		/* internal: outbound, or a trusted network */
		{ "a1@example.com", "198.51.100.9", true, 1, "PHISH", NULL,
		  "ACCOUNT_PHISHING=TEST_PHISH TEST_PHISH= hold" },
		{ "a2@example.com", "10.1.2.3", false, 1, "PHISH", NULL,
		  "ACCOUNT_PHISHING=TEST_PHISH TEST_PHISH= hold" },
		{ "a3@example.com", "10.1.2.3", false, 1, "invoice", lure,
		  "ACCOUNT_FINANCE_LURE=wire transfer accept" },
		{ "ap@example.com", "10.1.2.3", false, 1, "invoice", lure, "accept" },
		{ "pay@billing.example.com", "10.1.2.3", false, 1, "invoice", lure, "accept" },
		{ "a4@example.com", "10.1.2.3", false, 50, NULL, NULL, "accept" },
		{ "a5@example.com", "10.1.2.3", false, 51, NULL, NULL,
		  "ACCOUNT_MANY_INTERNAL=recipients=51 accept" },
		{ "a6@example.com", "10.1.2.3", false, 51, "invoice", lure,
		  "ACCOUNT_FINANCE_LURE=wire transfer ACCOUNT_MANY_INTERNAL=recipients=51 "
		  "ACCOUNT_MASS_LURE=recipients=51 hold" },
		{ "ap@example.com", "10.1.2.3", false, 51, "invoice", lure,
		  "ACCOUNT_MANY_INTERNAL=recipients=51 accept" },
	};
	struct mg_conf *conf;
	struct mg_engine *eng = open_account(&conf);
	char got[1024], what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_case(eng, &cases[i], got, sizeof(got));
		snprintf(what, sizeof(what), "case %zu", i);
		check_str(what, got, cases[i].want);
	}
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
