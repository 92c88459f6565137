/* The policy engine: the condition parser (valid and invalid texts with
 * positions), every condition type against one message, and policy_decide
 * (scopes, priorities, monitor, disabled, user allow vs malware). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

static const struct policy_header hdrs[] = {
	{ "List-Id", "<news.example.org>" }, { "X-Mailer", "BulkMailer 3.1" },
};
static const struct policy_attachment atts[] = {
	{ "invoice.pdf.exe", "application/x-dosexec", "exe" },
};
static const char *const syms[] = { "SPF_PASS", "DKIM_REJECT", "BAYES_SPAM" };
static const struct policy_msg msg = {
	.mail_from = "alice@Example.com", .header_from = "boss@example.net",
	.client_ip = "192.0.2.77", .helo = "mx.example.com", .nrcpts = 3,
	.subject = "Your Invoice 42", .headers = hdrs, .nheaders = 2, .atts = atts,
	.natts = 1, .size = 20000, .category = "spam", .score = 7.5, .symbols = syms,
	.nsymbols = 3,
};

static void
test_eval_table(void **state)
{
	static const struct { const char *cond; bool want; } t[] = {
		{ "from = \"alice@example.com\"", true },
		{ "from_domain = example.com", true },
		{ "from_domain != example.com", false },
		{ "header_from ~ \"example.net\"", true },
		{ "rcpt = bob@corp.test", true },
		{ "rcpt_domain in [other.test, corp.test]", true },
		{ "ip = 192.0.2.0/24", true },
		{ "ip in [10.0.0.0/8, 2001:db8::/32]", false },
		{ "helo =~ \"^mx\\\\.\"", true },
		{ "spf = pass", true },
		{ "dkim = fail", true },
		{ "dmarc = none", true },
		{ "header List-Id ~ \"news\"", true },
		{ "header X-Mailer =~ \"^Bulk\"", true },
		{ "header X-Absent = x", false },
		{ "subject ~ \"invoice\"", true },
		{ "subject = \"your invoice 42\"", true },
		{ "attachment_name =~ \"\\\\.pdf\\\\.exe$\"", true },
		{ "attachment_type = \"application/x-dosexec\"", true },
		{ "attachment_ext in [exe, js]", true },
		{ "size > 10k", true },
		{ "size < 1M and size >= 20000", true },
		{ "rcpt_count >= 3", true },
		{ "category = spam", true },
		{ "score > 5 and score <= 7.5", true },
		{ "symbol BAYES_SPAM", true },
		{ "not symbol DKIM_ALLOW", true },
		{ "from_domain = \"example.com\" and (subject ~ \"invoice\" or attachment_ext in"
		    " [exe, js]) and not symbol DKIM_ALLOW", true },
		{ "category = clean or score < 1", false },
		{ "not (category = clean or score < 1)", true },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_cond *c;
		char err[256], why[512];
		if (policy_cond_parse(t[i].cond, &c, err, sizeof(err)) < 0) {
			printf("%s: parse error %s\n", t[i].cond, err);
			failed++;
			continue;
		}
		bool got = policy_cond_eval(c, &msg, "bob@corp.test", why, sizeof(why));
		if (got != t[i].want) {
			printf("%s: got %d want %d (%s)\n", t[i].cond, got, t[i].want, why);
			failed++;
		}
		policy_cond_free(c);
	}
	assert_int_equal(failed, 0);
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *cond, *want; } t[] = {
		{ "", "at 1: expected a condition" },
		{ "frm = x", "at 1: unknown field 'frm'" },
		{ "subject ~", "at 10: expected a value" },
		{ "subject \"x\"", "at 9: expected an operator after subject" },
		{ "size ~ 10", "at 6: operator '~' does not apply to size" },
		{ "ip = 300.1.1.1", "at 6: '300.1.1.1' is not an IP address or CIDR" },
		{ "spf = maybe", "at 7: 'maybe' is not an authentication result (pass, fail, ...)" },
		{ "(subject ~ x", "at 13: expected ')' to close the '(' at 1" },
		{ "subject ~ \"x", "at 11: unterminated string" },
		{ "subject =~ \"(\"", "at 14: bad regex: missing closing parenthesis" },
		{ "size > 1 size < 2", "at 10: expected and, or or the end, not 'size'" },
		{ "attachment_ext in []", "at 20: empty list" },
		{ "subject ! x", "at 9: '!' must be followed by '=' (use not for negation)" },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_cond *c = NULL;
		char err[256] = "";
		int rc = policy_cond_parse(t[i].cond, &c, err, sizeof(err));
		if (rc >= 0 || strcmp(err, t[i].want) != 0) {
			printf("'%s': got rc %d '%s', want '%s'\n", t[i].cond, rc, err, t[i].want);
			failed++;
		}
		policy_cond_free(c);
	}
	assert_int_equal(failed, 0);
}

struct row { const char *name, *scope, *value, *state, *cond, *act, *args; int prio; };

static void
build(struct policy_set *set, const struct row *rows, size_t n)
{
	char err[256];

	set->filters = calloc(n, sizeof(*set->filters));
	set->n = n;
	for (size_t i = 0; i < n; i++) {
		struct store_policy r = { .id = i + 1, .name = rows[i].name, .priority = rows[i].prio,
			.scope = rows[i].scope, .scope_value = rows[i].value, .state = rows[i].state,
			.condition = rows[i].cond, .action = rows[i].act, .action_args = rows[i].args };
		if (policy_filter_from_row(&r, &set->filters[i], err, sizeof(err)) < 0)
			fail_msg("%s: %s", rows[i].name, err);
	}
}

static void
test_decide(void **state)
{
	static const struct row rows[] = {
		{ "g-spam", "global", "", "enabled", "category = spam", "quarantine", "", 100 },
		{ "g-early", "global", "", "enabled", "symbol NOPE", "discard", "", 1 },
		{ "d-tag", "domain", "corp.test", "enabled", "score > 5", "tag", "subject [SPAM]", 50 },
		{ "d-off", "domain", "corp.test", "disabled", "score > 0", "reject", "550 no", 1 },
		{ "u-mon", "user", "carol@corp.test", "monitor", "subject ~ invoice", "hold", "", 1 },
		{ "u-allow", "user", "carol@corp.test", "enabled", "from_domain = example.com",
		    "accept", "", 5 },
	};
	static const struct { const char *rcpt, *category, *want; size_t nmon; } t[] = {
		{ "x@else.test", "spam", "g-spam", 0 },
		{ "bob@corp.test", "spam", "d-tag", 0 },
		{ "carol@corp.test", "spam", "u-allow", 1 },
		{ "carol@corp.test", "malware", "d-tag", 1 },
		{ "x@else.test", "clean", NULL, 0 },
	};
	struct policy_set set;
	int failed = 0;

	(void)state;
	build(&set, rows, sizeof(rows) / sizeof(rows[0]));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_msg m = msg;
		struct policy_decision d;
		m.category = t[i].category;
		policy_decide(&set, &m, t[i].rcpt, &d, NULL, NULL);
		const char *got = d.filter ? d.filter->name : NULL;
		if ((got == NULL) != (t[i].want == NULL) || (got && strcmp(got, t[i].want) != 0) ||
		    d.nmonitor != t[i].nmon) {
			printf("%s/%s: got %s (%zu monitor) want %s (%zu)\n", t[i].rcpt,
			    t[i].category, got ? got : "none", d.nmonitor,
			    t[i].want ? t[i].want : "none", t[i].nmon);
			failed++;
		}
	}
	policy_set_clear(&set);
	assert_int_equal(failed, 0);
}

static void
test_list_cond(void **state)
{
	static const struct { const char *in, *want; } t[] = {
		{ "a@b.test", "from = \"a@b.test\"" }, { "@b.test", "from_domain = \"b.test\"" },
		{ "b.test", "from_domain = \"b.test\"" }, { "10.1.0.0/16", "ip = 10.1.0.0/16" },
		{ "nothing", NULL }, { "a b", NULL },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[256] = "";
		int rc = policy_list_cond(t[i].in, out, sizeof(out));
		if (t[i].want ? rc != 0 || strcmp(out, t[i].want) != 0 : rc == 0) {
			printf("%s: got %d '%s' want '%s'\n", t[i].in, rc, out,
			    t[i].want ? t[i].want : "error");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_table),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_list_cond),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
