/* The landing check (checks/landing.h) against a local HTTP server with
 * allow_private: only links named by a suspicious URL symbol and not by a
 * feed are fetched, at most max_urls, results cached; the login clone
 * gives the password, brand and combined symbols; a worker killed
 * mid-request fails the check softly and the next message starts a new
 * one; off by default. And engine.landing parsed and refused with
 * FILE:LINE. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/landing.h"
#include "checks/url_heur.h"
#include "checks/url_intel.h"
#include "core/clock.h"
#include "core/err.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "test_landing_fixture.h"
#include "test_util.h"
#include "conf_fixture.h"

static struct http_server srv;
static struct mime_analyze_ctx *actx;
static struct symbol_table symtab;
static struct symbol_def *defs;
static void *landing;

#define LOGIN_SYMS(h) "LANDING_PASSWORD_FORM=" h " LANDING_BRAND_MISMATCH=" h " ~ paypal " \
	"LANDING_CREDENTIAL_PHISH=" h " ~ paypal"

/* Scans a message linking to each of paths (";"-separated) on the server
 * after adding the symbols in pre ("NAME=option;..."), into got. */
static int
scan(const char *paths, const char *pre, char *got, size_t gotlen)
{
	char body[2048], msg[4096], list[256], *save, *p;
	struct mime_limits lim;
	struct mg_task t;
	size_t n = 0;
	int rc;

	snprintf(list, sizeof(list), "%s", paths);
	for (p = strtok_r(list, ";", &save); p != NULL; p = strtok_r(NULL, ";", &save))
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		    "<a href=\"http://127.0.0.1:%u%s\">open</a> ", srv.port, p);
	snprintf(msg, sizeof(msg), "From: <x@sender.example>\r\nTo: <a@example.test>\r\n"
	    "Subject: t\r\nContent-Type: text/html\r\n\r\n<p>%s</p>\r\n", n ? body : "");
	assert_int_equal(task_init(&t, &symtab, (const uint8_t *)msg, strlen(msg), NULL, 1 << 20), 0);
	mime_limits_default(&lim);
	assert_non_null(t.msg = mime_parse(t.arena, t.raw, t.len, &lim));
	assert_int_equal(mime_analyze(actx, t.arena, t.msg), 0);
	snprintf(list, sizeof(list), "%s", pre);
	for (p = strtok_r(list, ";", &save); p != NULL; p = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(p, '=');
		*eq = '\0';
		assert_int_equal(mg_task_symbol(&t, p, eq + 1), 0);
	}
	t.task_deadline = t.check_deadline = mg_clock_ns() + 20000000000ull;
	rc = check_landing.scan(landing, &t);
	symbols_text(&t, got, gotlen);
	task_clear(&t);
	return rc;
}

static void
test_links(void **state)
{
	static const struct { const char *paths, *pre, *want; int hits; } cases[] = {
		/* 0: an IP-literal link to a login clone */
		{ "/login", "URL_IP_LITERAL=127.0.0.1",
		  "URL_IP_LITERAL=127.0.0.1 " LOGIN_SYMS("127.0.0.1"), 1 },
		/* the same link again: from the cache */
		{ "/login", "URL_IP_LITERAL=127.0.0.1",
		  "URL_IP_LITERAL=127.0.0.1 " LOGIN_SYMS("127.0.0.1"), 0 },
		/* nothing suspicious: nothing fetched */
		{ "/r/1", "", "", 0 },
		{ "/r/1", "URL_SHORTENER=127.0.0.1", "URL_SHORTENER=127.0.0.1", 0 },
		/* a symbol about another host */
		{ "/r/1", "URL_IP_LITERAL=192.0.2.1", "URL_IP_LITERAL=192.0.2.1", 0 },
		/* 5: listed by a feed already */
		{ "/r/1", "URL_IP_LITERAL=127.0.0.1;URL_FEED_PHISHING=127.0.0.1 (test)",
		  "URL_IP_LITERAL=127.0.0.1 URL_FEED_PHISHING=127.0.0.1 (test)", 0 },
		/* text/href mismatch, through two redirects */
		{ "/r/2", "URL_TEXT_MISMATCH=bank.example -> 127.0.0.1",
		  "URL_TEXT_MISMATCH=bank.example -> 127.0.0.1 " LOGIN_SYMS("127.0.0.1"), 4 },	/* r/1 r/0 login */
		/* a page with nothing, a missing page */
		{ "/big;/nothing", "URL_LOGIN_PATH=127.0.0.1", "URL_LOGIN_PATH=127.0.0.1", 2 },
		/* at most max_urls (2 here) links per message */
		{ "/r/0;/r/1;/r/2", "URL_IP_LITERAL=127.0.0.1",
		  "URL_IP_LITERAL=127.0.0.1 " LOGIN_SYMS("127.0.0.1"), 2 + 3 },
	};
	char got[2048], what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = srv.hits, rc = scan(cases[i].paths, cases[i].pre, got, sizeof(got));
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].paths);
		check_str(what, got, cases[i].want);
		if (rc != 0 || srv.hits - before != cases[i].hits) {
			print_error("case %zu: rc %d, server hits %d, want 0 and %d\n", i, rc,
			    srv.hits - before, cases[i].hits);
			test_failures++;
		}
	}
	check_failures();
}

