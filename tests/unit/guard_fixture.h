/* The guard's state in unit tests: an in-process kv and a guard that both
 * read one injected clock (now_ms, moved by the test: no sleeps). Include
 * after cmocka.h. */
#ifndef MG_TESTS_GUARD_FIXTURE_H
#define MG_TESTS_GUARD_FIXTURE_H

#include <stdint.h>
#include <time.h>

#include "guard/guard.h"
#include "store/kv.h"

static uint64_t now_ms = 1700000000000ull;

static time_t
kv_clock(void)
{
	return (time_t)(now_ms / 1000);
}

static uint64_t
guard_clock(void)
{
	return now_ms;
}

/* A kv on the injected clock; fails the test when it cannot open. */
static struct kv *
open_kv(void)
{
	const struct kv_local_opts opts = { .clock = kv_clock };
	char err[256];
	struct kv *kv = kv_local_open(&opts, err, sizeof(err));

	if (kv == NULL)
		fail_msg("kv_local_open: %s", err);
	return kv;
}

#endif
