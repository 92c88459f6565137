/* Verdict arithmetic: sums, thresholds (inclusive), the category carrying
 * the most weight, severity on ties, forced outcomes; and the symbols of a
 * task: options merged, cut and bounded, unknown names scored 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "engine/task.h"
#include "engine/verdict.h"

#define A	MG_VERDICT_ACCEPT
#define T	MG_VERDICT_TAG
#define Q	MG_VERDICT_QUARANTINE
#define R	MG_VERDICT_REJECT

struct sym {
	double		 score;
	enum mg_category cat;
	enum mg_verdict_action force;
};

static void
test_verdicts(void **state)
{
	static const struct verdict_thresholds th = { 5.0, 10.0, 20.0 };
	static const struct {
		struct sym syms[4];
		size_t n;
		double score;
		enum mg_category cat;
		enum mg_verdict_action action;
		bool forced;
	} cases[] = {
		{ { { 0 } }, 0, 0.0, MG_CAT_CLEAN, A, false },
		{ { { 3.0, MG_CAT_SPAM, A } }, 1, 3.0, MG_CAT_CLEAN, A, false },
		{ { { 5.0, MG_CAT_SPAM, A } }, 1, 5.0, MG_CAT_SPAM, T, false },
		{ { { 4.99, MG_CAT_SPAM, A } }, 1, 4.99, MG_CAT_CLEAN, A, false },
		{ { { 12.0, MG_CAT_PHISHING, A }, { 1.0, MG_CAT_SPAM, A } }, 2, 13.0,
		  MG_CAT_PHISHING, Q, false },
		{ { { 20.0, MG_CAT_BULK, A } }, 1, 20.0, MG_CAT_BULK, R, false },
		{ { { 3.0, MG_CAT_MALWARE, A }, { 4.0, MG_CAT_SPAM, A } }, 2, 7.0, MG_CAT_SPAM,
		  T, false },
		/* equal weight: the more harmful category */
		{ { { 3.0, MG_CAT_SPAM, A }, { 3.0, MG_CAT_MALWARE, A } }, 2, 6.0, MG_CAT_MALWARE,
		  T, false },
		/* negative scores count in the sum, not in the weights */
		{ { { 6.0, MG_CAT_SPAM, A }, { -3.0, MG_CAT_CLEAN, A } }, 2, 3.0, MG_CAT_CLEAN,
		  A, false },
		{ { { 8.0, MG_CAT_BEC, A }, { -2.0, MG_CAT_SPAM, A } }, 2, 6.0, MG_CAT_BEC, T,
		  false },
		/* weight only from symbols without a category: spam */
		{ { { 6.0, MG_CAT_CLEAN, A } }, 1, 6.0, MG_CAT_SPAM, T, false },
		{ { { 1000.0, MG_CAT_SPAM, A } }, 1, 1000.0, MG_CAT_SPAM, R, false },
		/* forced: malware is malware whatever the score */
		{ { { 0.5, MG_CAT_MALWARE, R } }, 1, 0.5, MG_CAT_MALWARE, R, true },
		{ { { 9.0, MG_CAT_SPAM, A }, { 0.0, MG_CAT_MALWARE, Q } }, 2, 9.0, MG_CAT_MALWARE,
		  Q, true },
		/* a force below the thresholds' action keeps that action and its category */
		{ { { 25.0, MG_CAT_SPAM, A }, { 1.0, MG_CAT_POLICY, T } }, 2, 26.0, MG_CAT_POLICY,
		  R, false },
		/* the strongest force wins */
		{ { { 1.0, MG_CAT_POLICY, T }, { 1.0, MG_CAT_MALWARE, R }, { 1.0, MG_CAT_BEC, Q } },
		  3, 3.0, MG_CAT_MALWARE, R, true },
		/* a forcing symbol without category keeps the weighted one */
		{ { { 0.0, MG_CAT_CLEAN, Q }, { 2.0, MG_CAT_PHISHING, A } }, 2, 2.0,
		  MG_CAT_PHISHING, Q, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task_symbol ts[4];
		struct verdict v;

		memset(ts, 0, sizeof(ts));
		for (size_t j = 0; j < cases[i].n; j++) {
			ts[j].name = "S";
			ts[j].score = cases[i].syms[j].score;
			ts[j].category = cases[i].syms[j].cat;
			ts[j].force = cases[i].syms[j].force;
		}
		verdict_compute(&th, ts, cases[i].n, &v);
		if (v.score < cases[i].score - 1e-9 || v.score > cases[i].score + 1e-9 ||
		    v.category != cases[i].cat || v.action != cases[i].action ||
		    (v.forced_by != NULL) != cases[i].forced)
			fail_msg("case %zu: got score %.2f category %d action %d forced %d, "
			    "want %.2f %d %d %d", i, v.score, v.category, v.action,
			    v.forced_by != NULL, cases[i].score, cases[i].cat, cases[i].action,
			    cases[i].forced);
	}
}

