/* SMTP AUTH in the session engine (RFC 4954, PLAIN and LOGIN) driven over
 * a socketpair: each dialog is sent at once and the reply codes, the
 * credentials the backend saw and the user a transaction ran under are
 * compared with docs/smtp.md. Also the strict base64 of the responses
 * and the bounds of the exchange. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <cmocka.h>

#include "smtp/smtp_server.h"

struct fake {
	unsigned	 auths;		/* auth_check calls */
	char		 user[300], pass[300];	/* the last credentials */
	char		 mail_user[300];	/* info->user at the last MAIL, "-" for NULL */
	unsigned	 closes;
};

static struct fake fake;

static const char *
fake_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *u = smtp_session_info(s)->user;

	snprintf(fake.mail_user, sizeof(fake.mail_user), "%s", u != NULL ? u : "-");
	return NULL;
}

static const char *
fake_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	return NULL;
}

static const char *
fake_data_begin(struct smtp_session *s)
{
	return "554 5.3.0 no data in this test";
}

static int
fake_data_chunk(struct smtp_session *s, const uint8_t *p, size_t len)
{
	return 0;
}

static void
fake_data_end(struct smtp_session *s, uint64_t size, unsigned flags)
{
	smtp_session_reply(s, "250 2.0.0 Ok");
}

static void
fake_reset(struct smtp_session *s)
{
}

static void
fake_close(struct smtp_session *s)
{
	fake.closes++;
}

/* alice/secret is the one account; "locked" gets the guard's 421. */
static const char *
fake_auth(struct smtp_session *s, const char *user, const char *pass)
{
	fake.auths++;
	snprintf(fake.user, sizeof(fake.user), "%s", user);
	snprintf(fake.pass, sizeof(fake.pass), "%s", pass);
	if (strcmp(user, "locked") == 0)
		return "421 4.7.0 Too many failed authentications from your address";
	if (strcmp(user, "alice") == 0 && strcmp(pass, "secret") == 0)
		return NULL;
	return "535 5.7.8 Authentication credentials invalid";
}

static const struct smtp_server_ops fake_ops = {
	.on_mail = fake_mail, .on_rcpt = fake_rcpt, .on_data_begin = fake_data_begin,
	.on_data_chunk = fake_data_chunk, .on_data_end = fake_data_end,
	.on_reset = fake_reset, .on_close = fake_close,
};

struct dialog {
	const char	*name;
	const char	*input;
	const char	*want;		/* reply codes */
	enum smtp_auth_mode mode;	/* 0: SMTP_AUTH_ON */
	bool		 no_plaintext;	/* auth_plaintext false (no TLS here) */
	uint32_t	 max_errors;	/* 0: 5 */
	uint32_t	 max_line;	/* 0: 512 */
	const char	*want_text;	/* must appear in the output, or NULL */
	const char	*absent;	/* must not appear, or NULL */
	const char	*user;		/* the backend's last user, or NULL: not called */
	const char	*pass;
	const char	*mail_user;	/* info->user at MAIL, or NULL: no MAIL */
};

#define EHLO		"EHLO c.test\r\n"
#define PLAIN_OK	"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"	/* \0alice\0secret */
#define ON		SMTP_AUTH_ON
#define OFF		((enum smtp_auth_mode)-1)	/* SMTP_AUTH_OFF in the table */

static char long_line[1400];	/* AUTH PLAIN with 1,300 base64 bytes */
static char long_user[400];	/* AUTH PLAIN of a 256-byte user name */
static char max_user[400];	/* AUTH PLAIN of a 255-byte user name */
static char u255[256];		/* that name */

