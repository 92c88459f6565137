/* SMTP delivery client, the connection (see smtp_client.h): connect with
 * fail-over to the next peer, greeting, EHLO/HELO, STARTTLS by policy,
 * AUTH PLAIN, reading replies, and connection events. Callbacks run only
 * from event handlers; a client that closes inside a handler is freed
 * when the handler ends. Transactions are in smtp_client_tx.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/err.h"
#include "core/log.h"
#include "net/tls.h"
#include "smtp/smtp_client_int.h"

static void sc_connect(struct smtp_client *);
static void sc_on_read(struct bufferevent *, void *);
static void sc_on_write(struct bufferevent *, void *);
static void sc_on_event(struct bufferevent *, short, void *);
static void sc_on_later(evutil_socket_t, short, void *);

const char *
smtp_client_relay(const struct smtp_client *c)
{
	return c->relay;
}

const char *
smtp_client_tls(const struct smtp_client *c)
{
	return c->tls_on ? c->tls_desc : "none";
}

/* The current reply as one line: "550 5.1.1 text more text". */
void
smtpc__reply_line(const struct smtp_client *c, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%d %s", c->reply.code, c->reply.text);

	for (int i = 0; i < n && (size_t)i < outlen; i++)
		if (out[i] == '\n')
			out[i] = ' ';
}

static void
sc_destroy(struct smtp_client *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->later);
	SSL_CTX_free(c->tls_ctx);
	free(c->helo);
	free(c->auth_user);
	if (c->auth_password != NULL)
		explicit_bzero(c->auth_password, strlen(c->auth_password));
	free(c->auth_password);
	free(c->peers);
	free(c->chunk);
	free(c);
}

/* The connection is over: finish the transaction as temporary failures,
 * report, and free (now or when the running handler returns). */
void
smtpc__close(struct smtp_client *c, int err, const char *why)
{
	struct smtp_tx *tx = c->tx;

	if (c->state == SC_DEAD)
		return;
	c->state = SC_DEAD;
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (tx != NULL) {
		c->tx = NULL;
		smtp_tx_fail(tx, SMTP_OUT_TEMP, why);
		c->cbs.done(c, tx, c->arg);
	}
	c->cbs.closed(c, err, why, c->arg);
	if (c->depth == 0)
		sc_destroy(c);
}

/* A peer cannot be used: try the next one, or give up with why. */
static void
sc_next_peer(struct smtp_client *c, const char *why)
{
	/* what a server said outranks a failure to reach another one */
	unsigned rank = c->state > SC_CONNECTING;

	if (rank >= c->why_rank) {
		snprintf(c->why, sizeof(c->why), "%s", why);
		memcpy(c->why_relay, c->relay, sizeof(c->relay));
		c->why_rank = rank;
	}
	log_debug("smtp_client peer_failed relay=%s reason=\"%s\"", c->relay, why);
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->tls_on = false;
	if (c->cur + 1 >= c->npeers) {
		memcpy(c->relay, c->why_relay, sizeof(c->relay));	/* for the report */
		smtpc__close(c, -MG_EAGAIN, c->why);
		return;
	}
	c->cur++;
	c->no_tls = false;
	sc_connect(c);
}

int
smtpc__write(struct smtp_client *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	return rc < 0 ? -MG_ENOMEM : 0;
}

void
smtpc__expect_reply(struct smtp_client *c, enum sc_state st)
{
	c->state = st;
	smtp_reply_reset(&c->reply);
	bufferevent_set_timeouts(c->bev, &c->reply_tv, &c->reply_tv);
}

