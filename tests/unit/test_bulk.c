/* The bulk check and engine.bulk: configuration errors, the per-recipient
 * action (user, then domain, then default), BULK_MAIL for list headers,
 * each provider's fingerprint, bounce return paths and many recipients,
 * nothing on personal mail, and BULK_MANY_INTERNAL held for review. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "checks/bulk.h"
#include "core/conf.h"
#include "core/conf_bulk.h"
#include "engine/check.h"
#include "engine/engine.h"

TEST_SCRATCH_DIR("bulk")

#define BULK_BASE \
	"spool = \"s\";\nstore = \"d/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.com\"; route = \"127.0.0.1:2526\"; } );\n"

static const char bulk_conf[] = BULK_BASE
	"engine = { bulk = { action = \"tag\"; review_recipients = 100;\n"
	"  domains = ( { domain = \"Example.com\"; action = \"quarantine\"; },\n"
	"    { domain = \"sales.example.com\"; action = \"discard\"; } );\n"
	"  users = ( { user = \"ceo@example.com\"; action = \"deliver\"; },\n"
	"    { user = \"ops@sales.example.com\"; action = \"hold\"; } ); }; };\n";

static struct mg_conf *
load(const char *text)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, text, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	return c;
}

static void
test_conf_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ BULK_BASE "engine = { bulk = {\n typo = 1; }; };",
		  "test.conf:6: unknown setting 'typo' in engine.bulk" },
		{ BULK_BASE "engine = { bulk = {\n action = \"bounce\"; }; };",
		  "test.conf:6: 'action' must be one of: deliver, tag, quarantine, hold, discard" },
		{ BULK_BASE "engine = { bulk = {\n review_recipients = 0; }; };",
		  "test.conf:6: engine.bulk.review_recipients = 0 is out of range [1, 1000000]" },
		{ BULK_BASE "engine = { bulk = {\n domains = ( { domain = \"a b\"; action = "
		  "\"tag\"; } ); }; };",
		  "test.conf:6: engine.bulk.domains: 'a b' is not a domain name" },
		{ BULK_BASE "engine = { bulk = {\n users = ( { user = \"example.com\"; action = "
		  "\"tag\"; } ); }; };",
		  "test.conf:6: engine.bulk.users: 'example.com' is not an address" },
		{ BULK_BASE "engine = { bulk = {\n users = ( { user = \"a@example.com\"; } ); }; };",
		  "test.conf:6: engine.bulk.users: 'a@example.com' has no action" },
		{ BULK_BASE "engine = { bulk = {\n domains = ( { domain = \"x.test\"; action = "
		  "\"tag\"; },\n { domain = \"X.test\"; action = \"hold\"; } ); }; };",
		  "test.conf:6: engine.bulk.domains: 'x.test' is listed twice" },
		{ BULK_BASE "engine = { bulk = {\n domains = { x = 1; }; }; };",
		  "test.conf:6: engine.bulk.domains must be a list ( { domain = \"...\"; action = "
		  "\"...\"; } ) of at most 100000" },
		{ BULK_BASE "engine = { bulk = {\n users = ( { user = \"a@b.test\"; action = "
		  "\"tag\";\n who = 1; } ); }; };",
		  "test.conf:7: unknown setting 'who' in engine.bulk.users" },
	};

	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

static void
test_action(void **state)
{
	static const struct { const char *rcpt, *want; } cases[] = {
		{ "ceo@example.com", "deliver" },		/* user before domain */
		{ "<CEO@Example.COM>", "deliver" },
		{ "bob@example.com", "quarantine" },		/* domain */
		{ "ops@sales.example.com", "hold" },
		{ "ann@sales.example.com", "discard" },	/* the subdomain's own entry */
		{ "x@other.test", "tag" },			/* default */
		{ "no-at-sign", "tag" },
	};
	struct mg_conf *c = load(bulk_conf);
	struct conf_bulk def;
	char what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "rcpt %s", cases[i].rcpt);
		check_str(what, conf_bulk_action_names[conf_bulk_action(&c->engine.bulk,
		    cases[i].rcpt)], cases[i].want);
	}
	conf_bulk_defaults(&def);
	check_str("defaults", conf_bulk_action_names[conf_bulk_action(&def, "a@b.test")],
	    "deliver");
	conf_free(c);
	check_failures();
}

struct bulk_case {
	const char	*headers;	/* extra header fields, CRLF-terminated */
	const char	*env_from;
	const char	*ip;
	bool		 outbound;
	size_t		 nrcpts;	/* rcptN@example.com */
	const char	*want;		/* "NAME=opt|opt ... action category" */
};

