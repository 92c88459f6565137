/* The bec check: its engine.bec configuration errors, the folding and
 * distance helpers, and through the engine each symbol positive and
 * negative (display names with case, diacritics and order variants, a real
 * internal sender, look-alike domains, Reply-To, phrases in five
 * languages, the combinations' quarantine score, first-time senders). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "checks/bec.h"
#include "intel/lookalike.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"

static char dir[] = "/tmp/mg-bec-XXXXXX";

#define BEC_BASE \
	"spool = \"s\";\nstore = \"d/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.com\"; route = \"127.0.0.1:2526\"; },\n" \
	"  { name = \"ab.io\"; route = \"127.0.0.1:2526\"; } );\n"

static const char bec_conf[] = BEC_BASE
	"engine = { reputation = { history = { enabled = false; }; };\n"
	"  bec = { vips = [ \"Jane Doe <jane@example.com>\", \"\\\"Émile Zola\\\" "
	"<emile@example.com>\" ];\n"
	"    internal_names_file = \"names.txt\"; }; };\n";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_conf_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ BEC_BASE "engine = { bec = {\n typo = 1; }; };", "test.conf:7: unknown setting "
		  "'typo' in engine.bec" },
		{ BEC_BASE "engine = { bec = {\n vips = [ \"jane\" ]; }; };",
		  "test.conf:7: engine.bec.vips: 'jane' is not \"Display Name <address>\" "
		  "(a name of 3 bytes or more)" },
		{ BEC_BASE "engine = { bec = {\n vips = [ \"Joe Bloggs <jo@bad_domain>\" ]; }; };",
		  "test.conf:7: engine.bec.vips: 'Joe Bloggs <jo@bad_domain>' is not \"Display Name "
		  "<address>\" (a name of 3 bytes or more)" },
		{ BEC_BASE "engine = { bec = {\n free_mail = [ \"bad domain\" ]; }; };",
		  "test.conf:7: engine.bec.free_mail: 'bad domain' is not a domain or LABEL.*" },
		{ BEC_BASE "engine = { bec = {\n lookalike_distance = 9; }; };",
		  "test.conf:7: engine.bec.lookalike_distance = 9 is out of range [0, 3]" },
		{ BEC_BASE "engine = { bec = 1; };", "test.conf:6: 'engine.bec' must be a group "
		  "{ vips = [ ... ]; }" },
	};

	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

/* A bad line of the names file fails the engine with FILE:LINE. */
static void
test_names_file_error(void **state)
{
	static const struct mg_check *const checks[] = { &check_bec };
	char err[512], want[300];
	struct mg_error e;
	struct mg_conf *conf;
	struct mg_engine *eng;

	write_file("bad.txt", "# people\nAnn Lee <ann@example.com>\nnobody here\n");
	if ((conf = conf_fixture_load(dir, BEC_BASE "engine = { bec = { internal_names_file = "
	    "\"bad.txt\"; }; };\n", err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	eng = engine_open_checks(conf, checks, 1, &e);
	snprintf(want, sizeof(want), "%s/bad.txt:3: not \"Display Name <address>\"", dir);
	check_str("open", eng == NULL ? (strstr(e.text, want) ? want : e.text) : "(opened)", want);
	if (eng != NULL)
		mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

static void
test_helpers(void **state)
{
	static const struct { const char *in, *want; } keys[] = {
		{ "Jane Doe", "doe jane" }, { "  JANE   doe ", "doe jane" },
		{ "Doe, Jane", "doe jane" }, { "Jane Doe (CEO)", "doe jane" },
		{ "Jáne Dõe [via Portal]", "doe jane" }, { "Émile Zola", "emile zola" },
		{ "Straße", "strasse" }, { "王伟", "王伟" }, { "()", "" },
	};
	static const struct { const char *a, *b; unsigned want; } dist[] = {
		{ "example.com", "example.com", 0 }, { "examp1e.com", "example.com", 1 },
		{ "exmaple.com", "example.com", 1 }, { "exarnple.com", "example.com", 2 },
		{ "exаmple.com", "example.com", 1 }, { "other.org", "example.com", 2 },
	};
	char got[BEC_KEY_MAX], what[64], want[16];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (bec_name_key(keys[i].in, got, sizeof(got)) < 0)
			got[0] = '\0';
		snprintf(what, sizeof(what), "key %zu", i);
		check_str(what, got, keys[i].want);
	}
	for (size_t i = 0; i < sizeof(dist) / sizeof(dist[0]); i++) {
		snprintf(what, sizeof(what), "distance %zu", i);
		snprintf(got, sizeof(got), "%u", lookalike_distance(dist[i].a, dist[i].b, 1));
		snprintf(want, sizeof(want), "%u", dist[i].want);
		check_str(what, got, want);
	}
	check_failures();
}

struct bec_case {
	const char	*from, *reply, *subject, *body, *env_from;
	const char	*want;		/* NAME=option ... in name order, then the action */
};

/* Scans each case and compares "NAME=opt ... action". */
static void
run_cases(struct mg_engine *eng, const struct bec_case *cases, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++) {
		const struct bec_case *c = &cases[i];
		static const char *const rcpts[] = { "bob@example.com" };
		struct mg_envelope env = { "198.51.100.7", "mx.sender.test",
			c->env_from ? c->env_from : "bounce@sender.test", rcpts, 1, false };
		char msg[2048], got[1024] = "", what[64], *sorted[32];
		size_t o = 0, ns = 0;
		struct mg_result res;

		snprintf(msg, sizeof(msg), "From: %s\r\n%s%s%sTo: bob@example.com\r\n"
		    "Subject: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		    c->from, c->reply ? "Reply-To: " : "", c->reply ? c->reply : "",
		    c->reply ? "\r\n" : "", c->subject ? c->subject : "hello",
		    c->body ? c->body : "See you tomorrow.");
		assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
		for (size_t j = 0; j < res.nsymbols && ns < 32; j++)
			sorted[ns++] = (char *)res.symbols[j].name;
		for (size_t j = 1; j < ns; j++)	/* by name */
			for (size_t k = j; k > 0 && strcmp(sorted[k - 1], sorted[k]) > 0; k--) {
				char *x = sorted[k];
				sorted[k] = sorted[k - 1];
				sorted[k - 1] = x;
			}
		for (size_t j = 0; j < ns; j++)
			for (size_t k = 0; k < res.nsymbols; k++)
				if (res.symbols[k].name == sorted[j])
					o += (size_t)snprintf(got + o, sizeof(got) - o, "%s=%s ",
					    sorted[j], res.symbols[k].noptions ?
					    res.symbols[k].options[0] : "");
		snprintf(got + o, sizeof(got) - o, "%s", mg_verdict_action_name(res.verdict_action));
		snprintf(what, sizeof(what), "%s case %zu", tag, i);
		check_str(what, got, c->want);
		mg_result_clear(&res);
	}
}

static struct mg_engine *
open_bec(const char *text, struct mg_conf **conf)
{
	static const struct mg_check *const checks[] = { &check_bec };
	char err[512];
	struct mg_error e;
	struct mg_engine *eng;

	write_file("names.txt", "# internal people\nBob Smith <bob@example.com>\n"
	    "\n\"Lee, Ann\" <ann@example.com>\n");
	if ((*conf = conf_fixture_load(dir, text, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	if ((eng = engine_open_checks(*conf, checks, 1, &e)) == NULL)
		fail_msg("engine: %s", e.text);
	return eng;
}

static void
test_symbols(void **state)
{
	static const struct bec_case cases[] = {
		/* display names: VIP, order, case, diacritics, titles */
		{ "\"Jane Doe\" <jane.doe.ceo@gmail.com>", .want =
		  "BEC_DISPLAY_NAME_VIP=jane@example.com accept" },
		{ "\"DOE, JANE (CEO)\" <x@evil.test>", .want =
		  "BEC_DISPLAY_NAME_VIP=jane@example.com accept" },
		{ "=?utf-8?q?J=C3=A1ne_D=C3=B3e?= <x@evil.test>", .want =
		  "BEC_DISPLAY_NAME_VIP=jane@example.com accept" },
		{ "emile ZOLA <z@yahoo.fr>", .want = "BEC_DISPLAY_NAME_VIP=emile@example.com accept" },
		{ "Jane Doer <x@evil.test>", .want = "accept" },
		{ "Jane <x@evil.test>", .want = "accept" },
		/* the real people, from inside */
		{ "Jane Doe <jane@example.com>", .want = "accept" },
		{ "Jane Doe <jane.doe@mail.example.com>", .want = "accept" },
		{ "\"Smith, Bob\" <bob@example.com>", .want = "accept" },
		/* internal people of the names file */
		{ "Bob Smith <bob.smith@hotmail.co.uk>", .want =
		  "BEC_DISPLAY_NAME_INTERNAL=bob@example.com accept" },
		{ "Ann Lee <ann@partner.test>", .want = "BEC_DISPLAY_NAME_INTERNAL=ann@example.com "
		  "accept" },
		{ "Bob Smithson <b@partner.test>", .want = "accept" },
		/* look-alike domains; never the protected one itself */
		{ "billing <b@examp1e.com>", .want =
		  "BEC_LOOKALIKE_DOMAIN=examp1e.com~example.com tag" },
		{ "billing <b@exarnple.com>", .want =
		  "BEC_LOOKALIKE_DOMAIN=exarnple.com~example.com tag" },
		{ "billing <b@ex\xd0\xb0mple.com>", .want =
		  "BEC_LOOKALIKE_DOMAIN=ex\xd0\xb0mple.com~example.com tag" },
		{ "billing <b@xn--exmple-4nf.com>", .want =
		  "BEC_LOOKALIKE_DOMAIN=ex\xd0\xb0mple.com~example.com tag" },
		{ "billing <b@mail.exampel.com>", .want =
		  "BEC_LOOKALIKE_DOMAIN=exampel.com~example.com tag" },
		{ "billing <b@example.com>", .want = "accept" },
		{ "billing <b@news.example.com>", .want = "accept" },
		{ "billing <b@sample.net>", .want = "accept" },
		{ "billing <b@ac.io>", .want = "accept" },	/* too short for a distance */
		{ "billing <b@shop.test>", .env_from = "bounce@examp1e.com", .want =
		  "BEC_LOOKALIKE_DOMAIN=examp1e.com~example.com tag" },
		/* Reply-To */
		{ "Shop <a@shop.test>", "b@gmail.com", .want =
		  "BEC_REPLYTO_FREEMAIL=b@gmail.com accept" },
		{ "Shop <a@shop.test>", "<b@yahoo.co.uk>", .want =
		  "BEC_REPLYTO_FREEMAIL=b@yahoo.co.uk accept" },
		{ "Shop <a@shop.test>", "Support <b@other.test>", .want =
		  "BEC_REPLYTO_MISMATCH=b@other.test accept" },
		{ "Shop <a@shop.test>", "b@help.shop.test", .want = "accept" },
		{ "Shop <a@shop.test>", "a@shop.test", .want = "accept" },
		{ "Shop <a@shop.test>", "sales@example.com", .want = "accept" },
		{ "Friend <a@gmail.com>", "a@gmail.com", .want = "accept" },
		/* phrases */
		{ "x <a@shop.test>", .subject = "Urgent request", .body =
		  "Please process a Wire\r\nTransfer today.", .want =
		  "BEC_PAYMENT_REQUEST=wire transfer BEC_URGENCY=urgent accept" },
		{ "x <a@shop.test>", .body = "Bitte die \xc3\x9c" "berweisung heute.", .want =
		  "BEC_PAYMENT_REQUEST=uberweisung accept" },
		{ "x <a@shop.test>", .body = "Voici nos nouvelles coordonn\xc3\xa9" "es bancaires.",
		  .want = "BEC_BANK_CHANGE=nouvelles coordonnees bancaires accept" },
		{ "x <a@shop.test>", .body = "Compre tarjetas de regalo, es urgente.", .want =
		  "BEC_GIFT_CARD=tarjetas de regalo BEC_URGENCY=urgente accept" },
		{ "x <a@shop.test>", .body = "\xe8\xaf\xb7\xe8\xb4\xad\xe4\xb9\xb0\xe7\xa4\xbc"
		  "\xe5\x93\x81\xe5\x8d\xa1", .want = "BEC_GIFT_CARD=\xe7\xa4\xbc\xe5\x93\x81"
		  "\xe5\x8d\xa1 accept" },
		{ "x <a@shop.test>", .subject = "insurgents", .body = "The pagoda virements",
		  .want = "accept" },
		/* combinations: CEO fraud, look-alike asking for money */
		{ "\"Jane Doe\" <jd.office@gmail.com>", "jane.doe@protonmail.com", "Urgent",
		  "Are you available? I need an urgent wire transfer.", .want =
		  "BEC_DISPLAY_NAME_VIP=jane@example.com BEC_PAYMENT_REQUEST=wire transfer "
		  "BEC_REPLYTO_FREEMAIL=jane.doe@protonmail.com BEC_URGENCY=urgent "
		  "BEC_VIP_REPLYTO=Jane Doe quarantine" },
		{ "Accounts <ap@examp1e.com>", .body = "Buy 5 gift cards and send the codes.",
		  .want = "BEC_GIFT_CARD=gift cards BEC_LOOKALIKE_DOMAIN=examp1e.com~example.com "
		  "BEC_LOOKALIKE_PAYMENT=gift cards quarantine" },
	};
	struct mg_conf *conf;
	struct mg_engine *eng = open_bec(bec_conf, &conf);

	run_cases(eng, cases, sizeof(cases) / sizeof(cases[0]), "symbols");
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

/* First-time senders: known after one accepted clean message; outbound
 * recipients become known too. */
static void
test_first_time(void **state)
{
	static const struct bec_case first[] = {
		{ "Old <o@old.test>", .want = "accept" },	/* too young a record */
		{ "Vendor <v@vendor.test>", .want = "BEC_FIRST_TIME_SENDER=v@vendor.test accept" },
		{ "Vendor <v@vendor.test>", .want = "accept" },
		{ "New <n@new.test>", .body = "Our bank details have changed.", .want =
		  "BEC_BANK_CHANGE=bank details have changed "
		  "BEC_FIRST_TIME_PAYMENT=bank details have changed "
		  "BEC_FIRST_TIME_SENDER=n@new.test accept" },
		{ "Inside <i@example.com>", .want = "accept" },
	};
	static const char *const rcpts[] = { "Partner@Partner.test" };
	static const char out[] = "From: bob@example.com\r\nTo: partner@partner.test\r\n\r\nhi\r\n";
	struct mg_envelope env = { "127.0.0.1", "x", "bob@example.com", rcpts, 1, true };
	struct mg_result res;
	struct mg_conf *conf;
	struct mg_engine *eng = open_bec(BEC_BASE "engine = { reputation = { history = { "
	    "persist = false; }; }; bec = { first_time_history = 1; }; };\n", &conf);

	run_cases(eng, first, sizeof(first) / sizeof(first[0]), "first");
	assert_int_equal(mg_scan(eng, &env, (const uint8_t *)out, sizeof(out) - 1, &res), 0);
	mg_result_clear(&res);
	{
		static const struct bec_case known[] = {
			{ "P <partner@partner.test>", .want = "accept" },
		};
		run_cases(eng, known, 1, "outbound-known");
	}
	mg_engine_close(eng);
	conf_free(conf);
	check_failures();
}

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_names_file_error),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_first_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
