/* The fetch worker end to end (fetch/fetch.h) against a local HTTP server
 * on 127.0.0.1: a page, the size cap, redirect chains and their limit, a
 * slow server, a refused connection, loopback refused without a connection
 * when allow_private is off, other schemes, a worker killed mid-request
 * (the request fails, the next one starts a new worker), a missing worker,
 * and the public-address test itself. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "fetch/fetch.h"
#include "test_landing_fixture.h"
#include "test_util.h"

static struct http_server srv;
static struct fetch_client *client;

static struct fetch_limits
limits(bool allow_private)
{
	return (struct fetch_limits){ .max_bytes = 64 * 1024, .timeout_ms = 5000,
		.max_redirects = 5, .allow_private = allow_private };
}

static int
get(const char *path, const struct fetch_limits *l, struct fetch_result *r)
{
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", srv.port, path);
	return fetch_client_get(client, url, l, mg_clock_ns() + 20000000000ull, r);
}

static void
test_fetches(void **state)
{
	static const struct {
		const char *path;
		uint32_t max_bytes, timeout_ms, max_redirects;
		const char *want;	/* "status code nchain bytes truncated final-path" */
	} cases[] = {
		{ "/login", 65536, 5000, 5, "ok 200 0 197 no /login" },
		{ "/big", 4096, 5000, 5, "ok 200 0 4096 yes /big" },
		{ "/big", 200000, 5000, 5, "ok 200 0 102400 no /big" },
		{ "/r/3", 65536, 5000, 5, "ok 200 4 197 no /login" },	/* r/2 r/1 r/0 login */
		{ "/r/4", 65536, 5000, 5, "ok 200 5 197 no /login" },
		{ "/r/5", 65536, 5000, 5, "redirects 302 5 0 no /r/0" },
		{ "/r/1", 65536, 5000, 0, "redirects 302 0 0 no /r/1" },
		{ "/slow", 65536, 300, 5, "timeout 0 0 0 no /slow" },
		{ "/nothing", 65536, 5000, 5, "ok 404 0 0 no /nothing" },
	};
	char got[512], what[64];

	(void)state;
	assert_int_equal(sizeof(landing_login_page) - 1, 197);	/* the cases' length */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_limits l = { .max_bytes = cases[i].max_bytes,
			.timeout_ms = cases[i].timeout_ms, .max_redirects = cases[i].max_redirects,
			.allow_private = true };
		struct fetch_result r;
		const char *fp;
		int rc = get(cases[i].path, &l, &r);
		if (rc != 0) {
			snprintf(got, sizeof(got), "rc %s", mg_strerror(rc));
		} else {
			fp = strchr(r.final_url + strlen("http://"), '/');
			snprintf(got, sizeof(got), "%s %u %zu %zu %s %s", fetch_status_name(r.status),
			    r.http_code, r.nchain, r.body_len, r.truncated ? "yes" : "no",
			    fp != NULL ? fp : r.final_url);
			if (r.status == FETCH_OK && r.http_code == 200 &&
			    strcmp(r.content_type, "text/html; charset=utf-8") != 0)
				print_error("case %zu: content type %s\n", i, r.content_type);
		}
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].path);
		check_str(what, got, cases[i].want);
		fetch_result_clear(&r);
	}
	check_failures();
}

/* Refusals: no connection reaches the server. */
static void
test_refused(void **state)
{
	/* the URL is pre, the server's port, post */
	static const struct { const char *pre, *post; bool allow; const char *want; } cases[] = {
		{ "http://127.0.0.1:", "/login", false, "refused" },
		{ "http://localhost:", "/login", false, "refused" },
		{ "http://[::1]:", "/login", false, "refused" },
		{ "http://[::ffff:127.0.0.1]:", "/login", false, "refused" },
		{ "http://0.0.0.0:", "/login", false, "refused" },
		{ "http://2130706433:", "/login", false, "refused" },
		{ "ftp://127.0.0.1:", "/login", true, "refused" },
		{ "file:///etc/passwd?", "", true, "refused" },
		{ "gopher://127.0.0.1:", "/", true, "refused" },
	};
	char url[256], what[64];
	int before = srv.hits;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_limits l = limits(cases[i].allow);
		struct fetch_result r;
		snprintf(url, sizeof(url), "%s%u%s", cases[i].pre, srv.port, cases[i].post);
		assert_int_equal(fetch_client_get(client, url, &l, mg_clock_ns() + 10000000000ull,
		    &r), 0);
		snprintf(what, sizeof(what), "case %zu (%s)", i, url);
		check_str(what, fetch_status_name(r.status), cases[i].want);
		fetch_result_clear(&r);
	}
	check_failures();
	if (srv.hits != before)
		fail_msg("server hits: got %d, want %d (a refused URL was connected)", srv.hits,
		    before);
}

