/* The cloud URL lookup client and the url_cloud check against a small
 * HTTP server on a thread of this test (127.0.0.1, canned JSON, delay and
 * failure modes, request count): categories, cache, breaker transitions
 * on an injected clock, timeouts, bad responses, 8 threads at once, and
 * engine.cloud configuration errors with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"
#include "check_fixture.h"
#include "conf_fixture.h"
#include "checks/url_cloud.h"
#include "core/err.h"
#include "engine/engine.h"
#include "intel/cloud.h"

enum srv_mode { SRV_OK, SRV_500, SRV_BADJSON, SRV_HUGE, SRV_UNASKED, SRV_NOTOBJ, SRV_BADCAT };

static struct {
	int		 fd;
	uint16_t	 port;
	pthread_t	 th;
	atomic_int	 mode;
	atomic_int	 delay_ms;
	atomic_uint	 hits;		/* requests read */
	atomic_uint	 last_nurls;	/* URLs in the last request */
	atomic_bool	 stop;
	char		 auth[128];	/* last Authorization value */
} srv;

static char dir[] = "/tmp/mg-cloud-XXXXXX";
static char srv_url[64];

/* The category the server gives u: by a word in it; none = left out. */
static const char *
srv_category(const char *u)
{
	static const char *const words[][2] = { { "phish", "phishing" },
		{ "malw", "malware" }, { "spam", "spam" }, { "clean", "clean" } };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(u, words[i][0]) != NULL)
			return words[i][1];
	return NULL;
}

/* The response body for the request body req, by the current mode. */
static char *
srv_body(const char *req, size_t len)
{
	json_t *in = json_loadb(req, len, 0, NULL), *urls = json_object_get(in, "urls");
	json_t *res = json_array(), *u;
	int mode = atomic_load(&srv.mode);
	char *out;
	size_t i;

	atomic_store(&srv.last_nurls, (unsigned)json_array_size(urls));
	json_array_foreach(urls, i, u) {
		const char *cat = srv_category(json_string_value(u));
		if (mode == SRV_BADCAT)
			cat = "evil";
		if (cat != NULL)
			json_array_append_new(res, json_pack("{s:s, s:s, s:f, s:s}", "url",
			    json_string_value(u), "category", cat, "score", 0.9, "source",
			    "testfeed"));
	}
	if (mode == SRV_UNASKED)
		json_array_append_new(res, json_pack("{s:s, s:s}", "url", "http://other.test/",
		    "category", "clean"));
	res = json_pack("{s:o}", "results", res);
	out = mode == SRV_NOTOBJ ? strdup("[1,2]") : json_dumps(res, JSON_COMPACT);
	json_decref(res);
	json_decref(in);
	return out;
}

/* Reads one request (headers and Content-Length body) from c, or -1. */
static ssize_t
srv_read(int c, char *buf, size_t cap, char **body)
{
	size_t n = 0;
	char *end, *cl;

	for (;;) {
		ssize_t r = recv(c, buf + n, cap - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		*body = end + 4;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl != NULL && (size_t)(buf + n - *body) >= strtoul(cl + 17, NULL, 10))
			return buf + n - *body;
		if (cl == NULL || n + 1 >= cap)
			return -1;
	}
}

static void
srv_answer(int c)
{
	static char buf[1 << 20];
	char *body, *resp, head[256], *a;
	ssize_t blen = srv_read(c, buf, sizeof(buf), &body);
	struct pollfd p = { .fd = c, .events = POLLIN };
	int mode = atomic_load(&srv.mode), n;
	size_t rlen;

	if (blen < 0)
		return;
	atomic_fetch_add(&srv.hits, 1);
	if ((a = strcasestr(buf, "\r\nAuthorization: ")) != NULL)
		snprintf(srv.auth, sizeof(srv.auth), "%.*s", (int)strcspn(a + 17, "\r"), a + 17);
	/* the delay ends early when the client hangs up */
	if (atomic_load(&srv.delay_ms) > 0 && poll(&p, 1, atomic_load(&srv.delay_ms)) != 0)
		return;
	if (mode == SRV_HUGE) {
		rlen = CLOUD_MAX_RESPONSE + 4096;
		resp = malloc(rlen + 1);
		memset(resp, ' ', rlen);
		resp[rlen] = '\0';
	} else if (mode == SRV_BADJSON)
		resp = strdup("{\"results\": [ {\"url\": ");
	else if (mode == SRV_500)
		resp = strdup("{\"results\": []}");
	else
		resp = srv_body(body, (size_t)blen);
	rlen = strlen(resp);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    mode == SRV_500 ? "500 Internal Server Error" : "200 OK", rlen);
	send(c, head, (size_t)n, MSG_NOSIGNAL);
	send(c, resp, rlen, MSG_NOSIGNAL);
	free(resp);
}

