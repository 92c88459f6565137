/* The tokenizer on parsed and analysed messages: normalisation (case,
 * punctuation, digits, full-width, zero-width, CJK, Thai, emoji, cut
 * words), hidden HTML text left out, header, URL and attachment tokens,
 * runs, the token ceiling and stopping early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "learn/tokens.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "test_util.h"

struct parsed {
	struct mg_arena	*arena;
	struct mime_msg	*msg;
};

static struct mime_analyze_ctx *actx;

static void
parse(struct parsed *p, const char *raw, size_t len)
{
	struct mime_limits lim;

	mime_limits_default(&lim);
	p->arena = mg_arena_new(64 * 1024, 256u << 20);
	assert_non_null(p->arena);
	p->msg = mime_parse(p->arena, (const uint8_t *)raw, len, &lim);
	assert_non_null(p->msg);
	assert_int_equal(mime_analyze(actx, p->arena, p->msg), 0);
}

struct collect {
	unsigned	 sources;	/* bit per enum tok_source printed */
	char		 out[4096];
	size_t		 n;
	unsigned	 count;
	unsigned	 stop_at;	/* return 7 at this token (1-based), 0 = never */
	bool		 pos_ok;	/* every pos is 0 or the previous one + 1 */
	size_t		 last_pos;
};

static int
collect(void *arg, const struct tok *t)
{
	static const char tag[] = "STHUA";
	struct collect *c = arg;

	c->count++;
	if (t->pos != 0 && t->pos != c->last_pos + 1)
		c->pos_ok = false;
	c->last_pos = t->pos;
	if (t->len == 0 || t->len > TOK_MAX_LEN || memchr(t->text, ' ', t->len) != NULL)
		c->pos_ok = false;
	if (c->sources & (1u << t->source) && c->n < sizeof(c->out) - 1) {
		int k = snprintf(c->out + c->n, sizeof(c->out) - c->n, "%s%s%c%s%s%s:%.*s",
		    c->n ? " " : "", t->pos == 0 ? "|" : "", tag[t->source],
		    t->field ? "(" : "", t->field ? t->field : "", t->field ? ")" : "",
		    (int)t->len, t->text);
		c->n = c->n + (size_t)k < sizeof(c->out) ? c->n + (size_t)k : sizeof(c->out) - 1;
	}
	return c->stop_at != 0 && c->count == c->stop_at ? 7 : 0;
}

#define SRC(x)	(1u << (x))
#define ST	(SRC(TOK_SUBJECT) | SRC(TOK_TEXT))

