/* Matching, scope by scope, on small messages parsed and analysed as the
 * engine does: decoded and raw headers, visible and raw bodies, URLs,
 * attachment names, presence tests, built-in structure tests; Hyperscan
 * and the PCRE2 fallback firing side by side; caseless and UTF-8
 * patterns; the per-scope byte cap; a later file overriding a rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_rules_fixture.h"
#include "test_util.h"

#define R(name, test)	"rule " name "\n " test "\n score 1\n describe " name "\n"

static const char msg_headers[] =
    "Received: from a.example by b.example; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Received: from evil.example by a.example; Mon, 1 Jan 2024 09:59:00 +0000\r\n"
    "From: \"PayPal Service\" <alert@paypa1-secure.example>\r\n"
    "To: undisclosed-recipients:;\r\n"
    "Subject: =?UTF-8?B?R3JhdGlzIEdlbGQgZsO8ciBTaWU=?=\r\n"
    "Message-ID: <12345.example>\r\n"
    "X-Latin: caf\xe9\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "\r\n"
    "hello\r\n";

static const char msg_bodies[] =
    "From: a@b.example\r\n"
    "Subject: hi\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Un caf=E9 tr=E8s cher, very very cheap. Visit http://Bit.LY/Abc\r\n"
    "--b2\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<html><body><p>Visible <b>words</b> here</p>"
    "<div style=\"display:none\">secret hidden words</div>"
    "<a href=\"https://login.example.net/x?y=1\">click</a></body></html>\r\n"
    "--b2--\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n"
    "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n"
    "--b1--\r\n";

static void
test_scopes(void **state)
{
	static const struct { const char *msg, *rules, *want; } cases[] = {
		/* header: decoded value of every field of the name */
		{ msg_headers, R("S", "subject =~ /gratis geld für/i"), "S" },
		{ msg_headers, R("S", "header Subject:raw =~ /^=\\?UTF-8\\?B\\?/"), "S" },
		{ msg_headers, R("S", "header Subject:raw =~ /gratis/i"), "" },
		{ msg_headers, R("R", "header received =~ /^from evil\\.example /"), "R" },
		{ msg_headers, R("F", "from =~ /paypal.*@(?!paypal\\.com>)/i"), "F" },
		{ msg_headers, R("T", "header To =~ /^undisclosed-recipients:;?$/i"), "T" },
		/* !~: the field exists and no field matches */
		{ msg_headers, R("M", "header Message-ID !~ /^<[^@>]+@[^@>]+>$/"), "M" },
		{ msg_headers, R("M", "header Message-ID !~ /^<\\d+\\.example>$/"), "" },
		{ msg_headers, R("M", "header X-None !~ /x/"), "" },
		/* presence */
		{ msg_headers, R("E", "exists date") R("N", "missing List-Unsubscribe")
		  R("X", "exists List-Unsubscribe"), "E N" },
		/* raw 8-bit header: invalid UTF-8 replaced, so '.' is one character */
		{ msg_headers, R("L", "header X-Latin:raw =~ /^caf.$/"), "L" },
		{ msg_headers, R("L", "header X-Latin =~ /^café$/"), "L" },
		/* body: plain text converted to UTF-8, HTML visible text only */
		{ msg_bodies, R("B1", "body =~ /caf\\x{e9} tr.s/") R("B2", "body =~ /visible words/i")
		  R("B3", "body =~ /hidden words/") R("B4", "body =~ /<b>/"), "B1 B2" },
		/* rawbody: decoded text parts, HTML source included */
		{ msg_bodies, R("W1", "rawbody =~ /<b>words<\\/b>/") R("W2", "rawbody =~ /secret/")
		  R("W3", "rawbody =~ /TVqQ/"), "W1 W2" },
		/* uri: normalised (scheme and host lower case) */
		{ msg_bodies, R("U1", "uri =~ /^http:\\/\\/bit\\.ly\\//") R("U2", "uri =~ /Bit\\.LY/"),
		  "U1=http://bit.ly/Abc" },
		{ msg_bodies, R("U", "uri =~ /login\\./"), "U=https://login.example.net/x?y=1" },
		/* attachment names */
		{ msg_bodies, R("A1", "attachment =~ /\\.pdf\\.exe$/") R("A2", "attachment =~ /\\.zip$/"),
		  "A1=invoice.pdf.exe" },
		/* caseless, and Hyperscan next to the PCRE2 fallback (backreference) */
		{ msg_bodies, R("C1", "body =~ /VERY CHEAP/") R("C2", "body =~ /VERY CHEAP/i")
		  R("P1", "body =~ /\\b(\\w+) \\1\\b/") R("P2", "body =~ /\\b(\\w+) \\1 cheap/i")
		  R("P3", "body =~ /(?<=very )expensive/"), "C2 P1 P2" },
		/* UTF-8: one character for é, Unicode classes with u */
		{ msg_bodies, R("U1", "body =~ /\\bcaf.\\s/") R("U2", "body =~ /tr\\w+s/")
		  R("U3", "body =~ /tr\\w+s/u") R("U4", "body =~ /TRÈS/i"), "U1 U3 U4" },
	};
	struct rules_env env = { 0 };
	char got[512], what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_set *set = fixture_set(cases[i].rules, 1 << 20);

		fixture_scan(set, cases[i].msg, &env, got, sizeof(got));
		snprintf(what, sizeof(what), "scope case %zu", i);
		check_str(what, got, cases[i].want);
		rules_free(set);
	}
	check_failures();
}

