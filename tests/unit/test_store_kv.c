/* The in-process kv: each operation as its Redis command behaves, expiry
 * on an injected clock, the memory ceiling, counters under threads, the
 * snapshot round trip, corrupt snapshots, and sharing a store by path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/err.h"
#include "store/kv.h"

static time_t fake_now = 1000000;

static time_t
fake_clock(void)
{
	return fake_now;
}

static char dir[] = "/tmp/mg-kv-XXXXXX";

static struct kv *
open_store(const char *name, bool writable, size_t max_bytes)
{
	char path[256], err[256] = "";
	struct kv_local_opts o = { NULL, writable, 0, max_bytes, fake_clock };
	struct kv *kv;

	if (name != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		o.path = path;
	}
	if ((kv = kv_local_open(&o, err, sizeof(err))) == NULL)
		fail_msg("kv_local_open: %s", err);
	return kv;
}

static const char *
get_text(struct kv *kv, const char *key)
{
	static char buf[256];
	size_t len;
	int rc = kv_get(kv, key, strlen(key), buf, sizeof(buf) - 1, &len);

	if (rc < 0)
		return mg_strerror(rc);
	buf[len] = '\0';
	return buf;
}

/* A script of operations and what each returns or leaves behind. */
static void
test_operations(void **state)
{
	static const struct {
		char		 op;	/* p put, g get, i incr, f incr_float, d del, t tick */
		const char	*key, *val;
		int64_t		 n;	/* incr delta, ttl of put, seconds of t */
		const char	*want;	/* get: value or error; others: "ok" or error */
	} steps[] = {
		{ 'g', "a", NULL, 0, "not found" },
		{ 'p', "a", "hello", 0, "ok" },
		{ 'g', "a", NULL, 0, "hello" },
		{ 'p', "a", "a longer value than before, reallocated", 0, "ok" },
		{ 'g', "a", NULL, 0, "a longer value than before, reallocated" },
		{ 'i', "a", NULL, 1, "protocol or format error" },
		{ 'i', "n", NULL, 5, "ok" },
		{ 'i', "n", NULL, -7, "ok" },
		{ 'g', "n", NULL, 0, "-2" },
		{ 'i', "n", NULL, INT64_MAX, "ok" },
		{ 'i', "n", NULL, INT64_MAX, "protocol or format error" },
		{ 'f', "x", NULL, 0, "ok" },
		{ 'g', "x", NULL, 0, "1.5" },
		{ 'f', "x", NULL, 0, "ok" },
		{ 'g', "x", NULL, 0, "3" },
		{ 'd', "x", NULL, 0, "ok" },
		{ 'd', "x", NULL, 0, "not found" },
		/* expiry: put with a ttl, incr keeps it unless given one */
		{ 'p', "e", "1", 10, "ok" },
		{ 't', NULL, NULL, 9, "ok" },
		{ 'g', "e", NULL, 0, "1" },
		{ 't', NULL, NULL, 1, "ok" },
		{ 'g', "e", NULL, 0, "not found" },
		{ 'p', "c", "1", 10, "ok" },
		{ 'i', "c", NULL, 1, "ok" },
		{ 't', NULL, NULL, 10, "ok" },
		{ 'g', "c", NULL, 0, "not found" },
	};
	struct kv *kv = open_store(NULL, false, 0);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *k = steps[i].key, *got;
		size_t kl = k ? strlen(k) : 0;
		int rc = 0;
		char what[32];

		switch (steps[i].op) {
		case 'p':
			rc = kv_put(kv, k, kl, steps[i].val, strlen(steps[i].val), (uint32_t)steps[i].n);
			break;
		case 'i':
			rc = kv_incr(kv, k, kl, steps[i].n, 0, NULL);
			break;
		case 'f':
			rc = kv_incr_float(kv, k, kl, 1.5, 0, NULL);
			break;
		case 'd':
			rc = kv_del(kv, k, kl);
			break;
		case 't':
			fake_now += steps[i].n;
			break;
		}
		got = steps[i].op == 'g' ? get_text(kv, k) : rc < 0 ? mg_strerror(rc) : "ok";
		snprintf(what, sizeof(what), "step %zu (%c %s)", i, steps[i].op, k ? k : "");
		check_str(what, got, steps[i].want);
	}
	check_failures();
	kv_close(kv);
}

/* A buffer too small says how much is needed; keys and values have limits;
 * a counter must be a number throughout. */