/* Raw message, the sources printed, the tokens wanted ("|" starts a run). */
static const struct {
	const char	*raw;
	unsigned	 sources;
	const char	*want;
} norm_cases[] = {
	/* case, punctuation around words, inner punctuation kept */
	{ "Subject: Hello, WORLD!! (Don't) e-mail...\r\n\r\n-- Re: \"quoted\" --\r\n",
	  ST, "|S:hello S:world S:don't S:e-mail |T:re T:quoted" },
	/* lone ASCII characters dropped, currency kept */
	{ "Subject: a I $$$ win $100\r\n\r\nx\r\n", ST, "|S:$$$ S:win S:$100" },
	/* digits: short runs kept, long ones become their length */
	{ "\r\ncall 5551234567 in 2024, ref ab12345678x, 3.14159\r\n", ST,
	  "|T:call T:#10 T:in T:2024 T:ref T:ab#8x T:3.#5" },
	/* Unicode case folding, curly apostrophe, full-width, zero-width */
	{ "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	  "\xc3\x84RGER \xce\xa3\xce\x8a\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3 "
	  "it\xe2\x80\x99s \xef\xbc\xa6\xef\xbc\xb2\xef\xbc\xa5\xef\xbc\xa5 "
	  "vi\xe2\x80\x8b" "agra\r\n", ST,
	  "|T:\xc3\xa4rger T:\xcf\x83\xce\xaf\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83 "
	  "T:it's T:free T:viagra" },
	/* CJK and Thai: one token per character, marks stay with theirs */
	{ "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	  "\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x82ok \xe0\xb8\x81\xe0\xb8\xb4\xe0\xb8\x99\r\n",
	  ST, "|T:\xe4\xb8\xad T:\xe6\x96\x87 T:ok T:\xe0\xb8\x81\xe0\xb8\xb4 T:\xe0\xb8\x99" },
	/* emoji: a token each */
	{ "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	  "hot\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5 deal\r\n", ST,
	  "|T:hot T:\xf0\x9f\x94\xa5 T:\xf0\x9f\x94\xa5 T:deal" },
	/* long words cut at TOK_MAX_LEN with the mark */
	{ "\r\nabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz end\r\n", ST,
	  "|T:abcdefghijklmnopqrstuvwxyzabcdefghijklm~ T:end" },
	/* invalid UTF-8 separates words */
	{ "Content-Type: text/plain; charset=utf-8\r\n\r\nab\xff" "cd\r\n", ST,
	  "|T:ab T:cd" },
	/* hidden HTML text is left out; the plain alternative is shadowed */
	{ "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\nplainword\r\n"
	  "--b\r\nContent-Type: text/html\r\n\r\n<p>Visible <span style=\"display:none\">"
	  "secretword</span>words</p>\r\n--b--\r\n", ST, "|T:visible T:words" },
	/* header fields, each a run; field names in order; MIME structure */
	{ "From: \"PayPal Service\" <x@Mail.Example.COM>\r\n"
	  "Reply-To: other@reply.example\r\nX-Mailer: Mailer 7.2\r\n"
	  "List-Id: <news.example>\r\nPrecedence: bulk\r\n"
	  "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	  "Content-Type: text/plain; charset=ISO-8859-1\r\n\r\nhi\r\n",
	  SRC(TOK_HEADER), "|H(from):paypal H(from):service H(from):mail.example.com "
	  "|H(reply-to):reply.example |H(x-mailer):mailer H(x-mailer):7.2 "
	  "|H(precedence):bulk |H(list-id):present |H(fields):from H(fields):reply-to "
	  "H(fields):x-mailer H(fields):list-id H(fields):precedence H(fields):received "
	  "H(fields):content-type |H(content-type):text/plain H(content-type):7bit "
	  "|H(charset):iso-8859-1 |H(received):1" },
	/* shapes of Message-ID and Date, X-Priority, hops from the second on */
	{ "Received: from mx.example by us; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	  "Received: from 454F3198 ([10.1.2.3]) by mx.example with SMTP; "
	  "Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	  "Message-ID: <000801c782c7$468ac1f0$a7972cce@Host.Example>\r\n"
	  "Date: Fri, 20 Apr 2007 00:11:19 +0300\r\nX-Priority: 3 (Normal)\r\n\r\nhi\r\n",
	  SRC(TOK_HEADER), "|H(message-id):host.example |H(message-id):x$x$x "
	  "|H(x-priority):normal |H(date):a,_99_a_9999_99:99:99_+9999 "
	  "|H(fields):received H(fields):received H(fields):message-id H(fields):date "
	  "H(fields):x-priority |H(content-type):text/plain H(content-type):7bit "
	  "|H(received):2 H(received):454f3198 H(received):smtp" },
	/* URLs: host, registrable domain, path words */
	{ "\r\nsee https://WWW.Shop.example.co.uk/Buy/now.html?id=123456 today\r\n",
	  SRC(TOK_URL), "|U:www.shop.example.co.uk U:example.co.uk U:buy U:now.html "
	  "U:id U:#6" },
	/* attachments: name words, extension, declared and real type */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nbody\r\n"
	  "--b\r\nContent-Type: application/pdf; name=\"Invoice 2024.pdf\"\r\n"
	  "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "aGVsbG8gd29ybGQK\r\n--b--\r\n",
	  SRC(TOK_ATTACH), "|A:invoice A:2024.pdf A:pdf A:application/pdf A:text/plain" },
};

static void
test_normalisation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		struct parsed p;
		struct collect c = { .sources = norm_cases[i].sources, .pos_ok = true };
		char what[64];

		parse(&p, norm_cases[i].raw, strlen(norm_cases[i].raw));
		assert_int_equal(tokens_walk(p.msg, collect, &c), 0);
		c.out[c.n] = '\0';
		snprintf(what, sizeof(what), "case %zu", i);
		check_str(what, c.out, norm_cases[i].want);
		if (!c.pos_ok)
			check_str(what, "positions or lengths broken", "");
		mg_arena_free(p.arena);
	}
	check_failures();
}

/* At most TOK_MAX_COUNT tokens; fn's non-zero value stops the walk. */
static void
test_limits(void **state)
{
	static const struct { unsigned words, stop_at; int want_rc; unsigned want_count; } cases[] = {
		{ 100, 0, 0, 100 + 3 },	/* + content type, encoding and hop count */
		{ TOK_MAX_COUNT + 500, 0, 0, TOK_MAX_COUNT },
		{ 100, 10, 7, 10 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 2 + (size_t)cases[i].words * 5;
		char *raw = malloc(len + 1);
		struct parsed p;
		struct collect c = { .stop_at = cases[i].stop_at, .pos_ok = true };
		int rc;

		assert_non_null(raw);
		memcpy(raw, "\r\n", 2);
		for (unsigned k = 0; k < cases[i].words; k++)
			memcpy(raw + 2 + (size_t)k * 5, "word ", 5);
		parse(&p, raw, len);
		rc = tokens_walk(p.msg, collect, &c);
		if (rc != cases[i].want_rc || c.count != cases[i].want_count)
			fail_msg("case %zu: got rc %d count %u, want rc %d count %u", i, rc,
			    c.count, cases[i].want_rc, cases[i].want_count);
		mg_arena_free(p.arena);
		free(raw);
	}
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	actx = mime_analyze_ctx_new(err, sizeof(err));
	if (actx == NULL)
		print_error("mime_analyze_ctx_new: %s\n", err);
	return actx == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	actx = mime_analyze_ctx_free(actx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
