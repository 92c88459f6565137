/* The SMTP session engine driven over a socketpair with a recording
 * backend: every dialog is sent at once (pipelined), the client then
 * half-closes, and the reply codes, the content the backend received and
 * the callbacks it saw are compared with what RFC 5321 and docs/smtpd.md
 * say; every dialog again with RCPT and the end of data answered later
 * from the event loop. Also the timeout and drain paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <cmocka.h>

#include "core/log.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_server.h"

struct fake {
	struct event_base *base;
	struct mg_buf	 content;	/* what the last message delivered */
	unsigned	 mails, rcpts, resets, closes, ends;
	unsigned	 end_flags;
	const char	*rcpt_reply;	/* refusal for every RCPT, or NULL */
	bool		 async;		/* answer RCPT and on_data_end from the loop */
};

static struct fake fake;

static const char *
fake_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	fake.mails++;
	return NULL;
}

static void
fake_rcpt_answer(evutil_socket_t fd, short what, void *arg)
{
	smtp_session_reply(arg, "%s", fake.rcpt_reply != NULL ? fake.rcpt_reply :
	    "250 2.1.5 Ok");
}

static const char *
fake_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct timeval now = { 0, 0 };

	fake.rcpts++;
	if (!fake.async)
		return fake.rcpt_reply;
	event_base_once(fake.base, -1, EV_TIMEOUT, fake_rcpt_answer, s, &now);
	return smtp_reply_later;
}

static const char *
fake_data_begin(struct smtp_session *s)
{
	mg_buf_reset(&fake.content);
	return NULL;
}

static int
fake_data_chunk(struct smtp_session *s, const uint8_t *p, size_t len)
{
	return mg_buf_append(&fake.content, p, len);
}

static void
fake_answer(evutil_socket_t fd, short what, void *arg)
{
	smtp_session_reply(arg, "250 2.0.0 Ok: queued as %s", "TEST");
}

static void
fake_data_end(struct smtp_session *s, uint64_t size, unsigned flags)
{
	struct timeval now = { 0, 0 };

	fake.ends++;
	fake.end_flags = flags;
	assert_int_equal(size, fake.content.len);
	if (fake.async)
		event_base_once(fake.base, -1, EV_TIMEOUT, fake_answer, s, &now);
	else
		smtp_session_reply(s, "250 2.0.0 Ok: queued as %s", "TEST");
}

static void
fake_reset(struct smtp_session *s)
{
	fake.resets++;
}

static void
fake_close(struct smtp_session *s)
{
	fake.closes++;
}

static const struct smtp_server_ops fake_ops = {
	fake_mail, fake_rcpt, fake_data_begin, fake_data_chunk, fake_data_end,
	fake_reset, fake_close, NULL, NULL, NULL,
};

static struct conf_limits
default_limits(void)
{
	return (struct conf_limits){
		.max_message_size = 1000, .max_line_length = 512,
		.max_recipients = 3, .max_messages = 5, .max_commands = 100,
		.max_errors = 5, .max_sessions = 10, .command_timeout = 30,
		.data_timeout = 30, .session_timeout = 60,
	};
}

/* Starts a session on one end of a socketpair; returns the other end. */
static int
start_session(struct conf_limits *lim, struct smtp_server_cfg *cfg,
    struct smtp_session **out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(2525) };
	int sv[2];

	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	evutil_make_socket_nonblocking(sv[0]);
	*cfg = (struct smtp_server_cfg){ .hostname = "mx.test", .name = "test",
	    .limits = lim };
	*out = smtp_session_new(fake.base, sv[0], (struct sockaddr *)&sin, sizeof(sin),
	    cfg, &fake_ops, &fake);
	assert_non_null(*out);
	return sv[1];
}

/* The final line's code of every reply, space separated. */
static void
reply_codes(const char *out, char *codes, size_t len)
{
	const char *line = out, *eol;

	codes[0] = '\0';
	while ((eol = strstr(line, "\r\n")) != NULL) {
		if (eol - line >= 4 && line[3] == ' ')
			snprintf(codes + strlen(codes), len - strlen(codes), "%s%.3s",
			    codes[0] ? " " : "", line);
		line = eol + 2;
	}
}

