/* The SMTP delivery client against a scripted server on 127.0.0.1: the
 * commands it sends (pipelined or not, with their parameters), the body
 * bytes (dot-stuffed for DATA, exact for BDAT), the result per recipient,
 * and session failures such as TLS required but not offered. Also the
 * client's pure helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/err.h"
#include "net/tls.h"
#include "queue/deliver.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_parse.h"

/* The server's side of one conversation. */
struct script {
	const char	*greeting;
	const char	*ehlo;		/* whole reply to EHLO, CRLF-terminated lines */
	const char	*helo;		/* reply to HELO, or NULL */
	const char	*data;		/* reply to DATA (354 to accept) */
	const char	*final;		/* reply after the body */
};

struct server {
	const struct script *s;
	struct bufferevent *bev;
	char		 transcript[8192];	/* commands, one per line */
	char		 body[4096];		/* message bytes as received */
	size_t		 body_len;
	int		 mode;			/* 0 commands, 1 DATA, 2 BDAT */
	size_t		 bdat_left;
};

struct run {
	struct event_base *base;
	struct server	 srv;
	struct smtp_tx	*tx[2];
	int		 ntx, sent;
	int		 closed_err;
	char		 closed_why[1500];
	bool		 closed;
};

static void
srv_reply(struct server *v, const char *text)
{
	bufferevent_write(v->bev, text, strlen(text));
}

/* Replies to RCPT by the local part: bad* 550, tmp* 451, others 250. */
static void
srv_command(struct server *v, const char *line)
{
	const struct script *s = v->s;

	strncat(v->transcript, line, sizeof(v->transcript) - strlen(v->transcript) - 2);
	strcat(v->transcript, "\n");
	if (strncmp(line, "EHLO", 4) == 0)
		srv_reply(v, s->ehlo);
	else if (strncmp(line, "HELO", 4) == 0)
		srv_reply(v, s->helo ? s->helo : "250 ok\r\n");
	else if (strncmp(line, "MAIL FROM:<mailfail", 19) == 0)
		srv_reply(v, "550 5.7.1 sender refused\r\n");
	else if (strncmp(line, "MAIL", 4) == 0)
		srv_reply(v, "250 2.1.0 ok\r\n");
	else if (strncmp(line, "RCPT TO:<bad", 12) == 0)
		srv_reply(v, "550 5.1.1 unknown\r\n");
	else if (strncmp(line, "RCPT TO:<tmp", 12) == 0)
		srv_reply(v, "451 4.3.0 later\r\n");
	else if (strncmp(line, "RCPT", 4) == 0)
		srv_reply(v, "250 2.1.5 ok\r\n");
	else if (strcmp(line, "DATA") == 0) {
		srv_reply(v, s->data);
		if (strncmp(s->data, "354", 3) == 0)
			v->mode = 1;
	} else if (strncmp(line, "BDAT ", 5) == 0) {
		v->bdat_left = strtoul(line + 5, NULL, 10);
		v->mode = 2;
	} else if (strcmp(line, "RSET") == 0)
		srv_reply(v, "250 2.0.0 ok\r\n");
	else if (strcmp(line, "QUIT") == 0)
		srv_reply(v, "221 2.0.0 bye\r\n");
	else
		srv_reply(v, "502 5.5.1 no\r\n");
}

static void
srv_body_byte(struct server *v, char c)
{
	if (v->body_len < sizeof(v->body))
		v->body[v->body_len++] = c;
}

static void
srv_on_read(struct bufferevent *bev, void *arg)
{
	struct server *v = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	for (;;) {
		if (v->mode == 2) {
			char c;
			while (v->bdat_left > 0 && evbuffer_remove(in, &c, 1) == 1) {
				srv_body_byte(v, c);
				v->bdat_left--;
			}
			if (v->bdat_left > 0)
				return;
			v->mode = 0;
			srv_reply(v, v->s->final);
			continue;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT)) == NULL)
			return;
		if (v->mode == 1 && strcmp(line, ".") == 0) {
			v->mode = 0;
			srv_reply(v, v->s->final);
		} else if (v->mode == 1) {
			for (size_t i = 0; i < n; i++)
				srv_body_byte(v, line[i]);
			srv_body_byte(v, '\r');
			srv_body_byte(v, '\n');
		} else {
			srv_command(v, line);
		}
		free(line);
	}
}

