/* mailgate feeds bench [--entries N] [--lookups N] [--out FILE] [FILE|DIR...]:
 * the cost of the URL reputation file (bench/url_lookup.py runs it): the
 * feeds given plus synthetic hosts, prefixes and exact URLs up to N
 * entries, built and written (timed), opened (timed: the checksum reads
 * it all), then single-thread lookups of normalised URLs, half listed at
 * every key kind, half not. One JSON object on stdout. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_feeds.h"
#include "cli/commands.h"
#include "core/arena.h"
#include "core/clock.h"
#include "intel/urldb.h"

#define BENCH_URL_MAX	160

struct bench_url {
	struct mime_url	 u;
};

/* xorshift64*: a fixed sequence, so runs are comparable. */
static uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Synthetic entry i: 60% hosts, 30% host+path prefixes, 10% exact URLs. */
static int
bench_key(uint64_t i, char *out, size_t len, enum intel_kind *kind)
{
	uint64_t s = i * 0x9e3779b97f4a7c15ull + 1, r = bench_rand(&s);

	switch (i % 10) {
	case 0:
		*kind = INTEL_EXACT;
		return snprintf(out, len, "s%" PRIx64 ".host%" PRIu64 ".example/login.php?id=%" PRIu64,
		    r, i % 5000, i);
	case 1: case 2: case 3:
		*kind = INTEL_PREFIX;
		return snprintf(out, len, "s%" PRIx64 ".site%" PRIu64 ".example/p%" PRIu64 "/secure",
		    r, i % 5000, i);
	default:
		*kind = INTEL_HOST;
		return snprintf(out, len, "h%" PRIx64 ".net%" PRIu64 ".example", r, i % 5000);
	}
}

static int
bench_synthetic(struct urldb_builder *b, uint64_t n)
{
	char key[BENCH_URL_MAX];
	struct feed_entry e = { .category = INTEL_CAT_PHISHING, .source = "synthetic" };
	int rc;

	for (uint64_t i = 0; i < n; i++) {
		e.key = key;
		e.keylen = (size_t)bench_key(i, key, sizeof(key), &e.kind);
		if ((rc = urldb_builder_add(b, &e)) != 0)
			return rc;
	}
	return 0;
}

/* The URL a message would carry for synthetic entry i (listed), or one
 * near it that is not listed. */
static int
bench_url(struct mg_arena *a, uint64_t i, bool listed, struct bench_url *bu)
{
	char key[BENCH_URL_MAX], url[BENCH_URL_MAX + 64];
	enum intel_kind kind;
	int n;

	bench_key(i, key, sizeof(key), &kind);
	if (!listed)
		key[0] = 'x';	/* another host, same shape */
	if (kind == INTEL_EXACT)
		n = snprintf(url, sizeof(url), "https://%s", key);
	else if (kind == INTEL_PREFIX)
		n = snprintf(url, sizeof(url), "https://%s/account/verify.html?u=%" PRIu64, key, i);
	else
		n = snprintf(url, sizeof(url), "http://www.%s/a/b/c/index.php?q=%" PRIu64, key, i);
	return url_normalize(a, url, (size_t)n, 0, &bu->u);
}

struct bench_opts {
	uint64_t	 entries, lookups;
	const char	*out;
};

static int
bench_lookups(const struct bench_opts *o, uint64_t total, double build_ms, char **feeds)
{
	struct mg_arena *a = mg_arena_new(1u << 20, 0);
	uint64_t nurls = o->lookups < 200000 ? (o->lookups + 1) & ~1ull : 200000, t0, s = 42;
	uint64_t hits = 0;
	struct bench_url *urls = calloc(nurls, sizeof(*urls));
	struct urldb_match m;
	struct urldb_info info;
	struct urldb *db;
	double open_ms, ns[2] = { 0, 0 };
	uint64_t count[2] = { 0, 0 };
	char err[512];

	t0 = mg_clock_ns();
	if ((db = urldb_open(o->out, err, sizeof(err))) == NULL || a == NULL || urls == NULL) {
		fprintf(stderr, "mailgate: %s\n", db == NULL ? err : "out of memory");
		return 1;
	}
	open_ms = (double)(mg_clock_ns() - t0) / 1e6;
	for (uint64_t i = 0; i < nurls; i++)
		if (bench_url(a, bench_rand(&s) % (total ? total : 1), i % 2 == 0, &urls[i]) != 0)
			return 1;
	for (int listed = 0; listed < 2; listed++) {	/* listed URLs at even indexes */
		t0 = mg_clock_ns();
		for (uint64_t k = 0; k < o->lookups; k++) {
			const struct bench_url *bu = &urls[(k * 2 + (uint64_t)!listed) % nurls];
			hits += urldb_lookup(db, &bu->u, &m) == 1;
			count[listed]++;
		}
		ns[listed] = (double)(mg_clock_ns() - t0) / (double)count[listed];
	}
	urldb_info(db, &info);
	printf("{\"entries\": %" PRIu64 ", \"synthetic\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"build_ms\": %.1f, \"open_ms\": %.1f, \"lookups\": %" PRIu64
	    ", \"ns_miss\": %.1f, \"ns_hit\": %.1f, \"lookups_per_s\": %.0f, \"hits\": %" PRIu64
	    ", \"feeds\": %d}\n", info.entries, o->entries, info.bytes, build_ms, open_ms,
	    count[0] + count[1], ns[0], ns[1], 2e9 / (ns[0] + ns[1]), hits, feeds[0] != NULL);
	urldb_release(db);
	free(urls);
	mg_arena_free(a);
	return hits == count[1] ? 0 : 1;	/* every listed URL found, no unlisted one */
}

int
feeds_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "entries", required_argument, NULL, 'n' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .entries = 1000000, .lookups = 2000000,
		.out = "/tmp/mg-bench-urls.db" };
	struct urldb_builder *b;
	struct urldb_build_stats st;
	char err[512];
	uint64_t t0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': o.entries = strtoull(optarg, NULL, 10); break;
		case 'l': o.lookups = strtoull(optarg, NULL, 10); break;
		case 'o': o.out = optarg; break;
		default: return 2;
		}
	}
	if (o.lookups == 0 || (b = urldb_builder_new()) == NULL)
		return 2;
	t0 = mg_clock_ns();
	if (feeds_load_into(b, argv + optind, stderr) != 0 || bench_synthetic(b, o.entries) != 0 ||
	    urldb_builder_write(b, o.out, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "mailgate: feeds bench: build failed %s\n", err);
		urldb_builder_free(b);
		return 1;
	}
	urldb_builder_free(b);
	rc = bench_lookups(&o, o.entries, (double)(mg_clock_ns() - t0) / 1e6, argv + optind);
	unlink(o.out);
	return rc;
}