static void
test_limits(void **state)
{
	struct kv *kv = open_store(NULL, false, 0);
	static char big[KV_VALUE_MAX + 1];
	char small[4];
	size_t len = 0;

	assert_int_equal(kv_put(kv, "k", 1, "123456", 6, 0), 0);
	assert_int_equal(kv_get(kv, "k", 1, small, sizeof(small), &len), -MG_ELIMIT);
	assert_int_equal(len, 6);
	assert_int_equal(kv_put(kv, "k", 1, big, sizeof(big), 0), -MG_ELIMIT);
	assert_int_equal(kv_put(kv, big, KV_KEY_MAX + 1, "v", 1, 0), -MG_ELIMIT);
	assert_int_equal(kv_put(kv, "", 0, "v", 1, 0), -MG_ELIMIT);
	/* a counter is its whole value: "12" then a NUL byte is not a number */
	assert_int_equal(kv_put(kv, "z", 1, "12\0x", 4, 0), 0);
	assert_int_equal(kv_incr(kv, "z", 1, 1, 0, NULL), -MG_EPROTO);
	assert_int_equal(kv_incr_float(kv, "z", 1, 1.0, 0, NULL), -MG_EPROTO);
	kv_close(kv);
}

static int
count_key(void *arg, const char *key, size_t klen, const void *val, size_t vlen, time_t exp)
{
	(*(size_t *)arg)++;
	return 0;
}

static void
test_scan_prefix(void **state)
{
	struct kv *kv = open_store(NULL, false, 0);
	size_t n = 0;

	for (int i = 0; i < 300; i++) {
		char key[32];
		int len = snprintf(key, sizeof(key), "%s:%d", i % 3 ? "b" : "a", i);
		assert_int_equal(kv_put(kv, key, (size_t)len, "v", 1, i == 0 ? 5 : 0), 0);
	}
	fake_now += 5;		/* a:0 expired */
	assert_int_equal(kv_scan(kv, "a:", 2, count_key, &n), 0);
	assert_int_equal(n, 99);
	n = 0;
	assert_int_equal(kv_scan(kv, "", 0, count_key, &n), 0);
	assert_int_equal(n, 299);
	kv_close(kv);
}

/* Past the ceiling the keys that expire first go: the long-lived survive,
 * and the store stays near its ceiling. */
static void
test_memory_ceiling(void **state)
{
	const size_t max = 1024 * 1024;
	struct kv *kv = open_store(NULL, false, max);
	struct kv_local_stats st;
	size_t long_alive = 0;

	for (int i = 0; i < 20000; i++) {
		char key[64];
		int len = snprintf(key, sizeof(key), "rep:ip:198.51.%d.0/24:%d:c", i % 256, i);
		assert_int_equal(kv_incr_float(kv, key, (size_t)len, 1.0,
		    i % 10 == 0 ? 1000000 : 100, NULL), 0);
	}
	kv_local_stats(kv, &st);
	print_message("ceiling %zu: keys %zu bytes %zu evicted %llu\n", max, st.keys, st.bytes,
	    (unsigned long long)st.evicted);
	assert_true(st.bytes <= max + max / 8);
	assert_true(st.evicted > 0);
	for (int i = 0; i < 20000; i += 10) {
		char key[64];
		double v;
		int len = snprintf(key, sizeof(key), "rep:ip:198.51.%d.0/24:%d:c", i % 256, i);
		long_alive += kv_get_double(kv, key, (size_t)len, &v) == 0;
	}
	print_message("long-lived keys alive: %zu of 2000\n", long_alive);
	assert_true(long_alive >= 1990);
	kv_close(kv);
}

/* Bytes per key of reputation-shaped keys, for the documentation. */
static void
test_bytes_per_key(void **state)
{
	struct kv *kv = open_store(NULL, false, 0);
	struct kv_local_stats st;

	for (int i = 0; i < 100000; i++) {
		char key[64];
		int len = snprintf(key, sizeof(key), "rep:ip:%d.%d.%d.0/24:1234:%c", 10 + i % 200,
		    (i / 200) % 256, i % 97, i % 2 ? 's' : 'c');
		assert_int_equal(kv_incr_float(kv, key, (size_t)len, 1.2345678, 3600, NULL), 0);
	}
	kv_local_stats(kv, &st);
	print_message("%zu keys, %zu bytes, %.0f bytes/key\n", st.keys, st.bytes,
	    (double)st.bytes / (double)st.keys);
	assert_true(st.bytes / st.keys < 200);
	kv_close(kv);
}

#define THREADS		8
#define PER_THREAD	20000

struct worker {
	struct kv	*kv;
	int		 id;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		char key[32];
		int len = snprintf(key, sizeof(key), "own:%d:%d", w->id, i % 100);
		if (kv_incr(w->kv, "shared", 6, 1, 0, NULL) < 0 ||
		    kv_incr_float(w->kv, "shared.f", 8, 0.5, 0, NULL) < 0 ||
		    kv_incr(w->kv, key, (size_t)len, 1, 0, NULL) < 0)
			return (void *)1;
	}
	return NULL;
}

