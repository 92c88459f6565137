/* The monotonic clock (clock.h). */
#include <time.h>

#include "core/clock.h"

uint64_t
mg_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
