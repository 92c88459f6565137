/* Exponential back-off with jitter for queue retries (see backoff.h). Pure
 * functions: the caller supplies the random number, so tests can pin it. */
#include "queue/backoff.h"

uint32_t
backoff_base(unsigned attempts, uint32_t min, uint32_t max)
{
	uint64_t delay = min;

	if (attempts == 0)
		attempts = 1;
	for (unsigned i = 1; i < attempts && delay < max; i++)
		delay *= 2;
	return delay < max ? (uint32_t)delay : max;
}

uint32_t
backoff_delay(unsigned attempts, uint32_t min, uint32_t max, uint32_t rnd)
{
	uint64_t base = backoff_base(attempts, min, max);
	/* span is 20% of base; offset runs over [0, span] and is centred */
	uint64_t span = base / 5;
	uint64_t offset = span ? (uint64_t)rnd % (span + 1) : 0;
	uint64_t delay = base - span / 2 + offset;

	return delay < 1 ? 1 : (uint32_t)delay;
}
