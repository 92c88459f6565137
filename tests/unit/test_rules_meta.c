/* Meta rules: and, or, not, counts and comparisons over rules of the set
 * and symbols of earlier checks, evaluated after the rules they use
 * whatever the order of definition. (Cycles: test_rules_parse.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_rules_fixture.h"
#include "test_util.h"

/* A, B, C fire on the message below, D does not; DIS is disabled. */
static const char base[] =
    "rule A\n exists X-A\n score 1\n describe a\n"
    "rule B\n exists X-B\n score 1\n describe b\n"
    "rule C\n exists X-C\n score 1\n describe c\n"
    "rule D\n exists X-D\n score 1\n describe d\n"
    "rule DIS\n exists X-A\n score 1\n describe dis\n"
    "disable DIS\n";
static const char msg[] = "X-A: 1\r\nX-B: 1\r\nX-C: 1\r\n\r\nbody\r\n";

static unsigned ext_calls;

/* EXT_ON fired in an earlier check; nothing else did. */
static bool
ext_fired(void *arg, const char *name)
{
	(void)arg;
	ext_calls++;
	return strcmp(name, "EXT_ON") == 0;
}

static void
test_meta_eval(void **state)
{
	static const struct { const char *expr; bool want; } cases[] = {
		{ "A", true }, { "D", false }, { "!D", true }, { "!!A", true },
		{ "A && B", true }, { "A && D", false }, { "D || C", true }, { "D || !A", false },
		{ "A && !D", true },
		{ "(A + B + D) >= 2", true }, { "(A + B + D) >= 3", false },
		{ "A + B + C + D == 3", true }, { "A + D != 1", false },
		{ "A + B < 2", false }, { "A + B <= 2", true }, { "D + D > 0", false },
		{ "0", false }, { "2", true }, { "1 + 1 == 2", true },
		/* precedence: && before ||, comparison before &&, + before comparison */
		{ "A || D && D", true }, { "D && D || A", true }, { "(A || D) && D", false },
		{ "A + B > 1 && C", true }, { "!A + 1", true }, { "!(A + B)", false },
		{ "EXT_ON && A", true }, { "EXT_OFF || D", false }, { "EXT_ON + EXT_OFF + A >= 2", true },
		/* a disabled rule is never fired */
		{ "DIS", false }, { "!DIS && A", true },
		{ "  A\t&&B  ", true },
	};
	struct rules_env env = { .fired = ext_fired };
	char text[2048], got[256], what[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_set *set;

		snprintf(text, sizeof(text), "%srule M\n meta %s\n score 1\n describe m\n", base,
		    cases[i].expr);
		set = fixture_set(text, 1 << 20);
		fixture_scan(set, msg, &env, got, sizeof(got));
		snprintf(what, sizeof(what), "meta \"%s\"", cases[i].expr);
		check_str(what, strstr(got, " M") != NULL ? "fired" : "not fired",
		    cases[i].want ? "fired" : "not fired");
		rules_free(set);
	}
	check_failures();
}

/* Metas of metas defined before the metas they use; helpers not counted
 * as externals; each external asked once per message. */
static void
test_meta_order(void **state)
{
	static const char text[] =
	    "rule TOP\n meta MID && !LOW\n score 1\n describe top\n"
	    "rule MID\n meta __H && EXT_ON && EXT_ON && A\n score 1\n describe mid\n"
	    "rule LOW\n meta D || EXT_OFF\n score 1\n describe low\n"
	    "rule __H\n meta B + C == 2\n"
	    "rule A\n exists X-A\n score 1\n describe a\n"
	    "rule B\n exists X-B\n score 1\n describe b\n"
	    "rule C\n exists X-C\n score 1\n describe c\n"
	    "rule D\n exists X-D\n score 1\n describe d\n";
	struct rules_env env = { .fired = ext_fired };
	struct rules_set *set = fixture_set(text, 1 << 20);
	const char *const *ext;
	char got[256];
	size_t n;

	ext_calls = 0;
	fixture_scan(set, msg, &env, got, sizeof(got));
	check_str("order", got, "TOP MID __H A B C");
	ext = rules_externals(set, &n);
	assert_int_equal(n, 2);
	check_str("external 0", ext[0], "EXT_ON");
	check_str("external 1", ext[1], "EXT_OFF");
	assert_int_equal(ext_calls, 2);
	/* without a callback no external fired */
	env.fired = NULL;
	fixture_scan(set, msg, &env, got, sizeof(got));
	check_str("no callback", got, "__H A B C");
	rules_free(set);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_eval),
		cmocka_unit_test(test_meta_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
