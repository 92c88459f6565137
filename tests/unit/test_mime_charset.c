/* Charset conversion to UTF-8: declared charsets and their aliases
 * (latin1, cp1252, koi8-r, shift_jis, gb2312/gbk, ks_c_5601-1987, utf-16),
 * invalid UTF-8, unknown and wrong declarations, missing charsets found by
 * detection, and the output ceiling, as a table of input and the text,
 * charset and flags wanted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "core/buf.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"

#define L(s)	s, sizeof(s) - 1

/* Russian, Japanese and Chinese sentences, long enough for detection. */
#define RU_KOI8 "\xf0\xd2\xc9\xd7\xc5\xd4, \xcb\xc1\xcb \xc4\xc5\xcc\xc1? \xfc\xd4\xcf " \
	"\xd4\xc5\xd3\xd4\xcf\xd7\xcf\xc5 \xd3\xcf\xcf\xc2\xdd\xc5\xce\xc9\xc5 \xce\xc1 " \
	"\xd2\xd5\xd3\xd3\xcb\xcf\xcd \xd1\xda\xd9\xcb\xc5, \xde\xd4\xcf\xc2\xd9 " \
	"\xd0\xd2\xcf\xd7\xc5\xd2\xc9\xd4\xd8 \xcf\xd0\xd2\xc5\xc4\xc5\xcc\xc5\xce\xc9\xc5 " \
	"\xcb\xcf\xc4\xc9\xd2\xcf\xd7\xcb\xc9."
#define RU_UTF8 "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xba\xd0\xb0\xd0\xba " \
	"\xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb0? \xd0\xad\xd1\x82\xd0\xbe " \
	"\xd1\x82\xd0\xb5\xd1\x81\xd1\x82\xd0\xbe\xd0\xb2\xd0\xbe\xd0\xb5 " \
	"\xd1\x81\xd0\xbe\xd0\xbe\xd0\xb1\xd1\x89\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5 " \
	"\xd0\xbd\xd0\xb0 \xd1\x80\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xbe\xd0\xbc " \
	"\xd1\x8f\xd0\xb7\xd1\x8b\xd0\xba\xd0\xb5, \xd1\x87\xd1\x82\xd0\xbe\xd0\xb1\xd1\x8b " \
	"\xd0\xbf\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb5\xd1\x80\xd0\xb8\xd1\x82\xd1\x8c " \
	"\xd0\xbe\xd0\xbf\xd1\x80\xd0\xb5\xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5 " \
	"\xd0\xba\xd0\xbe\xd0\xb4\xd0\xb8\xd1\x80\xd0\xbe\xd0\xb2\xd0\xba\xd0\xb8."
/* これは日本語のテストです。 */
#define JA_SJIS "\x82\xb1\x82\xea\x82\xcd\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x58" \
	"\x83\x67\x82\xc5\x82\xb7\x81\x42"
#define JA_UTF8 "\xe3\x81\x93\xe3\x82\x8c\xe3\x81\xaf\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" \
	"\xe3\x81\xae\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82"
/* 中文 */
#define ZH_GB	"\xd6\xd0\xce\xc4"
#define ZH_UTF8	"\xe4\xb8\xad\xe6\x96\x87"
#define ZH_GB10	ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB
#define ZH_UTF8_10 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8 ZH_UTF8
/* 한글 */
#define KO_EUC	"\xc7\xd1\xb1\xdb"
#define KO_UTF8	"\xed\x95\x9c\xea\xb8\x80"