static void
srv_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		struct server *v = arg;
		bufferevent_free(v->bev);
		v->bev = NULL;
	}
}

static void
srv_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
    void *arg)
{
	struct run *r = arg;

	r->srv.bev = bufferevent_socket_new(r->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(r->srv.bev, srv_on_read, NULL, srv_on_event, &r->srv);
	bufferevent_enable(r->srv.bev, EV_READ | EV_WRITE);
	srv_reply(&r->srv, r->srv.s->greeting);
}

static void
cl_ready(struct smtp_client *c, void *arg)
{
	struct run *r = arg;

	if (r->sent < r->ntx)
		assert_int_equal(smtp_client_send(c, r->tx[r->sent++]), 0);
	else
		smtp_client_quit(c);
}

static void
cl_done(struct smtp_client *c, struct smtp_tx *tx, void *arg)
{
}

static void
cl_closed(struct smtp_client *c, int err, const char *why, void *arg)
{
	struct run *r = arg;

	r->closed = true;
	r->closed_err = err;
	snprintf(r->closed_why, sizeof(r->closed_why), "%s", why ? why : "");
	event_base_loopexit(r->base, NULL);
}

static const struct smtp_client_cbs cbs = { cl_ready, cl_done, cl_closed };

/* Runs one conversation; policy is the route's TLS policy. */
static void
run_script(struct run *r, const struct script *s, enum conf_tls_policy policy)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct smtp_peer peer = { .name = "mx.test" };
	char err[256];
	SSL_CTX *ctx = tls_client_ctx(false, NULL, err, sizeof(err));
	struct smtp_client_params p = { .helo = "gw.test", .tls = policy, .tls_ctx = ctx,
	    .connect_timeout = 5, .reply_timeout = 5 };
	struct evconnlistener *l;
	struct timeval limit = { .tv_sec = 10 };
	socklen_t slen = sizeof(sin);

	r->base = event_base_new();
	r->srv.s = s;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(r->base, srv_on_accept, r, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE, 8, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(l);
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &slen);
	memcpy(&peer.addr, &sin, sizeof(sin));
	peer.addrlen = sizeof(sin);
	assert_non_null(smtp_client_new(r->base, &p, &peer, 1, &cbs, r));
	event_base_loopexit(r->base, &limit);
	event_base_dispatch(r->base);
	assert_true(r->closed);
	if (r->srv.bev != NULL)
		bufferevent_free(r->srv.bev);
	evconnlistener_free(l);
	event_base_free(r->base);
	SSL_CTX_free(ctx);
}

/* A transaction from a temporary data file. */
static struct smtp_tx *
tx_new(const char *from, const char *const *rcpts, const char *headers, const char *data)
{
	struct smtp_tx *tx = calloc(1, sizeof(*tx));
	char path[] = "/tmp/mg-client-XXXXXX";
	size_t n = 0;

	while (rcpts[n] != NULL)
		n++;
	tx->rcpts = calloc(n, sizeof(*tx->rcpts));
	for (size_t i = 0; i < n; i++)
		tx->rcpts[i].addr = rcpts[i];
	tx->nrcpts = n;
	tx->mail_from = from;
	tx->headers = headers;
	tx->headers_len = strlen(headers);
	tx->data_fd = mkstemp(path);
	assert_true(tx->data_fd >= 0);
	unlink(path);
	assert_int_equal(write(tx->data_fd, data, strlen(data)), (ssize_t)strlen(data));
	tx->data_len = strlen(data);
	return tx;
}

static void
tx_free(struct smtp_tx *tx)
{
	smtp_tx_clear_results(tx);
	close(tx->data_fd);
	free(tx->rcpts);
	free(tx);
}

/* outcomes as a string: one letter per recipient (O ok, T temp, P perm) */
static void
check_outcomes(const struct smtp_tx *tx, const char *want, const char *name)
{
	char got[32];

	for (size_t i = 0; i < tx->nrcpts; i++)
		got[i] = "OTP"[tx->rcpts[i].outcome];
	got[tx->nrcpts] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("%s: got outcomes %s, want %s", name, got, want);
	for (size_t i = 0; i < tx->nrcpts; i++)
		if (tx->rcpts[i].reply == NULL)
			fail_msg("%s: recipient %zu has no reply", name, i);
}