static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

struct dialog {
	const char	*name;
	const char	*input;
	const char	*want;		/* reply codes */
	const char	*content;	/* the last message's content, or NULL */
	unsigned	 ends;		/* messages handed to the backend */
	struct conf_limits lim;		/* zero fields: defaults */
	const char	*rcpt_reply;
	const char	*want_text;	/* a reply line that must appear, or NULL */
};

#define DLG(n, i, w, c, e) .name = (n), .input = (i), .want = (w), .content = (c), .ends = (e)
#define EHLO_MAIL_RCPT	"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r@d.test>\r\n"

static const struct dialog dialogs[] = {
	{ DLG("basic", EHLO_MAIL_RCPT "DATA\r\nSubject: x\r\n\r\nhi\r\n..dot\r\n.\r\nQUIT\r\n",
	    "220 250 250 250 354 250 221", "Subject: x\r\n\r\nhi\r\n.dot\r\n", 1) },
	{ DLG("mail before helo", "MAIL FROM:<a@b.test>\r\nQUIT\r\n", "220 503 221", NULL, 0) },
	{ DLG("rcpt before mail", "HELO c.test\r\nRCPT TO:<r@d.test>\r\n", "220 250 503", NULL, 0) },
	{ DLG("data before rcpt", "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nDATA\r\n",
	    "220 250 250 503", NULL, 0) },
	{ DLG("data after refused rcpts", EHLO_MAIL_RCPT "DATA\r\n", "220 250 250 550 554",
	    NULL, 0), .rcpt_reply = "550 5.7.1 Relaying denied",
	    .want_text = "554 5.5.1 Error: no valid recipients" },
	{ DLG("too many recipients", EHLO_MAIL_RCPT "RCPT TO:<s@d.test>\r\nRCPT TO:<t@d.test>\r\n"
	    "RCPT TO:<u@d.test>\r\n", "220 250 250 250 250 250 452", NULL, 0),
	    .want_text = "452 4.5.3 Too many recipients" },
	{ DLG("size announced too big", "EHLO c.test\r\nMAIL FROM:<a@b.test> SIZE=1001\r\n",
	    "220 250 552", NULL, 0), .want_text = "552 5.3.4 Message size exceeds fixed limit" },
	{ DLG("size exceeded while streaming", EHLO_MAIL_RCPT "DATA\r\n"
	    "0123456789012345678901234567890123456789\r\n.\r\nNOOP\r\n",
	    "220 250 250 250 354 552 250", NULL, 0), .lim.max_message_size = 20 },
	{ DLG("bare CR refused after the end", EHLO_MAIL_RCPT "DATA\r\na\rb\r\n.\r\n",
	    "220 250 250 250 354 550", NULL, 0),
	    .want_text = "550 5.6.0 Message contains bare CR; refused (see RFC 5321 section 2.3.8)" },
	{ DLG("bare LF normalised", EHLO_MAIL_RCPT "DATA\r\na\nb\r\n.\r\n",
	    "220 250 250 250 354 250", "a\r\nb\r\n", 1) },
	{ DLG("smuggling: <LF>.<LF> does not end DATA", EHLO_MAIL_RCPT "DATA\r\nx\r\n\n.\n"
	    "MAIL FROM:<e@vil.test>\r\nRCPT TO:<v@d.test>\r\nDATA\r\nevil\r\n.\r\n",
	    "220 250 250 250 354 250", NULL, 1) },
	{ DLG("smuggling: <CR>.<CR> does not end DATA", EHLO_MAIL_RCPT "DATA\r\nx\r.\r"
	    "NOOP\r\n.\r\n", "220 250 250 250 354 550", NULL, 0) },
	{ DLG("bdat", EHLO_MAIL_RCPT "BDAT 5\r\nhelloBDAT 3 LAST\r\n.\r\n",
	    "220 250 250 250 250 250", "hello.\r\n", 1) },
	{ DLG("bdat refused: its bytes are not commands", "EHLO c.test\r\nBDAT 6\r\nQUIT\r\nNOOP\r\n",
	    "220 250 503 250", NULL, 0) },
	{ DLG("data after bdat", EHLO_MAIL_RCPT "BDAT 2\r\nabDATA\r\n", "220 250 250 250 250 503",
	    NULL, 0) },
	{ DLG("line too long", "NOOP 012345678901234567890123456789\r\nNOOP\r\n", "220 500 250",
	    NULL, 0), .lim.max_line_length = 20, .want_text = "500 5.5.2 Line too long" },
	{ DLG("too many errors", "FOO\r\nFOO\r\nFOO\r\nNOOP\r\n", "220 500 500 500 421", NULL, 0),
	    .lim.max_errors = 3, .want_text = "421 4.7.0 Too many errors, closing connection" },
	{ DLG("too many commands", "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n", "220 250 250 421", NULL, 0),
	    .lim.max_commands = 2 },
	{ DLG("too many messages", EHLO_MAIL_RCPT "DATA\r\n.\r\nMAIL FROM:<a@b.test>\r\n",
	    "220 250 250 250 354 250 421", "", 1), .lim.max_messages = 1 },
	{ DLG("helo resets the transaction", EHLO_MAIL_RCPT "EHLO c.test\r\nDATA\r\n",
	    "220 250 250 250 250 503", NULL, 0) },
	{ DLG("rset", EHLO_MAIL_RCPT "RSET\r\nDATA\r\n", "220 250 250 250 250 503", NULL, 0) },
	{ DLG("vrfy expn help noop", "VRFY x\r\nEXPN x\r\nHELP\r\nNOOP\r\n", "220 252 502 214 250",
	    NULL, 0), .want_text = "252 2.5.0 Cannot VRFY user, but will accept message and"
	    " attempt delivery" },
	{ DLG("starttls not offered", "EHLO c.test\r\nSTARTTLS\r\n", "220 250 502", NULL, 0) },
	{ DLG("unknown and malformed", "EHLO c.test\r\nMAIL FROM:a@b\r\nMAIL FROM:<a@b> FOO=1\r\n"
	    "XYZZY\r\n", "220 250 501 555 500", NULL, 0) },
	{ DLG("nothing after quit", "QUIT\r\nNOOP\r\nNOOP\r\n", "220 221", NULL, 0) },
	{ DLG("non-ascii rcpt needs smtputf8", "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<\xc3\xa9@d.test>\r\n", "220 250 250 553", NULL, 0) },
};

