/* The rule file parser: valid files give the rules they describe (shown
 * as one line per rule), every error names its file and line, a later
 * file overrides or disables a rule, and compiling checks meta cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "rules/rules.h"
#include "test_util.h"

/* "NAME kind scope header /pattern/flags score category description" per
 * rule, separated by "; ". */
static void
describe_set(const struct rules_set *set, char *out, size_t outlen)
{
	static const char *const kinds[] = { "match", "notmatch", "exists", "missing", "eval",
		"meta" };
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < rules_count(set) && n < outlen; i++) {
		const struct rule *r = rules_get(set, i);
		n += (size_t)snprintf(out + n, outlen - n, "%s%s %s", i ? "; " : "", r->name,
		    kinds[r->kind]);
		if (r->kind == RULE_MATCH || r->kind == RULE_NOT_MATCH)
			n += (size_t)snprintf(out + n, outlen - n, " %s", rules_scope_name(r->scope));
		if (r->header != NULL && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " %s", r->header);
		if (r->pattern != NULL && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " /%s/%x", r->pattern, r->flags);
		if (r->kind == RULE_EVAL && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " %u(%ld)", r->eval, r->eval_arg);
		if (r->meta != NULL && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " [%s]", r->meta);
		if (n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " %g %s %s%s", r->score,
			    conf_category_names[r->category],
			    r->description ? r->description : "-", r->disabled ? " disabled" : "");
	}
}

