/* The scan pipeline: checks run in table order; one that fails or overruns
 * its deadline adds <NAME>_FAIL and the others still run; the task
 * deadline skips the rest with TASK_TIMEOUT; a check whose init fails
 * stops the engine from opening. Then the real table on small messages:
 * GTUBE, a clean message, configured scores and forced actions, unknown
 * symbols in the configuration, and scans from several threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/err.h"
#include "engine/check.h"
#include "engine/engine.h"

#define GTUBE	"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

static const char clean_msg[] =
	"From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
	"Subject: lunch\r\nDate: Tue, 24 Nov 2026 12:00:00 +0000\r\n"
	"Message-ID: <1@example.org>\r\n\r\nNoon at the usual place?\r\n";
static const char gtube_msg[] =
	"From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
	"Subject: test\r\nDate: Tue, 24 Nov 2026 12:00:00 +0000\r\n"
	"Message-ID: <2@example.org>\r\n\r\n" GTUBE "\r\n";

static int
scan_fail(void *state, struct mg_task *t)
{
	return -MG_EIO;
}

static int
scan_mark(void *state, struct mg_task *t)
{
	return mg_task_symbol(t, "MIME_BAD_QP", "marker ran");
}

static int
scan_sleep(void *state, struct mg_task *t)
{
	struct timespec ts = { 0, 60 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return 0;
}

static int
scan_poll(void *state, struct mg_task *t)
{
	while (!mg_task_expired(t))
		;
	return -MG_ETIMEOUT;
}

static int
init_fail(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	return -MG_EINVAL;
}

static const struct mg_check failer = { .name = "failer", .scan = scan_fail };
static const struct mg_check marker = { .name = "marker", .scan = scan_mark };
static const struct mg_check sleeper = { .name = "sleeper", .scan = scan_sleep };
static const struct mg_check poller = { .name = "poller", .scan = scan_poll };
static const struct mg_check badinit = { .name = "badinit", .init = init_fail, .scan = scan_mark };

/* "NAME(score)[opt;opt] ..." of a result. */
static void
result_text(const struct mg_result *r, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nsymbols && n < outlen; i++) {
		const struct mg_symbol *s = &r->symbols[i];
		n += (size_t)snprintf(out + n, outlen - n, "%s%s(%.2f)", i ? " " : "", s->name,
		    s->score);
		for (size_t j = 0; j < s->noptions && n < outlen; j++)
			n += (size_t)snprintf(out + n, outlen - n, "%c%s", j ? ';' : '[',
			    s->options[j]);
		if (s->noptions && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, "]");
	}
}