static void
test_convert(void **state)
{
	static const struct {
		const char	*charset;
		const char	*in;
		size_t		 inlen;
		const char	*want;
		size_t		 wantlen;
		const char	*want_cs;
		uint64_t	 flags;
	} cases[] = {
		{ NULL, L("hello"), L("hello"), "us-ascii", 0 },
		{ "", L(""), L(""), "us-ascii", 0 },
		{ "US-ASCII", L("hello"), L("hello"), "us-ascii", 0 },
		{ "utf-8", L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", 0 },
		{ "UTF8", L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", 0 },
		{ "\"utf-8\"", L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", 0 },
		{ "\\\"iso-8859-1\\\"", L("caf\xe9"), L("caf\xc3\xa9"), "windows-1252", 0 },
		/* invalid UTF-8 declared UTF-8: replaced, flagged */
		{ "utf-8", L("caf\xe9!"), L("caf\xef\xbf\xbd!"), "utf-8", MIME_F_WRONG_CHARSET },
		{ "utf-8", L("\xed\xa0\x80x"), L("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"), "utf-8",
		    MIME_F_WRONG_CHARSET },
		{ "utf-8", L("a\xf0\x9f\x98"), L("a\xef\xbf\xbd"), "utf-8", MIME_F_WRONG_CHARSET },
		/* latin1 is read as windows-1252, as mail clients do */
		{ "iso-8859-1", L("caf\xe9"), L("caf\xc3\xa9"), "windows-1252", 0 },
		{ "latin1", L("\x93q\x94"), L("\xe2\x80\x9cq\xe2\x80\x9d"), "windows-1252", 0 },
		{ "cp1252", L("\x80 5"), L("\xe2\x82\xac 5"), "windows-1252", 0 },
		{ "ISO-8859-15", L("\xa4"), L("\xe2\x82\xac"), "iso-8859-15", 0 },
		{ "koi8-r", L(RU_KOI8), L(RU_UTF8), "koi8-r", 0 },
		{ "shift_jis", L(JA_SJIS), L(JA_UTF8), "windows-31j", 0 },
		{ "gb2312", L(ZH_GB), L(ZH_UTF8), "gb18030", 0 },
		{ "gbk", L(ZH_GB), L(ZH_UTF8), "gb18030", 0 },
		{ "ks_c_5601-1987", L(KO_EUC), L(KO_UTF8), "windows-949", 0 },
		{ "euc-kr", L(KO_EUC), L(KO_UTF8), "windows-949", 0 },
		{ "utf-16le", L("h\0i\0"), L("hi"), "utf-16le", 0 },
		/* unknown declarations: read as if undeclared, flagged */
		{ "x-unknown", L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", MIME_F_UNKNOWN_CHARSET },
		{ "bogus-charset", L("hello"), L("hello"), "us-ascii", MIME_F_UNKNOWN_CHARSET },
		{ "../../etc/passwd", L("hello"), L("hello"), "us-ascii", MIME_F_UNKNOWN_CHARSET },
		/* wrong declarations */
		{ "us-ascii", L("caf\xe9 cr\xe8me"), L("caf\xc3\xa9 cr\xc3\xa8me"), "windows-1252",
		    MIME_F_WRONG_CHARSET },
		{ "us-ascii", L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", MIME_F_WRONG_CHARSET },
		{ "us-ascii", L(RU_KOI8), L(RU_UTF8), "koi8-r", MIME_F_WRONG_CHARSET },
		{ "shift_jis", L(RU_UTF8), L(RU_UTF8), "utf-8", MIME_F_WRONG_CHARSET },
		/* a few bad bytes do not make the declaration wrong as a whole */
		{ "gb2312", L(ZH_GB10 ZH_GB10 ZH_GB10 "\xff"), L(ZH_UTF8_10 ZH_UTF8_10 ZH_UTF8_10
		    "\xef\xbf\xbd"), "gb18030", MIME_F_WRONG_CHARSET },
		/* missing: ASCII, UTF-8, isolated 8-bit bytes, detection */
		{ NULL, L("caf\xc3\xa9"), L("caf\xc3\xa9"), "utf-8", 0 },
		{ NULL, L("caf\xe9"), L("caf\xc3\xa9"), "windows-1252", 0 },
		{ NULL, L(RU_KOI8), L(RU_UTF8), "koi8-r", 0 },
		{ NULL, L(JA_SJIS JA_SJIS JA_SJIS), L(JA_UTF8 JA_UTF8 JA_UTF8), "windows-31j", 0 },
		/* mostly UTF-8 with a stray byte stays UTF-8 */
		{ NULL, L(RU_UTF8 "\xff"), L(RU_UTF8 "\xef\xbf\xbd"), "utf-8", 0 },
	};
	struct mime_conv cv;
	struct mg_buf out;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mg_buf_init(&out, 0);
		assert_int_equal(mime_charset_to_utf8(cases[i].charset,
		    (const uint8_t *)cases[i].in, cases[i].inlen, 0, &out, &cv), 0);
		if (out.len != cases[i].wantlen ||
		    (out.len > 0 && memcmp(out.data, cases[i].want, out.len) != 0) ||
		    strcmp(cv.charset, cases[i].want_cs) != 0 || cv.flags != cases[i].flags) {
			print_error("case %zu (%s): got \"%s\" as %s flags %#llx; want \"%s\" as "
			    "%s flags %#llx\n", i, cases[i].charset ? cases[i].charset : "none",
			    esc(out.data, out.len), cv.charset, (unsigned long long)cv.flags,
			    esc((const uint8_t *)cases[i].want, cases[i].wantlen), cases[i].want_cs,
			    (unsigned long long)cases[i].flags);
			failed++;
		}
		mg_buf_release(&out);
	}
	assert_int_equal(failed, 0);
}

/* The output ceiling cuts at a character boundary and says so. */
static void
test_ceiling(void **state)
{
	static const struct {
		const char	*charset;
		const char	*in;
		size_t		 max;
		const char	*want;
	} cases[] = {
		{ NULL, "hello", 4, "hell" },
		{ "utf-8", "\xc3\xa9\xc3\xa9", 3, "\xc3\xa9" },
		{ "utf-8", "\xc3\xa9\xff", 4, "\xc3\xa9" },
		{ "iso-8859-1", "\xe9\xe9\xe9", 5, "\xc3\xa9" },
		{ "gb2312", ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB ZH_GB, 20, ZH_UTF8 "\xe4\xb8\xad" },
	};
	struct mime_conv cv;
	struct mg_buf out;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mg_buf_init(&out, cases[i].max);
		assert_int_equal(mime_charset_to_utf8(cases[i].charset, (const uint8_t *)cases[i].in,
		    strlen(cases[i].in), 0, &out, &cv), 0);
		if (out.len != strlen(cases[i].want) ||
		    (out.len > 0 && memcmp(out.data, cases[i].want, out.len) != 0) ||
		    !(cv.flags & MIME_F_DECODED_LIMIT) ||
		    mime_utf8_valid_span(out.data, out.len) != out.len) {
			print_error("case %zu: got \"%s\" flags %#llx, want \"%s\" and DECODED_LIMIT\n",
			    i, esc(out.data, out.len), (unsigned long long)cv.flags,
			    esc((const uint8_t *)cases[i].want, strlen(cases[i].want)));
			failed++;
		}
		mg_buf_release(&out);
	}
	assert_int_equal(failed, 0);
}

static void
test_utf8_helpers(void **state)
{
	static const struct {
		const char	*s;
		size_t		 valid;		/* mime_utf8_valid_span */
		size_t		 boundary;	/* mime_utf8_boundary of the whole */
	} cases[] = {
		{ "abc", 3, 3 },
		{ "a\xc3\xa9", 3, 3 },
		{ "a\xc3", 1, 1 },
		{ "a\xe2\x82", 1, 1 },
		{ "\xe2\x82\xac", 3, 3 },
		{ "\xf0\x9f\x98\x80", 4, 4 },
		{ "\xc0\xaf", 0, 2 },		/* overlong */
		{ "\xed\xa0\x80", 0, 3 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 0, 4 },	/* past U+10FFFF */
		{ "ab\x80", 2, 3 },
	};
	size_t i, n;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *s = (const uint8_t *)cases[i].s;
		size_t v, b;

		n = strlen(cases[i].s);
		v = mime_utf8_valid_span(s, n);
		b = mime_utf8_boundary(s, n);
		if (v != cases[i].valid || b != cases[i].boundary) {
			print_error("case %zu \"%s\": valid %zu boundary %zu, want %zu %zu\n", i,
			    esc(s, n), v, b, cases[i].valid, cases[i].boundary);
			failed++;
		}
	}
	assert_int_equal(mime_ascii_span((const uint8_t *)"0123456789abcdef\x80", 17), 16);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convert),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_utf8_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