/* Concurrent INCRs lose nothing. */
static void
test_threads(void **state)
{
	struct kv *kv = open_store(NULL, false, 0);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	double f;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ kv, i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		assert_null(rc);
	}
	assert_string_equal(get_text(kv, "shared"), "160000");
	assert_int_equal(kv_get_double(kv, "shared.f", 8, &f), 0);
	assert_true(f == THREADS * PER_THREAD * 0.5);
	assert_string_equal(get_text(kv, "own:3:42"), "200");
	kv_close(kv);
}

/* Close saves; open loads; expired keys do not come back; a reader does
 * not write. */
static void
test_snapshot_round_trip(void **state)
{
	struct kv *kv = open_store("rt.kv", true, 0);
	char path[256];
	struct kv_local_stats st;

	snprintf(path, sizeof(path), "%s/rt.kv", dir);
	for (int i = 0; i < 5000; i++) {
		char key[32], val[32];
		int kl = snprintf(key, sizeof(key), "key:%d", i);
		int vl = snprintf(val, sizeof(val), "value %d", i * 7);
		assert_int_equal(kv_put(kv, key, (size_t)kl, val, (size_t)vl, i < 10 ? 5 : 0), 0);
	}
	assert_int_equal(kv_put(kv, "bin", 3, "a\0b\r\n", 5, 100), 0);
	kv_close(kv);
	assert_int_equal(access(path, R_OK), 0);
	fake_now += 10;
	kv = open_store("rt.kv", false, 0);
	kv_local_stats(kv, &st);
	assert_int_equal(st.keys, 4991);
	assert_string_equal(get_text(kv, "key:4321"), "value 30247");
	assert_string_equal(get_text(kv, "key:3"), "not found");
	assert_memory_equal(get_text(kv, "bin"), "a\0b\r\n", 5);
	assert_int_equal(kv_put(kv, "key:4321", 8, "changed", 7, 0), 0);
	kv_close(kv);		/* not writable: the file keeps the old value */
	kv = open_store("rt.kv", false, 0);
	assert_string_equal(get_text(kv, "key:4321"), "value 30247");
	kv_close(kv);
}

/* A snapshot that does not verify: the store starts empty and the file is
 * moved aside; one that cannot be read at all fails the open. */
static void
test_snapshot_corrupt(void **state)
{
	static const struct { long off; int byte; bool truncate; const char *what; } cases[] = {
		{ 0, 'X', false, "magic" },
		{ 20, 0x55, false, "record byte" },
		{ -3, 0x00, false, "checksum byte" },
		{ -20, 0, true, "truncated" },
		{ 8, 0xff, false, "key length" },
	};
	char path[256], aside[300];

	snprintf(path, sizeof(path), "%s/bad.kv", dir);
	snprintf(aside, sizeof(aside), "%s.corrupt", path);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kv *kv = open_store("bad.kv", true, 0);
		struct kv_local_stats st;
		FILE *f;
		long size;

		for (int k = 0; k < 50; k++) {
			char key[16];
			int kl = snprintf(key, sizeof(key), "k%d", k);
			assert_int_equal(kv_put(kv, key, (size_t)kl, "v", 1, 0), 0);
		}
		kv_close(kv);
		assert_non_null(f = fopen(path, "r+b"));
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		if (cases[i].truncate) {
			assert_int_equal(ftruncate(fileno(f), size + cases[i].off), 0);
		} else {
			fseek(f, cases[i].off < 0 ? size + cases[i].off : cases[i].off, SEEK_SET);
			fputc(cases[i].byte, f);
		}
		fclose(f);
		unlink(aside);
		kv = open_store("bad.kv", true, 0);
		kv_local_stats(kv, &st);
		if (st.keys != 0 || access(aside, R_OK) != 0)
			fail_msg("case %zu (%s): got %zu keys, aside %s; want 0 keys and %s",
			    i, cases[i].what, st.keys, access(aside, R_OK) ? "missing" : "present",
			    aside);
		kv_close(kv);
		unlink(path);
	}
}

/* Two opens of one path share the store until the last close. */
static void
test_shared_by_path(void **state)
{
	struct kv *a = open_store("shared.kv", true, 0);
	struct kv *b = open_store("shared.kv", true, 0);

	assert_ptr_equal(a, b);
	assert_int_equal(kv_incr(a, "n", 1, 2, 0, NULL), 0);
	kv_close(a);
	assert_string_equal(get_text(b, "n"), "2");
	kv_close(b);
	b = open_store("shared.kv", false, 0);
	assert_string_equal(get_text(b, "n"), "2");
	kv_close(b);
}

static int
setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scan_prefix),
		cmocka_unit_test(test_memory_ceiling),
		cmocka_unit_test(test_bytes_per_key),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_snapshot_round_trip),
		cmocka_unit_test(test_snapshot_corrupt),
		cmocka_unit_test(test_shared_by_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
