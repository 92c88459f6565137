/* libFuzzer target for the SMTP server session engine as a hostile client
 * drives it: the input is written at once to a session on a socketpair
 * (pipelined commands, DATA and BDAT content, SASL exchanges of AUTH
 * PLAIN and LOGIN offered without TLS), then the client half-closes and
 * the event loop runs until the session is gone. The first byte chooses
 * the backend's behaviour: recipients answered at once or later from the
 * loop, AUTH accepted or refused, the session limits. Sanitizers catch
 * what the engine does wrong; the backend checks the promises of
 * smtp_server.h (one on_close, transactions ended once). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "core/log.h"
#include "smtp/smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct backend {
	struct event_base *base;
	unsigned	 mode;		/* the first input byte */
	unsigned	 mails, ends, resets, closes;
};

static struct backend b;

static const char *
be_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	b.mails++;
	return NULL;
}

static void
be_rcpt_answer(evutil_socket_t fd, short what, void *arg)
{
	smtp_session_reply(arg, "%s", b.mode & 2 ? "550 5.1.1 User unknown" : "250 2.1.5 Ok");
}

static const char *
be_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct timeval now = { 0, 0 };

	if (!(b.mode & 1))
		return b.mode & 2 ? "550 5.1.1 User unknown" : NULL;
	event_base_once(b.base, -1, EV_TIMEOUT, be_rcpt_answer, s, &now);
	return smtp_reply_later;
}

static const char *
be_data_begin(struct smtp_session *s)
{
	return NULL;
}

static int
be_data_chunk(struct smtp_session *s, const uint8_t *p, size_t len)
{
	return 0;
}

static void
be_data_end(struct smtp_session *s, uint64_t size, unsigned flags)
{
	b.ends++;
	smtp_session_reply(s, "250 2.0.0 Ok: queued");
}

static void
be_reset(struct smtp_session *s)
{
	b.resets++;
}

static void
be_close(struct smtp_session *s)
{
	b.closes++;
}

static const char *
be_auth(struct smtp_session *s, const char *user, const char *pass)
{
	if (strlen(user) > SMTP_AUTH_USER_MAX || strlen(pass) > SMTP_AUTH_PASS_MAX)
		abort();
	return b.mode & 4 ? NULL : "535 5.7.8 Authentication credentials invalid";
}

static const struct smtp_server_ops ops = {
	.on_mail = be_mail, .on_rcpt = be_rcpt, .on_data_begin = be_data_begin,
	.on_data_chunk = be_data_chunk, .on_data_end = be_data_end,
	.on_reset = be_reset, .on_close = be_close,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_limits lim = {
		.max_message_size = 4096, .max_line_length = 512, .max_recipients = 8,
		.max_messages = 4, .max_commands = 200, .max_errors = 20,
		.max_sessions = 1, .command_timeout = 5, .data_timeout = 5,
		.session_timeout = 10,
	};
	struct smtp_server_cfg cfg = { .hostname = "mx.test", .name = "fuzz", .limits = &lim,
	    .auth = SMTP_AUTH_ON, .auth_plaintext = true, .auth_check = be_auth };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(25) };
	int sv[2];

	if (size < 1 || size > 64 * 1024)
		return 0;
	log_set_level(LOG_LVL_CRIT);	/* a session logs every refusal */
	memset(&b, 0, sizeof(b));
	b.mode = data[0];
	if (b.mode & 8)
		cfg.auth = SMTP_AUTH_REQUIRED;
	cfg.strict_pipelining = (b.mode & 16) != 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || (b.base = event_base_new()) == NULL)
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	/* the input fits the socket buffer: written before the loop runs */
	if (write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);
	if (smtp_session_new(b.base, sv[0], (struct sockaddr *)&sin, sizeof(sin), &cfg, &ops,
	    &b) == NULL)
		abort();
	event_base_dispatch(b.base);
	if (b.closes != 1 || b.mails != b.ends + b.resets)
		abort();
	event_base_free(b.base);
	close(sv[1]);
	return 0;
}
