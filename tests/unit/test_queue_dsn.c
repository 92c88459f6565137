/* DSN generation (RFC 3464/3461/6522/6533): each DSN is parsed back into
 * its multipart/report structure and its required fields are checked;
 * status codes, NOTIFY rules, RET and the cleaning of hostile replies are
 * table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "queue/dsn.h"
#include "smtp/smtp_parse.h"

#define ORIG_HEADERS	"From: a@b.example\r\nSubject: hello\r\n"
#define ORIG_BODY	"the body line\r\n.second line\r\n"

struct part {
	char	 headers[2048];
	char	*body;
	size_t	 body_len;
};

/* Splits "headers CRLF CRLF body"; the header block keeps its last CRLF. */
static void
split(const char *p, size_t len, char *headers, size_t hlen, const char **body,
    size_t *blen)
{
	const char *end = memmem(p, len, "\r\n\r\n", 4);

	assert_non_null(end);
	assert_true((size_t)(end - p) + 3 < hlen);
	memcpy(headers, p, (size_t)(end - p) + 2);
	headers[end - p + 2] = '\0';
	*body = end + 4;
	*blen = len - (size_t)(end - p) - 4;
}

/* Value of header field name in a header block ("" when absent). */
static const char *
field(const char *headers, const char *name, char *out, size_t outlen)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	out[0] = '\0';
	if (strncmp(headers, key + 2, strlen(key) - 2) == 0)
		p = headers + strlen(key) - 2;
	else if ((p = strstr(headers, key)) != NULL)
		p += strlen(key);
	else
		return out;
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "\r"), p);
	return out;
}

/* Parses a whole DSN into its three parts; checks the line rules. */
static void
parse_dsn(const struct mg_buf *b, char *top, size_t toplen, struct part parts[3])
{
	const char *body, *p;
	size_t blen, n = 0;
	char ct[512], delim[160];
	const char *bnd;

	for (size_t i = 0, col = 0; i < b->len; i++, col++) {
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			fail_msg("bare LF at offset %zu", i);
		if (b->data[i] == '\n')
			col = 0;
		if (col > 998)
			fail_msg("line longer than 998 bytes at offset %zu", i);
	}
	split((const char *)b->data, b->len, top, toplen, &body, &blen);
	field(top, "Content-Type", ct, sizeof(ct));
	if (strncmp(ct, "multipart/report; report-type=delivery-status;", 47) != 0)
		fail_msg("got Content-Type \"%s\"", ct);
	bnd = strstr(top, "boundary=\"");
	assert_non_null(bnd);
	bnd += 10;
	snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)strcspn(bnd, "\""), bnd);
	p = memmem(body - 2, blen + 2, delim, strlen(delim));
	assert_non_null(p);
	for (;;) {
		const char *start = p + strlen(delim), *next;
		if (strncmp(start, "--\r\n", 4) == 0)
			break;
		assert_true(strncmp(start, "\r\n", 2) == 0);
		start += 2;
		next = memmem(start, blen - (size_t)(start - body), delim, strlen(delim));
		if (next == NULL)
			fail_msg("part %zu has no closing boundary", n);
		if (n == 3)
			fail_msg("more than three parts");
		split(start, (size_t)(next - start) + 2, parts[n].headers,
		    sizeof(parts[n].headers), (const char **)&parts[n].body, &parts[n].body_len);
		n++;
		p = next;
	}
	if (n != 3)
		fail_msg("got %zu parts, want 3", n);
}

static void
input_init(struct dsn_input *in, struct dsn_rcpt *r, size_t n, const char *data)
{
	*in = (struct dsn_input){
		.hostname = "gw.example.test", .qid = 0x1234, .unique = 0xabcd,
		.arrival = 1700000000, .now = 1700000100, .sender = "sender@origin.example",
		.rcpts = r, .nrcpts = n,
		.headers = MG_SLICE_LIT("Received: from x by gw; date\r\n"),
		.data = mg_slice_make(data, strlen(data)),
	};
}

