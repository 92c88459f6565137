/* The SMTP server session engine: session life cycle, buffered I/O and
 * timeouts over a bufferevent, replies, STARTTLS and closing. Commands are
 * in smtp_server_cmd.c, message content in smtp_server_data.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "net/tls.h"
#include "smtp/smtp_server_int.h"

/* Unread input discarded before close(), so that the kernel sends FIN
 * rather than RST and the client reads our last reply. */
#define LINGER_DRAIN_MAX	(64 * 1024)
/* Input buffered at most while the backend works on a message. */
#define READ_HIGH_WATER		(64 * 1024)

static void	session_read_cb(struct bufferevent *, void *);
static void	session_write_cb(struct bufferevent *, void *);
static void	session_event_cb(struct bufferevent *, short, void *);
static void	session_timer_cb(evutil_socket_t, short, void *);

static const char *const phase_names[] = {
	"command", "data", "bdat", "backend", "starttls", "tls", "closing",
};
static const char *const abuse_names[] = { "pregreet", "pipelining", "idle_commands" };

void
smtp_printable(struct mg_slice in, char *out, size_t outlen)
{
	size_t i, n;

	if (outlen == 0)
		return;
	n = in.len < outlen - 1 ? in.len : outlen - 1;
	for (i = 0; i < n; i++) {
		uint8_t c = in.ptr[i];
		out[i] = c > 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	out[n] = '\0';
}

static void
peer_set(struct smtp_session_info *info, const struct sockaddr *sa, socklen_t len)
{
	memcpy(&info->peer, sa, len < sizeof(info->peer) ? len : sizeof(info->peer));
	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &info->peer.sin6.sin6_addr, info->ip, sizeof(info->ip));
		info->port = ntohs(info->peer.sin6.sin6_port);
	} else if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &info->peer.sin.sin_addr, info->ip, sizeof(info->ip));
		info->port = ntohs(info->peer.sin.sin_port);
	} else {
		snprintf(info->ip, sizeof(info->ip), "unknown");
	}
}

/* The session's one timer (banner delay or tarpit) fires in ms. */
static int
timer_arm(struct smtp_session *s, uint32_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (s->timer == NULL &&
	    (s->timer = evtimer_new(bufferevent_get_base(s->raw), session_timer_cb, s)) == NULL)
		return -MG_ENOMEM;
	return evtimer_add(s->timer, &tv) == 0 ? 0 : -MG_ENOMEM;
}

/* The tarpit: the reply about to be queued and everything after it wait
 * for the timer; nothing is read or written meanwhile. */
static void
tarpit(struct smtp_session *s)
{
	uint32_t ms;

	s->nrefused++;
	if (s->ops->error_delay == NULL || s->held ||
	    (ms = s->ops->error_delay(s, s->nrefused)) == 0 || timer_arm(s, ms) < 0)
		return;
	s->held = true;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (s->greeting) {
		s->greeting = false;
		if (s->phase == SMTP_PH_CMD)
			smtp__greet(s);
		return;
	}
	if (!s->held)
		return;
	s->held = false;
	bufferevent_enable(s->bev, s->phase == SMTP_PH_CLOSING ? EV_WRITE :
	    EV_READ | EV_WRITE);
	smtp__process(s);	/* pipelined commands, or the close */
}

void
smtp__abuse(struct smtp_session *s, enum smtp_abuse what, const char *line)
{
	log_info("%016" PRIx64 " smtp reject stage=%s code=%.3s reason=\"%s\"",
	    s->info.id, abuse_names[what], line, line + 4);
	if (s->ops->on_abuse != NULL)
		s->ops->on_abuse(s, what);
	smtp__close(s, line);
}

struct smtp_session *
smtp_session_new(struct event_base *base, evutil_socket_t fd,
    const struct sockaddr *sa, socklen_t salen, const struct smtp_server_cfg *cfg,
    const struct smtp_server_ops *ops, void *udata)
{
	struct smtp_session *s;
	uint32_t delay;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	if ((s->raw = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(s);
		return NULL;
	}
	s->bev = s->raw;
	s->info.id = mg_id_random();
	peer_set(&s->info, sa, salen);
	s->cfg = cfg;
	s->ops = ops;
	s->udata = udata;
	s->started_ms = mg_clock_ms();
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, READ_HIGH_WATER);
	smtp__set_timeout(s, cfg->limits->command_timeout);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	log_info("%016" PRIx64 " smtp connect ip=%s port=%u listener=%s",
	    s->info.id, s->info.ip, s->info.port, cfg->name);
	if (ops->greet_delay != NULL && (delay = ops->greet_delay(s)) > 0 &&
	    timer_arm(s, delay) == 0)
		s->greeting = true;
	else
		smtp__greet(s);
	return s;
}

