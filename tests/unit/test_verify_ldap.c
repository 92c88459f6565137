/* verify_ldap.c against a real slapd (tests/ldap/slapd.py, users.ldif) on
 * a real event loop: lookups by address and alias, filter injection,
 * binds, a stopped server, a server that never answers, many lookups at
 * once, and freeing with lookups pending. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/err.h"
#include "guard/verify.h"

static char slapd_dir[64];		/* a fresh directory per run */
static char uri[64], ldapi_uri[128];
static char fixture[512];		/* tests/ldap/slapd.py */
static bool in_lookup;			/* callbacks must never run inside */

struct answer {
	int		 n;
	enum verify_result r;
	char		 detail[VERIFY_DETAIL_MAX];
	uint64_t	 at_ms;
};

static const char *
result_name(enum verify_result r)
{
	static const char *const names[] = { "KNOWN", "UNKNOWN", "FAILED", "UNCHECKED",
		"PENDING" };

	return names[r];
}

/* Runs the fixture command: the port it printed (start), 0, or -1 when it
 * failed. */
static int
slapd_cmd(const char *what)
{
	char cmd[1024], line[64] = "";
	FILE *p;
	int port = 0;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s", fixture, what, slapd_dir);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL)
		port = atoi(line);
	return pclose(p) == 0 ? port : -1;
}

/* tests/ldap/slapd.py in the source tree. */
static int
find_fixture(void)
{
	snprintf(fixture, sizeof(fixture), "%s/tests/ldap/slapd.py", MG_SOURCE_DIR);
	return access(fixture, R_OK);
}

static int
group_setup(void **state)
{
	int port;

	(void)state;
	if (find_fixture() != 0)
		return -1;
	snprintf(slapd_dir, sizeof(slapd_dir), "/tmp/mg-unit-slapd-XXXXXX");
	if (mkdtemp(slapd_dir) == NULL)
		return -1;
	if ((port = slapd_cmd("start")) <= 0)
		return -1;
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", port);
	snprintf(ldapi_uri, sizeof(ldapi_uri), "ldapi://%%2Ftmp%%2F%s%%2Fldapi",
	    slapd_dir + strlen("/tmp/"));
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];
	int stopped = slapd_cmd("stop");

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", slapd_dir);
	return system(cmd) == 0 && stopped == 0 ? 0 : -1;
}

static void
conf_for(struct conf_rcpt_ldap *c, const char *u, const char *filter, uint32_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->uri = (char *)u;
	c->base = "dc=example,dc=test";
	c->filter = (char *)(filter != NULL ? filter :
	    "(|(mail=%s)(mailAlternateAddress=%s))");
	c->timeout_ms = timeout_ms;
}

static void
on_answer(enum verify_result r, const char *detail, void *arg)
{
	struct answer *a = arg;

	if (in_lookup)
		fail_msg("callback ran inside verify_ldap_lookup");
	a->n++;
	a->r = r;
	a->at_ms = mg_clock_ms();
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
}

static void
start(struct verify_ldap *l, const char *addr, struct answer *a)
{
	int rc;

	in_lookup = true;
	rc = verify_ldap_lookup(l, addr, on_answer, a);
	in_lookup = false;
	if (rc != 0)
		fail_msg("lookup %s: %s", addr, mg_strerror(rc));
}