static void
check_transcript(const struct run *r, const char *want, const char *name)
{
	if (strcmp(r->srv.transcript, want) != 0)
		fail_msg("%s: got commands\n%s\nwant\n%s", name, r->srv.transcript, want);
}

#define EHLO_FULL "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-SIZE 1000000\r\n" \
	"250-8BITMIME\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n"

static void
test_pipelining_chunking(void **state)
{
	static const struct script s = { "220 mx ready\r\n", EHLO_FULL, NULL, "354 go\r\n",
	    "250 2.0.0 queued\r\n" };
	static const char *const rcpts[] = { "ok1@d.test", "bad@d.test", "tmp@d.test",
	    "ok2@d.test", NULL };
	struct run r = { 0 };
	struct smtp_tx *tx = tx_new("s@o.test", rcpts, "X-H: 1\r\n", "Subject: x\r\n\r\n.dot\r\n");

	tx->eightbit = true;
	tx->envid = "id+1";
	tx->ret = ENV_RET_HDRS;
	tx->rcpts[0].notify = SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY;
	tx->rcpts[0].orcpt = "rfc822;alias=x@d.test";
	tx->rcpts[1].notify = SMTP_NOTIFY_NEVER;
	r.tx[0] = tx;
	r.ntx = 1;
	run_script(&r, &s, CONF_TLS_NONE);
	check_outcomes(tx, "OPTO", "pipelining");
	check_transcript(&r, "EHLO gw.test\n"
	    "MAIL FROM:<s@o.test> SIZE=28 BODY=8BITMIME RET=HDRS ENVID=id+2B1\n"
	    "RCPT TO:<ok1@d.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;alias+3Dx@d.test\n"
	    "RCPT TO:<bad@d.test> NOTIFY=NEVER\nRCPT TO:<tmp@d.test>\nRCPT TO:<ok2@d.test>\n"
	    "BDAT 28 LAST\nQUIT\n", "pipelining");
	/* BDAT: the bytes exactly, no dot-stuffing */
	assert_int_equal(r.srv.body_len, 28);
	assert_memory_equal(r.srv.body, "X-H: 1\r\nSubject: x\r\n\r\n.dot\r\n", 28);
	assert_string_equal(tx->rcpts[1].reply, "550 5.1.1 unknown");
	assert_true(tx->rcpts[1].remote);
	assert_string_equal(tx->rcpts[0].reply, "250 2.0.0 queued");
	assert_int_equal(r.closed_err, 0);
	tx_free(tx);
}

/* No extensions: one command at a time, DATA with dot-stuffing, and the
 * connection reused for a second transaction without RSET. */
static void
test_plain_data_reuse(void **state)
{
	static const struct script s = { "220 mx\r\n", "250 mx.test\r\n", NULL, "354 go\r\n",
	    "250 ok\r\n" };
	static const char *const r1[] = { "a@d.test", NULL }, *const r2[] = { "b@d.test", NULL };
	struct run r = { 0 };

	r.tx[0] = tx_new("s@o.test", r1, "", ".leading\r\nmid\r\n..two\r\nno-crlf-end");
	r.tx[1] = tx_new("", r2, "H: v\r\n", "");
	r.tx[0]->eightbit = true;	/* not announced: sent anyway, noted */
	r.ntx = 2;
	run_script(&r, &s, CONF_TLS_OPPORTUNISTIC);	/* no STARTTLS offered */
	check_outcomes(r.tx[0], "O", "first");
	check_outcomes(r.tx[1], "O", "second");
	assert_true(r.tx[0]->eightbit_unannounced);
	check_transcript(&r, "EHLO gw.test\nMAIL FROM:<s@o.test>\nRCPT TO:<a@d.test>\nDATA\n"
	    "MAIL FROM:<>\nRCPT TO:<b@d.test>\nDATA\nQUIT\n", "reuse");
	/* the server undid nothing: what it holds is the stuffed text */
	{
		const char *want = "..leading\r\nmid\r\n...two\r\nno-crlf-end\r\nH: v\r\n";
		if (r.srv.body_len != strlen(want) || memcmp(r.srv.body, want, strlen(want)) != 0)
			fail_msg("got body \"%.*s\", want \"%s\"", (int)r.srv.body_len, r.srv.body,
			    want);
	}
	tx_free(r.tx[0]);
	tx_free(r.tx[1]);
}

