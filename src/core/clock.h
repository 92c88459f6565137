/* The monotonic clock every deadline, timeout and rate is measured on. */
#ifndef MG_CORE_CLOCK_H
#define MG_CORE_CLOCK_H

#include <stdint.h>

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t	mg_clock_ns(void);

static inline uint64_t
mg_clock_ms(void)
{
	return mg_clock_ns() / 1000000u;
}

static inline double
mg_clock_seconds(void)
{
	return (double)mg_clock_ns() / 1e9;
}

#endif