static void
sc_relay_name(struct smtp_client *c)
{
	const struct smtp_peer *p = &c->peers[c->cur];
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&p->addr;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (p->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&p->addr;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(c->relay, sizeof(c->relay), "%s[%s]:%u", p->name, ip, port);
}

static void
sc_connect(struct smtp_client *c)
{
	const struct smtp_peer *p = &c->peers[c->cur];

	sc_relay_name(c);
	c->state = SC_CONNECTING;
	c->tls_on = false;
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		snprintf(c->conn_err, sizeof(c->conn_err), "connect to %s: out of memory",
		    c->relay);
		event_active(c->later, EV_TIMEOUT, 0);
		return;
	}
	bufferevent_setcb(c->bev, sc_on_read, sc_on_write, sc_on_event, c);
	bufferevent_set_timeouts(c->bev, &c->connect_tv, &c->connect_tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&p->addr,
	    (int)p->addrlen) == -1) {
		snprintf(c->conn_err, sizeof(c->conn_err), "connect to %s: %s", c->relay,
		    strerror(errno));
		/* report from the loop: we may be inside smtp_client_new */
		event_active(c->later, EV_TIMEOUT, 0);
	}
}

/* Session set up: AUTH if configured, else ready. */
static void
sc_session_auth(struct smtp_client *c)
{
	char why[SC_WHY_MAX];
	unsigned char plain[1024];
	char b64[1400];
	size_t ul = strlen(c->auth_user), pl = strlen(c->auth_password);

	if (!c->tls_on && c->tls != CONF_TLS_NONE) {
		snprintf(why, sizeof(why), "AUTH not attempted: no TLS with %s", c->relay);
		sc_next_peer(c, why);
		return;
	}
	if (!(c->ehlo.ext & SMTP_EXT_AUTH) || !(c->ehlo.auth & SMTP_AUTH_PLAIN)) {
		snprintf(why, sizeof(why), "%s does not offer AUTH PLAIN", c->relay);
		sc_next_peer(c, why);
		return;
	}
	if (ul + pl + 2 > sizeof(plain)) {
		sc_next_peer(c, "AUTH credentials too long");
		return;
	}
	plain[0] = '\0';
	memcpy(plain + 1, c->auth_user, ul);
	plain[1 + ul] = '\0';
	memcpy(plain + 2 + ul, c->auth_password, pl);
	EVP_EncodeBlock((unsigned char *)b64, plain, (int)(ul + pl + 2));
	explicit_bzero(plain, sizeof(plain));
	smtpc__expect_reply(c, SC_AUTH);
	smtpc__write(c, "AUTH PLAIN %s\r\n", b64);
	explicit_bzero(b64, sizeof(b64));
}

static void
sc_session_ready(struct smtp_client *c)
{
	if (c->auth_user != NULL && c->state != SC_AUTH) {
		sc_session_auth(c);
		return;
	}
	c->state = SC_READY;
	c->pipelining = (c->ehlo.ext & SMTP_EXT_PIPELINING) != 0;
	bufferevent_set_timeouts(c->bev, NULL, &c->reply_tv);
	log_debug("smtp_client ready relay=%s tls=\"%s\" ext=0x%x", c->relay,
	    smtp_client_tls(c), c->ehlo.ext);
	c->cbs.ready(c, c->arg);
}

/* Switches the connection to TLS: the plain bufferevent gives up its
 * socket to an OpenSSL one. Bytes the server sent after its 220 would be
 * an injection attempt (CVE-2011-0411 class): refuse the peer. */
static void
sc_start_tls(struct smtp_client *c)
{
	const char *name = c->peers[c->cur].name;
	evutil_socket_t fd;
	SSL *ssl;

	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		sc_next_peer(c, "data after the STARTTLS reply");
		return;
	}
	if ((ssl = tls_client_ssl(c->tls_ctx, name)) == NULL) {
		sc_next_peer(c, "cannot create a TLS session");
		return;
	}
	fd = bufferevent_getfd(c->bev);
	bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	c->bev = bufferevent_openssl_socket_new(c->base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		close(fd);
		sc_next_peer(c, "cannot create a TLS session");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, sc_on_read, sc_on_write, sc_on_event, c);
	bufferevent_set_timeouts(c->bev, &c->reply_tv, &c->reply_tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = SC_HANDSHAKE;
}

