/* Stripping dangerous files, the engine's side: the verdict rule
 * (verdict_strip), the notice template, engine.dangerous's settings and
 * errors. (mg_scan_ex with a strip end to end: tests/e2e/test_strip.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "engine/dangerous.h"
#include "engine/task.h"
#include "engine/verdict.h"
#include "mime/strip.h"
#include "test_util.h"
#include "conf_fixture.h"

#define A	MG_VERDICT_ACCEPT
#define T	MG_VERDICT_TAG
#define Q	MG_VERDICT_QUARANTINE
#define R	MG_VERDICT_REJECT
#define DNG	MG_CAT_DANGEROUS
#define MAL	MG_CAT_MALWARE
#define SPM	MG_CAT_SPAM

TEST_SCRATCH_DIR("engine-strip")

/* Two attachment parts and "the message" (part index -1). */
static struct mime_part parts[2];

struct ssym {
	double		 score;
	enum mg_category cat;
	enum mg_verdict_action force;
	int		 part[2];	/* indexes in parts, -1: the message; 9: none */
};

static void
test_verdict_strip(void **state)
{
	static const struct verdict_thresholds th = { 5.0, 10.0, 20.0 };
	static const struct {
		const char	*what;
		struct ssym	 syms[3];
		size_t		 n;
		bool		 strip;
		enum mg_verdict_action action;
		bool		 covered[3];
	} cases[] = {
		{ "macro alone", { { 8, DNG, Q, { 0, 9 } } }, 1, true, A, { true } },
		{ "two files", { { 8, DNG, Q, { 0, 1 } }, { 1, SPM, A, { 1, 9 } } }, 2, true, A,
		  { true, true } },
		{ "spam left tags", { { 8, DNG, Q, { 0, 9 } }, { 6, SPM, A, { -1, 9 } } }, 2,
		  true, T, { true, false } },
		{ "spam left quarantines", { { 8, DNG, Q, { 0, 9 } }, { 11, SPM, A, { -1, 9 } } },
		  2, false, Q, { false } },
		{ "dangerous body", { { 8, DNG, Q, { -1, 9 } } }, 1, false, Q, { false } },
		{ "dangerous file and body", { { 8, DNG, Q, { 0, -1 } } }, 1, false, Q, { false } },
		{ "known malware", { { 8, DNG, Q, { 0, 9 } }, { 5, MAL, Q, { 1, 9 } } }, 2,
		  false, Q, { false } },
		{ "malware-category hint on the file", { { 8, DNG, Q, { 0, 9 } },
		  { 3, MAL, A, { 0, 9 } } }, 2, true, A, { true, true } },
		{ "hint on another file stays", { { 8, DNG, Q, { 0, 9 } },
		  { 6, MAL, A, { 1, 9 } } }, 2, true, T, { true, false } },
		{ "not dangerous", { { 12, SPM, A, { 0, 9 } } }, 1, false, Q, { false } },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task_symbol s[3];
		struct verdict v, out;
		bool covered[3] = { false }, got;

		memset(s, 0, sizeof(s));
		for (size_t k = 0; k < cases[i].n; k++) {
			const struct ssym *c = &cases[i].syms[k];
			s[k].name = "X";
			s[k].score = c->score;
			s[k].category = c->cat;
			s[k].force = c->force;
			for (size_t j = 0; j < 2; j++) {
				if (c->part[j] == -1)
					s[k].about_message = true;
				else if (c->part[j] != 9)
					s[k].parts[s[k].nparts++] = &parts[c->part[j]];
			}
		}
		verdict_compute(&th, s, cases[i].n, &v);
		got = verdict_strip(&th, s, cases[i].n, &v, covered, &out);
		bool cov_ok = true;
		for (size_t k = 0; k < cases[i].n; k++)
			cov_ok &= covered[k] == cases[i].covered[k];
		if (got != cases[i].strip || out.action != cases[i].action || !cov_ok ||
		    out.category != v.category || out.score != v.score) {
			print_error("%s: got strip=%d action=%d covered=%d,%d,%d; want strip=%d "
			    "action=%d covered=%d,%d,%d\n", cases[i].what, got, out.action,
			    covered[0], covered[1], covered[2], cases[i].strip, cases[i].action,
			    cases[i].covered[0], cases[i].covered[1], cases[i].covered[2]);
			failed++;
		}
	}
	if (failed)
		fail_msg("%u case(s) failed", failed);
}

/* mg_task_symbol_part: each part once, the message apart, and a symbol
 * about more parts than are kept counts as about the message. */
