/* Authentication-Results (auth/authres.h): the field built from outcomes
 * made by hand, compared whole; folding at 78 columns; values from the
 * message or the envelope that would break the field (CR LF, quotes,
 * parentheses) made harmless; and the recognition of a field that claims
 * our authserv-id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "auth/authres.h"

/* Every line of "Authentication-Results: <v>" fits in 78 columns (a tab
 * counted as 8), and folds are CRLF + TAB. */
static void
check_folding(const char *label, const char *v)
{
	size_t col = sizeof(AUTHRES_NAME ": ") - 1;

	for (const char *p = v; *p; p++) {
		if (*p == '\r') {
			if (p[1] != '\n' || p[2] != '\t')
				fail_msg("%s: a CR not followed by LF TAB", label);
			col = 0;
			p++;
			continue;
		}
		if (*p == '\n')
			fail_msg("%s: a bare LF", label);
		col += *p == '\t' ? 8 : 1;
		if (col > 78)
			fail_msg("%s: a line longer than 78 columns:\n%s", label, v);
	}
}

static void
test_build(void **state)
{
	struct spf_outcome pass = { .result = SPF_PASS, .domain = "example.org",
		.sender = "alice@example.org" };
	struct spf_outcome helo = { .result = SPF_NONE, .domain = "mail.example.org",
		.sender = "postmaster@mail.example.org", .problem = "no SPF record" };
	struct spf_outcome perm = { .result = SPF_PERMERROR, .domain = "x.test",
		.sender = "bob@x.test", .problem = "more than 10 DNS-querying terms" };
	struct spf_outcome evil = { .result = SPF_FAIL, .domain = "evil.test",
		.sender = "a\r\nX-Injected: yes\"(@evil.test" };
	struct dkim_result dk[2] = {
		{ .status = DKIM_PASS, .domain = "example.org", .selector = "s2024",
		  .header_b = "AbC/dE+f" },
		{ .status = DKIM_FAIL, .domain = "list.test", .selector = "k1",
		  .header_b = "zzzzzzzz", .reason = "body hash (changed)" },
	};
	struct dmarc_outcome dm = { .result = DMARC_PASS, .policy = DMARC_P_REJECT,
		.from_domain = "example.org", .record_domain = "example.org",
		.rec = { .p = DMARC_P_REJECT, .sp = DMARC_P_QUARANTINE, .pct = 100 } };
	struct dmarc_outcome dmf = { .result = DMARC_FAIL, .policy = DMARC_P_REJECT,
		.disposition = DMARC_P_QUARANTINE, .sampled_out = true,
		.from_domain = "example.org", .record_domain = "example.org",
		.rec = { .p = DMARC_P_REJECT, .sp = DMARC_P_REJECT, .pct = 20 } };
	struct dmarc_outcome dmb = { .result = DMARC_PERMERROR,
		.problem = "several From fields or domains" };
	struct arc_result arc = { .status = ARC_PASS };
	const struct { const char *label; struct authres_input in; const char *want; } c[] = {
		{ "nothing", { .authserv_id = "mx.example.net" }, "mx.example.net; none" },
		{ "all", { "mx.example.net", &pass, &helo, true, dk, 2, &dm, &arc },
		  "mx.example.net;\r\n\tspf=pass smtp.mailfrom=alice@example.org;\r\n"
		  "\tspf=none smtp.helo=mail.example.org;\r\n"
		  "\tdkim=pass header.d=example.org header.s=s2024 header.b=\"AbC/dE+f\";\r\n"
		  "\tdkim=fail (body hash changed) header.d=list.test header.s=k1\r\n"
		  "\theader.b=zzzzzzzz;\r\n"
		  "\tdmarc=pass (p=reject sp=quarantine dis=none) header.from=example.org;\r\n"
		  "\tarc=pass" },
		{ "unsigned", { "mx.example.net", NULL, NULL, true, NULL, 0, &dmf, NULL },
		  "mx.example.net;\r\n\tdkim=none;\r\n"
		  "\tdmarc=fail (p=reject sp=reject dis=quarantine pct)\r\n"
		  "\theader.from=example.org" },
		{ "permerror", { "mx.example.net", &perm, NULL, false, NULL, 0, &dmb, NULL },
		  "mx.example.net;\r\n\tspf=permerror (more than 10 DNS-querying terms)\r\n"
		  "\tsmtp.mailfrom=bob@x.test;\r\n"
		  "\tdmarc=permerror (several From fields or domains)" },
		{ "injection", { "mx.example.net", &evil, NULL, false, NULL, 0, NULL, NULL },
		  "mx.example.net;\r\n"
		  "\tspf=fail smtp.mailfrom=\"aX-Injected: yes\\\"(@evil.test\"" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mg_arena *a = mg_arena_new(4096, 0);
		const char *v = authres_build(a, &c[i].in);

		assert_non_null(v);
		check_str(c[i].label, esc(v, strlen(v)), esc(c[i].want, strlen(c[i].want)));
		check_folding(c[i].label, v);
		mg_arena_free(a);
	}
	check_failures();
}

/* Many signatures and a long sender still fold within the margin. */
static void
test_long(void **state)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct dkim_result dk[12];
	struct spf_outcome s = { .result = SPF_SOFTFAIL, .domain = "a-long-sub-domain.sender."
		"example", .sender = "some.long.local.part@a-long-sub-domain.sender.example" };
	struct authres_input in = { "gateway-01.mx.example.net", &s, NULL, true, dk, 12, NULL,
		NULL };
	const char *v;

	for (int i = 0; i < 12; i++)
		dk[i] = (struct dkim_result){ .status = DKIM_PASS, .domain =
		    "signing-domain-with-a-long-name.example", .selector = "selector-2024-q3",
		    .header_b = "abcdefgh" };
	assert_non_null(v = authres_build(a, &in));
	check_folding("long", v);
	assert_int_equal(strstr(v, "dkim=pass") != NULL, 1);
	mg_arena_free(a);
}

static void
test_is_ours(void **state)
{
	static const struct { const char *v; bool want; } c[] = {
		{ "mx.example.net; spf=pass smtp.mailfrom=a@b.test", true },
		{ "MX.Example.NET; dkim=pass", true },
		{ " (comment (nested)) mx.example.net;\r\n\tspf=pass", true },
		{ "\"mx.example.net\"; none", true },
		{ "mx.example.net 1; none", true },
		{ "mx.example.net(c); none", true },
		{ "mx.example.net.evil.test; spf=pass", false },
		{ "evil.test; spf=pass smtp.mailfrom=mx.example.net", false },
		{ "mx.example.ne; none", false },
		{ "", false },
		{ "(unterminated mx.example.net; none", false },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (authres_is_ours(c[i].v, strlen(c[i].v), "mx.example.net") != c[i].want)
			fail_msg("case %zu \"%s\": got %d, want %d", i, esc(c[i].v, strlen(c[i].v)),
			    !c[i].want, c[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_is_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