/* Failures inside a transaction, each with its script. */
static void
test_transaction_failures(void **state)
{
	static const struct {
		const char *name;
		struct script s;
		const char *from;
		const char *rcpts[3];
		const char *outcomes;
		const char *transcript;
	} cases[] = {
		{ "all rcpts refused: RSET, no DATA",
		  { "220 mx\r\n", "250 mx.test\r\n", NULL, "354 go\r\n", "250 ok\r\n" },
		  "s@o.test", { "bad1@d.test", "tmp2@d.test" }, "PT",
		  "EHLO gw.test\nMAIL FROM:<s@o.test>\nRCPT TO:<bad1@d.test>\n"
		  "RCPT TO:<tmp2@d.test>\nRSET\nQUIT\n" },
		{ "MAIL refused: every rcpt fails with it",
		  { "220 mx\r\n", "250 mx.test\r\n", NULL, "354 go\r\n", "250 ok\r\n" },
		  "mailfail@o.test", { "a@d.test", "b@d.test" }, "PP",
		  "EHLO gw.test\nMAIL FROM:<mailfail@o.test>\nQUIT\n" },
		{ "pipelined MAIL refused",
		  { "220 mx\r\n", "250-mx.test\r\n250 PIPELINING\r\n", NULL, "503 no\r\n", "" },
		  "mailfail@o.test", { "a@d.test", NULL }, "P",
		  "EHLO gw.test\nMAIL FROM:<mailfail@o.test>\nRCPT TO:<a@d.test>\nDATA\nQUIT\n" },
		{ "final reply 4xx: accepted rcpts deferred, refused stay refused",
		  { "220 mx\r\n", "250-mx.test\r\n250 PIPELINING\r\n", NULL, "354 go\r\n",
		    "452 4.3.1 full\r\n" },
		  "s@o.test", { "a@d.test", "bad@d.test" }, "TP",
		  "EHLO gw.test\nMAIL FROM:<s@o.test>\nRCPT TO:<a@d.test>\nRCPT TO:<bad@d.test>\n"
		  "DATA\nQUIT\n" },
		{ "DATA refused",
		  { "220 mx\r\n", "250 mx.test\r\n", NULL, "554 5.5.1 no\r\n", "" },
		  "s@o.test", { "a@d.test", NULL }, "P",
		  "EHLO gw.test\nMAIL FROM:<s@o.test>\nRCPT TO:<a@d.test>\nDATA\nRSET\nQUIT\n" },
		{ "EHLO refused: HELO",
		  { "220 mx\r\n", "502 5.5.1 what\r\n", "250 mx\r\n", "354 go\r\n", "250 ok\r\n" },
		  "s@o.test", { "a@d.test", NULL }, "O",
		  "EHLO gw.test\nHELO gw.test\nMAIL FROM:<s@o.test>\nRCPT TO:<a@d.test>\nDATA\n"
		  "QUIT\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = { 0 };
		struct smtp_tx *tx = tx_new(cases[i].from, cases[i].rcpts, "", "x\r\n");

		r.tx[0] = tx;
		r.ntx = 1;
		run_script(&r, &cases[i].s, CONF_TLS_NONE);
		check_outcomes(tx, cases[i].outcomes, cases[i].name);
		check_transcript(&r, cases[i].transcript, cases[i].name);
		tx_free(tx);
	}
}

/* SMTPUTF8 needed and not offered: refused before MAIL (RFC 6531). */
static void
test_smtputf8_not_offered(void **state)
{
	static const struct script s = { "220 mx\r\n", "250-mx.test\r\n250 8BITMIME\r\n", NULL,
	    "354 go\r\n", "250 ok\r\n" };
	static const char *const rcpts[] = { "j\xc3\xb6rg@d.test", NULL };
	struct run r = { 0 };
	struct smtp_tx *tx = tx_new("s@o.test", rcpts, "", "x\r\n");

	tx->smtputf8 = true;
	r.tx[0] = tx;
	r.ntx = 1;
	run_script(&r, &s, CONF_TLS_NONE);
	check_outcomes(tx, "P", "smtputf8");
	assert_non_null(strstr(tx->rcpts[0].reply, "5.6.7 SMTPUTF8 required but not offered"));
	assert_false(tx->rcpts[0].remote);
	check_transcript(&r, "EHLO gw.test\nQUIT\n", "smtputf8");
	tx_free(tx);
}

/* Sessions that cannot be used report why. */
static void
test_session_failures(void **state)
{
	static const struct {
		const char *name;
		struct script s;
		enum conf_tls_policy tls;
		const char *why;
	} cases[] = {
		{ "required TLS not offered", { "220 mx\r\n", "250 mx.test\r\n", NULL, "", "" },
		  CONF_TLS_REQUIRED, "TLS required but not offered by mx.test[127.0.0.1]:" },
		{ "greeting refused", { "554 5.7.1 go away\r\n", "", NULL, "", "" },
		  CONF_TLS_NONE, "mx.test[127.0.0.1]:" },
		{ "HELO refused too", { "220 mx\r\n", "500 no\r\n", "550 no\r\n", "", "" },
		  CONF_TLS_NONE, "refused HELO: 550 no" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const char *const rcpts[] = { "a@d.test", NULL };
		struct run r = { 0 };
		struct smtp_tx *tx = tx_new("s@o.test", rcpts, "", "x\r\n");

		r.tx[0] = tx;
		r.ntx = 1;
		run_script(&r, &cases[i].s, cases[i].tls);
		if (r.closed_err != -MG_EAGAIN || strstr(r.closed_why, cases[i].why) == NULL)
			fail_msg("%s: got err %d why \"%s\", want \"%s\"", cases[i].name,
			    r.closed_err, r.closed_why, cases[i].why);
		if (r.sent != 0)
			fail_msg("%s: a transaction was started", cases[i].name);
		tx_free(tx);
	}
}

/* Probe mode (recipient call-out): MAIL and RCPTs, then RSET instead of
 * DATA, every recipient with the reply to its RCPT, pipelined or not; a
 * refused MAIL is marked. */
static void
test_probe_mode(void **state)
{
	static const struct {
		const char *name;
		struct script s;
		const char *from;
		const char *rcpts[4];
		const char *outcomes;
		bool mail_refused;
		const char *transcript;
	} cases[] = {
		{ "one at a time",
		  { "220 mx\r\n", "250-mx.test\r\n250 SIZE 100\r\n", NULL, "354 go\r\n", "250 ok\r\n" },
		  "", { "ok@d.test", "bad@d.test", "tmp@d.test" }, "OPT", false,
		  "EHLO gw.test\nMAIL FROM:<>\nRCPT TO:<ok@d.test>\nRCPT TO:<bad@d.test>\n"
		  "RCPT TO:<tmp@d.test>\nRSET\nQUIT\n" },
		{ "pipelined, chunking offered",
		  { "220 mx\r\n", "250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n", NULL,
		    "354 go\r\n", "250 ok\r\n" },
		  "p@gw.test", { "ok@d.test", "bad@d.test" }, "OP", false,
		  "EHLO gw.test\nMAIL FROM:<p@gw.test>\nRCPT TO:<ok@d.test>\nRCPT TO:<bad@d.test>\n"
		  "RSET\nQUIT\n" },
		{ "MAIL refused",
		  { "220 mx\r\n", "250 mx.test\r\n", NULL, "354 go\r\n", "250 ok\r\n" },
		  "mailfail@gw.test", { "ok@d.test" }, "P", true,
		  "EHLO gw.test\nMAIL FROM:<mailfail@gw.test>\nQUIT\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = { 0 };
		struct smtp_tx *tx = tx_new(cases[i].from, cases[i].rcpts, "H: v\r\n", "x\r\n");

		tx->probe = true;
		r.tx[0] = tx;
		r.ntx = 1;
		run_script(&r, &cases[i].s, CONF_TLS_NONE);
		check_outcomes(tx, cases[i].outcomes, cases[i].name);
		check_transcript(&r, cases[i].transcript, cases[i].name);
		if (tx->mail_refused != cases[i].mail_refused)
			fail_msg("%s: got mail_refused %d, want %d", cases[i].name,
			    tx->mail_refused, cases[i].mail_refused);
		if (!cases[i].mail_refused && (strcmp(tx->rcpts[0].reply, "250 2.1.5 ok") != 0 ||
		    !tx->rcpts[0].remote))
			fail_msg("%s: got first reply \"%s\", want \"250 2.1.5 ok\" (remote)",
			    cases[i].name, tx->rcpts[0].reply);
		assert_int_equal(r.srv.body_len, 0);
		tx_free(tx);
	}
}

static void
test_dot_stuff(void **state)
{
	static const struct { const char *in; bool bol; const char *want; bool bol_after; } cases[] = {
		{ ".a\r\n", true, "..a\r\n", true },
		{ ".a\r\n", false, ".a\r\n", true },
		{ "a\r\n.\r\n..\r\nb", true, "a\r\n..\r\n...\r\nb", false },
		{ "", true, "", true },
		{ "x.y\r\n.", true, "x.y\r\n..", false },
		{ "\r\n\r\n.", true, "\r\n\r\n..", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[64];
		bool bol = cases[i].bol;
		size_t n = smtp_dot_stuff((const uint8_t *)cases[i].in, strlen(cases[i].in), &bol,
		    out);
		if (n != strlen(cases[i].want) || memcmp(out, cases[i].want, n) != 0 ||
		    bol != cases[i].bol_after)
			fail_msg("case %zu: got \"%.*s\" bol=%d, want \"%s\" bol=%d", i, (int)n,
			    out, bol, cases[i].want, cases[i].bol_after);
	}
}

static void
test_xtext_and_outcomes(void **state)
{
	static const struct { const char *in; size_t outlen; int rc; const char *want; } xt[] = {
		{ "plain@x.test", 64, 0, "plain@x.test" },
		{ "a+b=c d", 64, 0, "a+2Bb+3Dc+20d" },
		{ "\xc3\xa9", 64, 0, "+C3+A9" },
		{ "abc", 4, 0, "abc" },
		{ "abcd", 4, -MG_ELIMIT, NULL },
		{ "a+", 4, -MG_ELIMIT, NULL },
	};
	static const struct { int code; enum smtp_outcome want; const char *log; } oc[] = {
		{ 250, SMTP_OUT_OK, "sent" }, { 251, SMTP_OUT_OK, "sent" },
		{ 421, SMTP_OUT_TEMP, "deferred" }, { 452, SMTP_OUT_TEMP, "deferred" },
		{ 550, SMTP_OUT_PERM, "bounced" }, { 554, SMTP_OUT_PERM, "bounced" },
		{ 354, SMTP_OUT_TEMP, "deferred" }, { 0, SMTP_OUT_TEMP, "deferred" },
	};

	for (size_t i = 0; i < sizeof(xt) / sizeof(xt[0]); i++) {
		char out[64];
		int rc = smtp_xtext_encode(xt[i].in, out, xt[i].outlen);
		if (rc != xt[i].rc || (rc == 0 && strcmp(out, xt[i].want) != 0))
			fail_msg("xtext case %zu: got %d \"%s\", want %d \"%s\"", i, rc,
			    rc == 0 ? out : "", xt[i].rc, xt[i].want ? xt[i].want : "");
	}
	for (size_t i = 0; i < sizeof(oc) / sizeof(oc[0]); i++) {
		enum smtp_outcome o = smtp_outcome_of(oc[i].code);
		struct deliver_verdict v = deliver_verdict_of(o);
		if (o != oc[i].want || strcmp(v.log_status, oc[i].log) != 0)
			fail_msg("code %d: got %d %s, want %d %s", oc[i].code, o, v.log_status,
			    oc[i].want, oc[i].log);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelining_chunking),
		cmocka_unit_test(test_plain_data_reuse),
		cmocka_unit_test(test_transaction_failures),
		cmocka_unit_test(test_smtputf8_not_offered),
		cmocka_unit_test(test_session_failures),
		cmocka_unit_test(test_probe_mode),
		cmocka_unit_test(test_dot_stuff),
		cmocka_unit_test(test_xtext_and_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
