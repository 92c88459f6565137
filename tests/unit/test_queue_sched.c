/* The message schedule: earliest due first, lookups by id, active messages
 * leaving and re-entering the heap, flush and removal; checked against a
 * brute-force model with random operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/err.h"
#include "queue/scheduler.h"

static void
test_order_and_lookup(void **state)
{
	struct sched *s = sched_new();
	static const struct { uint64_t id; time_t due; } in[] = {
		{ 5, 50 }, { 1, 10 }, { 3, 30 }, { 2, 20 }, { 4, 40 },
	};
	struct sched_msg *m;
	time_t due;

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(sched_add(s, in[i].id, in[i].due, false), 0);
	assert_int_equal(sched_add(s, 3, 1, false), -MG_EEXIST);
	assert_int_equal(sched_count(s), 5);
	assert_true(sched_earliest(s, &due));
	assert_int_equal(due, 10);
	assert_null(sched_take_due(s, 9));		/* nothing due yet */
	for (uint64_t want = 1; want <= 3; want++) {
		m = sched_take_due(s, 30);
		if (m == NULL || m->id != want)
			fail_msg("got id %llu, want %llu", m ? (unsigned long long)m->id : 0ULL,
			    (unsigned long long)want);
		assert_true(m->active);
	}
	assert_null(sched_take_due(s, 30));
	assert_int_equal(sched_waiting(s), 2);
	m = sched_find(s, 2);
	assert_non_null(m);
	assert_true(m->active);
	sched_set_due(s, m, 5);			/* back in the heap, now earliest */
	assert_false(m->active);
	assert_true(m->pinned);
	assert_true(sched_earliest(s, &due));
	assert_int_equal(due, 5);
	sched_remove(s, sched_find(s, 1));	/* active message removed */
	sched_remove(s, sched_find(s, 4));	/* waiting message removed */
	assert_null(sched_find(s, 4));
	assert_int_equal(sched_count(s), 3);
	assert_int_equal(sched_flush_all(s, 1), 2);	/* ids 2 and 5 wait; 3 is active */
	m = sched_take_due(s, 1);
	assert_non_null(m);
	assert_true(m->id == 2 || m->id == 5);
	s = sched_free(s);
	assert_null(s);
}

/* Random operations against a plain array model. */
static void
test_random_model(void **state)
{
	enum { N = 2000 };
	static time_t model_due[N + 1];
	static int model_state[N + 1];	/* 0 absent, 1 waiting, 2 active */
	struct sched *s = sched_new();
	unsigned seed = 12345;

	for (int step = 0; step < 50000; step++) {
		uint64_t id = 1 + (uint64_t)(rand_r(&seed) % N);
		time_t now = rand_r(&seed) % 1000;
		struct sched_msg *m = sched_find(s, id);

		if ((m != NULL) != (model_state[id] != 0))
			fail_msg("step %d: id %llu presence differs", step, (unsigned long long)id);
		switch (rand_r(&seed) % 4) {
		case 0:
			if (sched_add(s, id, now, false) == 0) {
				model_state[id] = 1;
				model_due[id] = now;
			}
			break;
		case 1:
			if (m != NULL) {
				sched_set_due(s, m, now);
				model_state[id] = 1;
				model_due[id] = now;
			}
			break;
		case 2:
			if (m != NULL) {
				sched_remove(s, m);
				model_state[id] = 0;
			}
			break;
		default: {
			time_t best = 1 << 30;
			for (int k = 1; k <= N; k++)
				if (model_state[k] == 1 && model_due[k] < best)
					best = model_due[k];
			m = sched_take_due(s, now);
			if (best > now && m != NULL)
				fail_msg("step %d: took due %ld at %ld", step, (long)m->due, (long)now);
			if (best <= now && (m == NULL || m->due != best))
				fail_msg("step %d: got due %ld, want %ld", step,
				    m ? (long)m->due : -1L, (long)best);
			if (m != NULL)
				model_state[m->id] = 2;
		}
		}
	}
	sched_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_lookup),
		cmocka_unit_test(test_random_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
