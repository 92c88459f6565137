/* Retry back-off: the documented schedule (1, 2, 4, ... 60 minutes for the
 * defaults), the +-10% jitter bounds, and no overflow for huge counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "queue/backoff.h"

static void
test_schedule_defaults(void **state)
{
	/* attempts -> minutes, for retry_min 60 s and retry_max 3600 s */
	static const struct { unsigned attempts; uint32_t want; } cases[] = {
		{ 0, 60 }, { 1, 60 }, { 2, 120 }, { 3, 240 }, { 4, 480 }, { 5, 960 },
		{ 6, 1920 }, { 7, 3600 }, { 8, 3600 }, { 50, 3600 }, { 100000, 3600 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t got = backoff_base(cases[i].attempts, 60, 3600);
		if (got != cases[i].want)
			fail_msg("case %zu: attempts %u: got %u s, want %u s", i,
			    cases[i].attempts, got, cases[i].want);
	}
}

static void
test_schedule_edges(void **state)
{
	static const struct { unsigned attempts; uint32_t min, max, want; } cases[] = {
		{ 1, 1, 1, 1 },			/* smallest configuration */
		{ 40, 1, 604800, 604800 },	/* 2^39 s would overflow 32 bits */
		{ 3, 86400, 604800, 345600 },
		{ 5, 86400, 604800, 604800 },
		{ 2, 100, 150, 150 },		/* cap below the doubled value */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t got = backoff_base(cases[i].attempts, cases[i].min, cases[i].max);
		if (got != cases[i].want)
			fail_msg("case %zu: got %u, want %u", i, got, cases[i].want);
	}
}

static void
test_jitter_bounds(void **state)
{
	static const uint32_t rnds[] = { 0, 1, 7, 12345, 0x7fffffffu, 0xfffffffeu, 0xffffffffu };

	for (unsigned attempts = 1; attempts < 10; attempts++) {
		uint32_t base = backoff_base(attempts, 60, 3600);
		uint32_t lo = base - base / 10, hi = base + base / 10;
		uint32_t seen_lo = UINT32_MAX, seen_hi = 0;

		for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
			uint32_t got = backoff_delay(attempts, 60, 3600, rnds[i]);
			if (got < lo || got > hi)
				fail_msg("attempts %u rnd %u: got %u, want %u..%u", attempts,
				    rnds[i], got, lo, hi);
			seen_lo = got < seen_lo ? got : seen_lo;
			seen_hi = got > seen_hi ? got : seen_hi;
		}
		/* the jitter really moves the delay */
		if (seen_lo == seen_hi)
			fail_msg("attempts %u: no jitter (always %u)", attempts, seen_lo);
	}
	/* never below one second */
	assert_true(backoff_delay(1, 1, 1, 0) >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_defaults),
		cmocka_unit_test(test_schedule_edges),
		cmocka_unit_test(test_jitter_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