static void
run_dialog(const struct dialog *d, bool async)
{
	struct conf_limits lim = default_limits();
	struct smtp_server_cfg cfg;
	struct smtp_session *s;
	char out[16384], codes[512];
	int peer;

	memset(&fake, 0, sizeof(fake));
	mg_buf_init(&fake.content, 0);
	fake.base = event_base_new();
	fake.async = async;
	fake.rcpt_reply = d->rcpt_reply;
	if (d->lim.max_message_size)
		lim.max_message_size = d->lim.max_message_size;
	if (d->lim.max_line_length)
		lim.max_line_length = d->lim.max_line_length;
	if (d->lim.max_errors)
		lim.max_errors = d->lim.max_errors;
	if (d->lim.max_commands)
		lim.max_commands = d->lim.max_commands;
	if (d->lim.max_messages)
		lim.max_messages = d->lim.max_messages;
	peer = start_session(&lim, &cfg, &s);
	assert_int_equal(write(peer, d->input, strlen(d->input)), (ssize_t)strlen(d->input));
	shutdown(peer, SHUT_WR);
	event_base_dispatch(fake.base);
	read_all(peer, out, sizeof(out));
	close(peer);
	reply_codes(out, codes, sizeof(codes));
	if (strcmp(codes, d->want) != 0)
		fail_msg("%s (%s): got replies \"%s\", want \"%s\"\n%s", d->name,
		    async ? "async" : "sync", codes, d->want, out);
	if (d->want_text != NULL && strstr(out, d->want_text) == NULL)
		fail_msg("%s: reply \"%s\" missing in\n%s", d->name, d->want_text, out);
	if (fake.ends != d->ends)
		fail_msg("%s: backend got %u messages, want %u", d->name, fake.ends, d->ends);
	assert_int_equal(mg_buf_cstr(&fake.content), 0);
	if (d->content != NULL && strcmp((const char *)fake.content.data, d->content) != 0)
		fail_msg("%s: content \"%s\", want \"%s\"", d->name,
		    (const char *)fake.content.data, d->content);
	if (fake.closes != 1)
		fail_msg("%s: on_close ran %u times", d->name, fake.closes);
	if (fake.mails != fake.resets + fake.ends)
		fail_msg("%s: %u transactions but %u resets + %u ends", d->name, fake.mails,
		    fake.resets, fake.ends);
	mg_buf_release(&fake.content);
	event_base_free(fake.base);
}

