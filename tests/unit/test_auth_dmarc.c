/* DMARC (auth/dmarc.h): policy records and their invalid forms, the From
 * domain of real-world From fields (display names that pose as
 * addresses, groups, comments, several addresses), organisational
 * domains from the Public Suffix List, policy discovery at the From
 * domain and its organisational domain with a fake DNS zone, strict and
 * relaxed alignment, sp and pct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "fake_dns.h"
#include "auth/dmarc.h"

static void
test_record(void **state)
{
	static const struct { const char *rec, *want; } c[] = {
		/* "rc p sp pct adkim aspf rua bad" */
		{ "v=DMARC1; p=reject", "0 reject reject 100 r r - -" },
		{ "v=DMARC1;p=quarantine;sp=none;pct=25;adkim=s;aspf=s;rua=mailto:d@example.org",
		  "0 quarantine none 25 s s mailto:d@example.org -" },
		{ " v = DMARC1 ; P = Reject ; ", "0 reject reject 100 r r - -" },
		{ "v=DMARC1; p=none; pct=101", "0 none none 100 r r - pct" },
		{ "v=DMARC1; p=none; pct=x5", "0 none none 100 r r - pct" },
		{ "v=DMARC1; p=none; adkim=x", "0 none none 100 r r - adkim" },
		{ "v=DMARC1; p=none; junk; aspf=s", "0 none none 100 r s - tag without '='" },
		{ "v=DMARC1; p=none; fo=1; rf=afrf; ri=86400; foo=bar", "0 none none 100 r r - -" },
		{ "v=DMARC1; p=bogus", "-3 none none 100 r r - p" },
		{ "v=DMARC1; sp=reject", "-3 none reject 100 r r - p" },
		{ "v=DMARC1; p=bogus; rua=mailto:x@example.org", "0 none none 100 r r "
		  "mailto:x@example.org p" },
		{ "v=DMARC1; p=reject; sp=bogus", "-3 reject none 100 r r - sp" },
		{ "v=DMARC1", "-3 none none 100 r r - p" },
		{ "v=dmarc1; p=reject", "-7 none none 100 r r - -" },
		{ "p=reject; v=DMARC1", "-7 none none 100 r r - -" },
		{ "v=spf1 -all", "-7 none none 100 r r - -" },
		{ "", "-7 none none 100 r r - -" },
	};
	char got[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mg_arena *a = mg_arena_new(4096, 0);
		struct dmarc_record r;
		int rc = dmarc_record_parse(a, c[i].rec, strlen(c[i].rec), &r);

		snprintf(got, sizeof(got), "%d %s %s %u %s %s %s %s", rc, dmarc_policy_name(r.p),
		    dmarc_policy_name(r.sp), r.pct, r.adkim_strict ? "s" : "r",
		    r.aspf_strict ? "s" : "r", r.rua ? r.rua : "-", r.bad ? r.bad : "-");
		check_str(c[i].rec, got, c[i].want);
		mg_arena_free(a);
	}
	check_failures();
}

