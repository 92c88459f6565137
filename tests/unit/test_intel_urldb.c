/* The URL reputation file: built from feed entries, then every key kind
 * looked up (exact URL, path prefixes, host and parents, registrable
 * domain), shared platforms matched only as the full host, spellings of
 * one URL (case, IDNA, trailing dot, default port, percent-encoding)
 * giving one answer, damaged files refused, and the file replaced while
 * threads look up through a watch. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/err.h"
#include "intel/urldb.h"

static char dir[] = "/tmp/mg-urldb-XXXXXX";

static void
add(struct urldb_builder *b, const char *tok, unsigned cat, const char *source)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct feed_entry e;

	if (feed_entry_of(a, tok, strlen(tok), &e) != 0)
		fail_msg("feed_entry_of(%s) failed", tok);
	e.category = cat;
	e.source = source;
	assert_int_equal(urldb_builder_add(b, &e), 0);
	mg_arena_free(a);
}

static void
build(const char *path, const char *const *toks, unsigned cat, const char *source)
{
	struct urldb_builder *b = urldb_builder_new();
	char err[256];

	for (size_t i = 0; toks[i] != NULL; i++)
		add(b, toks[i], cat, source);
	assert_int_equal(urldb_builder_write(b, path, NULL, err, sizeof(err)), 0);
	urldb_builder_free(b);
}

/* "kind:key:category:source" or "-". */
static void
lookup(const struct urldb *db, const char *url, char *out, size_t outlen)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	bool scheme = strstr(url, "://") != NULL || strncmp(url, "mailto:", 7) == 0;
	struct urldb_match m;
	struct mime_url u;

	snprintf(out, outlen, "-");
	if (url_normalize(a, url, strlen(url), scheme ? 0 : URL_F_SCHEMELESS, &u) == 0 &&
	    urldb_lookup(db, &u, &m) == 1)
		snprintf(out, outlen, "%s:%.*s:%s:%s", intel_kind_name(m.kind), (int)m.keylen,
		    m.key, intel_cat_name(m.category), m.source);
	mg_arena_free(a);
}