static void *
srv_main(void *arg)
{
	struct pollfd p = { .fd = srv.fd, .events = POLLIN };

	(void)arg;
	while (!atomic_load(&srv.stop)) {
		int c;
		if (poll(&p, 1, 20) <= 0 || (c = accept(srv.fd, NULL, NULL)) < 0)
			continue;
		srv_answer(c);
		close(c);
	}
	return NULL;
}

static void
srv_reset(int mode, int delay_ms)
{
	atomic_store(&srv.mode, mode);
	atomic_store(&srv.delay_ms, delay_ms);
	atomic_store(&srv.hits, 0);
}

/* engine.cloud as the tests use it: this server, no key. */
static struct conf_cloud
cloud_conf(uint32_t timeout_ms, uint32_t failures)
{
	struct conf_cloud c;

	conf_cloud_defaults(&c);
	c.enabled = true;
	c.url = srv_url;
	c.timeout_ms = timeout_ms;
	c.breaker_failures = failures;
	return c;
}

static uint64_t fake_ns;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_ns;
}

/* "category/source" of each answer, "-" for no answer. */
static void
answers_text(const struct cloud_answer *a, size_t n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s/%s", i ? " " : "",
		    a[i].known ? cloud_category_name(a[i].category) : "-", a[i].source);
}

/* Categories come back per URL; a URL left out is unknown; answers are
 * cached, so only new URLs are asked again. */
static void
test_lookup_and_cache(void **state)
{
	static const char *const first[] = { "http://phish.test/login", "https://malw.test/x.exe",
		"http://spam.test/", "http://clean.test/", "http://nobody.test/" };
	static const char *const second[] = { "http://spam.test/", "http://phish2.test/",
		"http://clean.test/" };
	struct conf_cloud c = cloud_conf(2000, 5);
	struct cloud_answer a[5];
	struct cloud *cl;
	char err[256], got[512];

	(void)state;
	c.max_urls = 5;
	srv_reset(SRV_OK, 0);
	assert_non_null(cl = cloud_new(&c, err, sizeof(err)));
	assert_int_equal(cloud_lookup(cl, first, 5, 0, a), 0);
	answers_text(a, 5, got, sizeof(got));
	check_str("first lookup", got, "phishing/testfeed malware/testfeed spam/testfeed "
	    "clean/testfeed unknown/");
	if (a[0].score < 0.89 || a[0].score > 0.91)
		fail_msg("score: got %g, want 0.9", a[0].score);
	assert_int_equal(cloud_lookup(cl, first, 5, 0, a), 0);
	if (atomic_load(&srv.hits) != 1)
		fail_msg("cached lookup: got %u requests, want 1", atomic_load(&srv.hits));
	assert_int_equal(cloud_lookup(cl, second, 3, 0, a), 0);
	answers_text(a, 3, got, sizeof(got));
	check_str("second lookup", got, "spam/testfeed phishing/testfeed clean/testfeed");
	if (atomic_load(&srv.hits) != 2 || atomic_load(&srv.last_nurls) != 1)
		fail_msg("second lookup: got %u requests asking %u URLs, want 2 and 1",
		    atomic_load(&srv.hits), atomic_load(&srv.last_nurls));
	assert_int_equal(cloud_state(cl), CLOUD_CLOSED);
	/* more than max_urls: refused before anything is read */
	assert_int_equal(cloud_lookup(cl, first, 6, 0, a), -MG_ELIMIT);
	cloud_free(cl);
	check_failures();
}