static void
test_from_domain(void **state)
{
	static const struct { const char *hdr, *want; } c[] = {
		{ "From: alice@Example.ORG\r\n", "0 example.org" },
		{ "From: Alice <alice@example.org>\r\n", "0 example.org" },
		{ "From: \"bank@paypal.com\" <x@attacker.test>\r\n", "0 attacker.test" },
		{ "From: =?utf-8?q?bank=40paypal.com?= <x@attacker.test>\r\n", "0 attacker.test" },
		{ "From: x@attacker.test (bank@paypal.com)\r\n", "0 attacker.test" },
		{ "From: \"a\\\"@b.test\" <c@d.test>\r\n", "0 d.test" },
		{ "From: \"quoted@local\"@example.org\r\n", "0 example.org" },
		{ "From: Alice\r\n <alice@\r\n example.org>\r\n", "0 example.org" },
		{ "From: a@example.org, b@example.org\r\n", "0 example.org" },
		{ "From: a@example.org, b@other.test\r\n", "-3" },
		{ "From: team: a@example.org, b@example.org;\r\n", "0 example.org" },
		{ "From: undisclosed-recipients:;\r\n", "-7" },
		{ "From: <@route.test:user@example.org>\r\n", "0 example.org" },
		{ "From: user@example.org.\r\n", "0 example.org" },
		{ "From: user@[192.0.2.1]\r\n", "-3" },
		{ "From: user@localhost\r\n", "-3" },
		{ "From: user\r\n", "-7" },
		{ "From: \"unterminated <a@example.org>\r\n", "-3" },
		{ "From: a@example.org\r\nFrom: b@example.org\r\n", "-3" },
		{ "Sender: a@example.org\r\n", "-7" },
	};
	struct mime_limits lim;
	char got[256], raw[512];

	mime_limits_default(&lim);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mg_arena *a = mg_arena_new(65536, 0);
		const char *d = NULL;
		struct mime_msg *m;
		int rc;

		snprintf(raw, sizeof(raw), "%sSubject: x\r\n\r\nbody\r\n", c[i].hdr);
		assert_non_null(m = mime_parse(a, (const uint8_t *)raw, strlen(raw), &lim));
		rc = dmarc_from_domain(a, m, &d);
		snprintf(got, sizeof(got), rc == 0 ? "%d %s" : "%d", rc, d);
		check_str(esc(c[i].hdr, strlen(c[i].hdr)), got, c[i].want);
		mg_arena_free(a);
	}
	check_failures();
}