/* Which engine each pattern went to, and the counts per scope. */
static void
test_fallback_info(void **state)
{
	struct rules_set *set = fixture_set(R("H", "body =~ /plain/") R("P", "body =~ /(a)\\1/")
	    R("L", "subject =~ /(?=x)y/") R("U", "uri =~ /x/") R("S", "header Subject:raw =~ /x/")
	    R("E", "exists Date") R("V", "eval html_only") "rule M\n meta H\n score 0\n describe m\n"
	    "rule __Q\n body =~ /q/\n", 1 << 20);
	struct rules_info info;

	assert_int_equal(rules_get(set, 0)->flags & RULE_F_PCRE, 0);
	assert_int_not_equal(rules_get(set, 1)->flags & RULE_F_PCRE, 0);
	assert_non_null(rules_get(set, 1)->fallback);
	assert_int_not_equal(rules_get(set, 2)->flags & RULE_F_PCRE, 0);
	rules_info(set, &info);
	assert_int_equal(info.hyperscan[RULE_SCOPE_BODY], 2);
	assert_int_equal(info.pcre[RULE_SCOPE_BODY], 1);
	assert_int_equal(info.pcre[RULE_SCOPE_HEADER], 1);
	assert_int_equal(info.hyperscan[RULE_SCOPE_URI], 1);
	assert_int_equal(info.hyperscan[RULE_SCOPE_HEADER_RAW], 1);
	assert_int_equal(info.header_names, 2);
	assert_int_equal(info.presence, 1);
	assert_int_equal(info.evals, 1);
	assert_int_equal(info.metas, 1);
	assert_int_equal(info.helpers, 1);
	assert_int_equal(info.total, 9);
	rules_free(set);
}

/* The built-in structure tests. */
static void
test_evals(void **state)
{
	static const char html_img[] =
	    "Received: from x by y; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	    "Date: Thu, 4 Jan 2024 10:00:00 +0000\r\n"
	    "Subject: BUY NOW CHEAP PILLS today\r\n"
	    "Content-Type: text/html\r\n\r\n"
	    "<html><body><img src=\"http://a.example/1.png\" width=600 height=800>"
	    "<img src=\"cid:x\">Hi there</body></html>\r\n";
	static const char plain[] =
	    "Received: from x by y; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	    "Date: Sun, 1 Jan 2023 10:00:00 +0000\r\n"
	    "Subject: Lunch on Friday?\r\n\r\n"
	    "See http://a.example/ and http://b.example/ for the menu, and more text here.\r\n";
	static const char bad_date[] = "Date: yesterday\r\nSubject: x\r\n\r\nx\r\n";
	static const struct { const char *msg, *want; } cases[] = {
		{ html_img, "HTML TINY IMG2 AHEAD CAPS URLS" },
		{ plain, "BEHIND URLS" },
		{ bad_date, "TINY INVALID" },
	};
	static const char rules[] = R("HTML", "eval html_only") R("TINY", "eval text_below 20")
	    R("IMG2", "eval images_at_least 2") R("IMG3", "eval images_at_least 3")
	    R("IMGB", "eval image_bytes_at_least 1") R("AHEAD", "eval date_ahead_hours 48")
	    R("BEHIND", "eval date_behind_days 300") R("INVALID", "eval date_invalid")
	    R("CAPS", "eval subject_caps_percent 70") R("URLS", "eval urls_at_least 2");
	struct rules_set *set = fixture_set(rules, 1 << 20);
	struct rules_env env = { 0 };
	char got[512], what[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p, *q;

		fixture_scan(set, cases[i].msg, &env, got, sizeof(got));
		/* options aside: "NAME=opt" -> "NAME" */
		for (p = q = got; *p; ) {
			if (*p == '=')
				while (*p && !(*p == ' ' && p[1] >= 'A' && p[1] <= 'Z'))
					p++;
			else
				*q++ = *p++;
		}
		*q = '\0';
		snprintf(what, sizeof(what), "eval case %zu", i);
		check_str(what, got, cases[i].want);
	}
	rules_free(set);
	check_failures();
}