/* Every kind of bad answer is a failure and leaves no answer. */
static void
test_bad_responses(void **state)
{
	static const struct { int mode; int want; } cases[] = {
		{ SRV_500, -MG_EIO }, { SRV_BADJSON, -MG_EPROTO }, { SRV_HUGE, -MG_ELIMIT },
		{ SRV_UNASKED, -MG_EPROTO }, { SRV_NOTOBJ, -MG_EPROTO },
		{ SRV_BADCAT, -MG_EPROTO },
	};
	static const char *const urls[] = { "http://phish.test/a", "http://clean.test/b" };
	struct conf_cloud c = cloud_conf(2000, 100);
	struct cloud_answer a[2];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cloud *cl = cloud_new(&c, err, sizeof(err));
		int rc;

		assert_non_null(cl);
		srv_reset(cases[i].mode, 0);
		rc = cloud_lookup(cl, urls, 2, 0, a);
		if (rc != cases[i].want || a[0].known || a[1].known)
			fail_msg("case %zu: got %s (known %d %d), want %s", i, mg_strerror(rc),
			    a[0].known, a[1].known, mg_strerror(cases[i].want));
		/* nothing was cached: the next lookup asks again */
		srv_reset(SRV_OK, 0);
		assert_int_equal(cloud_lookup(cl, urls, 2, 0, a), 0);
		assert_int_equal(atomic_load(&srv.hits), 1);
		cloud_free(cl);
	}
}

/* closed -> open after `failures` failures -> no requests for
 * open_seconds -> one probe: failure reopens, success closes. */
static void
test_breaker(void **state)
{
	static const char *const u1[] = { "http://phish.test/1" }, *const u2[] = {
		"http://phish.test/2" };
	struct conf_cloud c = cloud_conf(2000, 3);
	struct cloud_answer a[1];
	struct cloud *cl;
	char err[256];

	(void)state;
	c.breaker_open_seconds = 30;
	assert_non_null(cl = cloud_new(&c, err, sizeof(err)));
	fake_ns = 1000000000u;
	cloud_set_clock(cl, fake_clock, NULL);
	srv_reset(SRV_500, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cloud_state(cl), CLOUD_CLOSED);
		assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), -MG_EIO);
	}
	assert_int_equal(cloud_state(cl), CLOUD_OPEN);
	fake_ns += 29000000000u;
	assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), -MG_EAGAIN);
	assert_int_equal(atomic_load(&srv.hits), 3);
	fake_ns += 1000000000u;			/* probe, fails: open again */
	assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), -MG_EIO);
	assert_int_equal(atomic_load(&srv.hits), 4);
	assert_int_equal(cloud_state(cl), CLOUD_OPEN);
	fake_ns += 10000000000u;
	assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), -MG_EAGAIN);
	fake_ns += 20000000000u;		/* probe, succeeds: closed */
	srv_reset(SRV_OK, 0);
	assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), 0);
	assert_int_equal(cloud_state(cl), CLOUD_CLOSED);
	assert_int_equal(a[0].category, CLOUD_PHISHING);
	/* a success resets the count: two failures and a success stay closed */
	srv_reset(SRV_500, 0);
	assert_int_equal(cloud_lookup(cl, u2, 1, 0, a), -MG_EIO);
	assert_int_equal(cloud_lookup(cl, u2, 1, 0, a), -MG_EIO);
	srv_reset(SRV_OK, 0);
	assert_int_equal(cloud_lookup(cl, u2, 1, 0, a), 0);
	srv_reset(SRV_500, 0);
	assert_int_equal(cloud_lookup(cl, (const char *const[]){ "http://x.test/" }, 1, 0, a),
	    -MG_EIO);
	assert_int_equal(cloud_state(cl), CLOUD_CLOSED);
	/* cached answers are given while the circuit is open */
	for (int i = 0; i < 3; i++)
		cloud_lookup(cl, (const char *const[]){ "http://y.test/" }, 1, 0, a);
	assert_int_equal(cloud_state(cl), CLOUD_OPEN);
	assert_int_equal(cloud_lookup(cl, u1, 1, 0, a), 0);
	assert_int_equal(a[0].category, CLOUD_PHISHING);
	cloud_free(cl);
}