void *
smtp_session_udata(const struct smtp_session *s)
{
	return s->udata;
}

const struct smtp_session_info *
smtp_session_info(const struct smtp_session *s)
{
	return &s->info;
}

/* Read timeout in seconds (0: none); writes get command_timeout. */
void
smtp__set_timeout(struct smtp_session *s, uint32_t seconds)
{
	struct timeval rd = { (time_t)seconds, 0 };
	struct timeval wr = { (time_t)s->cfg->limits->command_timeout, 0 };

	bufferevent_set_timeouts(s->bev, &rd, &wr);
}

/* One evbuffer_add per reply: under TLS each add becomes one record. */
void
smtp__reply(struct smtp_session *s, const char *line)
{
	if (evbuffer_add_printf(bufferevent_get_output(s->bev), "%s\r\n", line) < 0)
		log_warn("%016" PRIx64 " smtp reply dropped: out of memory", s->info.id);
}

void
smtp__replyf(struct smtp_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	smtp__reply(s, line);
}

void
smtp__refuse(struct smtp_session *s, const char *stage,
    const struct mg_slice *arg, const char *line, bool count)
{
	const char *reason = strlen(line) > 4 ? line + 4 : "";
	char what[256];

	tarpit(s);
	smtp__reply(s, line);
	if (arg != NULL) {
		smtp_printable(*arg, what, sizeof(what));
		log_info("%016" PRIx64 " smtp reject stage=%s arg=<%s> code=%.3s reason=\"%s\"",
		    s->info.id, stage, what, line, reason);
	} else {
		log_info("%016" PRIx64 " smtp reject stage=%s code=%.3s reason=\"%s\"",
		    s->info.id, stage, line, reason);
	}
	if (count && ++s->nerrors >= s->cfg->limits->max_errors) {
		log_info("%016" PRIx64 " smtp limit name=max_errors value=%u",
		    s->info.id, s->cfg->limits->max_errors);
		smtp__close(s, "421 4.7.0 Too many errors, closing connection");
	}
}

/* Removes a TLS layer; with notify, a close_notify alert is queued on the
 * socket first. The filter runs its callbacks deferred, so no OpenSSL
 * call of libevent's is on the stack when the SSL is freed here. */
static void
tls_teardown(struct smtp_session *s, bool notify)
{
	struct bufferevent *tbev = s->bev;
	SSL *ssl = bufferevent_openssl_get_ssl(tbev);

	if (notify && SSL_is_init_finished(ssl))
		(void)SSL_shutdown(ssl);
	bufferevent_free(tbev);
	SSL_free(ssl);
	ERR_clear_error();
	s->bev = s->raw;
}

static void
session_free(struct smtp_session *s)
{
	evutil_socket_t fd;
	char scratch[4096];
	size_t drained = 0;
	ssize_t n;

	smtp__tx_reset(s);
	log_info("%016" PRIx64 " smtp disconnect ip=%s commands=%u messages=%u errors=%u"
	    " duration=%.3f", s->info.id, s->info.ip, s->ncommands, s->nmessages,
	    s->nerrors, (double)(mg_clock_ms() - s->started_ms) / 1000.0);
	s->ops->on_close(s);
	if (s->bev != s->raw)
		tls_teardown(s, false);
	if ((fd = bufferevent_getfd(s->raw)) != -1) {
		while (drained < LINGER_DRAIN_MAX &&
		    (n = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT)) > 0)
			drained += (size_t)n;
	}
	bufferevent_free(s->raw);
	if (s->timer != NULL)
		event_free(s->timer);
	smtp__auth_forget(s);
	free(s->info.helo);
	free(s->info.tls);
	free(s->wait_rcpt);
	free(s);
}

/* The connection is unusable: free now, or as soon as nothing holds the
 * session (the dispatch loop, the backend's pending answer). */
static void
session_drop(struct smtp_session *s)
{
	s->gone = true;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	if (!s->dispatching && s->phase != SMTP_PH_BACKEND)
		session_free(s);
}

/* Closing: once everything queued is written (through TLS, then the
 * socket), the session is freed. */
static void
finish_if_flushed(struct smtp_session *s)
{
	struct timeval wr = { (time_t)s->cfg->limits->command_timeout, 0 };

	if (evbuffer_get_length(bufferevent_get_output(s->bev)) > 0)
		return;			/* session_write_cb calls again */
	if (s->bev != s->raw) {
		tls_teardown(s, true);
		bufferevent_setcb(s->raw, NULL, session_write_cb, session_event_cb, s);
		bufferevent_set_timeouts(s->raw, NULL, &wr);
		bufferevent_disable(s->raw, EV_READ);
		bufferevent_enable(s->raw, EV_WRITE);
		if (evbuffer_get_length(bufferevent_get_output(s->raw)) > 0)
			return;
	}
	session_free(s);
}