static void
scan_case(struct mg_engine *eng, const struct bulk_case *c, char *got, size_t gotlen)
{
	static char rbuf[128][32];
	static const char *rcpts[128];
	struct mg_envelope env = { c->ip ? c->ip : "198.51.100.9", "host.test",
		c->env_from ? c->env_from : "<pat@friend.test>", rcpts,
		c->nrcpts ? c->nrcpts : 1, c->outbound };
	char msg[2048];
	struct mg_result res;
	size_t o = 0;

	for (size_t i = 0; i < env.nrcpts && i < 128; i++) {
		snprintf(rbuf[i], sizeof(rbuf[i]), "rcpt%zu@example.com", i);
		rcpts[i] = rbuf[i];
	}
	snprintf(msg, sizeof(msg), "From: Pat <pat@friend.test>\r\nTo: rcpt0@example.com\r\n"
	    "Subject: hello\r\n%sContent-Type: text/plain\r\n\r\nSee you at eight.\r\n",
	    c->headers ? c->headers : "");
	assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
	got[0] = '\0';
	for (size_t j = 0; j < res.nsymbols; j++) {
		o += (size_t)snprintf(got + o, gotlen - o, "%s", res.symbols[j].name);
		for (size_t k = 0; k < res.symbols[j].noptions; k++)
			o += (size_t)snprintf(got + o, gotlen - o, "%c%s", k ? '|' : '=',
			    res.symbols[j].options[k]);
		o += (size_t)snprintf(got + o, gotlen - o, " ");
	}
	snprintf(got + o, gotlen - o, "%s %s", mg_verdict_action_name(res.verdict_action),
	    res.verdict);
	mg_result_clear(&res);
}

static void
test_scan(void **state)
{
	static const struct bulk_case cases[] = {
		/* personal mail */
		{ NULL, .want = "accept clean" },
		{ "Return-Path: <pat@friend.test>\r\nPrecedence: first-class\r\n",
		  .want = "accept clean" },
		/* list headers */
		{ "List-Unsubscribe: <https://news.test/u?x=1>\r\nList-Id: <news.test>\r\n",
		  .want = "BULK_MAIL=list-unsubscribe|list-id accept clean" },
		{ "Precedence: bulk\r\n", .want = "BULK_MAIL=precedence accept clean" },
		{ "Precedence: List\r\n", .want = "BULK_MAIL=precedence accept clean" },
		{ "Precedence: junk\r\n", .want = "BULK_MAIL=precedence accept clean" },
		/* providers */
		{ "Feedback-ID: 1:camp:gmail\r\n", .want = "BULK_MAIL=feedback-id accept clean" },
		{ "X-SES-Outgoing: 2026.11.24-54.240.1.1\r\n",
		  .want = "BULK_MAIL=amazon-ses accept clean" },
		{ "X-Mailgun-Sid: WyJ\r\nX-Mailgun-Variables: {}\r\n",
		  .want = "BULK_MAIL=mailgun accept clean" },
		{ "X-SG-EID: abc\r\n", .want = "BULK_MAIL=sendgrid accept clean" },
		{ "X-MC-User: 123\r\n", .want = "BULK_MAIL=mailchimp accept clean" },
		{ "X-Campaign-Id: 9\r\n", .want = "BULK_MAIL=campaign accept clean" },
		{ "X-CampaignID: 9\r\n", .want = "BULK_MAIL=campaign accept clean" },
		{ "X-Mailjet-Campaign: 9\r\n", .want = "BULK_MAIL=mailjet accept clean" },
		/* bounce handlers and many recipients */
		{ NULL, "<bounces+123-abc=example.com@em.news.test>",
		  .want = "BULK_MAIL=bounce-path accept clean" },
		{ NULL, "<list-bounces@lists.test>", .want = "BULK_MAIL=bounce-path accept clean" },
		{ NULL, "<bnc3.abc@mail.test>", .want = "BULK_MAIL=bounce-path accept clean" },
		{ NULL, .nrcpts = 25, .want = "BULK_MAIL=recipients=25 accept clean" },
		{ NULL, .nrcpts = 24, .want = "accept clean" },
		/* review of mass mail to internal recipients from outside */
		{ NULL, .nrcpts = 101, .want = "BULK_MANY_INTERNAL=recipients=101 "
		  "BULK_MAIL=recipients=101 hold bulk" },
		{ NULL, .nrcpts = 100, .want = "BULK_MAIL=recipients=100 accept clean" },
		{ NULL, "<hr@example.com>", "10.0.0.5", false, 101,
		  "BULK_MAIL=recipients=101 accept clean" },
		{ NULL, "<hr@example.com>", "198.51.100.9", false, 101,
		  "BULK_MANY_INTERNAL=recipients=101 BULK_MAIL=recipients=101 hold bulk" },
		{ "List-Id: <x>\r\n", "<hr@example.com>", "198.51.100.9", true, 101, "accept clean" },
	};
	static const struct mg_check *const checks[] = { &check_bulk };
	struct mg_conf *conf = load(BULK_BASE "trusted_networks = [ \"10.0.0.0/8\" ];\n");
	struct mg_error e;
	struct mg_engine *eng;
	char got[1024], what[64];

	if ((eng = engine_open_checks(conf, checks, 1, &e)) == NULL)
		fail_msg("engine: %s", e.text);
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
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_scan),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
