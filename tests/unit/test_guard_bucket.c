/* guard's token bucket with an injected clock: bursts, refill, the wait
 * reported to refused clients, per-key isolation, and the door checks
 * (connections per IP, allow_ip) on an in-process kv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "guard/guard.h"
#include "test_util.h"
#include "guard_fixture.h"

/* Each step: advance the clock by dt ms, take a token, expect ok and wait. */
struct step {
	uint64_t	 dt;
	int		 ok;
	uint64_t	 wait;
};

static void
run_steps(const char *name, const struct conf_guard_rate *r, const struct step *s, size_t n)
{
	struct kv *kv = open_kv();
	char what[96], got[64], want[64];

	for (size_t i = 0; i < n; i++) {
		uint64_t wait;
		int ok;

		now_ms += s[i].dt;
		ok = guard_bucket_take(kv, "b", r, now_ms, &wait);
		snprintf(what, sizeof(what), "%s step %zu", name, i);
		snprintf(got, sizeof(got), "ok=%d wait=%llu", ok, (unsigned long long)wait);
		snprintf(want, sizeof(want), "ok=%d wait=%llu", s[i].ok,
		    (unsigned long long)s[i].wait);
		check_str(what, got, want);
	}
	kv_close(kv);
}

static void
test_bucket_math(void **state)
{
	/* 6 per 60 s, burst 3: a token every 10 s */
	static const struct conf_guard_rate r = { 6, 60, 3 };
	static const struct step burst[] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 10000 },
		{ 4000, 0, 6000 }, { 6000, 1, 0 }, { 0, 0, 10000 },
		{ 35000, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 10000 },
	};
	/* a partial refill: 1.5 tokens after 15 s */
	static const struct step partial[] = {
		{ 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 10000 },
		{ 10000, 1, 0 }, { 15000, 1, 0 }, { 0, 0, 5000 },
	};
	/* 1 per second, burst 1: strictly spaced */
	static const struct conf_guard_rate one = { 1, 1, 1 };
	static const struct step spaced[] = {
		{ 0, 1, 0 }, { 999, 0, 1 }, { 1, 1, 0 }, { 500, 0, 500 }, { 600, 1, 0 },
	};
	/* an idle period never stores more than burst */
	static const struct step idle[] = {
		{ 0, 1, 0 }, { 3600000, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 0, 10000 },
	};
	/* rate 0: no limit */
	static const struct conf_guard_rate off = { 0, 60, 1 };
	static const struct step never[] = { { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 } };

	run_steps("burst", &r, burst, sizeof(burst) / sizeof(burst[0]));
	run_steps("partial", &r, partial, sizeof(partial) / sizeof(partial[0]));
	run_steps("spaced", &one, spaced, sizeof(spaced) / sizeof(spaced[0]));
	run_steps("idle", &r, idle, sizeof(idle) / sizeof(idle[0]));
	run_steps("off", &off, never, sizeof(never) / sizeof(never[0]));
	check_failures();
}

static void
test_bucket_keys(void **state)
{
	static const struct conf_guard_rate r = { 1, 60, 1 };
	struct kv *kv = open_kv();
	uint64_t wait;

	assert_int_equal(guard_bucket_take(kv, "a", &r, now_ms, &wait), 1);
	assert_int_equal(guard_bucket_take(kv, "a", &r, now_ms, &wait), 0);
	assert_int_equal(guard_bucket_take(kv, "b", &r, now_ms, &wait), 1);
	/* a value that is not a number starts the bucket over */
	assert_int_equal(kv_put(kv, "a", 1, "junk", 4, 0), 0);
	assert_int_equal(guard_bucket_take(kv, "a", &r, now_ms, &wait), 1);
	kv_close(kv);
}

static void
sa4(struct sockaddr_in *sin, const char *ip)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
test_client_init(void **state)
{
	static const struct { int family; const char *ip, *want_ip, *want_net; } cases[] = {
		{ AF_INET, "192.0.2.77", "192.0.2.77", "192.0.2.0/24" },
		{ AF_INET6, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ AF_INET6, "::ffff:10.1.2.3", "10.1.2.3", "10.1.2.0/24" },
	};
	struct conf_guard c;
	struct guard_client gc;

	conf_guard_defaults(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = { 0 };

		if (cases[i].family == AF_INET) {
			sa4((struct sockaddr_in *)&ss, cases[i].ip);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			assert_int_equal(inet_pton(AF_INET6, cases[i].ip, &s6->sin6_addr), 1);
		}
		assert_int_equal(guard_client_init(&gc, &c, (struct sockaddr *)&ss), 0);
		check_str("ip", gc.ip, cases[i].want_ip);
		check_str("net", gc.net, cases[i].want_net);
		assert_false(gc.allowed);
	}
	check_failures();
}

static void
test_connect_limits(void **state)
{
	struct conf_network allow;
	struct conf_guard c;
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct guard_client a, b, x;
	struct sockaddr_in sin;
	char reply[GUARD_REPLY_MAX];

	assert_non_null(g);
	conf_guard_defaults(&c);
	c.max_connections_per_ip = 2;
	c.rates[CONF_GUARD_CONN_NET] = (struct conf_guard_rate){ 3, 60, 3 };
	allow = (struct conf_network){ .family = AF_INET, .addr = { 192, 0, 2, 9 },
	    .prefix = 32 };
	c.allow = &allow;
	c.nallow = 1;

	sa4(&sin, "192.0.2.1");
	assert_int_equal(guard_client_init(&a, &c, (struct sockaddr *)&sin), 0);
	assert_int_equal(guard_client_init(&b, &c, (struct sockaddr *)&sin), 0);
	assert_int_equal(guard_client_init(&x, &c, (struct sockaddr *)&sin), 0);
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_connect(g, &c, &b, reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_connect(g, &c, &x, reply, sizeof(reply)), GUARD_CONN_LIMIT);
	check_str("conn limit", reply, "421 4.7.0 Too many connections from your address");
	guard_disconnect(g, &a);
	guard_disconnect(g, &a);		/* a second call gives back nothing */
	/* a slot is free again: x takes it and the /24's last token */
	assert_int_equal(guard_connect(g, &c, &x, reply, sizeof(reply)), GUARD_PASS);
	guard_disconnect(g, &x);
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_CONN_RATE_NET);
	check_str("net rate", reply, "421 4.7.0 Connection rate limit exceeded for your "
	    "network, try again in 20 seconds");
	assert_false(a.counted);		/* the refused one holds no slot */
	now_ms += 20000;
	assert_int_equal(guard_connect(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	/* allow_ip is exempt from everything */
	sa4(&sin, "192.0.2.9");
	assert_int_equal(guard_client_init(&x, &c, (struct sockaddr *)&sin), 0);
	assert_true(x.allowed);
	for (int i = 0; i < 5; i++)
		assert_int_equal(guard_connect(g, &c, &x, reply, sizeof(reply)), GUARD_PASS);
	guard_refused(g, 0, GUARD_CONN_LIMIT, "192.0.2.1");
	assert_int_equal(g->refused[GUARD_CONN_LIMIT], 1);
	guard_free(g);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_math),
		cmocka_unit_test(test_bucket_keys),
		cmocka_unit_test(test_client_init),
		cmocka_unit_test(test_connect_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
