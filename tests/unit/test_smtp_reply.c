/* The delivery client's reply parser: multi-line replies, code agreement,
 * enhanced status codes, limits, and the EHLO keywords read from a reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "smtp/smtp_reply.h"

/* Lines are separated by '\n' in the input; the result of the last feed
 * (or the first error) is compared. */
static const struct reply_case {
	const char	*lines;
	int		 want;
	int		 code;
	const char	*status;
	const char	*text;
} reply_cases[] = {
	{ "250 OK", 1, 250, "", "OK" },
	{ "250-mx.example\n250-PIPELINING\n250 SIZE 1000", 1, 250, "",
	  "mx.example\nPIPELINING\nSIZE 1000" },
	{ "250-mx.example\n250-PIPELINING", 0, 250, "", "mx.example\nPIPELINING" },
	{ "550 5.1.1 User unknown", 1, 550, "5.1.1", "5.1.1 User unknown" },
	{ "550-5.1.1 first\n550 5.1.1 second", 1, 550, "5.1.1", "5.1.1 first\n5.1.1 second" },
	{ "250 2.0.0 Ok: queued as X", 1, 250, "2.0.0", "2.0.0 Ok: queued as X" },
	{ "451 4.123.999 later", 1, 451, "4.123.999", "4.123.999 later" },
	{ "250 2.0.0", 1, 250, "2.0.0", "2.0.0" },
	{ "250 5.0.0 class differs", 1, 250, "", "5.0.0 class differs" },
	{ "354 3.0.0 go ahead", 1, 354, "", "3.0.0 go ahead" },
	{ "250 2.0 short", 1, 250, "", "2.0 short" },
	{ "250 2.1000.0 long", 1, 250, "", "2.1000.0 long" },
	{ "250 2.0.0x", 1, 250, "", "2.0.0x" },
	{ "250 2..0 x", 1, 250, "", "2..0 x" },
	{ "250", 1, 250, "", "" },
	{ "250-\n250", 1, 250, "", "\n" },
	{ "220 mx ESMTP\tready\x01", 1, 220, "", "mx ESMTP?ready?" },
	{ "250-a\n251 b", -MG_EPROTO, 250, "", "a" },
	{ "250-a\n\n250 b", -MG_EPROTO, 250, "", "a" },
	{ "25 x", -MG_EPROTO, 0, "", "" },
	{ "2500 x", -MG_EPROTO, 0, "", "" },
	{ "250x", -MG_EPROTO, 0, "", "" },
	{ "abc", -MG_EPROTO, 0, "", "" },
	{ "150 x", -MG_EPROTO, 0, "", "" },
	{ "650 x", -MG_EPROTO, 0, "", "" },
	{ "2a0 x", -MG_EPROTO, 0, "", "" },
	{ "", -MG_EPROTO, 0, "", "" },
	{ "250 done\n250 again", -MG_EINVAL, 250, "", "done" },
};

static int
feed_lines(struct smtp_reply *r, const char *lines)
{
	const char *p = lines, *nl;
	int rc;

	smtp_reply_reset(r);
	for (;;) {
		nl = strchr(p, '\n');
		rc = smtp_reply_feed(r, (const uint8_t *)p,
		    nl ? (size_t)(nl - p) : strlen(p));
		if (rc < 0 || nl == NULL)
			return rc;
		p = nl + 1;
	}
}

static void
test_replies(void **state)
{
	struct smtp_reply r;
	size_t i;
	unsigned failed = 0;
	int rc;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];

		rc = feed_lines(&r, c->lines);
		if (rc != c->want || r.code != c->code || strcmp(r.status, c->status) != 0 ||
		    strcmp(r.text, c->text) != 0 || r.text_len != strlen(r.text)) {
			print_message("reply case %zu: got rc=%d code=%d status=\"%s\" "
			    "text=\"%s\"; want rc=%d code=%d status=\"%s\" text=\"%s\"\n",
			    i, rc, r.code, r.status, r.text, c->want, c->code, c->status,
			    c->text);
			failed++;
		}
	}
	if (failed)
		fail_msg("%u of %zu reply cases failed", failed, i);
}

