/* The anti-virus result cache: hits per engine and SHA-256, expiry after
 * the ttl, eviction of the least recently used past max_entries, and a
 * cache of size 0 that keeps nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "av/av.h"
#include "test_util.h"

static const char sha_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char sha_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char sha_c[] = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

/* "found:SIG", "clean" or "miss". */
static const char *
lookup(struct mg_av_cache *c, const char *engine, const char *sha, uint64_t now)
{
	static char out[160];
	enum mg_av_status st;
	char sig[MG_AV_SIG_MAX];

	if (!mg_av_cache_get(c, engine, sha, now, &st, sig, sizeof(sig)))
		return "miss";
	if (st == MG_AV_CLEAN)
		return "clean";
	snprintf(out, sizeof(out), "found:%s", sig);
	return out;
}

static void
test_cache_table(void **state)
{
	static const struct { const char *op, *engine, *sha; uint64_t now; const char *want; } cases[] = {
		{ "put-found", "clamav", sha_a, 100, NULL },
		{ "put-clean", "clamd", sha_a, 100, NULL },
		{ "get", "clamav", sha_a, 101, "found:Eicar" },
		{ "get", "clamd", sha_a, 101, "clean" },
		{ "get", "clamav", sha_b, 101, "miss" },		/* other file */
		{ "get", "icap", sha_a, 101, "miss" },			/* other engine */
		{ "get", "clamav", sha_a, 159, "found:Eicar" },		/* ttl 60 */
		{ "get", "clamav", sha_a, 160, "miss" },		/* expired */
		{ "put-clean", "clamav", sha_a, 200, NULL },		/* 3 entries: clamd a, clamav a, */
		{ "put-clean", "clamav", sha_b, 200, NULL },		/* clamav b; clamd a evicted */
		{ "get", "clamd", sha_a, 201, "miss" },
		{ "get", "clamav", sha_a, 201, "clean" },		/* now most recent */
		{ "put-clean", "clamav", sha_c, 202, NULL },		/* evicts clamav b */
		{ "get", "clamav", sha_b, 203, "miss" },
		{ "get", "clamav", sha_a, 203, "clean" },
		{ "get", "clamav", sha_c, 203, "clean" },
	};
	struct mg_av_cache *c = mg_av_cache_new(60, 2);
	uint64_t hits, stores;
	char what[64];

	assert_non_null(c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].want == NULL) {
			bool found = cases[i].op[4] == 'f';
			assert_int_equal(mg_av_cache_put(c, cases[i].engine, cases[i].sha,
			    cases[i].now, found ? MG_AV_FOUND : MG_AV_CLEAN,
			    found ? "Eicar" : ""), 0);
			continue;
		}
		snprintf(what, sizeof(what), "case %zu (%s %.4s at %llu)", i, cases[i].engine,
		    cases[i].sha, (unsigned long long)cases[i].now);
		check_str(what, lookup(c, cases[i].engine, cases[i].sha, cases[i].now),
		    cases[i].want);
	}
	mg_av_cache_stats(c, &hits, &stores);
	if (hits != 6 || stores != 5)
		fail_msg("stats: got hits=%llu stores=%llu, want 6 and 5",
		    (unsigned long long)hits, (unsigned long long)stores);
	assert_null(mg_av_cache_free(c));
	check_failures();
}

static void
test_cache_off(void **state)
{
	struct mg_av_cache *c = mg_av_cache_new(0, 100);

	assert_int_equal(mg_av_cache_put(c, "clamav", sha_a, 1, MG_AV_CLEAN, ""), 0);
	check_str("ttl 0", lookup(c, "clamav", sha_a, 1), "miss");
	mg_av_cache_free(c);
	c = mg_av_cache_new(60, 0);
	assert_int_equal(mg_av_cache_put(c, "clamav", sha_a, 1, MG_AV_CLEAN, ""), 0);
	check_str("max_entries 0", lookup(c, "clamav", sha_a, 1), "miss");
	mg_av_cache_free(c);
	check_failures();
}

/* Many keys through a small table: the chains stay consistent. */
static void
test_cache_churn(void **state)
{
	struct mg_av_cache *c = mg_av_cache_new(3600, 100);
	char sha[65], what[32];

	for (unsigned i = 0; i < 5000; i++) {
		snprintf(sha, sizeof(sha), "%064u", i);
		assert_int_equal(mg_av_cache_put(c, "clamav", sha, 1, MG_AV_CLEAN, ""), 0);
	}
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(sha, sizeof(sha), "%064u", i);
		snprintf(what, sizeof(what), "key %u", i);
		check_str(what, lookup(c, "clamav", sha, 2), i >= 4900 ? "clean" : "miss");
	}
	mg_av_cache_free(c);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_table),
		cmocka_unit_test(test_cache_off),
		cmocka_unit_test(test_cache_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