/* After EHLO: STARTTLS as the policy says, else go on. */
static void
sc_after_ehlo(struct smtp_client *c)
{
	char why[SC_WHY_MAX];
	bool offered = (c->ehlo.ext & SMTP_EXT_STARTTLS) != 0;

	if (c->tls_on || c->tls == CONF_TLS_NONE || c->no_tls ||
	    (c->tls == CONF_TLS_OPPORTUNISTIC && !offered)) {
		sc_session_ready(c);
		return;
	}
	if (!offered) {
		snprintf(why, sizeof(why), "TLS required but not offered by %s", c->relay);
		sc_next_peer(c, why);
		return;
	}
	smtpc__expect_reply(c, SC_STARTTLS);
	smtpc__write(c, "STARTTLS\r\n");
}

static void
sc_send_ehlo(struct smtp_client *c)
{
	memset(&c->ehlo, 0, sizeof(c->ehlo));
	smtpc__expect_reply(c, SC_EHLO);
	smtpc__write(c, "EHLO %s\r\n", c->helo);
}

/* A complete reply during session setup. */
static void
sc_setup_reply(struct smtp_client *c)
{
	char line[SC_REPLY_TEXT_MAX], why[SC_WHY_MAX];
	int code = c->reply.code;

	smtpc__reply_line(c, line, sizeof(line));
	switch (c->state) {
	case SC_GREETING:
		if (code == 220) {
			sc_send_ehlo(c);
			return;
		}
		snprintf(why, sizeof(why), "%s refused the session: %s", c->relay, line);
		break;
	case SC_EHLO:
		if (code == 250) {
			(void)smtp_reply_ehlo(&c->reply, &c->ehlo);
			sc_after_ehlo(c);
			return;
		}
		if (code >= 500) {
			smtpc__expect_reply(c, SC_HELO);
			smtpc__write(c, "HELO %s\r\n", c->helo);
			return;
		}
		snprintf(why, sizeof(why), "%s refused EHLO: %s", c->relay, line);
		break;
	case SC_HELO:
		if (code == 250) {
			sc_after_ehlo(c);
			return;
		}
		snprintf(why, sizeof(why), "%s refused HELO: %s", c->relay, line);
		break;
	case SC_STARTTLS:
		if (code == 220) {
			sc_start_tls(c);
			return;
		}
		if (c->tls == CONF_TLS_OPPORTUNISTIC) {
			sc_session_ready(c);
			return;
		}
		snprintf(why, sizeof(why), "TLS required but %s refused STARTTLS: %s",
		    c->relay, line);
		break;
	default:	/* SC_AUTH */
		if (code == 235) {
			sc_session_ready(c);
			return;
		}
		snprintf(why, sizeof(why), "authentication failed at %s: %s", c->relay, line);
		break;
	}
	sc_next_peer(c, why);
}

/* The transaction is over: report it, then offer the connection again. */

static void
sc_fail(struct smtp_client *c, const char *why)
{
	if (c->state < SC_READY)
		sc_next_peer(c, why);
	else
		smtpc__close(c, -MG_EAGAIN, why);
}

static void
sc_on_reply(struct smtp_client *c)
{
	char line[SC_REPLY_TEXT_MAX], why[SC_WHY_MAX];

	switch (c->state) {
	case SC_GREETING: case SC_EHLO: case SC_HELO: case SC_STARTTLS: case SC_AUTH:
		sc_setup_reply(c);
		return;
	case SC_MAIL: case SC_RCPT: case SC_DATA: case SC_FINAL: case SC_DOT: case SC_RSET:
		smtpc__tx_reply(c);
		return;
	case SC_QUIT:
		smtpc__close(c, 0, "quit");
		return;
	default:	/* unsolicited: READY (e.g. 421 on idle) or during the body */
		smtpc__reply_line(c, line, sizeof(line));
		snprintf(why, sizeof(why), "%s said %s", c->relay, line);
		if (c->state == SC_BODY)
			smtpc__tx_settle(c, line);
		smtpc__close(c, c->state == SC_READY ? 0 : -MG_EAGAIN, why);
		return;
	}
}

