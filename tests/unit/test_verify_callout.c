/* Recipient call-out (guard/verify_callout.c) against a scripted SMTP
 * server on 127.0.0.1 in the same event loop: the answer for 250, 550,
 * 451 and a refused MAIL, failures (no greeting within the timeout,
 * connection refused, closed at once), the commands sent (no DATA), the
 * max_parallel ceiling counted at the server, connection reuse, and that
 * no callback runs inside the lookup or after verify_callout_free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/time.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/err.h"
#include "guard/verify.h"

enum srv_mode {
	SRV_NORMAL,		/* greets, answers by the local part */
	SRV_SILENT,		/* accepts and never says a word */
	SRV_CLOSE,		/* closes at once */
};

/* The server: every connection's commands go to one transcript. */
struct server {
	struct event_base *base;
	struct evconnlistener *l;
	enum srv_mode	 mode;
	const char	*ehlo;
	unsigned	 rcpt_delay_ms;	/* each RCPT reply waits this long */
	unsigned	 open, max_open, accepted;
	char		 transcript[8192];
	uint16_t	 port;
};

struct sconn {
	struct server	*s;
	struct bufferevent *bev;
	struct event	*delay;
	char		 pending[64];	/* a delayed reply */
};

static void
sconn_free(struct sconn *c)
{
	c->s->open--;
	bufferevent_free(c->bev);
	if (c->delay != NULL)
		event_free(c->delay);
	free(c);
}

static void
sconn_on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *c = arg;

	bufferevent_write(c->bev, c->pending, strlen(c->pending));
}

static void
sconn_reply(struct sconn *c, const char *text)
{
	bufferevent_write(c->bev, text, strlen(text));
}

/* RCPT by the local part: bad* 550, tmp* 451, others 250. */
static void
sconn_command(struct sconn *c, const char *line)
{
	struct server *s = c->s;
	const char *rcpt = NULL;

	strncat(s->transcript, line, sizeof(s->transcript) - strlen(s->transcript) - 2);
	strcat(s->transcript, "\n");
	if (strncmp(line, "EHLO", 4) == 0)
		sconn_reply(c, s->ehlo);
	else if (strncmp(line, "MAIL FROM:<mailfail", 19) == 0)
		sconn_reply(c, "550 5.7.1 sender refused\r\n");
	else if (strncmp(line, "MAIL", 4) == 0)
		sconn_reply(c, "250 2.1.0 ok\r\n");
	else if (strncmp(line, "RCPT TO:<bad", 12) == 0)
		rcpt = "550 5.1.1 <bad@d.test>: no such user\r\n";
	else if (strncmp(line, "RCPT TO:<tmp", 12) == 0)
		rcpt = "451 4.3.0 try later\r\n";
	else if (strncmp(line, "RCPT", 4) == 0)
		rcpt = "250 2.1.5 ok\r\n";
	else if (strcmp(line, "RSET") == 0)
		sconn_reply(c, "250 2.0.0 ok\r\n");
	else if (strcmp(line, "QUIT") == 0)
		sconn_reply(c, "221 2.0.0 bye\r\n");
	else
		sconn_reply(c, "502 5.5.1 no\r\n");
	if (rcpt != NULL && s->rcpt_delay_ms == 0) {
		sconn_reply(c, rcpt);
	} else if (rcpt != NULL) {
		struct timeval tv = { 0, (suseconds_t)s->rcpt_delay_ms * 1000 };
		snprintf(c->pending, sizeof(c->pending), "%s", rcpt);
		evtimer_add(c->delay, &tv);
	}
}

static void
sconn_on_read(struct bufferevent *bev, void *arg)
{
	struct sconn *c = arg;
	char *line;
	size_t n;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &n,
	    EVBUFFER_EOL_CRLF_STRICT)) != NULL) {
		sconn_command(c, line);
		free(line);
	}
}

static void
sconn_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		sconn_free(arg);
}