void
smtp__close(struct smtp_session *s, const char *reply)
{
	struct timeval wr = { (time_t)s->cfg->limits->command_timeout, 0 };

	switch (s->phase) {
	case SMTP_PH_BACKEND:
		s->close_pending = true;
		s->close_reply = reply;
		return;
	case SMTP_PH_CLOSING:
		return;
	case SMTP_PH_TLS_WAIT:
	case SMTP_PH_TLS:
		session_drop(s);	/* nothing sensible can be said now */
		return;
	default:
		break;
	}
	if (reply != NULL)
		smtp__reply(s, reply);
	s->phase = SMTP_PH_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_set_timeouts(s->bev, NULL, &wr);
	if (!s->dispatching)
		finish_if_flushed(s);
}

/* Runs buffered input through the phase's reader until it needs more.
 * Replies accumulate in the output buffer meanwhile and leave together
 * when the loop returns: PIPELINING's grouped responses. */
void
smtp__process(struct smtp_session *s)
{
	struct evbuffer *in;
	bool more = true;

	if (s->dispatching)
		return;
	s->dispatching = true;
	while (more && !s->gone && !s->held) {
		switch (s->phase) {
		case SMTP_PH_CMD:
			more = smtp__read_command(s);
			break;
		case SMTP_PH_DATA:
			more = smtp__read_data(s);
			break;
		case SMTP_PH_BDAT:
			more = smtp__read_chunk(s);
			break;
		case SMTP_PH_TLS_WAIT:
		case SMTP_PH_CLOSING:
			/* after STARTTLS or QUIT nothing else is read: data a
			 * client pipelined after STARTTLS is dropped, never
			 * carried into the TLS session (CVE-2011-0411) */
			in = bufferevent_get_input(s->bev);
			evbuffer_drain(in, evbuffer_get_length(in));
			more = false;
			break;
		default:
			more = false;
			break;
		}
	}
	s->dispatching = false;
	if (s->eof && !s->gone && s->phase <= SMTP_PH_BDAT)
		smtp__close(s, NULL);	/* half-closed: what was answered goes out */
	else if (s->gone && s->phase != SMTP_PH_BACKEND)
		session_free(s);
	else if (s->phase == SMTP_PH_CLOSING)
		finish_if_flushed(s);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;
	uint32_t limit = s->cfg->limits->session_timeout;

	if (s->greeting) {
		s->greeting = false;
		evtimer_del(s->timer);
		smtp__abuse(s, SMTP_ABUSE_PREGREET,
		    "554 5.5.1 Protocol error: talked before the greeting");
		return;
	}
	if (limit != 0 && s->phase <= SMTP_PH_BDAT &&
	    mg_clock_ms() - s->started_ms >= (uint64_t)limit * 1000) {
		log_info("%016" PRIx64 " smtp limit name=session_timeout value=%u",
		    s->info.id, limit);
		smtp__replyf(s, "421 4.4.2 %s Error: session timeout exceeded",
		    s->cfg->hostname);
		smtp__close(s, NULL);
		return;
	}
	smtp__process(s);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;

	if (s->phase == SMTP_PH_TLS_WAIT)
		smtp__starttls(s);
	else if (s->phase == SMTP_PH_CLOSING)
		finish_if_flushed(s);
}

static void
tls_established(struct smtp_session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	char desc[128];

	tls_describe(ssl, desc, sizeof(desc));
	free(s->info.tls);
	if ((s->info.tls = strdup(desc)) == NULL) {
		session_drop(s);
		return;
	}
	log_info("%016" PRIx64 " smtp tls established version=%s cipher=%s",
	    s->info.id, SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	/* RFC 3207 4.2: everything learnt before TLS is forgotten */
	smtp__tx_reset(s);
	free(s->info.helo);
	s->info.helo = NULL;
	s->info.esmtp = false;
	s->phase = SMTP_PH_CMD;
	smtp__process(s);
}

static void
tls_failed(struct smtp_session *s, short what)
{
	unsigned long e = bufferevent_get_openssl_error(s->bev);
	char reason[256];

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "%s", what & BEV_EVENT_TIMEOUT ?
		    "timeout" : what & BEV_EVENT_EOF ? "connection closed" :
		    "handshake failed");
	log_info("%016" PRIx64 " smtp tls failed ip=%s reason=\"%s\"", s->info.id,
	    s->info.ip, reason);
	while (bufferevent_get_openssl_error(s->bev) != 0)
		;
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (s->phase == SMTP_PH_TLS)
			tls_established(s);
		return;
	}
	if (s->phase == SMTP_PH_TLS) {
		tls_failed(s, what);
	} else if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    s->phase <= SMTP_PH_BDAT) {
		log_info("%016" PRIx64 " smtp timeout phase=%s", s->info.id,
		    phase_names[s->phase]);
		smtp__replyf(s, "421 4.4.2 %s Error: timeout exceeded", s->cfg->hostname);
		smtp__close(s, NULL);
		return;
	} else if ((what & BEV_EVENT_EOF) &&
	    (s->phase <= SMTP_PH_BDAT || s->phase == SMTP_PH_BACKEND)) {
		s->eof = true;
		if (s->phase != SMTP_PH_BACKEND)
			smtp__close(s, NULL);
		return;
	} else if (what & BEV_EVENT_ERROR) {
		log_debug("%016" PRIx64 " smtp connection error phase=%s error=\"%s\"",
		    s->info.id, phase_names[s->phase], strerror(errno));
	}
	session_drop(s);
}