static void
test_failing_checks(void **state)
{
	static const struct {
		const struct mg_check *checks[4];
		size_t		 n;
		double		 task_timeout, check_timeout;
		const char	*want;
	} cases[] = {
		{ { &marker }, 1, 10, 5, "MIME_BAD_QP(0.50)[marker ran]" },
		{ { &failer, &marker }, 2, 10, 5,
		  "MIME_BAD_QP(0.50)[marker ran] FAILER_FAIL(0.00)[input/output error]" },
		{ { &sleeper, &marker }, 2, 10, 0.02,
		  "MIME_BAD_QP(0.50)[marker ran] SLEEPER_FAIL(0.00)[timeout]" },
		{ { &poller, &failer, &marker }, 3, 10, 0.02,
		  "MIME_BAD_QP(0.50)[marker ran] FAILER_FAIL(0.00)[input/output error] "
		  "POLLER_FAIL(0.00)[timeout]" },
		{ { &sleeper, &marker }, 2, 0.05, 0.02,
		  "SLEEPER_FAIL(0.00)[timeout] TASK_TIMEOUT(0.00)[marker]" },
		{ { &poller, &marker }, 2, 0.03, 0.03,
		  "POLLER_FAIL(0.00)[timeout] TASK_TIMEOUT(0.00)[marker]" },
	};
	char got[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf conf = { 0 };
		struct mg_engine *e;
		struct mg_error err;
		struct mg_result r;

		conf_engine_defaults(&conf.engine);
		conf.engine.task_timeout = cases[i].task_timeout;
		conf.engine.check_timeout = cases[i].check_timeout;
		e = engine_open_checks(&conf, cases[i].checks, cases[i].n, &err);
		if (e == NULL)
			fail_msg("case %zu: open: %s", i, err.text);
		assert_int_equal(mg_scan(e, NULL, (const uint8_t *)clean_msg, sizeof(clean_msg) - 1,
		    &r), 0);
		result_text(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		mg_result_clear(&r);
		mg_engine_close(e);
	}
}

static void
test_init_failure(void **state)
{
	const struct mg_check *checks[] = { &marker, &badinit };
	struct mg_conf conf = { 0 };
	struct mg_error err;

	conf_engine_defaults(&conf.engine);
	assert_null(engine_open_checks(&conf, checks, 2, &err));
	assert_string_equal(err.text, "check badinit: invalid argument");
}

static void
test_real_table(void **state)
{
	static const struct {
		const char	*msg;
		struct conf_symbol over;
		enum mg_category cat;
		enum mg_verdict_action action;
		enum mg_action smtp;
		const char	*first;		/* first symbol, or NULL for none scoring */
	} cases[] = {
		{ clean_msg, { NULL }, MG_CAT_CLEAN, MG_VERDICT_ACCEPT, MG_ACTION_ACCEPT, NULL },
		{ gtube_msg, { NULL }, MG_CAT_SPAM, MG_VERDICT_REJECT, MG_ACTION_REJECT, "GTUBE" },
		{ gtube_msg, { "GTUBE", true, 6.0, -1, -1, 3 }, MG_CAT_SPAM, MG_VERDICT_TAG,
		  MG_ACTION_ACCEPT, "GTUBE" },
		{ gtube_msg, { "GTUBE", true, 1.0, MG_CAT_POLICY, MG_VERDICT_QUARANTINE, 3 },
		  MG_CAT_POLICY, MG_VERDICT_QUARANTINE, MG_ACTION_ACCEPT, "GTUBE" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_symbol over = cases[i].over;
		struct mg_conf conf = { .path = "t.conf" };
		struct mg_engine *e;
		struct mg_error err;
		struct mg_result r;
		struct mg_buf log;

		conf_engine_defaults(&conf.engine);
		conf.engine.network = false;
		if (over.name != NULL) {
			conf.engine.symbols = &over;
			conf.engine.nsymbols = 1;
		}
		if ((e = mg_engine_open(&conf, &err)) == NULL)
			fail_msg("case %zu: open: %s", i, err.text);
		assert_int_equal(mg_scan(e, NULL, (const uint8_t *)cases[i].msg,
		    strlen(cases[i].msg), &r), 0);
		mg_buf_init(&log, 0);
		mg_result_format_symbols(&r, &log);
		mg_buf_cstr(&log);
		if (r.category != cases[i].cat || r.verdict_action != cases[i].action ||
		    r.action != cases[i].smtp ||
		    strcmp(r.verdict, mg_category_name(cases[i].cat)) != 0 ||
		    (cases[i].first == NULL) != (r.nsymbols == 0 || r.symbols[0].score == 0) ||
		    (cases[i].first && strcmp(r.symbols[0].name, cases[i].first) != 0))
			fail_msg("case %zu: got %s/%s smtp %d score %.2f symbols \"%s\", want %s/%s "
			    "smtp %d first %s", i, r.verdict, mg_verdict_action_name(r.verdict_action),
			    r.action, r.score, log.data ? (char *)log.data : "",
			    mg_category_name(cases[i].cat), mg_verdict_action_name(cases[i].action),
			    cases[i].smtp, cases[i].first ? cases[i].first : "(none)");
		if (r.action == MG_ACTION_REJECT)
			assert_string_equal(r.reply, "Message rejected as spam");
		mg_buf_release(&log);
		mg_result_clear(&r);
		mg_engine_close(e);
	}
}

static void
test_unknown_symbol(void **state)
{
	struct conf_symbol over = { "GTUBEE", true, 1.0, -1, -1, 12 };
	struct mg_conf conf = { .path = "/etc/mailgate.conf" };
	struct mg_error err;

	conf_engine_defaults(&conf.engine);
	conf.engine.symbols = &over;
	conf.engine.nsymbols = 1;
	assert_null(mg_engine_open(&conf, &err));
	assert_string_equal(err.text,
	    "/etc/mailgate.conf:12: unknown symbol 'GTUBEE' in engine.scores");
}

struct thread_arg {
	struct mg_engine *engine;
	int		 mismatches;
};

static void *
scan_many(void *arg)
{
	struct thread_arg *a = arg;

	for (int i = 0; i < 25; i++) {
		struct mg_result r;
		const char *m = i % 2 ? gtube_msg : clean_msg;
		if (mg_scan(a->engine, NULL, (const uint8_t *)m, strlen(m), &r) != 0 ||
		    (r.category == MG_CAT_SPAM) != (i % 2 == 1))
			a->mismatches++;
		mg_result_clear(&r);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct mg_conf conf = { 0 };
	struct thread_arg args[4];
	pthread_t tids[4];
	struct mg_error err;
	struct mg_engine *e;

	conf_engine_defaults(&conf.engine);
	assert_non_null(e = mg_engine_open(&conf, &err));
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ e, 0 };
		assert_int_equal(pthread_create(&tids[i], NULL, scan_many, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tids[i], NULL);
		if (args[i].mismatches)
			fail_msg("thread %d: %d wrong verdicts", i, args[i].mismatches);
	}
	mg_engine_close(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failing_checks),
		cmocka_unit_test(test_init_failure),
		cmocka_unit_test(test_real_table),
		cmocka_unit_test(test_unknown_symbol),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
