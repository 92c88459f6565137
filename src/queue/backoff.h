/* Retry schedule for deferred messages: exponential back-off from
 * queue.retry_min doubling up to queue.retry_max, with +-10% jitter so that
 * messages deferred together do not all come back in the same second. */
#ifndef MG_QUEUE_BACKOFF_H
#define MG_QUEUE_BACKOFF_H

#include <stdint.h>

/* Delay in seconds before the retry that follows attempt number attempts
 * (1 = the first attempt failed): min(max, min * 2^(attempts-1)).
 * attempts 0 is treated as 1. */
uint32_t backoff_base(unsigned attempts, uint32_t min, uint32_t max);

/* backoff_base with jitter: rnd (uniform over uint32_t) moves the delay
 * by up to 10% either way; never below 1 second. */
uint32_t backoff_delay(unsigned attempts, uint32_t min, uint32_t max, uint32_t rnd);

#endif