static void
test_valid(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "", "" },
		{ "# only a comment\n\n   \t\n", "" },
		{ "rule SUBJ_FREE\n\tsubject =~ /free money/i\n\tscore 2.5\n"
		  "\tdescribe Subject offers free money\n",
		  "SUBJ_FREE match header subject /free money/1 2.5 spam Subject offers free money" },
		/* attributes in any order, category, CRLF lines, trailing blanks */
		{ "rule X_MAILER_BULK\r\n  category bulk\r\n  describe Bulk mailer  \r\n"
		  "  score -0.5\r\n  header X-Mailer:raw !~ /^Outlook\\/[0-9]+$/sm\r\n",
		  "X_MAILER_BULK notmatch header:raw x-mailer /^Outlook\\/[0-9]+$/6 -0.5 bulk "
		  "Bulk mailer" },
		{ "rule A\n body =~ /a/u\n score 1\n describe a\n"
		  "rule B\n rawbody =~ /<b>/\n score 1\n describe b\n"
		  "rule C\n uri =~ /bit\\.ly/\n score 1\n describe c\n"
		  "rule D\n attachment =~ /\\.exe$/i\n score 1\n describe d\n"
		  "rule E\n from =~ /x/\n score 1\n describe e\n",
		  "A match body /a/8 1 spam a; B match rawbody /<b>/0 1 spam b; "
		  "C match uri /bit\\.ly/0 1 spam c; D match attachment /\\.exe$/1 1 spam d; "
		  "E match header from /x/0 1 spam e" },
		{ "rule NO_DATE\n missing Date\n score 1\n describe no date\n"
		  "rule HAS_LIST\n exists List-Id\n score 0\n describe list\n"
		  "rule CAPS\n eval subject_caps_percent 80\n score 1\n describe caps\n"
		  "rule HTML\n eval html_only\n score 0.1\n describe html only\n",
		  "NO_DATE missing date 1 spam no date; HAS_LIST exists list-id 0 spam list; "
		  "CAPS eval 7(80) 1 spam caps; HTML eval 0(0) 0.1 spam html only" },
		/* helpers have neither score nor description */
		{ "rule __A\n body =~ /a/\nrule M\n meta __A && !(B + C >= 2)\n score 3\n"
		  " describe m\n category phishing\n",
		  "__A match body /a/0 0 spam -; M meta [__A && !(B + C >= 2)] 3 phishing m" },
		/* disable */
		{ "rule A\n body =~ /a/\n score 1\n describe a\ndisable A\n",
		  "A match body /a/0 1 spam a disabled" },
	};
	char got[4096], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_set *set = rules_new();
		int rc = rules_parse(set, "t.rules", cases[i].text, strlen(cases[i].text), err,
		    sizeof(err));
		char what[64];

		snprintf(what, sizeof(what), "valid case %zu", i);
		if (rc != 0) {
			check_str(what, err, "(no error)");
		} else {
			describe_set(set, got, sizeof(got));
			check_str(what, got, cases[i].want);
		}
		rules_free(set);
	}
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "body =~ /a/\n", "t.rules:1: 'body' outside a rule (start one with: rule NAME)" },
		{ "\n\nrule lower\n", "t.rules:3: rule NAME: names are upper case letters, digits "
		  "and '_', up to 64 bytes" },
		{ "rule A B\n", "t.rules:1: rule NAME: names are upper case letters, digits and "
		  "'_', up to 64 bytes" },
		{ "rule A\n score 1\n describe a\nrule B\n", "t.rules:1: rule A has no test "
		  "(header, body, meta, ...)" },
		{ "rule A\n body =~ /a/\n score 1\n", "t.rules:1: rule A has no describe line" },
		{ "rule A\n body =~ /a/\n describe a\n", "t.rules:1: rule A has no score" },
		{ "rule __A\n body =~ /a/\n score 1\n", "t.rules:1: helper rule __A (__ prefix) is "
		  "never reported: no score or describe" },
		{ "rule A\n body =~ /a/\n body =~ /b/\n", "t.rules:3: rule A has a test already" },
		{ "rule A\n body ~ /a/\n", "t.rules:2: expected =~ after body" },
		{ "rule A\n body =~ a\n", "t.rules:2: expected /pattern/ after the operator" },
		{ "rule A\n body =~ /a\\/\n", "t.rules:2: unterminated /pattern/" },
		{ "rule A\n body =~ //\n", "t.rules:2: empty /pattern/" },
		{ "rule A\n body =~ /a/ix\n", "t.rules:2: unknown flag 'x' (flags: i s m u)" },
		{ "rule A\n body =~ /a/i junk\n", "t.rules:2: text after /pattern/flags" },
		{ "rule A\n header =~ /a/\n", "t.rules:2: expected =~ or !~ after header" },
		{ "rule A\n header Subject /a/\n", "t.rules:2: expected =~ or !~ after header" },
		{ "rule A\n header Sub:ject =~ /a/\n", "t.rules:2: 'Sub:ject' is not a header name" },
		{ "rule A\n missing\n", "t.rules:2: missing takes one header name" },
		{ "rule A\n exists A B\n", "t.rules:2: exists takes one header name" },
		{ "rule A\n eval nosuch\n", "t.rules:2: eval: unknown test 'nosuch'" },
		{ "rule A\n eval html_only 3\n", "t.rules:2: eval html_only takes no argument" },
		{ "rule A\n eval text_below x\n", "t.rules:2: eval text_below takes one number "
		  "(0 to 1000000000)" },
		{ "rule A\n meta B &&\n", "t.rules:2: meta: expected a symbol name, a number or "
		  "'(' at 'end'" },
		{ "rule A\n meta (B\n", "t.rules:2: meta: expected ')' at 'end'" },
		{ "rule A\n meta B C\n", "t.rules:2: meta: unexpected text at 'C'" },
		{ "rule A\n meta b\n", "t.rules:2: meta: expected a symbol name, a number or '(' "
		  "at 'b'" },
		{ "rule A\n meta B & C\n", "t.rules:2: meta: unexpected text at '& C'" },
		{ "rule A\n meta 99999999\n", "t.rules:2: meta: number too large at '99999999'" },
		{ "rule A\n body =~ /a/\n score x\n", "t.rules:3: score takes one number from "
		  "-1000 to 1000" },
		{ "rule A\n body =~ /a/\n score 1e9\n", "t.rules:3: score takes one number from "
		  "-1000 to 1000" },
		{ "rule A\n body =~ /a/\n score 1\n score 2\n", "t.rules:4: rule A has a score "
		  "already" },
		{ "rule A\n body =~ /a/\n describe\n", "t.rules:3: describe takes one line of "
		  "text (1 to 200 bytes)" },
		{ "rule A\n body =~ /a/\n category ham\n", "t.rules:3: category must be one of "
		  "clean, spam, bulk, phishing, malware, bec, policy" },
		{ "rule A\n body =~ /a/\n colour red\n", "t.rules:3: unknown keyword 'colour'" },
		{ "rule A\n body =~ /a/\n score 1\n describe a\nrule A\n",
		  "t.rules:5: rule A is defined twice in this file (line 1)" },
		{ "disable NOPE\n", "t.rules:1: disable NOPE: no such rule defined before" },
		{ "rule A\n body =~ /\xff/\n", "t.rules:2: not valid UTF-8" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_set *set = rules_new();
		int rc = rules_parse(set, "t.rules", cases[i].text, strlen(cases[i].text), err,
		    sizeof(err));
		char what[64];

		snprintf(what, sizeof(what), "error case %zu", i);
		if (rc != -MG_EINVAL)
			snprintf(err, sizeof(err), "rc %d", rc);
		check_str(what, err, cases[i].want);
		rules_free(set);
	}
	check_failures();
}