/* 64 lines and 4096 bytes of text are accepted; one more is an error. */
static void
test_limits(void **state)
{
	static const struct {
		unsigned	 lines;
		size_t		 text;		/* text bytes on the last line */
		int		 want;
	} cases[] = {
		{ 64, 1, 1 },
		{ 65, 1, -MG_ELIMIT },
		{ 1, SMTP_REPLY_MAX_TEXT, 1 },
		{ 1, SMTP_REPLY_MAX_TEXT + 1, -MG_ELIMIT },
		{ 2, SMTP_REPLY_MAX_TEXT - 2, 1 },	/* "x" '\n' + text */
		{ 2, SMTP_REPLY_MAX_TEXT - 1, -MG_ELIMIT },
	};
	uint8_t line[SMTP_REPLY_MAX_TEXT + 8];
	struct smtp_reply r;
	unsigned k;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smtp_reply_reset(&r);
		rc = 0;
		for (k = 1; k < cases[i].lines; k++)
			if ((rc = smtp_reply_feed(&r, (const uint8_t *)"250-x", 5)) != 0)
				break;
		if (rc == 0) {
			memcpy(line, "250 ", 4);
			memset(line + 4, 'y', cases[i].text);
			rc = smtp_reply_feed(&r, line, 4 + cases[i].text);
		}
		if (rc != cases[i].want)
			fail_msg("limit case %zu (%u lines, %zu bytes): got %d, want %d",
			    i, cases[i].lines, cases[i].text, rc, cases[i].want);
	}
}

static const struct ehlo_case {
	const char	*lines;
	int		 want;
	unsigned	 ext;
	uint64_t	 size;
	unsigned	 auth;
} ehlo_cases[] = {
	{ "250-mx.example Hello\n250-PIPELINING\n250-SIZE 35882577\n250-8BITMIME\n"
	  "250-SMTPUTF8\n250-CHUNKING\n250-STARTTLS\n250-DSN\n250-ENHANCEDSTATUSCODES\n"
	  "250 AUTH PLAIN LOGIN CRAM-MD5", 0,
	  SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	  SMTP_EXT_CHUNKING | SMTP_EXT_STARTTLS | SMTP_EXT_DSN |
	  SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_AUTH, 35882577,
	  SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN },
	{ "250 mx.example", 0, 0, 0, 0 },
	{ "250-mx PIPELINING\n250 HELP", 0, 0, 0, 0 },
	{ "250-mx\n250-AUTH=LOGIN PLAIN\n250 SIZE", 0, SMTP_EXT_AUTH | SMTP_EXT_SIZE, 0,
	  SMTP_AUTH_LOGIN | SMTP_AUTH_PLAIN },
	{ "250-mx\n250-size 12x\n250 auth cram-md5 plain", 0, SMTP_EXT_SIZE | SMTP_EXT_AUTH,
	  0, SMTP_AUTH_PLAIN },
	{ "250-mx\n250-pipelining\n250 starttls", 0,
	  SMTP_EXT_PIPELINING | SMTP_EXT_STARTTLS, 0, 0 },
	{ "250-mx\n250-PIPELININGX\n250 8BITMIMEX", 0, 0, 0, 0 },
	{ "250-mx\n250 SIZE 99999999999999999999999", 0, SMTP_EXT_SIZE, UINT64_MAX, 0 },
	{ "250-mx\n250 AUTH  LOGIN", 0, SMTP_EXT_AUTH, 0, SMTP_AUTH_LOGIN },
	{ "250-mx\n250-PIPELINING", -MG_EPROTO, 0, 0, 0 },
	{ "550 go away", -MG_EPROTO, 0, 0, 0 },
};

static void
test_ehlo(void **state)
{
	struct smtp_reply r;
	struct smtp_ehlo e;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(ehlo_cases) / sizeof(ehlo_cases[0]); i++) {
		const struct ehlo_case *c = &ehlo_cases[i];

		assert_true(feed_lines(&r, c->lines) >= 0);
		rc = smtp_reply_ehlo(&r, &e);
		if (rc != c->want || e.ext != c->ext || e.size != c->size || e.auth != c->auth)
			fail_msg("ehlo case %zu: got rc=%d ext=%#x size=%llu auth=%#x; "
			    "want rc=%d ext=%#x size=%llu auth=%#x", i, rc, e.ext,
			    (unsigned long long)e.size, e.auth, c->want, c->ext,
			    (unsigned long long)c->size, c->auth);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ehlo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
