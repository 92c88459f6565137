/* Recipient validation settings (guard.recipients: ldap, callout, cache,
 * on_error) with their FILE:LINE errors, and the dispatcher's answers
 * from the static list and the cache before any method is asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>

#include "guard/verify.h"
#include "store/kv.h"
#include "test_util.h"
#include "conf_fixture.h"

TEST_SCRATCH_DIR("verify")

#define LDAP_OK	"ldap = { uri = \"ldap://127.0.0.1:1\"; base = \"dc=example,dc=test\"; };"

static void
test_settings(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE "guard = { recipients = {\n"
	    "  ldap = { uri = \"ldap://127.0.0.1:3389\"; base = \"dc=example,dc=test\";\n"
	    "    bind_dn = \"cn=gw\"; bind_password = \"pw\"; timeout = 0.5;\n"
	    "    domains = [ \"Example.TEST\" ]; };\n"
	    "  cache = { known = 60; unknown = 30; }; on_error = \"accept\"; }; };\n",
	    err, sizeof(err));
	const struct conf_recipients *r;

	if (c == NULL)
		fail_msg("load: %s", err);
	r = &c->guard.recipients;
	check_str("uri", r->ldap.uri, "ldap://127.0.0.1:3389");
	check_str("filter default", r->ldap.filter, "(|(mail=%s)(mailAlternateAddress=%s))");
	check_str("domain lower", r->ldap.domains[0], "example.test");
	assert_int_equal(r->ldap.timeout_ms, 500);
	assert_int_equal(r->cache_known, 60);
	assert_int_equal(r->cache_unknown, 30);
	assert_int_equal(r->on_error, CONF_RCPT_ACCEPT);
	assert_false(r->callout.enabled);
	conf_free(c);
	check_failures();
}

static void
test_errors(void **state)
{
	static const struct conf_error_case cases[] = {
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"http://x\"; "
		  "base = \"dc=x\"; }; }; };\n",
		  "test.conf:5: guard.recipients.ldap.uri: 'http://x' is not an ldap://, "
		  "ldaps:// or ldapi:// URI" },
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"ldap://x\"; }; }; };\n",
		  "test.conf:5: missing setting 'base'" },
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"ldap://x\"; base = \"b\"; "
		  "bind_dn = \"cn=a\"; }; }; };\n",
		  "test.conf:5: guard.recipients.ldap: bind_dn and bind_password go together" },
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"ldap://x\"; base = \"b\"; "
		  "filter = \"(mail=%x)\"; }; }; };\n",
		  "test.conf:5: guard.recipients.ldap.filter: '(mail=%x)' may only use %s "
		  "(address), %u (local part), %d (domain), %%" },
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"ldap://x\"; base = \"b\"; "
		  "filter = \"(mail=%s\"; }; }; };\n",
		  "test.conf:5: guard.recipients.ldap.filter: '(mail=%s' has unbalanced "
		  "parentheses" },
		{ CONF_BASE "guard = { recipients = { ldap = { uri = \"ldap://x\"; base = \"b\"; "
		  "fliter = \"x\"; }; }; };\n",
		  "test.conf:5: unknown setting 'fliter' in guard.recipients.ldap" },
		{ CONF_BASE "guard = { recipients = { " LDAP_OK " on_error = \"pass\"; }; };\n",
		  "test.conf:5: 'on_error' must be one of: tempfail, accept" },
		{ CONF_BASE "guard = { recipients = { cache = { known = -1; }; }; };\n",
		  "test.conf:5: guard.recipients.cache.known = -1 is out of range [0, 2592000]" },
		{ CONF_BASE "guard = { recipients = { callout = { enabled = true; "
		  "max_parallel = 0; }; }; };\n",
		  "test.conf:5: guard.recipients.callout.max_parallel = 0 is out of range "
		  "[1, 1000]" },
		{ CONF_BASE "guard = { recipients = { callout = { enabled = true; "
		  "domains = [ \"other.test\" ]; }; }; };\n",
		  "test.conf:5: guard.recipients.callout: other.test is not a protected domain" },
	};
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	check_failures();
}

static const char *const result_names[] = { "known", "unknown", "failed", "unchecked",
	"pending" };

static void
never_called(enum verify_result r, const char *detail, void *arg)
{
	fail_msg("callback ran for an answer given at once");
}

/* Answers that never reach a method: the static list wins over the
 * cache, the cache is case-insensitive, no method means unchecked. */
static void
test_dispatch(void **state)
{
	static char *listed[] = { "bob@example.test", "@open.test" };
	static const struct { const char *addr, *want, *detail; } cases[] = {
		{ "Bob@Example.test", "known", "static: listed" },
		{ "eve@example.test", "unknown", "static: not listed" },
		{ "anyone@open.test", "known", "static: listed" },
		{ "Cached@Dir.test", "known", "cache: exists" },
		{ "gone@dir.test", "unknown", "cache: unknown" },
	};
	struct event_base *base = event_base_new();
	struct conf_recipients rc;
	struct kv_local_opts opts = { 0 };
	struct kv *kv;
	struct verify *v;
	char err[256], detail[VERIFY_DETAIL_MAX];

	assert_non_null(kv = kv_local_open(&opts, err, sizeof(err)));
	conf_recipients_defaults(&rc);
	rc.listed = listed;
	rc.nlisted = 2;
	/* no method: nothing beyond the static list is answered */
	assert_non_null(v = verify_new(base, &rc, kv, "mx.test"));
	assert_int_equal(verify_rcpt(v, "x@dir.test", NULL, never_called, NULL, detail,
	    sizeof(detail)), VERIFY_UNCHECKED);
	verify_free(v);
	/* an LDAP method that is never reached: answers come from the cache */
	rc.ldap.uri = "ldap://127.0.0.1:1";
	rc.ldap.base = "dc=example,dc=test";
	assert_non_null(v = verify_new(base, &rc, kv, "mx.test"));
	assert_int_equal(kv_put(kv, "guard:v:cached@dir.test", 23, "1", 1, 60), 0);
	assert_int_equal(kv_put(kv, "guard:v:gone@dir.test", 21, "0", 1, 60), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum verify_result r = verify_rcpt(v, cases[i].addr, NULL, never_called, NULL,
		    detail, sizeof(detail));

		check_str(cases[i].addr, result_names[r], cases[i].want);
		check_str(cases[i].addr, detail, cases[i].detail);
	}
	verify_free(v);
	kv_close(kv);
	event_base_free(base);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dispatch),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