static void
test_structure_and_fields(void **state)
{
	struct dsn_rcpt r[2] = {
		{ .addr = "bad@dest.example", .orcpt = "rfc822;alias@dest.example",
		  .remote = "mx.dest.example[192.0.2.1]:25",
		  .reply = "550 5.1.1 <bad@dest.example>: user unknown", .last_attempt = 1700000050 },
		{ .addr = "slow@dest.example", .reply = "connect to mx: timeout", .expired = true },
	};
	struct dsn_input in;
	struct part parts[3];
	char top[4096], v[512];
	struct mg_buf b;
	bool eightbit, utf8;

	input_init(&in, r, 2, ORIG_HEADERS "\r\n" ORIG_BODY);
	in.envid = "ENV-42";
	mg_buf_init(&b, 0);
	assert_int_equal(dsn_build(&in, &b, &eightbit, &utf8), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);	/* the checks below use string functions */
	assert_false(eightbit);
	assert_false(utf8);
	parse_dsn(&b, top, sizeof(top), parts);
	assert_string_equal(field(top, "From", v, sizeof(v)),
	    "Mail Delivery System <MAILER-DAEMON@gw.example.test>");
	assert_string_equal(field(top, "To", v, sizeof(v)), "<sender@origin.example>");
	assert_string_equal(field(top, "Auto-Submitted", v, sizeof(v)), "auto-replied");
	assert_string_equal(field(top, "MIME-Version", v, sizeof(v)), "1.0");
	assert_string_equal(field(top, "Date", v, sizeof(v)), "Tue, 14 Nov 2023 22:15:00 +0000");
	assert_string_equal(field(parts[0].headers, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=utf-8");
	assert_non_null(strstr(parts[0].body, "<bad@dest.example>: 550 5.1.1"));
	assert_non_null(strstr(parts[0].body, "<slow@dest.example>: delivery kept failing"));
	assert_string_equal(field(parts[1].headers, "Content-Type", v, sizeof(v)),
	    "message/delivery-status");
	/* per-message fields, then one block per recipient */
	assert_non_null(strstr(parts[1].body, "Reporting-MTA: dns; gw.example.test\r\n"));
	assert_non_null(strstr(parts[1].body, "Original-Envelope-Id: ENV-42\r\n"));
	assert_non_null(strstr(parts[1].body, "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(parts[1].body, "\r\n\r\nOriginal-Recipient: rfc822;alias@dest.example\r\n"
	    "Final-Recipient: rfc822; bad@dest.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	    "Remote-MTA: dns; mx.dest.example\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <bad@dest.example>: user unknown\r\n"
	    "Last-Attempt-Date: Tue, 14 Nov 2023 22:14:10 +0000\r\n"));
	assert_non_null(strstr(parts[1].body, "\r\n\r\nFinal-Recipient: rfc822; slow@dest.example\r\n"
	    "Action: failed\r\nStatus: 4.4.7\r\n"));
	/* a local reason is no Diagnostic-Code from a remote MTA */
	assert_null(strstr(parts[1].body, "Diagnostic-Code: smtp; connect"));
	/* small message, no RET: returned whole */
	assert_string_equal(field(parts[2].headers, "Content-Type", v, sizeof(v)), "message/rfc822");
	assert_true(strncmp(parts[2].body, "Received: from x by gw; date\r\n" ORIG_HEADERS "\r\n"
	    ORIG_BODY, strlen(ORIG_HEADERS ORIG_BODY) + 32) == 0);
	mg_buf_release(&b);
}

/* RET and size decide between the whole message and its header. */
static void
test_ret(void **state)
{
	char *big = malloc(DSN_DEFAULT_FULL_MAX + 100);
	static const struct { enum env_ret ret; bool big; bool want_full; } cases[] = {
		{ ENV_RET_UNSET, false, true }, { ENV_RET_UNSET, true, false },
		{ ENV_RET_FULL, true, true }, { ENV_RET_HDRS, false, false },
	};
	struct dsn_rcpt r = { .addr = "x@y.example", .reply = "550 no" };

	assert_non_null(big);
	for (size_t i = 0; i < DSN_DEFAULT_FULL_MAX + 99; i++)
		big[i] = i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'a';
	memcpy(big, ORIG_HEADERS "\r\n", strlen(ORIG_HEADERS) + 2);
	big[DSN_DEFAULT_FULL_MAX + 97] = '\r';
	big[DSN_DEFAULT_FULL_MAX + 98] = '\n';
	big[DSN_DEFAULT_FULL_MAX + 99] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dsn_input in;
		struct part parts[3];
		char top[4096], v[256];
		struct mg_buf b;
		bool eightbit, utf8, full;

		input_init(&in, &r, 1, cases[i].big ? big : ORIG_HEADERS "\r\n" ORIG_BODY);
		in.ret = cases[i].ret;
		mg_buf_init(&b, 0);
		assert_int_equal(dsn_build(&in, &b, &eightbit, &utf8), 0);
		assert_int_equal(mg_buf_cstr(&b), 0);
		parse_dsn(&b, top, sizeof(top), parts);
		if (!cases[i].big) {
			field(parts[2].headers, "Content-Type", v, sizeof(v));
			full = strcmp(v, "message/rfc822") == 0;
			if (!full && strcmp(v, "text/rfc822-headers") != 0)
				fail_msg("case %zu: got type %s", i, v);
			if (!full && strstr(parts[2].body, "the body line") != NULL)
				fail_msg("case %zu: headers-only part holds the body", i);
		} else {
			full = parts[2].body_len > DSN_DEFAULT_FULL_MAX;
		}
		if (full != cases[i].want_full)
			fail_msg("case %zu: got %s, want %s", i, full ? "full" : "headers",
			    cases[i].want_full ? "full" : "headers");
		mg_buf_release(&b);
	}
	free(big);
}

static void
test_status(void **state)
{
	static const struct { const char *reply; bool expired; const char *want; } cases[] = {
		{ "550 5.1.1 <a@b>: user unknown", false, "5.1.1" },
		{ "554 5.7.1", false, "5.7.1" },
		{ "552 5.3.4 too big", false, "5.3.4" },
		{ "550 5.1.10 null MX", false, "5.1.10" },
		{ "5.1.2 local", false, "5.1.2" },
		{ "550 user unknown", false, "5.0.0" },
		{ "550 4.1.1 class mismatch", false, "5.0.0" },
		{ "550 5.1111.1 bad", false, "5.0.0" },
		{ "550 5..1 bad", false, "5.0.0" },
		{ "550 5.1.1x bad", false, "5.0.0" },
		{ "", false, "5.0.0" },
		{ NULL, false, "5.0.0" },
		{ "451 4.3.0 later", true, "4.4.7" },
		{ "550 5.1.1 x", true, "4.4.7" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[16];
		dsn_status(cases[i].reply, cases[i].expired, got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu (%s): got %s, want %s", i,
			    cases[i].reply ? cases[i].reply : "NULL", got, cases[i].want);
	}
}

static void
test_wanted(void **state)
{
	static const struct { const char *from; bool is_dsn; unsigned notify; bool want; } cases[] = {
		{ "s@x.example", false, 0, true },
		{ "s@x.example", false, SMTP_NOTIFY_FAILURE, true },
		{ "s@x.example", false, SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, true },
		{ "s@x.example", false, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY, false },
		{ "s@x.example", false, SMTP_NOTIFY_NEVER, false },
		{ "", false, 0, false },		/* null sender */
		{ "s@x.example", true, 0, false },	/* never bounce a bounce */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct envelope env = { .mail_from = (char *)cases[i].from,
		    .is_dsn = cases[i].is_dsn };
		struct env_rcpt r = { .notify = cases[i].notify };
		bool got = dsn_wanted(&env, &r);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
	}
}

/* A hostile reply cannot add fields or parts; UTF-8 addresses use the
 * RFC 6533 types. */
static void
test_hostile_and_utf8(void **state)
{
	struct dsn_rcpt r = {
		.addr = "j\xc3\xb6rg@d\xc3\xb6main.example", .remote = "mx[192.0.2.1]:25",
		.reply = "550 5.1.1 no\r\nX-Injected: yes\r\n\r\n--=_mailgate_fake--\r\n",
	};
	struct dsn_input in;
	struct part parts[3];
	char top[4096], v[256];
	struct mg_buf b;
	bool eightbit, utf8;

	input_init(&in, &r, 1, ORIG_HEADERS "\r\n" ORIG_BODY);
	mg_buf_init(&b, 0);
	assert_int_equal(dsn_build(&in, &b, &eightbit, &utf8), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	assert_true(utf8);
	assert_true(eightbit);
	parse_dsn(&b, top, sizeof(top), parts);
	assert_null(strstr((char *)b.data, "\r\nX-Injected"));
	assert_string_equal(field(parts[1].headers, "Content-Type", v, sizeof(v)),
	    "message/global-delivery-status");
	assert_non_null(strstr(parts[1].body,
	    "Final-Recipient: utf-8; j\xc3\xb6rg@d\xc3\xb6main.example\r\n"));
	assert_string_equal(field(parts[2].headers, "Content-Type", v, sizeof(v)), "message/global");
	mg_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure_and_fields),
		cmocka_unit_test(test_ret),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_hostile_and_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