static void
test_connection_refused(void **state)
{
	struct fetch_limits l = limits(true);
	struct fetch_result r;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", closed_port());
	assert_int_equal(fetch_client_get(client, url, &l, mg_clock_ns() + 10000000000ull, &r), 0);
	assert_string_equal(fetch_status_name(r.status), "connect");
	fetch_result_clear(&r);
}

struct slow_call {
	int		 rc;
	struct fetch_result r;
};

static void *
slow_thread(void *arg)
{
	struct slow_call *c = arg;
	struct fetch_limits l = limits(true);

	c->rc = get("/slow", &l, &c->r);
	return NULL;
}

static void
test_worker_killed(void **state)
{
	struct fetch_limits l = limits(true);
	struct slow_call call;
	struct fetch_result r;
	pthread_t th;
	int pid, pid2;

	(void)state;
	assert_int_equal(get("/login", &l, &r), 0);
	fetch_result_clear(&r);
	assert_int_not_equal(pid = fetch_client_pid(client), 0);
	assert_int_equal(pthread_create(&th, NULL, slow_thread, &call), 0);
	assert_int_equal(wait_for(&srv.slow, 1), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	pthread_join(th, NULL);
	printf("killed worker %d: request got %s\n", pid, mg_strerror(call.rc));
	assert_int_equal(call.rc, -MG_EIO);
	assert_int_equal(fetch_client_pid(client), 0);
	assert_int_equal(get("/login", &l, &r), 0);
	assert_string_equal(fetch_status_name(r.status), "ok");
	fetch_result_clear(&r);
	pid2 = fetch_client_pid(client);
	printf("new worker %d\n", pid2);
	assert_true(pid2 != 0 && pid2 != pid);
	assert_int_equal(wait_for(&srv.slow, 0), 0);
}

/* A deadline shorter than the worker's own timeout: the client gives up,
 * kills the worker and says so. */
static void
test_deadline(void **state)
{
	struct fetch_limits l = limits(true);
	struct fetch_result r;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow", srv.port);
	assert_int_equal(fetch_client_get(client, url, &l, mg_clock_ns() + 200000000ull, &r),
	    -MG_ETIMEOUT);
	assert_int_equal(fetch_client_pid(client), 0);
	assert_int_equal(wait_for(&srv.slow, 0), 0);
}

static void
test_missing_worker(void **state)
{
	struct fetch_client *c = fetch_client_new("/nonexistent/mailgate-fetch");
	struct fetch_limits l = limits(true);
	struct fetch_result r;

	(void)state;
	assert_non_null(c);
	assert_int_equal(fetch_client_get(c, "http://127.0.0.1/", &l, 0, &r), -MG_ENOENT);
	fetch_client_free(c);
}

static void
test_addr_public(void **state)
{
	static const struct { const char *ip; bool want; } cases[] = {
		{ "93.184.216.34", true }, { "127.0.0.1", false }, { "10.1.2.3", false },
		{ "172.16.0.1", false }, { "172.32.0.1", true }, { "192.168.1.1", false },
		{ "169.254.1.1", false }, { "100.64.0.1", false }, { "0.0.0.0", false },
		{ "224.0.0.1", false }, { "255.255.255.255", false }, { "8.8.8.8", true },
		{ "2001:4860:4860::8888", true }, { "::1", false }, { "::", false },
		{ "fe80::1", false }, { "fc00::1", false }, { "fd12::1", false },
		{ "ff02::1", false }, { "::ffff:10.0.0.1", false }, { "::ffff:8.8.8.8", true },
		{ "64:ff9b::7f00:1", false }, { "2001:db8::1", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_in a4 = { .sin_family = AF_INET };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		bool got = false;
		if (inet_pton(AF_INET, cases[i].ip, &a4.sin_addr) == 1)
			got = fetch_addr_public(&a4, sizeof(a4));
		else if (inet_pton(AF_INET6, cases[i].ip, &a6.sin6_addr) == 1)
			got = fetch_addr_public(&a6, sizeof(a6));
		else
			fail_msg("case %zu: bad address %s", i, cases[i].ip);
		if (got != cases[i].want) {
			print_error("case %zu (%s): got %d, want %d\n", i, cases[i].ip, got,
			    cases[i].want);
			test_failures++;
		}
	}
	check_failures();
}

static int
setup(void **state)
{
	const char *w = worker_path();

	(void)state;
	if (w == NULL) {
		print_error("mailgate-fetch not built beside the tests (ninja mailgate-fetch)\n");
		return -1;
	}
	if (http_start(&srv) < 0 || (client = fetch_client_new(w)) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	client = fetch_client_free(client);
	http_stop(&srv);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetches),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_worker_killed),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_missing_worker),
		cmocka_unit_test(test_addr_public),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