static void
test_task_parts(void **state)
{
	static struct symbol_def one = { "Z", 1.0, MG_CAT_SPAM, MG_VERDICT_ACCEPT, "z" };
	static const struct symbol_table none = { &one, 1 };
	struct mime_part many[TASK_MAX_PARTS + 1];
	const struct task_symbol *s;
	struct mg_task t;

	(void)state;
	assert_int_equal(task_init(&t, &none, (const uint8_t *)"x", 1, NULL, 0), 0);
	assert_int_equal(mg_task_symbol_part(&t, "A", "f: one", &parts[0]), 0);
	assert_int_equal(mg_task_symbol_part(&t, "A", "f: two", &parts[0]), 0);
	assert_int_equal(mg_task_symbol_part(&t, "A", NULL, &parts[1]), 0);
	assert_non_null(s = mg_task_symbol_get(&t, "A"));
	assert_int_equal(s->nparts, 2);
	assert_ptr_equal(s->parts[0], &parts[0]);
	assert_ptr_equal(s->parts[1], &parts[1]);
	assert_int_equal(s->noptions, 2);
	assert_false(s->about_message);
	assert_int_equal(mg_task_symbol(&t, "A", NULL), 0);
	assert_true(mg_task_symbol_get(&t, "A")->about_message);
	for (size_t i = 0; i < TASK_MAX_PARTS + 1; i++)
		assert_int_equal(mg_task_symbol_part(&t, "B", NULL, &many[i]), 0);
	assert_non_null(s = mg_task_symbol_get(&t, "B"));
	assert_int_equal(s->nparts, TASK_MAX_PARTS);
	assert_true(s->about_message);
	task_clear(&t);
}

static void
test_notice(void **state)
{
	static const struct {
		const char *tmpl, *file, *reason, *want;
	} cases[] = {
		{ "%f (%r) 100%%\n", "a.docm", "OFFICE_AUTOEXEC", "a.docm (OFFICE_AUTOEXEC) 100%\n" },
		{ "%f", "bad\nname\x01", "R", "bad?name?" },
		{ "%x%", "f", "r", "%x%" },
	};
	struct mg_buf b;

	(void)state;
	mg_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dangerous_notice(cases[i].tmpl, cases[i].file, cases[i].reason,
		    &b), 0);
		check_str(cases[i].tmpl, (const char *)b.data, cases[i].want);
	}
	check_failures();
	/* cut at the maximum, on a UTF-8 boundary */
	char *tmpl = malloc(MIME_STRIP_NOTICE_MAX + 2);
	memset(tmpl, 'a', MIME_STRIP_NOTICE_MAX);
	memcpy(tmpl + MIME_STRIP_NOTICE_MAX - 1, "%f", 3);
	assert_int_equal(dangerous_notice(tmpl, "\xc3\xa9", "r", &b), 0);
	assert_int_equal(b.len, MIME_STRIP_NOTICE_MAX - 1);
	free(tmpl);
	mg_buf_release(&b);
}

static void
test_conf(void **state)
{
	static const struct {
		const char *text, *want;
	} errors[] = {
		{ CONF_BASE "engine = { dangerous = { action = \"drop\"; }; };\n",
		  "test.conf:5: 'action' must be one of: quarantine, strip" },
		{ CONF_BASE "engine = { dangerous = { mode = 1; }; };\n",
		  "test.conf:5: unknown setting 'mode' in engine.dangerous" },
		{ CONF_BASE "engine = { dangerous = {\n notice = \"a %s\"; }; };\n",
		  "test.conf:6: 'notice' may only use %f (file name), %r (reason) and %%" },
		{ CONF_BASE "engine = { dangerous = { notice = \"\"; }; };\n",
		  "test.conf:5: 'notice' must not be empty" },
		{ CONF_BASE "engine = { dangerous = \"strip\"; };\n",
		  "test.conf:5: 'engine.dangerous' must be a group { action = \"quarantine\"; }" },
	};
	char err[512], what[32];
	struct mg_conf *c;

	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		snprintf(what, sizeof(what), "error case %zu", i);
		conf_fixture_expect_error(dir, what, errors[i].text, errors[i].want);
	}
	check_failures();
	if ((c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->engine.dangerous.action, CONF_DANGEROUS_QUARANTINE);
	assert_string_equal(conf_dangerous_notice(&c->engine.dangerous),
	    CONF_DANGEROUS_NOTICE_DEFAULT);
	conf_free(c);
	c = conf_fixture_load(dir, CONF_BASE "engine = { dangerous = { action = \"strip\"; "
	    "notice = \"Removed %f: %r\"; }; };\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->engine.dangerous.action, CONF_DANGEROUS_STRIP);
	assert_string_equal(conf_dangerous_notice(&c->engine.dangerous), "Removed %f: %r");
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_strip),
		cmocka_unit_test(test_task_parts),
		cmocka_unit_test(test_notice),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