static const struct dialog dialogs[] = {
	{ .name = "ehlo offers auth", .input = EHLO,
	  .want = "220 250", .want_text = "250-AUTH PLAIN LOGIN\r\n" },
	{ .name = "plain initial response", .input = EHLO PLAIN_OK "MAIL FROM:<a@b.test>\r\n",
	  .want = "220 250 235 250",
	  .want_text = "235 2.7.0 Authentication successful", .user = "alice",
	  .pass = "secret", .mail_user = "alice" },
	{ .name = "plain after 334", .input = EHLO "AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n",
	  .want = "220 250 334 235",
	  .want_text = "334 \r\n", .user = "alice", .pass = "secret" },
	{ .name = "plain with authzid = user",
	  .input = EHLO "AUTH plain YWxpY2UAYWxpY2UAc2VjcmV0\r\n",
	  .want = "220 250 235", .user = "alice", .pass = "secret" },
	{ .name = "plain with another authzid",
	  .input = EHLO "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n",
	  .want = "220 250 535" },
	{ .name = "wrong password",
	  .input = EHLO "AUTH PLAIN AGFsaWNlAHdyb25n\r\nMAIL FROM:<a@b.test>\r\n",
	  .want = "220 250 535 250", .want_text = "535 5.7.8 Authentication credentials invalid",
	  .user = "alice", .pass = "wrong", .mail_user = "-" },
	{ .name = "login", .input = EHLO "AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n",
	  .want = "220 250 334 334 235",
	  .want_text = "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n", .user = "alice",
	  .pass = "secret" },
	{ .name = "login with initial response",
	  .input = EHLO "AUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\n",
	  .want = "220 250 334 235", .user = "alice", .pass = "secret" },
	{ .name = "login user with NUL", .input = EHLO "AUTH LOGIN YWwAY2U=\r\nc2VjcmV0\r\n",
	  .want = "220 250 334 535" },
	{ .name = "cancel plain", .input = EHLO "AUTH PLAIN\r\n*\r\nNOOP\r\n",
	  .want = "220 250 334 501 250",
	  .want_text = "501 5.7.0 Authentication cancelled" },
	{ .name = "cancel login password", .input = EHLO "AUTH LOGIN\r\nYWxpY2U=\r\n*\r\n",
	  .want = "220 250 334 334 501" },
	{ .name = "bad base64 character", .input = EHLO "AUTH PLAIN AGFs@WNl\r\n",
	  .want = "220 250 501",
	  .want_text = "501 5.5.2 Cannot decode response" },
	{ .name = "base64 not padded", .input = EHLO "AUTH PLAIN YWxpY2U\r\n",
	  .want = "220 250 501",
	  .want_text = "501 5.5.2 Cannot decode response" },
	{ .name = "padding inside", .input = EHLO "AUTH PLAIN YQ==YQ==\r\n",
	  .want = "220 250 501" },
	{ .name = "padding before data", .input = EHLO "AUTH PLAIN YQ=a\r\n",
	  .want = "220 250 501" },
	{ .name = "three padding bytes", .input = EHLO "AUTH PLAIN Y===\r\n",
	  .want = "220 250 501" },
	{ .name = "plain without NULs", .input = EHLO "AUTH PLAIN bm9OVUw=\r\n",
	  .want = "220 250 501",
	  .want_text = "501 5.5.2 Malformed PLAIN response" },
	{ .name = "plain empty initial response", .input = EHLO "AUTH PLAIN =\r\n",
	  .want = "220 250 501" },
	{ .name = "user name too long", .input = long_user, .want = "220 250 535" },
	{ .name = "user name of 255 bytes", .input = max_user, .want = "220 250 535",
	  .user = u255, .pass = "p" },
	{ .name = "response too long", .input = NULL, .want = "220 250 500", .max_line = 2048,
	  .want_text = "500 5.5.6 Authentication exchange line is too long" },
	{ .name = "line too long inside the exchange", .input = EHLO "AUTH PLAIN\r\n"
	  "AGFsaWNlAHNlY3JldA==AGFsaWNlAHNlY3JldA==AGFsaWNlAHNlY3JldA==\r\nNOOP\r\n",
	  .want = "220 250 334 500 250", .max_line = 40, .want_text = "500 5.5.2 Line too long" },
	{ .name = "already authenticated", .input = EHLO PLAIN_OK PLAIN_OK,
	  .want = "220 250 235 503",
	  .want_text = "503 5.5.1 Error: already authenticated", .user = "alice",
	  .pass = "secret" },
	{ .name = "inside a transaction", .input = EHLO "MAIL FROM:<a@b.test>\r\n" PLAIN_OK,
	  .want = "220 250 250 503" },
	{ .name = "before ehlo", .input = PLAIN_OK,
	  .want = "220 503", .want_text = "503 5.5.1 Error: send EHLO first" },
	{ .name = "after helo", .input = "HELO c.test\r\n" PLAIN_OK, .want = "220 250 503" },
	{ .name = "unknown mechanism", .input = EHLO "AUTH CRAM-MD5\r\n", .want = "220 250 504" },
	{ .name = "auth off", .input = EHLO PLAIN_OK,
	  .want = "220 250 502", .mode = OFF, .absent = "AUTH PLAIN" },
	{ .name = "plaintext refused", .input = EHLO PLAIN_OK,
	  .want = "220 250 538", .no_plaintext = true,
	  .want_text = "538 5.7.11 Encryption required", .absent = "250-AUTH" },
	{ .name = "required: mail before auth", .input = EHLO "MAIL FROM:<a@b.test>\r\n" PLAIN_OK
	  "MAIL FROM:<a@b.test>\r\n", .want = "220 250 530 235 250", .mode = SMTP_AUTH_REQUIRED,
	  .want_text = "530 5.7.0 Authentication required", .user = "alice",
	  .pass = "secret", .mail_user = "alice" },
	{ .name = "backend 421 closes", .input = EHLO "AUTH PLAIN AGxvY2tlZAB4\r\nNOOP\r\n",
	  .want = "220 250 421",
	  .user = "locked", .pass = "x" },
	{ .name = "failures count as errors", .input = EHLO "AUTH PLAIN AGFsaWNlAHdyb25n\r\n"
	  "AUTH PLAIN AGFsaWNlAHdyb25n\r\nNOOP\r\n", .want = "220 250 535 535 421", .max_errors = 2,
	  .want_text = "421 4.7.0 Too many errors", .user = "alice", .pass = "wrong" },
};