void
smtp__starttls(struct smtp_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->raw);
	struct bufferevent *tbev;
	SSL *ssl;

	evbuffer_drain(in, evbuffer_get_length(in));
	if ((ssl = SSL_new(s->cfg->tls)) == NULL) {
		log_warn("%016" PRIx64 " smtp tls failed reason=\"SSL_new failed\"", s->info.id);
		session_drop(s);
		return;
	}
	bufferevent_set_timeouts(s->raw, NULL, NULL);
	tbev = bufferevent_openssl_filter_new(bufferevent_get_base(s->raw), s->raw,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_DEFER_CALLBACKS);
	if (tbev == NULL) {
		SSL_free(ssl);
		log_warn("%016" PRIx64 " smtp tls failed reason=\"cannot create filter\"",
		    s->info.id);
		session_drop(s);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tbev, 1);
	s->bev = tbev;
	s->phase = SMTP_PH_TLS;
	bufferevent_setcb(tbev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_setwatermark(tbev, EV_READ, 0, READ_HIGH_WATER);
	smtp__set_timeout(s, s->cfg->limits->command_timeout);
	bufferevent_enable(tbev, EV_READ | EV_WRITE);
}

const char smtp_reply_later[] = "(later)";

/* The answer to a recipient that on_rcpt left for later. */
static void
rcpt_answer(struct smtp_session *s, const char *line)
{
	const char *what = s->wait_rcpt != NULL ? s->wait_rcpt : "?";
	struct mg_slice arg = mg_slice_make(what, strlen(what));

	s->rcpt_later = false;
	if (line[0] == '2') {
		s->tx->nrcpt++;
		smtp__reply(s, line);
	} else {
		s->tx->nrcpt_refused++;
		smtp__refuse(s, "rcpt", &arg, line, true);
	}
	free(s->wait_rcpt);
	s->wait_rcpt = NULL;
}

/* The answer to on_data_end, which ends the transaction. */
static void
data_answer(struct smtp_session *s, const char *line)
{
	if (line[0] == '4' || line[0] == '5')
		smtp__refuse(s, "data", NULL, line, true);
	else
		smtp__reply(s, line);
}

void
smtp_session_reply(struct smtp_session *s, const char *fmt, ...)
{
	bool outer = s->dispatching, rcpt = s->rcpt_later;
	char line[1024];
	va_list ap;

	MG_BUG_ON(s->phase != SMTP_PH_BACKEND);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!rcpt)
		smtp__tx_free(s);
	s->phase = SMTP_PH_CMD;
	s->dispatching = true;
	if (!s->gone) {
		smtp__set_timeout(s, s->cfg->limits->command_timeout);
		if (rcpt)
			rcpt_answer(s, line);
		else
			data_answer(s, line);
		if (s->close_pending)
			smtp__close(s, s->close_reply);
		else if (s->draining && s->tx == NULL &&
		    evbuffer_get_length(bufferevent_get_input(s->bev)) == 0)
			smtp__close(s, "421 4.3.2 Service shutting down");
	} else {
		s->rcpt_later = false;
		free(s->wait_rcpt);
		s->wait_rcpt = NULL;
	}
	s->dispatching = outer;
	if (!outer)
		smtp__process(s);	/* pipelined commands, or the close */
}

void
smtp_session_drain(struct smtp_session *s)
{
	s->draining = true;
	if (s->phase == SMTP_PH_CMD && s->tx == NULL &&
	    evbuffer_get_length(bufferevent_get_input(s->bev)) == 0)
		smtp__close(s, "421 4.3.2 Service shutting down");
}

void
smtp_session_close(struct smtp_session *s, const char *reply)
{
	smtp__close(s, reply);
}