/* An answer is kept cache_ttl seconds, then asked again. */
static void
test_cache_ttl(void **state)
{
	static const char *const u[] = { "http://spam.test/ttl" };
	struct conf_cloud c = cloud_conf(2000, 5);
	struct cloud_answer a[1];
	struct cloud *cl;
	char err[256];

	(void)state;
	c.cache_ttl = 60;
	assert_non_null(cl = cloud_new(&c, err, sizeof(err)));
	fake_ns = 5;
	cloud_set_clock(cl, fake_clock, NULL);
	srv_reset(SRV_OK, 0);
	assert_int_equal(cloud_lookup(cl, u, 1, 0, a), 0);
	fake_ns += 59000000000u;
	assert_int_equal(cloud_lookup(cl, u, 1, 0, a), 0);
	assert_int_equal(atomic_load(&srv.hits), 1);
	fake_ns += 1000000000u;
	assert_int_equal(cloud_lookup(cl, u, 1, 0, a), 0);
	assert_int_equal(atomic_load(&srv.hits), 2);
	assert_int_equal(a[0].category, CLOUD_SPAM);
	cloud_free(cl);
	/* no cache: every lookup asks */
	c.cache_ttl = 0;
	assert_non_null(cl = cloud_new(&c, err, sizeof(err)));
	assert_int_equal(cloud_lookup(cl, u, 1, 0, a), 0);
	assert_int_equal(cloud_lookup(cl, u, 1, 0, a), 0);
	assert_int_equal(atomic_load(&srv.hits), 4);
	cloud_free(cl);
}

struct probe_arg {
	struct cloud	*cl;
	int		 rc;
};

static void *
probe_main(void *arg)
{
	static const char *const u[] = { "http://phish.test/probe" };
	struct probe_arg *p = arg;
	struct cloud_answer a[1];

	p->rc = cloud_lookup(p->cl, u, 1, 0, a);
	return NULL;
}

/* Half-open lets exactly one request through: others are refused while
 * the probe is under way. */
