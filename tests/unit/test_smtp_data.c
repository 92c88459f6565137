/* The DATA/BDAT content filter: end-of-data, dot-unstuffing, bare CR/LF
 * and the SMTP smuggling forms, each vector fed whole, byte by byte and
 * split at every position (and every pair of positions), which must all
 * give the same output, flags and end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "smtp/smtp_data.h"

#define L(s)	s, sizeof(s) - 1
#define ALL	SIZE_MAX

#define BARE_CR	SMTP_DATA_BARE_CR
#define BARE_LF	SMTP_DATA_BARE_LF
#define MSGID	SMTP_DATA_HAS_MSGID

/* injected commands after a smuggling attempt; must stay content */
#define HDR	"Subject: a\r\n\r\nhello"
#define INJ	"MAIL FROM:<evil@x.example>\r\nRCPT TO:<v@y.example>\r\nDATA\r\nevil\r\n"

static const struct data_case {
	const char	*in;
	size_t		 in_len;
	bool		 dot;
	uint64_t	 max_size;	/* 0: none */
	uint32_t	 max_line;	/* 0: none */
	const char	*out;
	size_t		 out_len;
	unsigned	 flags;
	bool		 done;
	size_t		 consumed;	/* ALL: the whole input */
} cases[] = {
	/* end of data and dot-unstuffing */
	{ L("Subject: x\r\n\r\nbody\r\n.\r\n"), true, 0, 998, L("Subject: x\r\n\r\nbody\r\n"), 0, true, ALL },
	{ L(".\r\n"), true, 0, 998, L(""), 0, true, ALL },
	{ L("\r\n.\r\n"), true, 0, 998, L("\r\n"), 0, true, ALL },
	{ L("a\r\n..b\r\n.\r\n"), true, 0, 998, L("a\r\n.b\r\n"), 0, true, ALL },
	{ L("a\r\n...\r\n.\r\n"), true, 0, 998, L("a\r\n..\r\n"), 0, true, ALL },
	{ L("..\r\n.\r\n"), true, 0, 998, L(".\r\n"), 0, true, ALL },
	{ L("..\r\n"), true, 0, 998, L(".\r\n"), 0, false, ALL },
	{ L("a\r\n.b\r\n.\r\n"), true, 0, 998, L("a\r\nb\r\n"), 0, true, ALL },
	{ L("a.\r\n.\r\n"), true, 0, 998, L("a.\r\n"), 0, true, ALL },
	{ L("a\r\n.\r\nMAIL FROM:<x@y>\r\n"), true, 0, 998, L("a\r\n"), 0, true, 6 },
	{ L("a\r\n.\r\n.\r\n"), true, 0, 998, L("a\r\n"), 0, true, 6 },
	{ L("a\r\n.\r"), true, 0, 998, L("a\r\n"), 0, false, ALL },
	{ L("a\r\n."), true, 0, 998, L("a\r\n"), 0, false, ALL },
	{ L(""), true, 0, 998, L(""), 0, false, ALL },
	{ L("no end"), true, 0, 998, L("no end"), 0, false, ALL },
	/* a dot line not framed by CRLF on both sides is content, dot removed */
	{ L("a\r\n.\rb\r\n"), true, 0, 998, L("a\r\n\rb\r\n"), BARE_CR, false, ALL },
	{ L("a\r\n.\r\r\n.\r\n"), true, 0, 998, L("a\r\n\r\r\n"), BARE_CR, true, ALL },
	{ L("a\r\n.\nb\r\n"), true, 0, 998, L("a\r\n\r\nb\r\n"), BARE_LF, false, ALL },
	{ L("a\n.\r\nb\r\n"), true, 0, 998, L("a\r\n\r\nb\r\n"), BARE_LF, false, ALL },
	{ L("a\n..b\r\n"), true, 0, 998, L("a\r\n.b\r\n"), BARE_LF, false, ALL },
	{ L("\n.\n"), true, 0, 998, L("\r\n\r\n"), BARE_LF, false, ALL },
	{ L("\r.\r"), true, 0, 998, L("\r.\r"), BARE_CR, false, ALL },
	{ L("\r\n.\n"), true, 0, 998, L("\r\n\r\n"), BARE_LF, false, ALL },
	{ L("\n.\r\n"), true, 0, 998, L("\r\n\r\n"), BARE_LF, false, ALL },
	{ L("\r.\r\n"), true, 0, 998, L("\r.\r\n"), BARE_CR, false, ALL },

	/* smuggling: the injected transaction stays content of one message */
	{ L(HDR "\n.\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n\r\n" INJ), BARE_LF, true, ALL },
	{ L(HDR "\r.\r" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r.\r" INJ), BARE_CR, true, ALL },
	{ L(HDR "\r\n.\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n\r\n" INJ), BARE_LF, true, ALL },
	{ L(HDR "\n.\r\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n\r\n" INJ), BARE_LF, true, ALL },
	{ L(HDR "\r.\r\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r.\r\n" INJ), BARE_CR, true, ALL },
	{ L(HDR "\n.\r" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n\r" INJ), BARE_LF | BARE_CR, true, ALL },
	{ L(HDR "\r\n.\r" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n\r" INJ), BARE_CR, true, ALL },
	{ L(HDR "\r\n..\r\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n.\r\n" INJ), 0, true, ALL },
	{ L(HDR "\r\n.\r\n" INJ ".\r\n"), true, 0, 998,
	  L(HDR "\r\n"), 0, true, sizeof(HDR "\r\n.\r\n") - 1 },

	/* bare LF and bare CR */
	{ L("a\nb\n.\n"), true, 0, 998, L("a\r\nb\r\n\r\n"), BARE_LF, false, ALL },
	{ L("a\rb\r\n.\r\n"), true, 0, 998, L("a\rb\r\n"), BARE_CR, true, ALL },
	{ L("a\r\r\n.\r\n"), true, 0, 998, L("a\r\r\n"), BARE_CR, true, ALL },
	{ L("a\n\r\n.\r\n"), true, 0, 998, L("a\r\n\r\n"), BARE_LF, true, ALL },
	{ L("\n"), true, 0, 998, L("\r\n"), BARE_LF, false, ALL },

	/* 8-bit, NUL, long lines */
	{ L("caf\xc3\xa9\r\n.\r\n"), true, 0, 998, L("caf\xc3\xa9\r\n"), SMTP_DATA_8BIT, true, ALL },
	{ L("a\0b\r\n.\r\n"), true, 0, 998, L("a\0b\r\n"), SMTP_DATA_NUL, true, ALL },
	{ L("\0\xff\r\n.\r\n"), true, 0, 998, L("\0\xff\r\n"),
	  SMTP_DATA_NUL | SMTP_DATA_8BIT, true, ALL },
	{ L("a\r\n.\r\n\xff\0"), true, 0, 998, L("a\r\n"), 0, true, 6 },
	{ L("0123456789\r\n.\r\n"), true, 0, 10, L("0123456789\r\n"), 0, true, ALL },
	{ L("01234567890\r\n.\r\n"), true, 0, 10, L("01234567890\r\n"), SMTP_DATA_LONG_LINE, true, ALL },
	{ L("ab\r\r\n.\r\n"), true, 0, 3, L("ab\r\r\n"), BARE_CR, true, ALL },
	{ L("abcd\r\n.\r\n"), true, 0, 3, L("abcd\r\n"), SMTP_DATA_LONG_LINE, true, ALL },
	{ L("..ab\r\n.\r\n"), true, 0, 3, L(".ab\r\n"), 0, true, ALL },
	{ L("abc\nabc\r\n"), true, 0, 3, L("abc\r\nabc\r\n"), BARE_LF, false, ALL },

	/* Message-ID in the header section only */
	{ L("Message-ID: <x@y>\r\n\r\nb\r\n.\r\n"), true, 0, 998,
	  L("Message-ID: <x@y>\r\n\r\nb\r\n"), MSGID, true, ALL },
	{ L("From: a\r\nmessage-id:<1@x>\r\n\r\n.\r\n"), true, 0, 998,
	  L("From: a\r\nmessage-id:<1@x>\r\n\r\n"), MSGID, true, ALL },
	{ L("MESSAGE-ID : <1@x>\r\n"), true, 0, 998, L("MESSAGE-ID : <1@x>\r\n"), MSGID, false, ALL },
	{ L(".Message-ID: <1@x>\r\n"), true, 0, 998, L("Message-ID: <1@x>\r\n"), MSGID, false, ALL },
	{ L("Message-ID: <1@x>\n"), true, 0, 998, L("Message-ID: <1@x>\r\n"), MSGID | BARE_LF, false, ALL },
	{ L("X-Message-ID: x\r\n"), true, 0, 998, L("X-Message-ID: x\r\n"), 0, false, ALL },
	{ L("Message-IDs: x\r\n"), true, 0, 998, L("Message-IDs: x\r\n"), 0, false, ALL },
	{ L("Message-I: x\r\n"), true, 0, 998, L("Message-I: x\r\n"), 0, false, ALL },
	{ L("Message-ID\r\n"), true, 0, 998, L("Message-ID\r\n"), 0, false, ALL },
	{ L("Message\rID: x\r\n"), true, 0, 998, L("Message\rID: x\r\n"), BARE_CR, false, ALL },
	{ L("Subject: a\r\n Message-ID: x\r\n"), true, 0, 998,
	  L("Subject: a\r\n Message-ID: x\r\n"), 0, false, ALL },
	{ L("Subject: a\r\n\r\nMessage-ID: x\r\n"), true, 0, 998,
	  L("Subject: a\r\n\r\nMessage-ID: x\r\n"), 0, false, ALL },
	{ L("Subject: a\n\nMessage-ID: x\r\n"), true, 0, 998,
	  L("Subject: a\r\n\r\nMessage-ID: x\r\n"), BARE_LF, false, ALL },
	{ L("\r\nMessage-ID: x\r\n"), true, 0, 998, L("\r\nMessage-ID: x\r\n"), 0, false, ALL },

	/* size ceiling: output cut at max_size, input still read to the end */
	{ L("abcdefgh\r\n.\r\n"), true, 5, 998, L("abcde"), SMTP_DATA_OVERSIZE, true, ALL },
	{ L("abcdefgh\r\n.\r\n"), true, 10, 998, L("abcdefgh\r\n"), 0, true, ALL },
	{ L("abcdefgh\n\r\n.\r\n"), true, 9, 998, L("abcdefgh\r"),
	  SMTP_DATA_OVERSIZE | BARE_LF, true, ALL },
	{ L("abc\r\n..\r\n..\r\nx\r\n.\r\nrest"), true, 8, 998, L("abc\r\n.\r\n"),
	  SMTP_DATA_OVERSIZE, true, 19 },

	/* BDAT: no dot handling, same content rules */
	{ L("a\r\n.\r\nb"), false, 0, 998, L("a\r\n.\r\nb"), 0, false, ALL },
	{ L(".\r\n"), false, 0, 998, L(".\r\n"), 0, false, ALL },
	{ L("..x\r\n"), false, 0, 998, L("..x\r\n"), 0, false, ALL },
	{ L("a\nb"), false, 0, 998, L("a\r\nb"), BARE_LF, false, ALL },
	{ L("a\r"), false, 0, 998, L("a\r"), BARE_CR, false, ALL },
	{ L("a\r\n"), false, 0, 998, L("a\r\n"), 0, false, ALL },
	{ L("\n.\n"), false, 0, 998, L("\r\n.\r\n"), BARE_LF, false, ALL },
	{ L("Message-ID: x\r\n\r\n"), false, 0, 998, L("Message-ID: x\r\n\r\n"), MSGID, false, ALL },
	{ L("abcdef"), false, 4, 998, L("abcd"), SMTP_DATA_OVERSIZE, false, ALL },
};

struct result {
	struct mg_buf	 out;
	unsigned	 flags;
	bool		 done;
	size_t		 consumed;
	uint64_t	 size;
};

/* Feeds the input in pieces ending at cuts[0..ncut) and then at its end;
 * finishes BDAT content as BDAT LAST would. */
static void
run(const struct data_case *c, const size_t *cuts, size_t ncut, struct result *r)
{
	struct smtp_data d;
	size_t from = 0, k;
	bool done = false;
	long n;

	smtp_data_begin(&d, c->dot, c->max_size, c->max_line);
	mg_buf_init(&r->out, 0);
	for (k = 0; k <= ncut && !done; k++) {
		size_t to = k < ncut ? cuts[k] : c->in_len;

		n = smtp_data_feed(&d, (const uint8_t *)c->in + from, to - from,
		    &r->out, &done);
		assert_true(n >= 0);
		if (!done && (size_t)n != to - from)
			fail_msg("feed consumed %ld of %zu without reaching the end",
			    n, to - from);
		from += (size_t)n;
	}
	if (!c->dot)
		assert_int_equal(smtp_data_finish(&d, &r->out), 0);
	r->flags = d.flags;
	r->done = done;
	r->consumed = from;
	r->size = d.size;
}

static void
escape(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			buf[len++] = (char)p[i];
		else
			len += (size_t)snprintf(buf + len, cap - len, "\\x%02x", p[i]);
	}
	buf[len] = '\0';
}

/* Compares one run with the case; prints and counts a mismatch. */
static unsigned
check(size_t i, const char *how, const struct data_case *c, struct result *r)
{
	size_t want_consumed = c->consumed == ALL ? c->in_len : c->consumed;
	char got[1024], want[1024];
	bool ok;

	ok = r->out.len == c->out_len &&
	    (c->out_len == 0 || memcmp(r->out.data, c->out, c->out_len) == 0) &&
	    r->flags == c->flags && r->done == c->done &&
	    r->consumed == want_consumed && r->size == r->out.len;
	if (!ok) {
		escape(got, sizeof(got), r->out.data, r->out.len);
		escape(want, sizeof(want), (const uint8_t *)c->out, c->out_len);
		print_message("data case %zu (%s): got \"%s\" flags=%#x done=%d consumed=%zu "
		    "size=%llu; want \"%s\" flags=%#x done=%d consumed=%zu\n", i, how,
		    got, r->flags, r->done, r->consumed, (unsigned long long)r->size,
		    want, c->flags, c->done, want_consumed);
	}
	mg_buf_release(&r->out);
	return ok ? 0 : 1;
}

static void
test_vectors(void **state)
{
	size_t i, a, b, cuts[512];
	struct result r;
	unsigned failed = 0, runs = 0;
	char how[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct data_case *c = &cases[i];

		assert_true(c->in_len < sizeof(cuts) / sizeof(cuts[0]));
		run(c, NULL, 0, &r);
		failed += check(i, "whole", c, &r);
		for (a = 0; a < c->in_len; a++)
			cuts[a] = a + 1;
		run(c, cuts, c->in_len, &r);
		failed += check(i, "byte by byte", c, &r);
		runs += 2;
		for (a = 1; a < c->in_len; a++) {
			cuts[0] = a;
			run(c, cuts, 1, &r);
			snprintf(how, sizeof(how), "split at %zu", a);
			failed += check(i, how, c, &r);
			runs++;
			for (b = a + 1; b < c->in_len && c->in_len <= 64; b++) {
				cuts[1] = b;
				run(c, cuts, 2, &r);
				snprintf(how, sizeof(how), "split at %zu and %zu", a, b);
				failed += check(i, how, c, &r);
				runs++;
			}
		}
		if (failed > 20)
			break;
	}
	print_message("%zu data cases, %u runs\n", i, runs);
	if (failed)
		fail_msg("%u data runs failed", failed);
}

/* After the end marker nothing more is consumed, and an output buffer that
 * cannot grow is the only error. */
static void
test_after_end_and_errors(void **state)
{
	struct smtp_data d;
	struct mg_buf out;
	bool done = false;
	long n;

	smtp_data_begin(&d, true, 0, 998);
	mg_buf_init(&out, 0);
	n = smtp_data_feed(&d, (const uint8_t *)".\r\n", 3, &out, &done);
	if (n != 3 || !done)
		fail_msg("end marker: got n=%ld done=%d, want 3 and 1", n, done);
	n = smtp_data_feed(&d, (const uint8_t *)"more", 4, &out, &done);
	if (n != 0 || !done || out.len != 0)
		fail_msg("after the end: got n=%ld done=%d len=%zu, want 0, 1, 0",
		    n, done, out.len);
	mg_buf_release(&out);

	smtp_data_begin(&d, true, 0, 998);
	mg_buf_init(&out, 4);
	n = smtp_data_feed(&d, (const uint8_t *)"abcdef\r\n", 8, &out, &done);
	if (n != -MG_ELIMIT)
		fail_msg("full output buffer: got %ld, want %d", n, -MG_ELIMIT);
	mg_buf_release(&out);
}

/* A large message of mixed lines: every split of the input at a handful of
 * sizes gives the same bytes as one feed. */
static void
test_large_chunks(void **state)
{
	static const char *lines[] = { "Subject: big\r\n", "\r\n", "line of text\r\n",
	    ".stuffed\r\n", "bare lf\n", "bare\rcr\r\n", "\xc3\xa9t\xc3\xa9\r\n" };
	static const size_t chunk[] = { 1, 2, 3, 7, 64, 4096 };
	struct mg_buf msg, whole, part;
	struct smtp_data d;
	size_t i, k, off;
	unsigned flags;
	bool done;
	long n;

	mg_buf_init(&msg, 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(mg_buf_append(&msg, lines[i % 7], strlen(lines[i % 7])), 0);
	assert_int_equal(mg_buf_append(&msg, ".\r\n", 3), 0);

	smtp_data_begin(&d, true, 0, 998);
	mg_buf_init(&whole, 0);
	n = smtp_data_feed(&d, msg.data, msg.len, &whole, &done);
	assert_true(done && (size_t)n == msg.len);
	flags = d.flags;
	for (k = 0; k < sizeof(chunk) / sizeof(chunk[0]); k++) {
		smtp_data_begin(&d, true, 0, 998);
		mg_buf_init(&part, 0);
		for (off = 0, done = false; off < msg.len && !done; off += (size_t)n) {
			size_t len = msg.len - off < chunk[k] ? msg.len - off : chunk[k];

			n = smtp_data_feed(&d, msg.data + off, len, &part, &done);
			assert_true(n >= 0);
		}
		if (!done || part.len != whole.len || d.flags != flags ||
		    memcmp(part.data, whole.data, whole.len) != 0)
			fail_msg("chunks of %zu: got len=%zu flags=%#x done=%d, want "
			    "len=%zu flags=%#x done=1", chunk[k], part.len, d.flags,
			    done, whole.len, flags);
		mg_buf_release(&part);
	}
	mg_buf_release(&whole);
	mg_buf_release(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_after_end_and_errors),
		cmocka_unit_test(test_large_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