/* Runs the loop until n answers are in (or 20 s). */
static void
run_until(struct event_base *base, struct answer *a, size_t n)
{
	uint64_t deadline = mg_clock_ms() + 20000;

	for (;;) {
		size_t got = 0;

		for (size_t i = 0; i < n; i++)
			got += a[i].n > 0;
		if (got == n || mg_clock_ms() > deadline)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	for (size_t i = 0; i < n; i++)
		if (a[i].n != 1)
			fail_msg("lookup %zu: %d answers, want 1", i, a[i].n);
}

/* One lookup on a fresh object: the answer. */
static struct answer
lookup1(const struct conf_rcpt_ldap *c, const char *addr)
{
	struct event_base *base = event_base_new();
	struct verify_ldap *l = verify_ldap_new(base, c);
	struct answer a = { 0 };

	start(l, addr, &a);
	run_until(base, &a, 1);
	verify_ldap_free(l);
	event_base_free(base);
	return a;
}

static void
test_lookups(void **state)
{
	static const struct {
		const char *addr, *filter;
		enum verify_result want;
	} cases[] = {
		{ "bob@example.test", NULL, VERIFY_KNOWN },
		{ "BOB@Example.TEST", NULL, VERIFY_KNOWN },
		{ "robert@example.test", NULL, VERIFY_KNOWN },	/* mailAlternateAddress */
		{ "nobody@example.test", NULL, VERIFY_UNKNOWN },
		{ "x*)(mail=*@example.test", NULL, VERIFY_UNKNOWN },
		{ "*@example.test", NULL, VERIFY_UNKNOWN },
		{ "*", NULL, VERIFY_UNKNOWN },
		{ "bob@example.test)(mail=*", NULL, VERIFY_UNKNOWN },
		{ "bo\\62@example.test", NULL, VERIFY_UNKNOWN },
		{ "a*b@example.test", NULL, VERIFY_KNOWN },	/* a literal star */
		{ "a*@example.test", NULL, VERIFY_UNKNOWN },
		{ "b\xc3\xb8" "b@example.test", NULL, VERIFY_UNKNOWN },
		{ "carol@elsewhere.test", "(|(mail=%s)(uid=%u))", VERIFY_KNOWN },
		{ "*@elsewhere.test", "(|(mail=%s)(uid=%u))", VERIFY_UNKNOWN },
		{ "carol@example.test", "(&(uid=%u)(mail=*@%d))", VERIFY_KNOWN },
		{ "carol@other.test", "(&(uid=%u)(mail=*@%d))", VERIFY_UNKNOWN },
		{ "carol@*", "(&(uid=%u)(mail=*@%d))", VERIFY_UNKNOWN },
		{ "carol@example.test", "(&(uid=%u)(cn=100%%))", VERIFY_UNKNOWN },
	};
	/* the same server over TCP and over its Unix socket */
	const char *uris[] = { uri, ldapi_uri };
	struct conf_rcpt_ldap c;

	(void)state;
	for (size_t u = 0; u < 2; u++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct answer a;

			conf_for(&c, uris[u], cases[i].filter, 5000);
			a = lookup1(&c, cases[i].addr);
			if (a.r != cases[i].want)
				fail_msg("%s case %zu <%s>: got %s (%s), want %s", uris[u], i,
				    cases[i].addr, result_name(a.r), a.detail,
				    result_name(cases[i].want));
		}
	}
}

static void
test_bind(void **state)
{
	static const struct {
		const char *password;
		enum verify_result want;
		const char *detail;
	} cases[] = {
		{ "secret", VERIFY_KNOWN, "ldap: entry found" },
		{ "wrong", VERIFY_FAILED, "ldap: bind: Invalid credentials" },
	};
	struct conf_rcpt_ldap c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct answer a;

		conf_for(&c, uri, NULL, 5000);
		c.bind_dn = "cn=admin,dc=example,dc=test";
		c.bind_password = (char *)cases[i].password;
		a = lookup1(&c, "bob@example.test");
		if (a.r != cases[i].want || strcmp(a.detail, cases[i].detail) != 0)
			fail_msg("case %zu: got %s \"%s\", want %s \"%s\"", i, result_name(a.r),
			    a.detail, result_name(cases[i].want), cases[i].detail);
	}
}

/* 3000 lookups at once on one connection, all answered rightly. */
static void
test_parallel(void **state)
{
	enum { N = 3000 };
	static const char *const addrs[] = { "bob@example.test", "nobody@example.test",
		"robert@example.test", "x*)(mail=*@example.test" };
	static const enum verify_result want[] = { VERIFY_KNOWN, VERIFY_UNKNOWN,
		VERIFY_KNOWN, VERIFY_UNKNOWN };
	struct event_base *base = event_base_new();
	struct answer *a = calloc(N, sizeof(*a));
	struct conf_rcpt_ldap c;
	struct verify_ldap *l;

	(void)state;
	conf_for(&c, uri, NULL, 10000);
	l = verify_ldap_new(base, &c);
	for (size_t i = 0; i < N; i++)
		start(l, addrs[i % 4], &a[i]);
	run_until(base, a, N);
	for (size_t i = 0; i < N; i++)
		if (a[i].r != want[i % 4])
			fail_msg("lookup %zu <%s>: got %s (%s), want %s", i, addrs[i % 4],
			    result_name(a[i].r), a[i].detail, result_name(want[i % 4]));
	verify_ldap_free(l);
	event_base_free(base);
	free(a);
}

/* A listener that accepts (in its backlog) and never answers: its fd;
 * its URI in u. */
static int
silent_listener(char *u, size_t size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(u, size, "ldap://127.0.0.1:%d", ntohs(sin.sin_port));
	return fd;
}

/* Every lookup to a silent server fails within timeout_ms plus a little;
 * 10,000 pending at most. */
