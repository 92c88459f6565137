/* Transfer decoders: base64 (junk, padding, line breaks), quoted-printable
 * (soft breaks, bad escapes, trailing blanks, RFC 2047 "Q") and uuencode
 * (finding blocks in text, decoding lines), as tables of input, expected
 * bytes and expected flags; a failure prints both, escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "mime/mime_decode.h"

#define L(s)	s, sizeof(s) - 1

struct dec_case {
	const char	*in;
	size_t		 inlen;
	const char	*want;
	size_t		 wantlen;
	unsigned	 flags;		/* MIME_DEC_* */
	size_t		 cap;		/* 0: MIME_DEC_MAXOUT */
};

enum { B64, QP, QWORD, UU };

static void
run_cases(const struct dec_case *cases, size_t n, int kind)
{
	uint8_t out[1024];
	unsigned d;
	size_t i, got, cap;
	int failed = 0;

	for (i = 0; i < n; i++) {
		const struct dec_case *c = &cases[i];

		cap = c->cap ? c->cap : MIME_DEC_MAXOUT(c->inlen);
		assert_true(cap <= sizeof(out));
		d = 0;
		switch (kind) {
		case B64:
			got = mime_base64_decode((const uint8_t *)c->in, c->inlen, out, cap, &d);
			break;
		case QP:
		case QWORD:
			got = mime_qp_decode((const uint8_t *)c->in, c->inlen, kind == QWORD, out,
			    c->cap ? c->cap : MIME_QP_MAXOUT(c->inlen), &d);
			break;
		default:
			got = mime_uu_decode((const uint8_t *)c->in, c->inlen, out, cap, &d);
			break;
		}
		if (got != c->wantlen || memcmp(out, c->want, got) != 0 || d != c->flags) {
			print_error("case %zu \"%s\": got \"%s\" flags %u, want \"%s\" flags %u\n",
			    i, esc((const uint8_t *)c->in, c->inlen), esc(out, got), d,
			    esc((const uint8_t *)c->want, c->wantlen), c->flags);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_base64(void **state)
{
	static const struct dec_case cases[] = {
		{ L(""), L(""), 0, 0 },
		{ L("QUJD"), L("ABC"), 0, 0 },
		{ L("QUI="), L("AB"), 0, 0 },
		{ L("QQ=="), L("A"), 0, 0 },
		{ L("QUJD\r\nREVG\r\n"), L("ABCDEF"), 0, 0 },
		{ L("QU JD\n\tREVG"), L("ABCDEF"), 0, 0 },
		{ L("AAEC/w=="), L("\x00\x01\x02\xff"), 0, 0 },
		{ L("+/+/"), L("\xfb\xff\xbf"), 0, 0 },
		/* missing padding, a lone sextet */
		{ L("QUJ"), L("AB"), MIME_DEC_BAD, 0 },
		{ L("QUJDQ"), L("ABC"), MIME_DEC_BAD, 0 },
		{ L("QQ="), L("A"), MIME_DEC_BAD, 0 },
		/* junk bytes are skipped, flagged */
		{ L("QU*JD"), L("ABC"), MIME_DEC_BAD, 0 },
		{ L("QUJD!!!"), L("ABC"), MIME_DEC_BAD, 0 },
		{ L("-_-_"), L(""), MIME_DEC_BAD, 0 },
		{ L("QU\x80JD"), L("ABC"), MIME_DEC_BAD, 0 },
		/* padding ends the data: what follows is flagged, not decoded */
		{ L("QQ==QUJD"), L("A"), MIME_DEC_BAD, 0 },
		{ L("QQ==\r\n\r\n"), L("A"), 0, 0 },
		{ L("QQ==\r\n--\r\nList footer\r\n"), L("A"), MIME_DEC_BAD, 0 },
		{ L("QQ=QUJD"), L("A"), MIME_DEC_BAD, 0 },
		{ L("QUI==="), L("AB"), MIME_DEC_BAD, 0 },
		/* a stray '=' */
		{ L("QUJD="), L("ABC"), MIME_DEC_BAD, 0 },
		{ L("=QUJD"), L("ABC"), MIME_DEC_BAD, 0 },
		{ L("Q=UJD"), L("P\x90"), MIME_DEC_BAD, 0 },
		/* output ceiling */
		{ L("QUJDREVG"), L("ABCD"), MIME_DEC_FULL, 4 },
		{ L("QUJDREVG"), L("ABC"), MIME_DEC_FULL, 3 },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), B64);
}

static void
test_qp(void **state)
{
	static const struct dec_case cases[] = {
		{ L("abc"), L("abc"), 0, 0 },
		{ L("a=3Db"), L("a=b"), 0, 0 },
		{ L("a=3db"), L("a=b"), 0, 0 },
		{ L("caf=C3=A9"), L("caf\xc3\xa9"), 0, 0 },
		{ L("soft=\r\nbreak"), L("softbreak"), 0, 0 },
		{ L("soft=\nbreak"), L("softbreak"), 0, 0 },
		{ L("soft= \t\r\nbreak"), L("softbreak"), 0, 0 },
		{ L("keep  =\r\nx"), L("keep  x"), 0, 0 },
		{ L("end="), L("end"), 0, 0 },
		{ L("line1\nline2\r\n"), L("line1\nline2\r\n"), 0, 0 },
		/* blanks at a line end are transport padding; encoded ones stay */
		{ L("trail  \r\nx"), L("trail\r\nx"), 0, 0 },
		{ L("trail\t \nx \t"), L("trail\nx"), 0, 0 },
		{ L("=41=20\r\n"), L("A \r\n"), 0, 0 },
		{ L("a_b"), L("a_b"), 0, 0 },
		/* bad escapes are kept as written */
		{ L("bad=XYz"), L("bad=XYz"), MIME_DEC_BAD, 0 },
		{ L("a=4"), L("a=4"), MIME_DEC_BAD, 0 },
		{ L("a=\rb"), L("a=\rb"), MIME_DEC_BAD, 0 },
		{ L("100% =G0"), L("100% =G0"), MIME_DEC_BAD, 0 },
		{ L("abcdef"), L("abc"), MIME_DEC_FULL, 3 },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), QP);
}

static void
test_qword(void **state)
{
	static const struct dec_case cases[] = {
		{ L("a_b=3F"), L("a b?"), 0, 0 },
		{ L("Caf=E9_cr=E8me"), L("Caf\xe9 cr\xe8me"), 0, 0 },
		{ L("x=\r\ny"), L("x=\r\ny"), MIME_DEC_BAD, 0 },
		{ L("trail  "), L("trail  "), 0, 0 },
		{ L("=ZZ"), L("=ZZ"), MIME_DEC_BAD, 0 },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), QWORD);
}