static void
test_breaker_one_probe(void **state)
{
	static const char *const u[] = { "http://phish.test/other" };
	struct conf_cloud c = cloud_conf(5000, 1);
	struct probe_arg p = { 0 };
	struct cloud_answer a[1];
	pthread_t th;
	char err[256];

	(void)state;
	assert_non_null(p.cl = cloud_new(&c, err, sizeof(err)));
	fake_ns = 1;
	cloud_set_clock(p.cl, fake_clock, NULL);
	srv_reset(SRV_500, 0);
	assert_int_equal(cloud_lookup(p.cl, u, 1, 0, a), -MG_EIO);
	assert_int_equal(cloud_state(p.cl), CLOUD_OPEN);
	fake_ns += (uint64_t)c.breaker_open_seconds * 1000000000u;
	srv_reset(SRV_OK, 300);
	assert_int_equal(pthread_create(&th, NULL, probe_main, &p), 0);
	while (atomic_load(&srv.hits) == 0)
		usleep(1000);
	assert_int_equal(cloud_state(p.cl), CLOUD_HALF_OPEN);
	assert_int_equal(cloud_lookup(p.cl, u, 1, 0, a), -MG_EAGAIN);
	pthread_join(th, NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(cloud_state(p.cl), CLOUD_CLOSED);
	assert_int_equal(atomic_load(&srv.hits), 1);
	cloud_free(p.cl);
}

/* Runs the check (state st) on urls within deadline_ms (0 = none); the
 * symbols as "NAME=opt ..." and the milliseconds it took. */
static unsigned
run_check(void *st, const char *const *urls, size_t n, unsigned deadline_ms, char *got,
    size_t len)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_url u[4];
	struct mime_msg msg = { .urls = u };
	struct symbol_table tab;
	struct mg_task t;
	uint64_t start;

	check_symbols(&tab, &check_url_cloud, st);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(url_normalize(a, urls[i], strlen(urls[i]), 0, &u[msg.nurls++]), 0);
	assert_int_equal(task_init(&t, &tab, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &msg;
	start = task_now();
	if (deadline_ms != 0)
		t.check_deadline = start + deadline_ms * 1000000ull;
	assert_int_equal(check_url_cloud.scan(st, &t), 0);
	start = (task_now() - start) / 1000000u;
	symbols_text(&t, got, len);
	task_clear(&t);
	symbol_table_clear(&tab);
	mg_arena_free(a);
	return (unsigned)start;
}

/* A slow service costs the check its timeout (or its deadline, which
 * does not count against the breaker), then URL_CLOUD_UNAVAILABLE. */
static void
test_check_timeout(void **state)
{
	static const char *const urls[] = { "http://phish.test/slow", "mailto:a@b.test" };
	static const struct { unsigned timeout, deadline; enum cloud_state after; } cases[] = {
		{ 200, 0, CLOUD_OPEN },		/* the service's fault */
		{ 5000, 150, CLOUD_CLOSED },	/* the task's deadline */
	};
	struct mg_conf conf = { 0 };
	char err[256], got[256];
	void *st;

	(void)state;
	conf_engine_defaults(&conf.engine);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned ms;

		conf.engine.cloud = cloud_conf(cases[i].timeout, 1);
		assert_int_equal(check_url_cloud.init(&conf, &st, err, sizeof(err)), 0);
		srv_reset(SRV_OK, 3000);
		ms = run_check(st, urls, 2, cases[i].deadline, got, sizeof(got));
		check_str("timeout symbols", got, "URL_CLOUD_UNAVAILABLE=timeout");
		if (ms > 1000)
			fail_msg("case %zu: took %u ms, want < 1000", i, ms);
		if (cloud_state(st) != cases[i].after)
			fail_msg("case %zu: breaker %d, want %d", i, cloud_state(st),
			    cases[i].after);
		if (cases[i].after == CLOUD_OPEN) {
			srv_reset(SRV_OK, 0);
			run_check(st, urls, 2, 0, got, sizeof(got));
			check_str("open circuit", got, "URL_CLOUD_UNAVAILABLE=circuit open");
			assert_int_equal(atomic_load(&srv.hits), 0);
		}
		check_url_cloud.fini(st);
	}
	/* nobody listening */
	conf.engine.cloud = cloud_conf(500, 5);
	conf.engine.cloud.url = "http://127.0.0.1:1/v1/lookup";
	assert_int_equal(check_url_cloud.init(&conf, &st, err, sizeof(err)), 0);
	run_check(st, urls, 1, 0, got, sizeof(got));
	check_str("unreachable", got, "URL_CLOUD_UNAVAILABLE=unreachable");
	check_url_cloud.fini(st);
	/* off: no state, no symbol */
	conf.engine.cloud.enabled = false;
	assert_int_equal(check_url_cloud.init(&conf, &st, err, sizeof(err)), 0);
	assert_null(st);
	check_failures();
}

/* Through the engine: a message's URLs become symbols, malware forces
 * quarantine below the quarantine threshold; the API key goes out as a bearer token. */
static void
test_engine(void **state)
{
	static const char msg[] = "From: a@b.test\r\nTo: c@example.test\r\nSubject: hi\r\n\r\n"
	    "See http://malw.test/x.exe and http://clean.test/ and http://nobody.test/\r\n";
	const struct mg_check *const table[] = { &check_url_cloud };
	struct mg_engine *e;
	struct mg_error merr;
	struct mg_result res;
	struct mg_buf syms;
	struct mg_conf *conf;
	char text[1024], err[512], key[128];
	FILE *f;

	(void)state;
	snprintf(key, sizeof(key), "%s/cloud.key", dir);
	assert_non_null(f = fopen(key, "w"));
	fputs("s3cret-token\n", f);
	fclose(f);
	snprintf(text, sizeof(text), CONF_BASE "engine = { cloud = {\nenabled = true;\n"
	    "url = \"%s\";\napi_key_file = \"cloud.key\";\n}; };\n", srv_url);
	if ((conf = conf_fixture_load(dir, text, err, sizeof(err))) == NULL)
		fail_msg("config: %s", err);
	assert_non_null(e = engine_open_checks(conf, table, 1, &merr));
	srv_reset(SRV_OK, 0);
	assert_int_equal(mg_scan(e, NULL, (const uint8_t *)msg, sizeof(msg) - 1, &res), 0);
	mg_buf_init(&syms, 4096);
	assert_int_equal(mg_result_format_symbols(&res, &syms), 0);
	assert_int_equal(mg_buf_cstr(&syms), 0);
	check_str("engine symbols", (char *)syms.data,
	    "URL_CLOUD_MALWARE(8.00)");
	check_str("verdict", mg_verdict_action_name(res.verdict_action), "quarantine");
	check_str("authorization", srv.auth, "Bearer s3cret-token");
	mg_buf_release(&syms);
	mg_result_clear(&res);
	mg_engine_close(e);
	conf_free(conf);
	unlink(key);
	check_failures();
}

/* The check's options: host and source. */
static void
test_check_options(void **state)
{
	static const char *const urls[] = { "https://Phish.test/a", "http://clean.test/",
		"http://spam.test/b" };
	struct mg_conf conf = { 0 };
	char err[256], got[256];
	void *st;

	(void)state;
	conf_engine_defaults(&conf.engine);
	conf.engine.cloud = cloud_conf(2000, 5);
	assert_int_equal(check_url_cloud.init(&conf, &st, err, sizeof(err)), 0);
	srv_reset(SRV_OK, 0);
	run_check(st, urls, 3, 0, got, sizeof(got));
	check_str("options", got,
	    "URL_CLOUD_PHISHING=phish.test (testfeed) URL_CLOUD_SPAM=spam.test (testfeed)");
	check_url_cloud.fini(st);
	check_failures();
}

#define NTHREADS	8
#define NROUNDS		40

static void *
thread_main(void *arg)
{
	struct cloud *cl = arg;
	struct cloud_answer a[3];
	char u[3][64];
	const char *urls[3] = { u[0], u[1], u[2] };
	intptr_t bad = 0;

	for (int r = 0; r < NROUNDS; r++) {
		snprintf(u[0], sizeof(u[0]), "http://phish.test/%d", r % 13);
		snprintf(u[1], sizeof(u[1]), "http://spam.test/%d", r % 7);
		snprintf(u[2], sizeof(u[2]), "http://nobody.test/%d", r);
		if (cloud_lookup(cl, urls, 3, 0, a) != 0 || a[0].category != CLOUD_PHISHING ||
		    a[1].category != CLOUD_SPAM || a[2].category != CLOUD_UNKNOWN || !a[2].known)
			bad++;
	}
	return (void *)bad;
}

/* 8 threads share one client, its cache and its breaker. */
static void
test_threads(void **state)
{
	struct conf_cloud c = cloud_conf(5000, 5);
	pthread_t th[NTHREADS];
	struct cloud *cl;
	intptr_t bad = 0;
	char err[256];

	(void)state;
	c.cache_entries = 16;		/* small: eviction under contention */
	assert_non_null(cl = cloud_new(&c, err, sizeof(err)));
	srv_reset(SRV_OK, 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, cl), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += (intptr_t)r;
	}
	if (bad != 0)
		fail_msg("%ld of %d lookups failed or were wrong", (long)bad, NTHREADS * NROUNDS);
	assert_int_equal(cloud_state(cl), CLOUD_CLOSED);
	cloud_free(cl);
}

