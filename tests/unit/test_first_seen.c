/* The first_seen check: nothing during the warm-up, learning from clean
 * mail (also during the warm-up) and from outbound recipients, never from
 * spam, new URL and From domains afterwards with the score scaled by how
 * many, protected domains and IP links left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "conf_fixture.h"

#include "checks/first_seen.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"

TEST_SCRATCH_DIR("first-seen")

static const char fs_conf[] = CONF_BASE
	"engine = { reputation = { history = { persist = false; }; };\n"
	"  account = { first_seen = { warmup = 3; }; }; };\n";

/* Makes a message spam when its subject says SPAM. */
static const struct symbol_def fake_symbols[] = {
	CHECK_SYMBOL("TEST_SPAM", 10.0, SPAM, ACCEPT, "subject says SPAM"),
};
CHECK_SYMBOLS_HOOK(fake_defs, fake_symbols)

static int
fake_scan(void *state, struct mg_task *t)
{
	const struct mime_header *h;

	if (t->msg == NULL || (h = mime_header_find(t->msg->root, "Subject")) == NULL ||
	    h->value == NULL || strstr(h->value, "SPAM") == NULL)
		return 0;
	return mg_task_symbol(t, "TEST_SPAM", NULL);
}

static const struct mg_check check_fake = { .name = "fake", .scan = fake_scan,
	.symbols = fake_defs };

struct fs_case {
	const char	*from;		/* From address */
	const char	*subject;
	const char	*links;		/* the body */
	bool		 outbound;
	const char	*rcpt;
	const char	*want;		/* "NAME(score)=opt|opt ... action" */
};

static void
scan_case(struct mg_engine *eng, const struct fs_case *c, char *got, size_t gotlen)
{
	const char *rcpts[] = { c->rcpt ? c->rcpt : "bob@example.test" };
	struct mg_envelope env = { "198.51.100.9", "host.test", "<a@b.test>", rcpts, 1,
		c->outbound };
	char msg[2048];
	struct mg_result res;
	size_t o = 0;

	snprintf(msg, sizeof(msg), "From: <%s>\r\nTo: bob@example.test\r\nSubject: %s\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\r\n", c->from, c->subject ? c->subject : "hi",
	    c->links ? c->links : "no links");
	assert_int_equal(mg_scan(eng, &env, (const uint8_t *)msg, strlen(msg), &res), 0);
	got[0] = '\0';
	for (size_t j = 0; j < res.nsymbols; j++) {
		o += (size_t)snprintf(got + o, gotlen - o, "%s(%.2f)", res.symbols[j].name,
		    res.symbols[j].score);
		for (size_t k = 0; k < res.symbols[j].noptions; k++)
			o += (size_t)snprintf(got + o, gotlen - o, "%c%s", k ? '|' : '=',
			    res.symbols[j].options[k]);
		o += (size_t)snprintf(got + o, gotlen - o, " ");
	}
	snprintf(got + o, gotlen - o, "%s", mg_verdict_action_name(res.verdict_action));
	mg_result_clear(&res);
}

static void
test_first_seen(void **state)
{
	static const struct fs_case cases[] = {
		/* warm-up: three messages, nothing flagged, the clean ones learned */
		{ "x@early.test", NULL, "https://early-link.test/a", .want = "accept" },
		{ "x@known.test", NULL, "https://www.known.test/a http://known.test/b",
		  .want = "accept" },
		{ "x@bad.test", "SPAM", "https://spam-link.test/", .want = "TEST_SPAM(10.00) "
		  "quarantine" },
		/* warm from here on */
		{ "x@known.test", NULL, "https://known.test/ https://early-link.test/b "
		  "http://early.test/", .want = "accept" },
		{ "p@mail.fresh.test", NULL, "https://new-a.test/ https://x.new-b.test/p "
		  "https://www.known.test/ http://192.0.2.7/x https://example.test/",
		  .want = "URL_FIRST_SEEN(0.50)=new-a.test|new-b.test "
		  "FROM_FIRST_SEEN_DOMAIN(0.30)=fresh.test accept" },
		/* learned from the clean message just before */
		{ "q@fresh.test", NULL, "https://new-a.test/", .want = "accept" },
		/* spam taught nothing */
		{ "x@bad.test", NULL, "https://spam-link.test/", .want =
		  "FROM_FIRST_SEEN_DOMAIN(0.30)=bad.test URL_FIRST_SEEN(0.25)=spam-link.test accept" },
		/* at most four count */
		{ "x@known.test", NULL, "https://n1.test/ https://n2.test/ https://n3.test/ "
		  "https://n4.test/ https://n5.test/", .want = "URL_FIRST_SEEN(1.00)=n1.test|"
		  "n2.test|n3.test|n4.test|n5.test accept" },
		/* outbound mail is not flagged; its recipients' domains become known */
		{ "me@example.test", NULL, "https://never.test/", true, "ann@partner.test",
		  .want = "accept" },
		{ "ann@partner.test", NULL, NULL, .want = "accept" },
		{ "x@known.test", NULL, "https://never.test/", .want = "accept" },
	};
	static const struct mg_check *const checks[] = { &check_fake, &check_first_seen };
	char err[512], got[1024], what[64];
	struct mg_conf *conf;
	struct mg_error e;
	struct mg_engine *eng;

	if ((conf = conf_fixture_load(dir, fs_conf, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	if ((eng = engine_open_checks(conf, checks, 2, &e)) == NULL)
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

/* first_seen = { enabled = false; } and warmup = 0. */
static void
test_settings(void **state)
{
	static const struct { const char *conf, *want; } cases[] = {
		{ "engine = { reputation = { history = { persist = false; }; };\n"
		  "  account = { first_seen = { enabled = false; }; }; };\n", "accept" },
		{ "engine = { reputation = { history = { persist = false; }; };\n"
		  "  account = { first_seen = { warmup = 0; }; }; };\n",
		  "FROM_FIRST_SEEN_DOMAIN(0.30)=two.test URL_FIRST_SEEN(0.25)=one.test accept" },
	};
	static const struct fs_case c = { "x@two.test", NULL, "https://one.test/", false, NULL,
		NULL };
	static const struct mg_check *const checks[] = { &check_first_seen };
	char text[1024], err[512], got[1024], what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf *conf;
		struct mg_error e;
		struct mg_engine *eng;

		snprintf(text, sizeof(text), "%s%s", CONF_BASE, cases[i].conf);
		if ((conf = conf_fixture_load(dir, text, err, sizeof(err))) == NULL)
			fail_msg("%s", err);
		if ((eng = engine_open_checks(conf, checks, 1, &e)) == NULL)
			fail_msg("engine: %s", e.text);
		scan_case(eng, &c, got, sizeof(got));
		snprintf(what, sizeof(what), "settings %zu", i);
		check_str(what, got, cases[i].want);
		mg_engine_close(eng);
		conf_free(conf);
	}
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_seen),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