/* Feeds complete reply lines to the state machine. A handler may replace
 * the bufferevent (STARTTLS, next peer): what is left in the old one is
 * then not ours to read. */
static void
sc_read_replies(struct smtp_client *c)
{
	struct bufferevent *bev = c->bev;
	struct evbuffer *in = bufferevent_get_input(bev);
	char why[SC_WHY_MAX];

	while (c->state != SC_DEAD && c->bev == bev) {
		size_t eol = 0;
		struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_CRLF);
		const uint8_t *line;
		int rc;

		if (p.pos < 0 && evbuffer_get_length(in) <= SC_LINE_MAX)
			return;
		if (p.pos < 0 || (size_t)p.pos > SC_LINE_MAX) {
			snprintf(why, sizeof(why), "reply line too long from %s", c->relay);
			sc_fail(c, why);
			return;
		}
		line = evbuffer_pullup(in, (ev_ssize_t)((size_t)p.pos + eol));
		rc = smtp_reply_feed(&c->reply, line, (size_t)p.pos);
		evbuffer_drain(in, (size_t)p.pos + eol);
		if (rc < 0) {
			snprintf(why, sizeof(why), "malformed reply from %s", c->relay);
			sc_fail(c, why);
			return;
		}
		if (rc == 1)
			sc_on_reply(c);
		if (c->state != SC_DEAD && c->reply.done)
			smtp_reply_reset(&c->reply);
	}
}

static void
sc_on_read(struct bufferevent *bev, void *arg)
{
	struct smtp_client *c = arg;

	c->depth++;
	sc_read_replies(c);
	if (--c->depth == 0 && c->state == SC_DEAD)
		sc_destroy(c);
}

static void
sc_on_write(struct bufferevent *bev, void *arg)
{
	struct smtp_client *c = arg;

	if (c->state != SC_BODY)
		return;
	c->depth++;
	smtpc__body_fill(c);
	if (--c->depth == 0 && c->state == SC_DEAD)
		sc_destroy(c);
}

/* The handshake failed: opportunistic TLS retries this peer once in
 * plaintext; required TLS moves on with the reason. */
static void
sc_tls_failed(struct smtp_client *c, const char *detail)
{
	char why[SC_WHY_MAX];
	SSL *ssl = c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (c->tls == CONF_TLS_OPPORTUNISTIC) {
		log_info("smtp_client tls_failed relay=%s reason=\"%s\" action=retry_plaintext",
		    c->relay, detail);
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->no_tls = true;
		sc_connect(c);
		return;
	}
	if (c->tls == CONF_TLS_VERIFY && vr != X509_V_OK)
		snprintf(why, sizeof(why), "TLS certificate verification failed for %s: %s",
		    c->relay, X509_verify_cert_error_string(vr));
	else
		snprintf(why, sizeof(why), "TLS required but the handshake with %s failed: %s",
		    c->relay, detail);
	sc_next_peer(c, why);
}