/* engine.cloud values and errors at FILE:LINE (the group's first line
 * is line 6). */
static void
test_conf(void **state)
{
#define CLOUD_CONF(s)	CONF_BASE "engine = { cloud = {\n" s "\n}; };\n"
	static const struct conf_error_case cases[] = {
		{ CLOUD_CONF("enabled = true;\nbogus = 1;"),
		  "test.conf:7: unknown setting 'bogus' in engine.cloud" },
		{ CLOUD_CONF("url = \"ftp://x.test/\";"),
		  "test.conf:6: engine.cloud.url must start with http:// or https://" },
		{ CLOUD_CONF("url = \"http:///v1\";"), "test.conf:6: engine.cloud.url has no host" },
		{ CLOUD_CONF("url = \"http://a b/\";"), "test.conf:6: engine.cloud.url must not "
		  "contain spaces, control or non-ASCII characters" },
		{ CLOUD_CONF("url = \"https://u:p@x.test/\";"), "test.conf:6: engine.cloud.url "
		  "must not contain a fragment or user information" },
		{ CLOUD_CONF("\ntimeout_ms = 20;"),
		  "test.conf:7: engine.cloud.timeout_ms = 20 is out of range [50, 10000]" },
		{ CLOUD_CONF("timeout_ms = 20000;"),
		  "test.conf:6: engine.cloud.timeout_ms = 20000 is out of range [50, 10000]" },
		{ CLOUD_CONF("max_urls = 0;"),
		  "test.conf:6: engine.cloud.max_urls = 0 is out of range [1, 1000]" },
		{ CLOUD_CONF("breaker = { failures = 0; };"),
		  "test.conf:6: engine.cloud.breaker.failures = 0 is out of range [1, 1000]" },
		{ CLOUD_CONF("breaker = { open_seconds = 5000; };"), "test.conf:6: "
		  "engine.cloud.breaker.open_seconds = 5000 is out of range [1, 3600]" },
		{ CLOUD_CONF("breaker = { fails = 2; };"),
		  "test.conf:6: unknown setting 'fails' in engine.cloud.breaker" },
		{ CLOUD_CONF("breaker = 3;"), "test.conf:6: engine.cloud.breaker must be a group "
		  "{ failures = N; open_seconds = N; }" },
		{ CLOUD_CONF("api_key_file = \"\";"),
		  "test.conf:6: 'api_key_file' must not be empty" },
		{ CONF_BASE "engine = { cloud = 1; };\n",
		  "test.conf:5: 'engine.cloud' must be a group { enabled = true; }" },
	};
	struct mg_conf *c;
	char err[512];

	(void)state;
	conf_fixture_expect_errors(dir, cases, sizeof(cases) / sizeof(cases[0]));
	c = conf_fixture_load(dir, CLOUD_CONF("enabled = true;\nurl = \"https://cloud.test/q\";\n"
	    "timeout_ms = 300;\nmax_urls = 20;\ncache_ttl = 0;\ncache_entries = 10;\n"
	    "breaker = { failures = 2; open_seconds = 60; };\napi_key_file = \"k\";"),
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("valid configuration: %s", err);
	assert_true(c->engine.cloud.enabled);
	assert_string_equal(conf_cloud_url(&c->engine.cloud), "https://cloud.test/q");
	assert_int_equal(c->engine.cloud.timeout_ms, 300);
	assert_int_equal(c->engine.cloud.max_urls, 20);
	assert_int_equal(c->engine.cloud.cache_ttl, 0);
	assert_int_equal(c->engine.cloud.cache_entries, 10);
	assert_int_equal(c->engine.cloud.breaker_failures, 2);
	assert_int_equal(c->engine.cloud.breaker_open_seconds, 60);
	assert_non_null(strstr(c->engine.cloud.api_key_file, "/k"));
	assert_true(c->engine.cloud.api_key_file[0] == '/');
	conf_free(c);
	check_failures();
#undef CLOUD_CONF
}

static int
setup(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	(void)state;
	if (mkdtemp(dir) == NULL || (srv.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv.fd, 64) < 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	srv.port = ntohs(sa.sin_port);
	snprintf(srv_url, sizeof(srv_url), "http://127.0.0.1:%u/v1/lookup", srv.port);
	return pthread_create(&srv.th, NULL, srv_main, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	atomic_store(&srv.stop, true);
	pthread_join(srv.th, NULL);
	close(srv.fd);
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_lookup_and_cache),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_breaker),
		cmocka_unit_test(test_breaker_one_probe),
		cmocka_unit_test(test_check_timeout),
		cmocka_unit_test(test_check_options),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