static void
test_dialogs(void **state)
{
	for (size_t i = 0; i < sizeof(dialogs) / sizeof(dialogs[0]); i++)
		run_dialog(&dialogs[i], false);
}

static void
test_dialogs_async(void **state)
{
	for (size_t i = 0; i < sizeof(dialogs) / sizeof(dialogs[0]); i++)
		run_dialog(&dialogs[i], true);
}

/* Starts a session, lets it greet, runs fn, then the loop to its end. */
static void
run_idle(struct conf_limits *lim, void (*fn)(struct smtp_session *), const char *input,
    char *out, size_t outlen)
{
	struct smtp_server_cfg cfg;
	struct smtp_session *s;
	int peer;

	memset(&fake, 0, sizeof(fake));
	fake.base = event_base_new();
	peer = start_session(lim, &cfg, &s);
	if (input != NULL)
		assert_int_equal(write(peer, input, strlen(input)), (ssize_t)strlen(input));
	event_base_loop(fake.base, EVLOOP_NONBLOCK);
	if (fn != NULL)
		fn(s);
	event_base_dispatch(fake.base);
	read_all(peer, out, outlen);
	close(peer);
	event_base_free(fake.base);
	assert_int_equal(fake.closes, 1);
}

static void
test_command_timeout(void **state)
{
	struct conf_limits lim = default_limits();
	char out[4096];

	lim.command_timeout = 1;
	run_idle(&lim, NULL, "EHLO c.test\r\n", out, sizeof(out));
	if (strstr(out, "421 4.4.2 mx.test Error: timeout exceeded\r\n") == NULL)
		fail_msg("got \"%s\", want a 421 4.4.2 timeout", out);
}

static void
test_data_timeout(void **state)
{
	struct conf_limits lim = default_limits();
	char out[4096];

	lim.data_timeout = 1;
	run_idle(&lim, NULL, EHLO_MAIL_RCPT "DATA\r\nunfinished", out, sizeof(out));
	if (strstr(out, "354 ") == NULL || strstr(out, "421 4.4.2 mx.test Error: timeout") == NULL)
		fail_msg("got \"%s\", want 354 then a 421 4.4.2 timeout", out);
	assert_int_equal(fake.resets, 1);
}

static void
test_drain_idle(void **state)
{
	struct conf_limits lim = default_limits();
	char out[4096];

	run_idle(&lim, smtp_session_drain, NULL, out, sizeof(out));
	if (strstr(out, "220 mx.test ESMTP") != out || strstr(out, "421 4.3.2 ") == NULL)
		fail_msg("got \"%s\", want the banner then 421 4.3.2", out);
}

static void
test_printable(void **state)
{
	static const struct { const char *in; size_t outlen; const char *want; } cases[] = {
		{ "a@b.test", 64, "a@b.test" },
		{ "a b\"c\\d\r\n\x80", 64, "a?b?c?d???" },
		{ "abcdef", 4, "abc" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smtp_printable(mg_slice_make(cases[i].in, strlen(cases[i].in)), out,
		    cases[i].outlen);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialogs),
		cmocka_unit_test(test_dialogs_async),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_data_timeout),
		cmocka_unit_test(test_drain_idle),
		cmocka_unit_test(test_printable),
	};

	log_init("test", true, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
