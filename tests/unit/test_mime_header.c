/* Header values: unfolding, RFC 2047 encoded words (B and Q, adjacent
 * words joined, unknown charsets, malformed words), raw 8-bit text, and
 * parameter lists with RFC 2231 continuations and charset'lang'value, as
 * tables of raw input and the decoded result wanted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "test_util.h"
#include "core/arena.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"
#include "mime/mime_header.h"

#define L(s)	s, sizeof(s) - 1

/* " NAME NAME" for each flag set. */
static const char *
flag_names(uint64_t f)
{
	static char buf[2][512];
	static int k;
	char *b = buf[k++ % 2];
	unsigned i;

	b[0] = '\0';
	for (i = 0; i < MIME_F_COUNT; i++)
		if (f & (1ull << i))
			snprintf(b + strlen(b), sizeof(buf[0]) - strlen(b), " %s",
			    mime_flag_name(1ull << i));
	return b;
}

static void
test_unfold(void **state)
{
	static const struct {
		const char	*raw;
		const char	*want;
	} cases[] = {
		{ " hello world ", "hello world" },
		{ "folded\r\n line", "folded line" },
		{ "folded\n\tline\r\n\tagain", "folded\tline\tagain" },
		{ "\r\n starts folded", "starts folded" },
		{ "", "" },
		{ " \t ", "" },
	};
	char out[64];
	size_t i, n;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = mime_hdr_unfold((const uint8_t *)cases[i].raw, strlen(cases[i].raw), out);
		if (n != strlen(out) || strcmp(out, cases[i].want) != 0) {
			print_error("case %zu: got \"%s\", want \"%s\"\n", i, esc(out, strlen(out)),
			    cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_decode(void **state)
{
	static const struct {
		const char	*raw;
		size_t		 rawlen;
		const char	*want;
		uint64_t	 flags;
	} cases[] = {
		{ L("  plain value  "), "plain value", 0 },
		{ L("folded\r\n value"), "folded value", 0 },
		{ L("=?utf-8?q?caf=C3=A9?="), "caf\xc3\xa9", 0 },
		{ L("=?UTF-8?B?Y2Fmw6k=?="), "caf\xc3\xa9", 0 },
		{ L("=?iso-8859-1?Q?caf=E9?= au lait"), "caf\xc3\xa9 au lait", 0 },
		{ L("=?utf-8?q?hello_world?="), "hello world", 0 },
		{ L("=?utf-8?q?a_longer_word_than_its_base64_bound?="),
		    "a longer word than its base64 bound", 0 },
		{ L("Re: =?utf-8?q?x?= y"), "Re: x y", 0 },
		{ L("=?utf-8*en?q?hi?="), "hi", 0 },
		{ L("a =?utf-8?q?\?= b"), "a  b", 0 },
		/* blanks between adjacent words vanish, folds included */
		{ L("=?utf-8?q?a?= =?utf-8?q?b?="), "ab", 0 },
		{ L("=?utf-8?q?a?=\r\n\t=?utf-8?q?b?="), "ab", 0 },
		{ L("=?utf-8?q?a?= - =?utf-8?q?b?="), "a - b", 0 },
		/* a character split across words survives the join */
		{ L("=?utf-8?Q?=C3?= =?utf-8?Q?=A9t=C3?= =?UTF-8?Q?=A9?="), "\xc3\xa9t\xc3\xa9", 0 },
		{ L("=?utf-8?B?ww==?= =?utf-8?B?qQ==?="), "\xc3\xa9", 0 },
		{ L("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?="), "\xc3\xa9\xc3\xa9", 0 },
		{ L("=?gb2312?B?1tDOxA==?="), "\xe4\xb8\xad\xe6\x96\x87", 0 },
		/* lenient: words inside tokens */
		{ L("foo=?utf-8?q?bar?=baz"), "foobarbaz", 0 },
		/* unknown charset: decoded, read as undeclared, flagged */
		{ L("=?x-bogus?q?abc?="), "abc", MIME_F_UNKNOWN_CHARSET },
		/* malformed words stay as written */
		{ L("=?utf-8?x?abc?="), "=?utf-8?x?abc?=", MIME_F_BAD_ENCODED_WORD },
		{ L("=?utf-8?q?abc"), "=?utf-8?q?abc", MIME_F_BAD_ENCODED_WORD },
		{ L("=?utf-8?q?a b?="), "=?utf-8?q?a b?=", MIME_F_BAD_ENCODED_WORD },
		{ L("=?utf-8?b?Y2F*mw6k=?="), "caf\xc3\xa9", MIME_F_BAD_ENCODED_WORD },
		{ L("what =? is this"), "what =? is this", 0 },
		{ L("=?\?="), "=?\?=", 0 },
		/* raw 8-bit text */
		{ L("caf\xc3\xa9"), "caf\xc3\xa9", MIME_F_HEADER_8BIT },
		{ L("caf\xe9"), "caf\xc3\xa9", MIME_F_HEADER_8BIT | MIME_F_HEADER_BAD_UTF8 },
		{ L("\x93quoted\x94 =?utf-8?q?x?="), "\xe2\x80\x9cquoted\xe2\x80\x9d x",
		    MIME_F_HEADER_8BIT | MIME_F_HEADER_BAD_UTF8 },
		/* NUL bytes, raw or decoded, cannot cut a value short */
		{ L("a\0b"), "a b", 0 },
		{ L("=?utf-8?q?a=00b?="), "a b", 0 },
		{ L(""), "", 0 },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	uint64_t flags;
	size_t i, n;
	char *v;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flags = 0;
		n = 12345;
		v = mime_hdr_decode(a, (const uint8_t *)cases[i].raw, cases[i].rawlen, SIZE_MAX, &n,
		    &flags);
		assert_non_null(v);
		if (strcmp(v, cases[i].want) != 0 || n != strlen(v) || flags != cases[i].flags) {
			print_error("case %zu \"%s\": got \"%s\"%s; want \"%s\"%s\n", i,
			    esc(cases[i].raw, cases[i].rawlen), esc(v, n), flag_names(flags),
			    esc(cases[i].want, strlen(cases[i].want)), flag_names(cases[i].flags));
			failed++;
		}
	}
	mg_arena_free(a);
	assert_int_equal(failed, 0);
}

/* The output ceiling: cut at a character boundary, flagged. */
static void
test_decode_ceiling(void **state)
{
	static const struct {
		const char	*raw;
		size_t		 max;
		const char	*want;
	} cases[] = {
		{ "plain value", 5, "plain" },
		{ "=?utf-8?q?=C3=A9=C3=A9?=", 3, "\xc3\xa9" },
		{ "caf\xc3\xa9", 4, "caf" },
		{ "=?utf-8?q?abc?=", 0, "" },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	uint64_t flags;
	size_t i;
	char *v;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flags = 0;
		v = mime_hdr_decode(a, (const uint8_t *)cases[i].raw, strlen(cases[i].raw),
		    cases[i].max, NULL, &flags);
		assert_non_null(v);
		if (strcmp(v, cases[i].want) != 0 || !(flags & MIME_F_DECODED_LIMIT)) {
			print_error("case %zu: got \"%s\"%s, want \"%s\" DECODED_LIMIT\n", i,
			    esc(v, strlen(v)), flag_names(flags), esc(cases[i].want,
			    strlen(cases[i].want)));
			failed++;
		}
	}
	mg_arena_free(a);
	assert_int_equal(failed, 0);
}

/* "token|name=value|name=value" (value from mime_param.value), then
 * " raw:name=raw" for parameters whose raw differs, then " BAD". */
static void
render_params(const struct mime_hvalue *hv, char *buf, size_t cap)
{
	size_t i;

	snprintf(buf, cap, "%s", hv->token);
	for (i = 0; i < hv->nparams; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "|%s=%s", hv->params[i].name,
		    esc(hv->params[i].value, strlen(hv->params[i].value)));
	for (i = 0; i < hv->nparams; i++)
		if (strcmp(hv->params[i].raw, hv->params[i].value) != 0)
			snprintf(buf + strlen(buf), cap - strlen(buf), " raw:%s=%s",
			    hv->params[i].name, esc(hv->params[i].raw, strlen(hv->params[i].raw)));
	if (hv->bad)
		snprintf(buf + strlen(buf), cap - strlen(buf), " BAD");
}

static void
test_params(void **state)
{
	static const struct {
		const char	*raw;
		const char	*want;
		uint64_t	 flags;
	} cases[] = {
		{ "text/plain; charset=us-ascii", "text/plain|charset=us-ascii", 0 },
		{ "Text/HTML; Charset=\"UTF-8\"", "text/html|charset=UTF-8", 0 },
		{ "multipart/mixed; boundary=\"----=_Part_1\"", "multipart/mixed|boundary=----=_Part_1", 0 },
		{ "multipart/mixed; boundary=----=_NextPart_000_0001_01C",
		    "multipart/mixed|boundary=----=_NextPart_000_0001_01C", 0 },
		{ "multipart/mixed;\r\n\tboundary=\"abc\";\r\n type=x", "multipart/mixed|boundary=abc|type=x", 0 },
		{ "text/plain (a comment); charset=utf-8 (Plain)", "text/plain|charset=utf-8", 0 },
		{ "text/plain charset=utf-8", "text/plain|charset=utf-8", 0 },
		{ "text/plain; charset=a; charset=b", "text/plain|charset=a", 0 },
		{ "", "", 0 },
		/* RFC 2231 continuations, in or out of order */
		{ "attachment; filename*0=\"long\"; filename*1=\"name.txt\"", "attachment|filename=longname.txt", 0 },
		{ "attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "attachment|filename=ab.txt", 0 },
		{ "attachment; filename*0=a; filename*2=c; filename*1=b", "attachment|filename=abc", 0 },
		/* charset'lang'value, percent-encoded */
		{ "attachment; filename*=utf-8''caf%C3%A9.pdf", "attachment|filename=caf\\xc3\\xa9.pdf", 0 },
		{ "attachment; filename*=iso-8859-1'fr'caf%E9.pdf", "attachment|filename=caf\\xc3\\xa9.pdf", 0 },
		{ "attachment; filename*0*=utf-8''%C3%A9t%C3%A9; filename*1=\".txt\"",
		    "attachment|filename=\\xc3\\xa9t\\xc3\\xa9.txt", 0 },
		{ "attachment; filename*0*=utf-8''%C3; filename*1*=%A9.txt",
		    "attachment|filename=\\xc3\\xa9.txt", 0 },
		{ "attachment; filename=\"plain.txt\"; filename*=utf-8''real.txt", "attachment|filename=real.txt", 0 },
		{ "attachment; filename*=utf-8''100%.txt", "attachment|filename=100%.txt", 0 },
		{ "attachment; filename*=utf-8''a%00b.exe", "attachment|filename=a b.exe", 0 },
		{ "attachment; filename*=x-bogus''abc", "attachment|filename=abc", MIME_F_UNKNOWN_CHARSET },
		{ "attachment; filename*=no-quotes.txt", "attachment|filename=no-quotes.txt", 0 },
		/* what mail clients do besides: RFC 2047 in quoted strings, raw 8-bit */
		{ "attachment; filename=\"=?utf-8?B?Y2Fmw6kucGRm?=\"",
		    "attachment|filename=caf\\xc3\\xa9.pdf raw:filename==?utf-8?B?Y2Fmw6kucGRm?=", 0 },
		{ "attachment; filename=\"caf\xc3\xa9.pdf\"", "attachment|filename=caf\\xc3\\xa9.pdf",
		    MIME_F_HEADER_8BIT },
		{ "attachment; filename=\"a\\\"b.txt\"", "attachment|filename=a\"b.txt", 0 },
		{ "attachment; filename=\"C:\\dir\\a.txt\"", "attachment|filename=C:\\x5cdir\\x5ca.txt", 0 },
		/* broken */
		{ "text/plain; charset=\"utf-8", "text/plain|charset=utf-8 BAD", 0 },
		{ "text/html;iso-8859-1", "text/html BAD", 0 },
		{ "text/html; =x; charset=a", "text/html|charset=a BAD", 0 },
		{ "text/plain; (unterminated", "text/plain BAD", 0 },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_hvalue hv;
	char got[1024];
	uint64_t flags;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flags = 0;
		assert_int_equal(mime_hdr_params(a, (const uint8_t *)cases[i].raw,
		    strlen(cases[i].raw), &hv, &flags), 0);
		render_params(&hv, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0 || flags != cases[i].flags) {
			print_error("case %zu \"%s\":\n  got  \"%s\"%s\n  want \"%s\"%s\n", i,
			    esc(cases[i].raw, strlen(cases[i].raw)), got, flag_names(flags),
			    cases[i].want, flag_names(cases[i].flags));
			failed++;
		}
	}
	mg_arena_free(a);
	assert_int_equal(failed, 0);
}

/* Hostile values stay linear: a 60 KB run of would-be encoded words and
 * a value with far more parameters than kept. */
static void
test_hostile(void **state)
{
	static const char *const units[] = { "=?a?q?", "=?", "=?utf-8?q?=C3", "a=b;" };
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_hvalue hv;
	size_t len = 60 * 1024, i, k, u;
	uint64_t flags = 0;
	char *raw = malloc(len);
	clock_t t0 = clock();

	(void)state;
	assert_non_null(raw);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		for (i = 0; i + strlen(units[u]) <= len; i += strlen(units[u]))
			memcpy(raw + i, units[u], strlen(units[u]));
		for (k = i; k < len; k++)
			raw[k] = ' ';
		assert_non_null(mime_hdr_decode(a, (const uint8_t *)raw, len, SIZE_MAX, NULL, &flags));
		assert_int_equal(mime_hdr_params(a, (const uint8_t *)raw, len, &hv, &flags), 0);
		assert_true(hv.nparams <= MIME_MAX_PARAMS);
	}
	assert_true(hv.bad);
	/* quadratic behaviour would take minutes */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	free(raw);
	mg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_ceiling),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