/* The running mailgate-fetch child of this process, or 0. */
static int
worker_child(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	while (d != NULL && found == 0 && (e = readdir(d)) != NULL) {
		char path[300], line[512], comm[64];
		int pid, ppid;
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "%d (%63[^)]) %*c %d", &pid, comm, &ppid) == 3 &&
		    ppid == getpid() && strcmp(comm, "mailgate-fetch") == 0)
			found = pid;
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return found;
}

struct slow_scan {
	int	 rc;
	char	 got[1024];
};

static void *
slow_thread(void *arg)
{
	struct slow_scan *s = arg;

	s->rc = scan("/slow", "URL_IP_LITERAL=127.0.0.1", s->got, sizeof(s->got));
	return NULL;
}

static void
test_worker_killed(void **state)
{
	struct slow_scan s;
	pthread_t th;
	char got[2048];
	int pid, pid2;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, slow_thread, &s), 0);
	assert_int_equal(wait_for(&srv.slow, 1), 0);
	assert_int_not_equal(pid = worker_child(), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	pthread_join(th, NULL);
	printf("killed %d: rc %d, symbols %s\n", pid, s.rc, s.got);
	assert_int_equal(s.rc, 0);
	assert_string_equal(s.got, "URL_IP_LITERAL=127.0.0.1 LANDING_FAIL=input/output error");
	assert_int_equal(scan("/r/3", "URL_IP_LITERAL=127.0.0.1", got, sizeof(got)), 0);
	assert_string_equal(got, "URL_IP_LITERAL=127.0.0.1 " LOGIN_SYMS("127.0.0.1"));
	pid2 = worker_child();
	printf("new worker %d\n", pid2);
	assert_true(pid2 != 0 && pid2 != pid);
}

static void
test_off_by_default(void **state)
{
	struct mg_conf conf = { 0 };
	void *st = (void *)1;
	char err[256];

	(void)state;
	conf_engine_defaults(&conf.engine);
	assert_false(conf.engine.landing.enabled);
	assert_int_equal(check_landing.init(&conf, &st, err, sizeof(err)), 0);
	assert_null(st);
}