static void
test_org_domain(void **state)
{
	static const struct { const char *in, *want; } c[] = {
		{ "example.com", "example.com" },
		{ "mail.example.com", "example.com" },
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "co.uk", "co.uk" },
		{ "foo.github.io", "foo.github.io" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		check_str(c[i].in, dmarc_org_domain(c[i].in), c[i].want);
	check_failures();
}

static const struct fake_rr zone[] = {
	{ "_dmarc.example.com", "TXT", "v=DMARC1; p=reject; sp=quarantine" },
	{ "_dmarc.strict.test", "TXT", "v=DMARC1; p=reject; adkim=s; aspf=s" },
	{ "_dmarc.none.test", "TXT", "v=DMARC1; p=none; rua=mailto:r@none.test" },
	{ "_dmarc.half.test", "TXT", "v=DMARC1; p=reject; pct=50" },
	{ "_dmarc.zero.test", "TXT", "v=DMARC1; p=quarantine; pct=0" },
	{ "_dmarc.two.test", "TXT", "v=DMARC1; p=reject" },
	{ "_dmarc.two.test", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.other.two.test", "TXT", "unrelated" },
	{ "_dmarc.bad.test", "TXT", "v=DMARC1; p=maybe" },
	{ "_dmarc.slow.test", "TIMEOUT", "" },
	{ "_dmarc.sub.own.test", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.own.test", "TXT", "v=DMARC1; p=reject" },
	{ "_dmarc.split.test", "TXT", "v=DMARC1; |p=quarantine" },
};

/* One evaluation against the zone; "result policy disposition spf dkim
 * record_domain". */
static void
evaluate(const char *from, enum spf_result spf, const char *spf_domain, const char *dkim,
    const char *msgid, char *got, size_t cap, unsigned *lookups)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct fake_dns fd = { .rr = zone, .n = sizeof(zone) / sizeof(zone[0]) };
	const char *dk[1] = { dkim };
	struct dmarc_auth auth = { spf, spf_domain, dk, dkim ? 1 : 0, msgid };
	struct dns_lookup q[2];
	struct dmarc_outcome o;
	int n = dmarc_lookups(a, from, q);

	assert_true(n > 0);
	fake_resolve(&fd, q, (size_t)n, 0, a);
	assert_int_equal(dmarc_evaluate(a, from, q, (size_t)n, &auth, &o), 0);
	snprintf(got, cap, "%s %s %s %s %s %s%s", dmarc_result_name(o.result),
	    dmarc_policy_name(o.policy), dmarc_policy_name(o.disposition),
	    o.spf_aligned ? "spf" : "-", o.dkim_aligned ? "dkim" : "-",
	    o.record_domain ? o.record_domain : "-", o.sampled_out ? " sampled" : "");
	if (lookups != NULL)
		*lookups = fd.lookups;
	mg_arena_free(a);
}

static void
test_evaluate(void **state)
{
	static const struct {
		const char	*from;
		enum spf_result	 spf;
		const char	*spf_domain, *dkim, *msgid, *want;
	} c[] = {
		{ "example.com", SPF_PASS, "example.com", NULL, NULL,
		  "pass reject none spf - example.com" },
		{ "example.com", SPF_PASS, "bounce.example.com", NULL, NULL,
		  "pass reject none spf - example.com" },
		{ "example.com", SPF_FAIL, "example.com", "mail.example.com", NULL,
		  "pass reject none - dkim example.com" },
		{ "example.com", SPF_PASS, "evil.test", "evil.test", NULL,
		  "fail reject reject - - example.com" },
		{ "example.com", SPF_SOFTFAIL, "example.com", NULL, NULL,
		  "fail reject reject - - example.com" },
		{ "news.example.com", SPF_NONE, NULL, NULL, NULL,
		  "fail quarantine quarantine - - example.com" },
		{ "news.example.com", SPF_PASS, "example.com", NULL, NULL,
		  "pass quarantine none spf - example.com" },
		{ "strict.test", SPF_PASS, "mail.strict.test", "mail.strict.test", NULL,
		  "fail reject reject - - strict.test" },
		{ "strict.test", SPF_PASS, "strict.test", NULL, NULL,
		  "pass reject none spf - strict.test" },
		{ "none.test", SPF_FAIL, "none.test", NULL, NULL, "fail none none - - none.test" },
		{ "zero.test", SPF_FAIL, "zero.test", NULL, "<a@b>",
		  "fail quarantine none - - zero.test sampled" },
		{ "two.test", SPF_FAIL, "two.test", NULL, NULL, "none none none - - -" },
		{ "other.two.test", SPF_FAIL, NULL, NULL, NULL, "none none none - - -" },
		{ "bad.test", SPF_FAIL, NULL, NULL, NULL, "permerror none none - - bad.test" },
		{ "slow.test", SPF_PASS, "slow.test", NULL, NULL, "temperror none none - - -" },
		{ "sub.own.test", SPF_FAIL, NULL, NULL, NULL, "fail none none - - sub.own.test" },
		{ "x.sub.own.test", SPF_FAIL, NULL, NULL, NULL, "fail reject reject - - own.test" },
		{ "split.test", SPF_FAIL, NULL, NULL, NULL,
		  "fail quarantine quarantine - - split.test" },
		{ "nothing.test", SPF_PASS, "nothing.test", NULL, NULL, "none none none - - -" },
		{ "example.com", SPF_PASS, "EXAMPLE.COM", NULL, NULL,
		  "pass reject none spf - example.com" },
	};
	char got[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		evaluate(c[i].from, c[i].spf, c[i].spf_domain, c[i].dkim, c[i].msgid, got,
		    sizeof(got), NULL);
		char what[128];
		snprintf(what, sizeof(what), "case %zu %s", i, c[i].from);
		check_str(what, got, c[i].want);
	}
	check_failures();
}

/* Both policy lookups go out at once; pct=50 spares about half of the
 * messages, always the same ones. */
static void
test_lookups_and_pct(void **state)
{
	char got[256], again[256], id[64];
	unsigned lookups, sampled = 0;

	evaluate("mail.example.com", SPF_FAIL, NULL, NULL, NULL, got, sizeof(got), &lookups);
	assert_int_equal(lookups, 2);
	evaluate("example.com", SPF_FAIL, NULL, NULL, NULL, got, sizeof(got), &lookups);
	assert_int_equal(lookups, 1);
	for (int i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "<%d.%d@sender.test>", i * 7919, i);
		evaluate("half.test", SPF_FAIL, NULL, NULL, id, got, sizeof(got), NULL);
		evaluate("half.test", SPF_FAIL, NULL, NULL, id, again, sizeof(again), NULL);
		check_str(id, again, got);
		sampled += strstr(got, "sampled") != NULL;
	}
	print_message("pct=50: %u of 400 sampled out\n", sampled);
	if (sampled < 150 || sampled > 250)
		fail_msg("pct=50 spared %u of 400 messages, want about 200", sampled);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_from_domain),
		cmocka_unit_test(test_org_domain),
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_lookups_and_pct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