static void
test_kinds(void **state)
{
	static const struct { const char *tok; unsigned cat; const char *source; } feed[] = {
		{ "http://evil.example.com/login.php?id=1", INTEL_CAT_PHISHING, "op" },
		{ "sites.example.net/a/b/", INTEL_CAT_PHISHING, "op" },
		{ "bad.example.org", INTEL_CAT_PHISHING, "op" },
		{ "sub.host.example.io", INTEL_CAT_PHISHING, "op" },
		{ "https://pub-123.r2.dev/index.html", INTEL_CAT_PHISHING, "op" },
		{ "pub-7.r2.dev", INTEL_CAT_PHISHING, "op" },
		{ "r2.dev", INTEL_CAT_PHISHING, "bad-feed" },
		{ "shared.example", INTEL_CAT_PHISHING, "bad-feed" },
		{ "corp.shared.example", INTEL_CAT_PHISHING, "op" },
		{ "http://b\xc3\xbc" "cher.example/", INTEL_CAT_PHISHING, "op" },
		{ "1.2.3.4", INTEL_CAT_MALWARE, "uh" },
		{ "dl.example.com/bins", INTEL_CAT_MALWARE, "uh" },
		{ "spam.example", INTEL_CAT_SPAM, "sp" },
		{ "dup.example", INTEL_CAT_PHISHING, "op" },
		{ "dup.example", INTEL_CAT_MALWARE, "uh" },
		{ "dup.example", INTEL_CAT_SPAM, "sp" },
	};
	static const struct { const char *url, *want; } cases[] = {
		{ "http://evil.example.com/login.php?id=1", "url:evil.example.com/login.php?id=1:phishing:op" },
		{ "HTTPS://EVIL.example.COM.:443/login.php?id=1#top", "url:evil.example.com/login.php?id=1:phishing:op" },
		{ "http://evil.example.com/login.php?id=2", "-" },
		{ "http://evil.example.com/login.php", "-" },
		{ "http://sites.example.net/a/b/c/d.html?x", "prefix:sites.example.net/a/b:phishing:op" },
		{ "http://sites.example.net/a/b", "prefix:sites.example.net/a/b:phishing:op" },
		{ "http://sites.example.net/a/b/", "prefix:sites.example.net/a/b:phishing:op" },
		{ "http://sites.example.net/a/%62/", "prefix:sites.example.net/a/b:phishing:op" },
		{ "http://sites.example.net/a/bc", "-" },
		{ "http://sites.example.net/a", "-" },
		{ "http://sites.example.net/A/B", "-" },
		{ "http://www.bad.example.org/x", "host:bad.example.org:phishing:op" },
		{ "http://BAD.example.org./", "host:bad.example.org:phishing:op" },
		{ "http://bad.example.org:80/", "host:bad.example.org:phishing:op" },
		{ "http://example.org/", "-" },
		{ "http://a.sub.host.example.io/", "host:sub.host.example.io:phishing:op" },
		{ "http://host.example.io/", "-" },
		{ "http://pub-123.r2.dev/index.html", "prefix:pub-123.r2.dev/index.html:phishing:op" },
		{ "http://pub-123.r2.dev/other.html", "-" },
		{ "http://pub-7.r2.dev/anything", "domain:pub-7.r2.dev:phishing:op" },
		{ "http://pub-999.r2.dev/", "-" },
		{ "http://r2.dev/", "-" },	/* a whole shared platform is never listed */
		{ "http://x.shared.example/", "-" },
		{ "http://shared.example/", "-" },
		{ "http://a.corp.shared.example/", "host:corp.shared.example:phishing:op" },
		{ "http://xn--bcher-kva.example/p", "domain:xn--bcher-kva.example:phishing:op" },
		{ "http://B\xc3\x9c" "CHER.example/p", "domain:xn--bcher-kva.example:phishing:op" },
		{ "http://1.2.3.4:8080/x", "host:1.2.3.4:malware:uh" },
		{ "http://2.3.4/", "-" },
		{ "http://dl.example.com/bins/x.sh?a", "prefix:dl.example.com/bins:malware:uh" },
		{ "http://dl.example.com//bins/x", "-" },
		{ "www.spam.example/offer", "domain:spam.example:spam:sp" },
		{ "http://dup.example/", "domain:dup.example:malware:uh" },
		{ "mailto:someone@bad.example.org", "-" },
		{ "http://example.com/", "-" },
	};
	struct urldb_builder *b = urldb_builder_new();
	struct urldb_build_stats st;
	struct urldb_info info;
	struct urldb *db;
	char path[128], err[256], got[256];

	snprintf(path, sizeof(path), "%s/kinds.db", dir);
	for (size_t i = 0; i < sizeof(feed) / sizeof(feed[0]); i++)
		add(b, feed[i].tok, feed[i].cat, feed[i].source);
	for (size_t i = 0; urldb_shared_default[i] != NULL; i++)
		assert_int_equal(urldb_builder_shared(b, urldb_shared_default[i]), 0);
	assert_int_equal(urldb_builder_shared(b, "shared.example"), 0);
	assert_int_equal(urldb_builder_write(b, path, &st, err, sizeof(err)), 0);
	urldb_builder_free(b);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.dropped, 2);	/* r2.dev, shared.example */
	assert_int_equal(st.path_hosts, 4);	/* evil.example.com, sites..., pub-123..., dl... */
	assert_int_equal(st.entries, sizeof(feed) / sizeof(feed[0]) - 4 + st.kinds[0] + 4);
	if ((db = urldb_open(path, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	urldb_info(db, &info);
	assert_int_equal(info.entries, st.entries);
	assert_int_equal(info.sources, 4);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lookup(db, cases[i].url, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu %s: got %s, want %s", i, cases[i].url, got, cases[i].want);
	}
	assert_true(urldb_is_shared(db, "vercel.app", 10));
	assert_false(urldb_is_shared(db, "example.com", 11));
	urldb_release(db);
	unlink(path);
}

/* An empty file is valid; damaged ones are refused with a reason. */
static void
test_damaged(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const some[] = { "a.example", "b.example/x", NULL };
	static const struct { long off; const char *want; } cases[] = {
		{ 0, "not a URL reputation file" },
		{ 8, "unsupported version" },
		{ 16, "bad header" },		/* file_size */
		{ 24, "checksum mismatch" },	/* seed: the header is checksummed too */
		{ -1, "checksum mismatch" },	/* last byte */
	};
	char path[128], err[256], got[256];
	struct urldb *db;

	snprintf(path, sizeof(path), "%s/empty.db", dir);
	build(path, none, INTEL_CAT_PHISHING, "x");
	if ((db = urldb_open(path, err, sizeof(err))) == NULL)
		fail_msg("empty: %s", err);
	lookup(db, "http://a.example/", got, sizeof(got));
	assert_string_equal(got, "-");
	urldb_release(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/damaged.db", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f;
		int c;

		build(path, some, INTEL_CAT_PHISHING, "x");
		assert_non_null(f = fopen(path, "r+"));
		fseek(f, cases[i].off, cases[i].off < 0 ? SEEK_END : SEEK_SET);
		c = fgetc(f);
		fseek(f, cases[i].off, cases[i].off < 0 ? SEEK_END : SEEK_SET);
		fputc(c ^ 0x40, f);
		fclose(f);
		db = urldb_open(path, err, sizeof(err));
		if (db != NULL || strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got %s \"%s\", want refused \"%s\"", i,
			    db ? "opened" : "refused", err, cases[i].want);
	}
	assert_int_equal(truncate(path, 100), 0);
	assert_null(urldb_open(path, err, sizeof(err)));
	unlink(path);
}

struct reader {
	struct urldb_watch *w;
	volatile bool	*stop;
	unsigned long	 lookups, misses, nodb;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	char got[256];

	while (!*r->stop) {
		struct urldb *db = urldb_watch_get(r->w);
		if (db == NULL) {
			r->nodb++;
			continue;
		}
		lookup(db, "http://www.always.example/x", got, sizeof(got));
		r->misses += strcmp(got, "domain:always.example:phishing:x") != 0;
		r->lookups++;
		urldb_release(db);
	}
	return NULL;
}

/* Four threads look up while the file is replaced 40 times. */
static void
test_swap(void **state)
{
	static const char *const a[] = { "always.example", "first.example", NULL };
	static const char *const b[] = { "always.example", "second.example", NULL };
	struct reader r[4];
	pthread_t th[4];
	volatile bool stop = false;
	struct urldb *db;
	char path[128], got[256];

	snprintf(path, sizeof(path), "%s/swap.db", dir);
	build(path, a, INTEL_CAT_PHISHING, "x");
	struct urldb_watch *w = urldb_watch_new(path, 0.0);
	urldb_release(urldb_watch_get(w));	/* loaded before the threads, as url_intel_init does */
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader){ .w = w, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, reader_run, &r[i]), 0);
	}
	for (int i = 0; i < 40; i++) {
		build(path, i % 2 ? b : a, INTEL_CAT_PHISHING, "x");
		urldb_watch_reload(w);
		usleep(2000);
	}
	stop = true;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		print_message("reader %d: %lu lookups, %lu misses, %lu without a file\n", i,
		    r[i].lookups, r[i].misses, r[i].nodb);
		assert_int_equal(r[i].misses, 0);
		assert_int_equal(r[i].nodb, 0);
		assert_true(r[i].lookups > 0);
	}
	/* the last file written (b) is the one seen now */
	urldb_watch_reload(w);
	assert_non_null(db = urldb_watch_get(w));
	lookup(db, "http://second.example/", got, sizeof(got));
	assert_string_equal(got, "domain:second.example:phishing:x");
	urldb_release(db);
	urldb_watch_free(w);
	unlink(path);
}

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_swap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
