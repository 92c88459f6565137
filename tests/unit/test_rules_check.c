/* The rules check inside an engine: rule symbols with their scores (and
 * engine.scores overriding them), meta rules over an earlier check's
 * symbols, helpers never reported, and rule files that refuse the open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checks/hidden_text.h"
#include "checks/rules.h"
#include "core/err.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "test_util.h"

static const char msg[] =
    "From: a@b.example\r\n"
    "Subject: cheap meds\r\n"
    "Content-Type: text/html\r\n\r\n"
    "<html><body><p>Order cheap meds</p>"
    "<div style=\"display:none\">lorem ipsum</div></body></html>\r\n";

static const char rules_ok[] =
    "rule R_BODY\n body =~ /cheap meds/i\n score 1.5\n describe cheap meds\n"
    "rule __R_SUBJ\n subject =~ /meds/\n"
    "rule R_META\n meta __R_SUBJ && HTML_HIDDEN_DISPLAY_NONE\n score 2\n"
    " describe meds with hidden text\n category phishing\n"
    "rule R_NONE\n body =~ /nothing/\n score 9\n describe never\n";

static void
write_rules(const char *dir, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/50-test.rules", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* Opens an engine of hidden_text and rules on dir's rules; err gets the
 * open's error, or "" */
static struct mg_engine *
open_engine(char *dir, struct conf_symbol *score, char *err, size_t errlen)
{
	static const struct mg_check *const checks[] = { &check_hidden_text, &check_rules };
	struct mg_conf conf = { 0 };
	struct mg_error e;
	struct mg_engine *eng;
	char *dirs[1] = { dir };

	conf_engine_defaults(&conf.engine);
	conf.engine.rules.dirs = dirs;
	conf.engine.rules.ndirs = 1;
	conf.engine.symbols = score;
	conf.engine.nsymbols = score != NULL;
	eng = engine_open_checks(&conf, checks, 2, &e);
	snprintf(err, errlen, "%s", eng ? "" : e.text);
	return eng;
}

static void
test_check_scan(void **state)
{
	struct conf_symbol over = { .name = "R_BODY", .has_score = true, .score = 7.0,
		.category = -1, .force = -1, .line = 3 };
	char dir[] = "/tmp/test_rules_check.XXXXXX", err[512];
	struct mg_result res;
	struct mg_buf out;

	assert_non_null(mkdtemp(dir));
	write_rules(dir, rules_ok);
	for (int k = 0; k < 2; k++) {
		struct mg_engine *e = open_engine(dir, k ? &over : NULL, err, sizeof(err));
		if (e == NULL)
			fail_msg("engine open: %s", err);
		assert_int_equal(mg_scan(e, NULL, (const uint8_t *)msg, sizeof(msg) - 1, &res), 0);
		mg_buf_init(&out, 0);
		assert_int_equal(mg_result_format_symbols(&res, &out), 0);
		assert_int_equal(mg_buf_cstr(&out), 0);
		check_str(k ? "scores overridden" : "default scores", (const char *)out.data, k ?
		    "R_BODY(7.00),R_META(2.00),HTML_HIDDEN_DISPLAY_NONE(0.30)" :
		    "R_META(2.00),R_BODY(1.50),HTML_HIDDEN_DISPLAY_NONE(0.30)");
		check_str("category", res.verdict, k ? "spam" : "clean");
		mg_buf_release(&out);
		mg_result_clear(&res);
		mg_engine_close(e);
	}
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

/* A broken rule file, or a rule named as a built-in symbol, refuses the
 * open with the reason, file and line. */
static void
test_check_refused(void **state)
{
	static const struct {
		const char	*file;
		const char	*why;	/* after "check rules: DIR/50-test.rules:" */
	} bad[] = {
		{ "rule X\n body =~ /x/\n", "1: rule X has no describe line" },
		{ "rule GTUBE\n body =~ /x/\n score 1\n describe x\n",
		  "1: rule GTUBE: the name of a built-in symbol" },
		{ "rule X\n body =~ /(x/\n score 1\n describe x\n",
		  "2: rule X: bad pattern: missing closing parenthesis at offset 2" },
		{ "rule X\n meta X\n score 1\n describe x\n",
		  "1: meta rule X depends on itself (X -> X)" },
	};
	char dir[] = "/tmp/test_rules_check.XXXXXX", err[512], want[640];

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mg_engine *e;

		write_rules(dir, bad[i].file);
		if ((e = open_engine(dir, NULL, err, sizeof(err))) != NULL) {
			mg_engine_close(e);
			fail_msg("case %zu: engine opened", i);
		}
		snprintf(want, sizeof(want), "check rules: %s/50-test.rules:%s", dir, bad[i].why);
		check_str("refused", err, want);
	}
	/* an empty directory: no rules, only RULES_FAIL is defined */
	write_rules(dir, "# nothing\n");
	{
		struct mg_engine *e = open_engine(dir, NULL, err, sizeof(err));
		struct mg_result res;
		assert_non_null(e);
		assert_int_equal(mg_scan(e, NULL, (const uint8_t *)msg, sizeof(msg) - 1, &res), 0);
		assert_int_equal(res.nsymbols, 1);
		mg_result_clear(&res);
		mg_engine_close(e);
	}
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_scan),
		cmocka_unit_test(test_check_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