static void
test_task_symbols(void **state)
{
	struct mg_conf conf = { 0 };
	struct symbol_table st;
	struct mg_task t;
	const struct task_symbol *s;
	char err[256], opt[400];

	conf_engine_defaults(&conf.engine);
	assert_int_equal(symbol_table_load(&st, &conf, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);

	assert_int_equal(mg_task_symbol(&t, "GTUBE", NULL), 0);
	assert_int_equal(mg_task_symbol(&t, "ATT_RTLO", "a.exe"), 0);
	assert_int_equal(mg_task_symbol(&t, "ATT_RTLO", "a.exe"), 0);	/* duplicate */
	for (int i = 0; i < 20; i++) {
		snprintf(opt, sizeof(opt), "file%d", i);
		assert_int_equal(mg_task_symbol(&t, "ATT_DOUBLE_EXT", opt), 0);
	}
	memset(opt, 'x', sizeof(opt));
	memcpy(opt + TASK_MAX_OPTION_LEN - 1, "\xc3\xa9", 2);	/* é across the cut */
	opt[sizeof(opt) - 1] = '\0';
	assert_int_equal(mg_task_symbol(&t, "NOT_IN_TABLE", opt), 0);

	assert_int_equal(t.nsymbols, 4);
	s = mg_task_symbol_get(&t, "GTUBE");
	assert_non_null(s);
	assert_true(s->score == 1000.0 && s->category == MG_CAT_SPAM && s->noptions == 0);
	s = mg_task_symbol_get(&t, "ATT_RTLO");
	assert_int_equal(s->noptions, 1);
	assert_string_equal(s->options[0], "a.exe");
	s = mg_task_symbol_get(&t, "ATT_DOUBLE_EXT");
	assert_int_equal(s->noptions, TASK_MAX_OPTIONS);
	assert_string_equal(s->options[TASK_MAX_OPTIONS - 1], "file7");
	s = mg_task_symbol_get(&t, "NOT_IN_TABLE");
	assert_true(s->score == 0.0 && s->category == MG_CAT_CLEAN);
	if (strlen(s->options[0]) != TASK_MAX_OPTION_LEN - 1)
		fail_msg("option cut at %zu bytes, want %d (before the 2-byte character)",
		    strlen(s->options[0]), TASK_MAX_OPTION_LEN - 1);
	assert_null(mg_task_symbol_get(&t, "MIME_BAD_QP"));

	/* The symbol array grows by doubling up to its ceiling. */
	for (int i = 0; t.nsymbols < TASK_MAX_SYMBOLS; i++) {
		snprintf(opt, sizeof(opt), "EXTRA_%d", i);
		assert_int_equal(mg_task_symbol(&t, opt, NULL), 0);
	}
	assert_int_equal(mg_task_symbol(&t, "ONE_TOO_MANY", NULL), -MG_ELIMIT);
	assert_int_equal(mg_task_symbol(&t, "GTUBE", "still fine"), 0);
	assert_string_equal(mg_task_symbol_get(&t, "EXTRA_0")->name, "EXTRA_0");
	assert_false(mg_task_expired(&t));
	t.check_deadline = task_now();
	assert_true(mg_task_expired(&t));
	task_clear(&t);
	symbol_table_clear(&st);
}

static void
test_symbol_table(void **state)
{
	struct conf_symbol over[] = {
		{ "GTUBE", true, 3.0, -1, -1, 7 },
		{ "ATT_BOMB", false, 0.0, MG_CAT_POLICY, MG_VERDICT_REJECT, 8 },
		{ "NO_SUCH_SYMBOL", true, 1.0, -1, -1, 9 },
	};
	struct mg_conf conf = { .path = "/etc/mg.conf" };
	struct symbol_table st;
	const struct symbol_def *d;
	char err[256];

	conf_engine_defaults(&conf.engine);
	conf.engine.symbols = over;
	conf.engine.nsymbols = 2;
	assert_int_equal(symbol_table_load(&st, &conf, NULL, 0, err, sizeof(err)), 0);
	for (size_t i = 1; i < st.ndefs; i++)
		if (strcmp(st.defs[i - 1].name, st.defs[i].name) >= 0)
			fail_msg("defaults not unique: %s, %s", st.defs[i - 1].name, st.defs[i].name);
	d = symbol_find(&st, "GTUBE");
	assert_true(d->score == 3.0 && d->category == MG_CAT_SPAM);
	d = symbol_find(&st, "ATT_BOMB");
	assert_true(d->score == 6.0 && d->category == MG_CAT_POLICY &&
	    d->force == MG_VERDICT_REJECT);
	symbol_table_clear(&st);

	conf.engine.nsymbols = 3;
	assert_int_equal(symbol_table_load(&st, &conf, NULL, 0, err, sizeof(err)), -MG_EINVAL);
	assert_string_equal(err, "/etc/mg.conf:9: unknown symbol 'NO_SUCH_SYMBOL' in engine.scores");
	assert_null(st.defs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_task_symbols),
		cmocka_unit_test(test_symbol_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