static void
test_conf(void **state)
{
	static const struct conf_error_case errors[] = {
		{ CONF_BASE "engine = { landing = {\nfoo = 1; }; };\n",
		  "test.conf:6: unknown setting 'foo' in engine.landing" },
		{ CONF_BASE "engine = { landing = {\nmax_urls = 0; }; };\n",
		  "test.conf:6: engine.landing.max_urls = 0 is out of range [1, 20]" },
		{ CONF_BASE "engine = { landing = {\nmax_bytes = 100000000; }; };\n",
		  "test.conf:6: engine.landing.max_bytes = 100000000 is out of range [1024, 2097152]" },
		{ CONF_BASE "engine = { landing = {\ntimeout_ms = 10; }; };\n",
		  "test.conf:6: engine.landing.timeout_ms = 10 is out of range [100, 60000]" },
		{ CONF_BASE "engine = { landing = {\nmax_redirects = 21; }; };\n",
		  "test.conf:6: engine.landing.max_redirects = 21 is out of range [0, 20]" },
		{ CONF_BASE "engine = { landing = {\nallow_private = 1; }; };\n",
		  "test.conf:6: engine.landing.allow_private must be true or false" },
		{ CONF_BASE "engine = { landing = {\nuser_agent = \"a\\nb\"; }; };\n",
		  "test.conf:6: engine.landing.user_agent must be printable ASCII" },
		{ CONF_BASE "engine = { landing = {\nuser_agent = \"\"; }; };\n",
		  "test.conf:6: 'user_agent' must not be empty" },
	};
	char dir[] = "/tmp/mg-landing-XXXXXX", err[512];

	struct mg_conf *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	c = conf_fixture_load(dir, CONF_BASE "engine = { landing = {\nenabled = true; "
	    "fetcher = \"bin/fetch\"; max_urls = 5; max_bytes = 65536; timeout_ms = 2000; "
	    "max_redirects = 2; allow_private = true; user_agent = \"UA/1\"; cache_ttl = 0; }; };\n",
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("valid engine.landing refused: %s", err);
	printf("fetcher %s\n", c->engine.landing.fetcher);
	assert_true(c->engine.landing.enabled && c->engine.landing.allow_private);
	assert_int_equal(c->engine.landing.max_urls, 5);
	assert_int_equal(c->engine.landing.max_bytes, 65536);
	assert_int_equal(c->engine.landing.timeout_ms, 2000);
	assert_int_equal(c->engine.landing.max_redirects, 2);
	assert_int_equal(c->engine.landing.cache_ttl, 0);
	assert_string_equal(c->engine.landing.user_agent, "UA/1");
	assert_true(c->engine.landing.fetcher[0] == '/' &&
	    strstr(c->engine.landing.fetcher, "/bin/fetch") != NULL);
	conf_free(c);
	conf_fixture_expect_errors(dir, errors, sizeof(errors) / sizeof(errors[0]));
	remove_tree(dir);
	check_failures();
}

/* The default symbols with url_heur's, url_intel's and the check's own. */
static void
load_symbols(void)
{
	const struct mg_check *checks[] = { &check_url_heur, &check_url_intel, &check_landing };
	struct mg_conf conf = { 0 };
	size_t total = 0, n;
	char err[256];

	for (size_t i = 0; i < 3; i++) {
		checks[i]->symbols(NULL, &n);
		total += n;
	}
	assert_non_null(defs = calloc(total, sizeof(*defs)));
	total = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct symbol_def *d = checks[i]->symbols(NULL, &n);
		memcpy(defs + total, d, n * sizeof(*d));
		total += n;
	}
	conf_engine_defaults(&conf.engine);
	if (symbol_table_load(&symtab, &conf, defs, total, err, sizeof(err)) != 0)
		fail_msg("symbols: %s", err);
}

static int
setup(void **state)
{
	struct mg_conf conf = { 0 };
	const char *w = worker_path();
	char err[256];

	(void)state;
	if (w == NULL) {
		print_error("mailgate-fetch not built beside the tests (ninja mailgate-fetch)\n");
		return -1;
	}
	if (http_start(&srv) < 0 || (actx = mime_analyze_ctx_new(err, sizeof(err))) == NULL)
		return -1;
	load_symbols();
	conf_engine_defaults(&conf.engine);
	conf.engine.landing.enabled = true;
	conf.engine.landing.allow_private = true;
	conf.engine.landing.max_urls = 2;
	conf.engine.landing.fetcher = (char *)w;
	if (check_landing.init(&conf, &landing, err, sizeof(err)) != 0 || landing == NULL) {
		print_error("init: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	check_landing.fini(landing);
	symbol_table_clear(&symtab);
	free(defs);
	actx = mime_analyze_ctx_free(actx);
	http_stop(&srv);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_worker_killed),
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_conf),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