static int
start_session(struct event_base *base, struct conf_limits *lim, struct smtp_server_cfg *cfg,
    const struct dialog *d)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(587) };
	int sv[2];

	inet_pton(AF_INET, "192.0.2.8", &sin.sin_addr);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	evutil_make_socket_nonblocking(sv[0]);
	*cfg = (struct smtp_server_cfg){ .hostname = "mx.test", .name = "submission",
	    .limits = lim, .auth = d->mode == OFF ? SMTP_AUTH_OFF : d->mode == 0 ? ON : d->mode,
	    .auth_plaintext = !d->no_plaintext, .auth_check = fake_auth };
	assert_non_null(smtp_session_new(base, sv[0], (struct sockaddr *)&sin, sizeof(sin),
	    cfg, &fake_ops, NULL));
	return sv[1];
}

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

static void
check_str(const char *name, const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s \"%s\", want \"%s\"", name, what, got, want);
}

static void
run_dialog(const struct dialog *d)
{
	struct conf_limits lim = { .max_message_size = 1000, .max_line_length = 512,
	    .max_recipients = 3, .max_messages = 5, .max_commands = 100, .max_errors = 5,
	    .command_timeout = 30, .data_timeout = 30, .session_timeout = 60 };
	const char *input = d->input != NULL ? d->input : long_line;
	struct event_base *base = event_base_new();
	struct smtp_server_cfg cfg;
	char out[8192], codes[256];
	size_t n = 0;
	ssize_t r;
	int peer;

	memset(&fake, 0, sizeof(fake));
	lim.max_errors = d->max_errors ? d->max_errors : lim.max_errors;
	lim.max_line_length = d->max_line ? d->max_line : lim.max_line_length;
	peer = start_session(base, &lim, &cfg, d);
	assert_int_equal(write(peer, input, strlen(input)), (ssize_t)strlen(input));
	shutdown(peer, SHUT_WR);
	event_base_dispatch(base);
	while (n < sizeof(out) - 1 && (r = read(peer, out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(peer);
	event_base_free(base);
	reply_codes(out, codes, sizeof(codes));
	if (strcmp(codes, d->want) != 0)
		fail_msg("%s: got replies \"%s\", want \"%s\"\n%s", d->name, codes, d->want, out);
	if (d->want_text != NULL && strstr(out, d->want_text) == NULL)
		fail_msg("%s: \"%s\" missing in\n%s", d->name, d->want_text, out);
	if (d->absent != NULL && strstr(out, d->absent) != NULL)
		fail_msg("%s: \"%s\" present in\n%s", d->name, d->absent, out);
	if (d->user != NULL) {
		check_str(d->name, "user", fake.user, d->user);
		check_str(d->name, "password", fake.pass, d->pass);
	} else if (fake.auths != 0 && d->mail_user == NULL) {
		fail_msg("%s: auth_check ran %u times (user \"%s\"), want never", d->name,
		    fake.auths, fake.user);
	}
	if (d->mail_user != NULL)
		check_str(d->name, "user at MAIL", fake.mail_user, d->mail_user);
	if (fake.closes != 1)
		fail_msg("%s: on_close ran %u times", d->name, fake.closes);
}

static void
test_auth_dialogs(void **state)
{
	size_t off = (size_t)snprintf(long_line, sizeof(long_line), EHLO "AUTH PLAIN ");

	for (size_t i = 0; i < 1300; i++)
		long_line[off + i] = 'A';
	memcpy(long_line + off + 1300, "\r\n", 3);
	/* "\0" 256 x "u" "\0p" in base64 */
	off = (size_t)snprintf(long_user, sizeof(long_user), EHLO "AUTH PLAIN AHV1");
	for (size_t i = 0; i < 84; i++, off += 4)
		memcpy(long_user + off, "dXV1", 4);
	snprintf(long_user + off, sizeof(long_user) - off, "dXUAcA==\r\n");
	memcpy(max_user, long_user, off);
	snprintf(max_user + off, sizeof(max_user) - off, "dQBw\r\n");	/* "u\0p" */
	memset(u255, 'u', 255);
	for (size_t i = 0; i < sizeof(dialogs) / sizeof(dialogs[0]); i++)
		run_dialog(&dialogs[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_dialogs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