/* max_scan_bytes bounds each scope; a cut never splits a character. */
static void
test_scan_cap(void **state)
{
	static char msg[8192];
	static const char rules[] = R("NEEDLE", "body =~ /needle/") R("EARLY", "body =~ /^x/")
	    R("SUBJ", "subject =~ /needle/");
	struct rules_env env = { 0 };
	char got[256];
	size_t n;

	n = (size_t)snprintf(msg, sizeof(msg), "Subject: needle\r\n\r\n");
	memset(msg + n, 'x', 3000);
	snprintf(msg + n + 3000, sizeof(msg) - n - 3000, " needle\r\n");
	for (int big = 0; big < 2; big++) {
		struct rules_set *set = fixture_set(rules, big ? 4096 : 2048);
		fixture_scan(set, msg, &env, got, sizeof(got));
		check_str(big ? "cap 4096" : "cap 2048", got, big ? "NEEDLE EARLY SUBJ" :
		    "EARLY SUBJ");
		rules_free(set);
	}
	check_failures();
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Files of a directory in name order, later ones overriding; other
 * names ignored; a broken file names itself and its line; a directory
 * named like a rule file is refused. */
static void
test_dirs(void **state)
{
	char dir[] = "/tmp/test_rules_match.XXXXXX", path[256], err[512], got[256];
	const char *dirs[1] = { dir };
	struct rules_limits lim = { 1 << 20, 10000 };
	struct rules_env env = { 0 };
	struct rules_set *set;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/20-local.rules", dir);
	write_file(path, R("A", "body =~ /hello/") "disable B\n");
	snprintf(path, sizeof(path), "%s/10-base.rules", dir);
	write_file(path, R("A", "body =~ /nothing/") R("B", "body =~ /hello/")
	    R("C", "body =~ /hel+o/"));
	snprintf(path, sizeof(path), "%s/99-ignored.txt", dir);
	write_file(path, "garbage\n");
	set = rules_new();
	assert_int_equal(rules_load_dirs(set, dirs, 1, err, sizeof(err)), 0);
	assert_int_equal(rules_compile(set, &lim, err, sizeof(err)), 0);
	fixture_scan(set, "Subject: x\r\n\r\nhello\r\n", &env, got, sizeof(got));
	check_str("override", got, "A C");
	rules_free(set);

	snprintf(path, sizeof(path), "%s/30-broken.rules", dir);
	write_file(path, "\nrule X\n body =~ /x/\n");
	set = rules_new();
	assert_int_equal(rules_load_dirs(set, dirs, 1, err, sizeof(err)), -MG_EINVAL);
	snprintf(path, sizeof(path), "%s/30-broken.rules:2: rule X has no describe line", dir);
	check_str("broken file", err, path);
	rules_free(set);

	snprintf(path, sizeof(path), "%s/30-broken.rules", dir);
	unlink(path);		/* a directory named *.rules is not read as empty */
	snprintf(path, sizeof(path), "%s/40-dir.rules", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	set = rules_new();
	assert_int_equal(rules_load_dirs(set, dirs, 1, err, sizeof(err)), -MG_EINVAL);
	snprintf(got, sizeof(got), "%s/40-dir.rules: not a regular file", dir);
	check_str("directory", err, got);
	rules_free(set);
	assert_int_equal(remove_tree(dir), 0);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_fallback_info),
		cmocka_unit_test(test_evals),
		cmocka_unit_test(test_scan_cap),
		cmocka_unit_test(test_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