static void
test_silent_server(void **state)
{
	enum { N = 10000 };
	struct event_base *base = event_base_new();
	struct answer *a = calloc(N, sizeof(*a)), extra = { 0 };
	struct conf_rcpt_ldap c;
	struct verify_ldap *l;
	char u[64];
	int fd = silent_listener(u, sizeof(u));
	uint64_t t0;

	(void)state;
	conf_for(&c, u, NULL, 300);
	l = verify_ldap_new(base, &c);
	t0 = mg_clock_ms();
	for (size_t i = 0; i < N; i++)
		start(l, "bob@example.test", &a[i]);
	if (verify_ldap_lookup(l, "bob@example.test", on_answer, &extra) != -MG_ELIMIT)
		fail_msg("lookup %d: want -MG_ELIMIT", N + 1);
	run_until(base, a, N);
	for (size_t i = 0; i < N; i++)
		if (a[i].r != VERIFY_FAILED || a[i].at_ms - t0 > 300 + 700 ||
		    strcmp(a[i].detail, "ldap: timeout after 300 ms") != 0)
			fail_msg("lookup %zu: got %s \"%s\" after %llu ms, want FAILED timeout "
			    "within 1000 ms", i, result_name(a[i].r), a[i].detail,
			    (unsigned long long)(a[i].at_ms - t0));
	assert_int_equal(extra.n, 0);
	verify_ldap_free(l);
	event_base_free(base);
	free(a);
	close(fd);
}

/* slapd stops under an open connection: FAILED at once, then fast
 * failures until a second has passed, then a reconnection. */
static void
test_server_stopped(void **state)
{
	struct event_base *base = event_base_new();
	struct answer a[4] = { 0 };
	struct conf_rcpt_ldap c;
	struct verify_ldap *l;
	uint64_t t0;

	(void)state;
	conf_for(&c, uri, NULL, 5000);
	l = verify_ldap_new(base, &c);
	start(l, "bob@example.test", &a[0]);
	run_until(base, &a[0], 1);
	assert_int_equal(a[0].r, VERIFY_KNOWN);
	assert_int_equal(slapd_cmd("stop"), 0);
	t0 = mg_clock_ms();
	start(l, "bob@example.test", &a[1]);
	run_until(base, &a[1], 1);
	start(l, "bob@example.test", &a[2]);
	run_until(base, &a[2], 1);
	if (a[1].r != VERIFY_FAILED || a[1].at_ms - t0 > 500)
		fail_msg("after stop: got %s \"%s\" in %llu ms, want FAILED within 500 ms",
		    result_name(a[1].r), a[1].detail, (unsigned long long)(a[1].at_ms - t0));
	if (a[2].r != VERIFY_FAILED || a[2].at_ms - t0 > 500)
		fail_msg("next: got %s \"%s\", want FAILED at once", result_name(a[2].r),
		    a[2].detail);
	assert_true(slapd_cmd("restart") > 0);
	/* fast failures until the reconnection pause is over, then KNOWN */
	do {
		memset(&a[3], 0, sizeof(a[3]));
		usleep(50 * 1000);
		start(l, "bob@example.test", &a[3]);
		run_until(base, &a[3], 1);
	} while (a[3].r == VERIFY_FAILED && mg_clock_ms() - t0 < 3000 &&
	    strcmp(a[3].detail, "ldap: server unavailable") == 0);
	if (a[3].r != VERIFY_KNOWN)
		fail_msg("after restart: got %s \"%s\", want KNOWN", result_name(a[3].r),
		    a[3].detail);
	verify_ldap_free(l);
	event_base_free(base);
}

/* Freed with lookups pending, queued (still connecting) or sent (to a
 * server that never answers): no callback runs, nothing leaks. */
static void
test_free_pending(void **state)
{
	struct event_base *base = event_base_new();
	struct answer a[3] = { 0 };
	struct conf_rcpt_ldap c;
	struct verify_ldap *l;
	char u[64];
	int fd = silent_listener(u, sizeof(u));

	(void)state;
	for (int sent = 0; sent < 2; sent++) {
		conf_for(&c, u, NULL, 5000);
		l = verify_ldap_new(base, &c);
		for (size_t i = 0; i < 3; i++)
			start(l, "bob@example.test", &a[i]);
		for (int i = 0; i < 10 * sent; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
		l = verify_ldap_free(l);
		event_base_loop(base, EVLOOP_NONBLOCK);
		for (size_t i = 0; i < 3; i++)
			if (a[i].n != 0)
				fail_msg("%s: lookup %zu answered after free: %s", sent ? "sent" :
				    "queued", i, a[i].detail);
		assert_null(l);
	}
	event_base_free(base);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_silent_server),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_server_stopped),
	};

	signal(SIGPIPE, SIG_IGN);	/* as in the daemons */
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