static void
test_uu_decode(void **state)
{
	static const struct dec_case cases[] = {
		{ L("#0V%T\n"), L("Cat"), 0, 0 },
		{ L("#0V%T\r\n`\r\n"), L("Cat"), 0, 0 },
		{ L("M5&AE(\'%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R(\'1H92!L87IY(&1O9R$A\n"),
		    L("The quick brown fox jumps over the lazy dog!!"), 0, 0 },
		/* spaces are data (zero), backticks too */
		{ L("%  $\"__X \n"), L("\x00\x01\x02\xff\xfe"), 0, 0 },
		{ L("+:&5L;&\\@=V]R;&0`\n"), L("hello world"), 0, 0 },
		/* the length character promises more than the line holds */
		{ L("&0V%T\n"), L("Cat"), MIME_DEC_BAD, 0 },
		{ L("#0V\n"), L("C`\x00"), MIME_DEC_BAD, 0 },
		{ L("#0V%T\n#0V%T\n"), L("Ca"), MIME_DEC_FULL, 2 },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), UU);
}

static void
test_uu_find(void **state)
{
	static const struct {
		const char	*text;
		bool		 found;
		const char	*name;
		bool		 terminated;
		const char	*data;		/* the encoded lines */
		const char	*after;		/* text after the block */
	} cases[] = {
		{ "hello\nbegin 644 cat.txt\n#0V%T\n`\nend\nbye\n", true, "cat.txt", true,
		    "#0V%T\n`\n", "bye\n" },
		{ "begin 0644 a b.bin\r\n#0V%T\r\nend\r\n", true, "a b.bin", true,
		    "#0V%T\r\n", "" },
		/* no "end": the block stops at the first line that is not uuencode */
		{ "begin 600 x.exe\n#0V%T\nThanks, Bob\n", true, "x.exe", false, "#0V%T\n",
		    "Thanks, Bob\n" },
		{ "begin 644 x\n#0V%T", true, "x", false, "#0V%T", "" },
		/* not blocks */
		{ "begin the meeting at 10\n#0V%T\n", false, NULL, false, NULL, NULL },
		{ "begin 644 file.txt\nno data here!\n", false, NULL, false, NULL, NULL },
		{ "say begin 644 a.txt\n#0V%T\nend\n", false, NULL, false, NULL, NULL },
		{ "begin 98 a.txt\n#0V%T\nend\n", false, NULL, false, NULL, NULL },
		{ "begin 644\n#0V%T\nend\n", false, NULL, false, NULL, NULL },
		{ "begin 644 a\nend\n", false, NULL, false, NULL, NULL },
		{ "", false, NULL, false, NULL, NULL },
	};
	struct mime_uu_block b;
	size_t i, len;
	int failed = 0;
	bool found;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *t = (const uint8_t *)cases[i].text;

		len = strlen(cases[i].text);
		memset(&b, 0, sizeof(b));
		found = mime_uu_find(t, len, 0, &b);
		if (found != cases[i].found) {
			print_error("case %zu: found %d, want %d\n", i, found, cases[i].found);
			failed++;
			continue;
		}
		if (!found)
			continue;
		if (b.name_len != strlen(cases[i].name) ||
		    memcmp(t + b.name_off, cases[i].name, b.name_len) != 0 ||
		    b.terminated != cases[i].terminated ||
		    b.data_end - b.data != strlen(cases[i].data) ||
		    memcmp(t + b.data, cases[i].data, b.data_end - b.data) != 0 ||
		    strcmp(cases[i].text + b.end, cases[i].after) != 0 || b.start > b.data) {
			print_error("case %zu: got name \"%s\" term %d data \"%s\" after \"%s\"; "
			    "want \"%s\" %d \"%s\" \"%s\"\n", i, esc(t + b.name_off, b.name_len),
			    b.terminated, esc(t + b.data, b.data_end - b.data),
			    esc(t + b.end, len - b.end), cases[i].name, cases[i].terminated,
			    esc((const uint8_t *)cases[i].data, strlen(cases[i].data)),
			    cases[i].after);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Two blocks in one text are found one after the other. */
static void
test_uu_find_next(void **state)
{
	static const char text[] = "a\nbegin 644 one\n#0V%T\nend\nmid\nbegin 644 two\n#0V%T\nend\n";
	struct mime_uu_block b;
	size_t from = 0;
	unsigned n = 0;

	(void)state;
	while (mime_uu_find((const uint8_t *)text, sizeof(text) - 1, from, &b)) {
		n++;
		assert_true(b.end > from);
		from = b.end;
	}
	assert_int_equal(n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_qword),
		cmocka_unit_test(test_uu_decode),
		cmocka_unit_test(test_uu_find),
		cmocka_unit_test(test_uu_find_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