static void
srv_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
    void *arg)
{
	struct server *s = arg;
	struct sconn *c;

	s->accepted++;
	if (s->mode == SRV_CLOSE) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->delay = evtimer_new(s->base, sconn_on_delay, c);
	bufferevent_setcb(c->bev, sconn_on_read, NULL, sconn_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (++s->open > s->max_open)
		s->max_open = s->open;
	if (s->mode == SRV_NORMAL)
		sconn_reply(c, "220 mx.test ready\r\n");
}

static void
srv_start(struct server *s, struct event_base *base, enum srv_mode mode, const char *ehlo)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->mode = mode;
	s->ehlo = ehlo != NULL ? ehlo : "250 mx.test\r\n";
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->l = evconnlistener_new_bind(base, srv_on_accept, s, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE, 16, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(s->l);
	getsockname(evconnlistener_get_fd(s->l), (struct sockaddr *)&sin, &slen);
	s->port = ntohs(sin.sin_port);
}

/* One lookup's answer. */
struct answer {
	bool		 done;
	enum verify_result r;
	char		 detail[VERIFY_DETAIL_MAX];
	struct timeval	 at;
};

struct run {
	struct event_base *base;
	struct answer	 a[8];
	int		 want, got;
};

static bool in_lookup;

static void
on_answer(enum verify_result r, const char *detail, void *arg)
{
	struct answer *a = arg;

	if (in_lookup)
		fail_msg("callback inside verify_callout_lookup");
	if (a->done)
		fail_msg("second callback for one lookup");
	a->done = true;
	a->r = r;
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
	gettimeofday(&a->at, NULL);
}

static struct run *current;

static void
on_answer_count(enum verify_result r, const char *detail, void *arg)
{
	on_answer(r, detail, arg);
	if (++current->got == current->want)
		event_base_loopexit(current->base, NULL);
}

static int
lookup(struct verify_callout *co, struct conf_route *route, const char *addr,
    struct answer *a)
{
	int rc;

	in_lookup = true;
	rc = verify_callout_lookup(co, route, addr, on_answer_count, a);
	in_lookup = false;
	return rc;
}

/* Runs the loop a little longer: connections closing reach the server. */
static void
drain(struct event_base *base)
{
	struct timeval tv = { 0, 100000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static long
ms_between(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_usec - a->tv_usec) / 1000;
}

static const char *
result_name(enum verify_result r)
{
	static const char *const names[] = { "KNOWN", "UNKNOWN", "FAILED", "UNCHECKED",
		"PENDING" };
	return names[r];
}

/* Answers by what the server says, one probe each. */
static void
test_answers(void **state)
{
	static const struct {
		const char *name, *ehlo, *sender, *addr;
		enum verify_result want;
		const char *detail, *transcript;
		const char *host;	/* NULL: 127.0.0.1 */
	} cases[] = {
		{ "250: known", NULL, NULL, "known@d.test", VERIFY_KNOWN, "callout: 250 2.1.5 ok from "
		  "127.0.0.1[127.0.0.1]:", "EHLO gw.test\nMAIL FROM:<>\nRCPT TO:<known@d.test>\n"
		  "RSET\nQUIT\n", NULL },
		{ "550: unknown with the reply", NULL, "", "bad@d.test", VERIFY_UNKNOWN,
		  "callout: 550 5.1.1 <bad@d.test>: no such user from 127.0.0.1[127.0.0.1]:",
		  "EHLO gw.test\nMAIL FROM:<>\nRCPT TO:<bad@d.test>\nRSET\nQUIT\n", NULL },
		{ "451: failed", NULL, NULL, "tmp@d.test", VERIFY_FAILED, "callout: 451 4.3.0 try "
		  "later", "EHLO gw.test\nMAIL FROM:<>\nRCPT TO:<tmp@d.test>\nRSET\nQUIT\n", NULL },
		{ "MAIL refused: failed", NULL, "mailfail@gw.test", "known@d.test", VERIFY_FAILED,
		  "callout: MAIL refused: 550 5.7.1 sender refused",
		  "EHLO gw.test\nMAIL FROM:<mailfail@gw.test>\nQUIT\n", NULL },
		{ "pipelined, a sender", "250-mx.test\r\n250 PIPELINING\r\n", "probe@gw.test",
		  "bad@d.test", VERIFY_UNKNOWN, "callout: 550 5.1.1",
		  "EHLO gw.test\nMAIL FROM:<probe@gw.test>\nRCPT TO:<bad@d.test>\nRSET\nQUIT\n",
		  NULL },
		{ "a host name (/etc/hosts)", NULL, NULL, "known@d.test", VERIFY_KNOWN,
		  "callout: 250 2.1.5 ok from localhost[", "EHLO gw.test\nMAIL FROM:<>\n"
		  "RCPT TO:<known@d.test>\nRSET\nQUIT\n", "localhost" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run run = { .want = 1 };
		struct conf_rcpt_callout c = { .enabled = true, .sender = (char *)cases[i].sender,
		    .timeout_ms = 5000, .max_parallel = 4 };
		struct conf_route route = { .host = "127.0.0.1", .tls = CONF_TLS_NONE };
		struct timeval limit = { 10, 0 };
		struct verify_callout *co;
		struct server s;

		run.base = event_base_new();
		current = &run;
		srv_start(&s, run.base, SRV_NORMAL, cases[i].ehlo);
		route.port = s.port;
		if (cases[i].host != NULL)
			route.host = (char *)cases[i].host;
		co = verify_callout_new(run.base, &c, "gw.test");
		assert_non_null(co);
		assert_int_equal(lookup(co, &route, cases[i].addr, &run.a[0]), 0);
		event_base_loopexit(run.base, &limit);
		event_base_dispatch(run.base);
		drain(run.base);	/* the QUIT reaches the server */
		if (!run.a[0].done || run.a[0].r != cases[i].want ||
		    strstr(run.a[0].detail, cases[i].detail) == NULL)
			fail_msg("%s: got %s \"%s\", want %s \"%s\"", cases[i].name,
			    run.a[0].done ? result_name(run.a[0].r) : "nothing", run.a[0].detail,
			    result_name(cases[i].want), cases[i].detail);
		if (strcmp(s.transcript, cases[i].transcript) != 0)
			fail_msg("%s: got commands\n%s\nwant\n%s", cases[i].name, s.transcript,
			    cases[i].transcript);
		verify_callout_free(co);
		evconnlistener_free(s.l);
		event_base_free(run.base);
	}
}

/* No answer, no server, a server that hangs up: FAILED in time. */
static void
test_failures(void **state)
{
	static const struct {
		const char *name;
		enum srv_mode mode;
		bool refused;		/* nobody listens on the port */
		const char *detail;
		long min_ms, max_ms;
	} cases[] = {
		{ "no greeting", SRV_SILENT, false, "callout: timeout after 300 ms", 290, 800 },
		{ "refused", SRV_NORMAL, true, "Connection refused", 0, 250 },
		{ "closed at once", SRV_CLOSE, false, "callout: ", 0, 250 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run run = { .want = 1 };
		struct conf_rcpt_callout c = { .enabled = true, .timeout_ms = 300,
		    .max_parallel = 4 };
		struct conf_route route = { .host = "127.0.0.1", .tls = CONF_TLS_NONE };
		struct timeval limit = { 5, 0 }, t0;
		struct verify_callout *co;
		struct server s;
		long took;

		run.base = event_base_new();
		current = &run;
		srv_start(&s, run.base, cases[i].mode, NULL);
		route.port = s.port;
		if (cases[i].refused) {
			evconnlistener_free(s.l);
			s.l = NULL;
		}
		co = verify_callout_new(run.base, &c, "gw.test");
		gettimeofday(&t0, NULL);
		assert_int_equal(lookup(co, &route, "known@d.test", &run.a[0]), 0);
		event_base_loopexit(run.base, &limit);
		event_base_dispatch(run.base);
		took = ms_between(&t0, &run.a[0].at);
		if (!run.a[0].done || run.a[0].r != VERIFY_FAILED ||
		    strstr(run.a[0].detail, cases[i].detail) == NULL ||
		    took < cases[i].min_ms || took > cases[i].max_ms)
			fail_msg("%s: got %s \"%s\" after %ld ms, want FAILED \"%s\" in [%ld, %ld]",
			    cases[i].name, run.a[0].done ? result_name(run.a[0].r) : "nothing",
			    run.a[0].detail, took, cases[i].detail, cases[i].min_ms,
			    cases[i].max_ms);
		verify_callout_free(co);
		drain(run.base);
		if (s.l != NULL)
			evconnlistener_free(s.l);
		event_base_free(run.base);
	}
}

/* Six probes, max_parallel 2, each RCPT answered after 100 ms: never more
 * than 2 connections at the server, every answer right, and the waiting
 * probes ride on the open connections. A waiting probe's time counts. */
static void
test_max_parallel(void **state)
{
	static const char *const addrs[] = { "a@d.test", "bad1@d.test", "b@d.test",
		"bad2@d.test", "c@d.test", "tmp@d.test" };
	static const enum verify_result want[] = { VERIFY_KNOWN, VERIFY_UNKNOWN, VERIFY_KNOWN,
		VERIFY_UNKNOWN, VERIFY_KNOWN, VERIFY_FAILED };
	struct run run = { .want = 6 };
	struct conf_rcpt_callout c = { .enabled = true, .timeout_ms = 5000, .max_parallel = 2 };
	struct conf_route route = { .host = "127.0.0.1", .tls = CONF_TLS_NONE };
	struct timeval limit = { 10, 0 };
	struct verify_callout *co;
	struct server s;

	run.base = event_base_new();
	current = &run;
	srv_start(&s, run.base, SRV_NORMAL, NULL);
	s.rcpt_delay_ms = 100;
	route.port = s.port;
	co = verify_callout_new(run.base, &c, "gw.test");
	for (int i = 0; i < 6; i++)
		assert_int_equal(lookup(co, &route, addrs[i], &run.a[i]), 0);
	event_base_loopexit(run.base, &limit);
	event_base_dispatch(run.base);
	for (int i = 0; i < 6; i++)
		if (!run.a[i].done || run.a[i].r != want[i])
			fail_msg("probe %d (%s): got %s \"%s\", want %s", i, addrs[i],
			    run.a[i].done ? result_name(run.a[i].r) : "nothing", run.a[i].detail,
			    result_name(want[i]));
	if (s.max_open != 2 || s.accepted != 2)
		fail_msg("got %u connections, %u at once; want 2 and 2", s.accepted, s.max_open);
	if (strstr(s.transcript, "DATA") != NULL)
		fail_msg("DATA sent:\n%s", s.transcript);
	drain(run.base);
	verify_callout_free(co);
	evconnlistener_free(s.l);
	event_base_free(run.base);

	/* one slot, the first probe hangs: the second one times out waiting */
	memset(&run, 0, sizeof(run));
	run.want = 2;
	run.base = event_base_new();
	current = &run;
	srv_start(&s, run.base, SRV_SILENT, NULL);
	route.port = s.port;
	c.max_parallel = 1;
	c.timeout_ms = 200;
	co = verify_callout_new(run.base, &c, "gw.test");
	assert_int_equal(lookup(co, &route, "a@d.test", &run.a[0]), 0);
	assert_int_equal(lookup(co, &route, "b@d.test", &run.a[1]), 0);
	event_base_loopexit(run.base, &limit);
	event_base_dispatch(run.base);
	if (run.a[1].r != VERIFY_FAILED || strstr(run.a[1].detail, "waiting") == NULL ||
	    s.accepted != 1)
		fail_msg("queued probe: got %s \"%s\" with %u connections, want FAILED waiting, 1",
		    result_name(run.a[1].r), run.a[1].detail, s.accepted);
	verify_callout_free(co);
	drain(run.base);
	evconnlistener_free(s.l);
	event_base_free(run.base);
}

/* verify_callout_free with probes running and waiting: no callback. */
static void
test_free_aborts(void **state)
{
	struct run run = { .want = 99 };
	struct conf_rcpt_callout c = { .enabled = true, .timeout_ms = 5000, .max_parallel = 1 };
	struct conf_route route = { .host = "127.0.0.1", .tls = CONF_TLS_NONE };
	struct timeval limit = { 0, 100000 };
	struct verify_callout *co;
	struct server s;

	run.base = event_base_new();
	current = &run;
	srv_start(&s, run.base, SRV_SILENT, NULL);
	route.port = s.port;
	co = verify_callout_new(run.base, &c, "gw.test");
	assert_int_equal(lookup(co, &route, "a@d.test", &run.a[0]), 0);
	assert_int_equal(lookup(co, &route, "b@d.test", &run.a[1]), 0);
	assert_int_equal(verify_callout_lookup(co, &(struct conf_route){ .host = NULL },
	    "c@d.test", on_answer_count, &run.a[2]), -MG_EINVAL);
	event_base_loopexit(run.base, &limit);
	event_base_dispatch(run.base);
	assert_int_equal(s.accepted, 1);
	verify_callout_free(co);
	drain(run.base);
	if (run.got != 0)
		fail_msg("got %d callbacks after verify_callout_free, want 0", run.got);
	evconnlistener_free(s.l);
	event_base_free(run.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_max_parallel),
		cmocka_unit_test(test_free_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