/* Limits: a long line, a NUL byte, a meta past the operand limit. */
static void
test_limits(void **state)
{
	static char text[RULES_LINE_MAX + 64];
	struct rules_set *set = rules_new();
	char err[512];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "rule A\n describe ");
	memset(text + n, 'x', RULES_LINE_MAX);
	text[n + RULES_LINE_MAX] = '\0';
	assert_int_equal(rules_parse(set, "t.rules", text, strlen(text), err, sizeof(err)),
	    -MG_EINVAL);
	check_str("long line", err, "t.rules:2: line longer than 8192 bytes");
	assert_int_equal(rules_parse(set, "t.rules", "rule A\n\0", 8, err, sizeof(err)),
	    -MG_EINVAL);
	check_str("NUL", err, "t.rules:2: NUL byte");
	n = (size_t)snprintf(text, sizeof(text), "rule A\n meta X");
	for (int i = 0; i < RULES_META_MAX_OPS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " + X");
	assert_int_equal(rules_parse(set, "t.rules", text, n, err, sizeof(err)), -MG_EINVAL);
	check_str("long meta", err, "t.rules:2: meta: expression too long at ' + X + X + X + X + X'");
	n = (size_t)snprintf(text, sizeof(text), "rule A\n meta ");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "(");
	assert_int_equal(rules_parse(set, "t.rules", text, n, err, sizeof(err)), -MG_EINVAL);
	check_str("deep meta", err, "t.rules:2: meta: parentheses nested too deep at '((((((('");
	rules_free(set);
	check_failures();
}

/* A later file replaces a rule (position kept), or disables it. */
static void
test_override(void **state)
{
	static const char one[] = "rule A\n body =~ /one/\n score 1\n describe first\n"
	    "rule B\n body =~ /b/\n score 1\n describe b\n";
	static const char two[] = "rule A\n header Subject =~ /two/\n score 2\n"
	    " describe second\n category bulk\ndisable B\n";
	struct rules_set *set = rules_new();
	char err[512], got[1024];

	assert_int_equal(rules_parse(set, "one.rules", one, strlen(one), err, sizeof(err)), 0);
	assert_int_equal(rules_parse(set, "two.rules", two, strlen(two), err, sizeof(err)), 0);
	describe_set(set, got, sizeof(got));
	check_str("override", got, "A match header subject /two/0 2 bulk second; "
	    "B match body /b/0 1 spam b disabled");
	check_str("override file", rules_get(set, 0)->file, "two.rules");
	rules_free(set);
	check_failures();
}

/* Compile-time errors: meta cycles with their path, bad patterns. */
static void
test_compile_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "rule A\n meta B\n score 1\n describe a\nrule B\n meta C || X\n score 1\n"
		  " describe b\nrule C\n meta A\n score 1\n describe c\n",
		  "t.rules:1: meta rule A depends on itself (A -> B -> C -> A)" },
		{ "rule A\n meta A + 1 > 1\n score 1\n describe a\n",
		  "t.rules:1: meta rule A depends on itself (A -> A)" },
		{ "rule A\n body =~ /(a/\n score 1\n describe a\n",
		  "t.rules:2: rule A: bad pattern: missing closing parenthesis at offset 2" },
		/* disabled rules are not compiled, and count as not fired */
		{ "rule A\n body =~ /(a/\n score 1\n describe a\ndisable A\n"
		  "rule M\n meta A\n score 1\n describe m\n", "" },
	};
	struct rules_limits lim = { 1 << 20, 10000 };
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_set *set = rules_new();
		char what[64];

		snprintf(what, sizeof(what), "compile case %zu", i);
		assert_int_equal(rules_parse(set, "t.rules", cases[i].text, strlen(cases[i].text),
		    err, sizeof(err)), 0);
		if (rules_compile(set, &lim, err, sizeof(err)) == 0)
			err[0] = '\0';
		check_str(what, err, cases[i].want);
		rules_free(set);
	}
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_compile_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