/* Text for a connection event, as "what happened with whom". */
static void
sc_event_text(struct smtp_client *c, short what, char *out, size_t outlen)
{
	unsigned long ssl_err = c->bev ? bufferevent_get_openssl_error(c->bev) : 0;
	int err = EVUTIL_SOCKET_ERROR();
	char detail[256];

	if (what & BEV_EVENT_TIMEOUT)
		snprintf(detail, sizeof(detail), "timeout");
	else if (what & BEV_EVENT_EOF)
		snprintf(detail, sizeof(detail), "connection closed");
	else if (ssl_err != 0)
		ERR_error_string_n(ssl_err, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s", err ? strerror(err) : "connection error");
	ERR_clear_error();
	switch (c->state) {
	case SC_CONNECTING:
		snprintf(out, outlen, "connect to %s: %s", c->relay, detail);
		break;
	case SC_HANDSHAKE:
		snprintf(out, outlen, "%s", detail);
		break;
	case SC_BODY:
		snprintf(out, outlen, "sending the message to %s: %s", c->relay, detail);
		break;
	default:
		snprintf(out, outlen, "waiting for a reply from %s: %s", c->relay, detail);
		break;
	}
}

static void
sc_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_client *c = arg;
	char why[SC_WHY_MAX];

	c->depth++;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == SC_CONNECTING) {
			smtpc__expect_reply(c, SC_GREETING);
		} else if (c->state == SC_HANDSHAKE) {
			c->tls_on = true;
			tls_describe(bufferevent_openssl_get_ssl(c->bev), c->tls_desc,
			    sizeof(c->tls_desc));
			sc_send_ehlo(c);
		}
	} else {
		sc_event_text(c, what, why, sizeof(why));
		if (c->state == SC_HANDSHAKE)
			sc_tls_failed(c, why);
		else if (c->state == SC_QUIT || (c->state == SC_READY && (what & BEV_EVENT_EOF)))
			smtpc__close(c, 0, why);
		else
			sc_fail(c, why);
	}
	if (--c->depth == 0 && c->state == SC_DEAD)
		sc_destroy(c);
}

static void
sc_on_later(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_client *c = arg;

	c->depth++;
	if (c->state == SC_CONNECTING)
		sc_next_peer(c, c->conn_err);
	else if (c->state == SC_MAIL && c->tx != NULL)
		smtpc__tx_finish(c);	/* refused before sending (sc_tx_refused) */
	if (--c->depth == 0 && c->state == SC_DEAD)
		sc_destroy(c);
}

static char *
sc_strdup(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	*oom |= s != NULL && d == NULL;
	return d;
}

struct smtp_client *
smtp_client_new(struct event_base *base, const struct smtp_client_params *p,
    const struct smtp_peer *peers, size_t npeers, const struct smtp_client_cbs *cbs,
    void *arg)
{
	struct smtp_client *c = calloc(1, sizeof(*c));
	bool oom = false;

	if (c == NULL)
		return NULL;
	c->base = base;
	c->tls = p->tls;
	c->helo = sc_strdup(p->helo, &oom);
	c->auth_user = sc_strdup(p->auth_user, &oom);
	c->auth_password = sc_strdup(p->auth_user ? p->auth_password : NULL, &oom);
	c->connect_tv.tv_sec = p->connect_timeout;
	c->reply_tv.tv_sec = p->reply_timeout;
	c->final_tv.tv_sec = SC_FINAL_TIMEOUT;
	c->cbs = *cbs;
	c->arg = arg;
	c->peers = calloc(npeers ? npeers : 1, sizeof(*peers));
	c->later = event_new(base, -1, 0, sc_on_later, c);
	if (oom || c->peers == NULL || c->later == NULL || npeers == 0 ||
	    (c->auth_user != NULL && c->auth_password == NULL)) {
		sc_destroy(c);
		return NULL;
	}
	if (p->tls_ctx != NULL && SSL_CTX_up_ref(p->tls_ctx) == 1)
		c->tls_ctx = p->tls_ctx;
	if (c->tls_ctx == NULL && c->tls != CONF_TLS_NONE) {
		if (c->tls != CONF_TLS_OPPORTUNISTIC) {
			sc_destroy(c);
			return NULL;
		}
		c->tls = CONF_TLS_NONE;
	}
	memcpy(c->peers, peers, npeers * sizeof(*peers));
	c->npeers = npeers;
	sc_connect(c);
	return c;
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c->state != SC_READY)
		return;
	smtpc__expect_reply(c, SC_QUIT);
	smtpc__write(c, "QUIT\r\n");
}

void
smtp_client_abort(struct smtp_client *c)
{
	c->state = SC_DEAD;
	c->tx = NULL;
	if (c->depth == 0)
		sc_destroy(c);
}
