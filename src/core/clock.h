/* The monotonic clock every deadline, timeout and rate is measured on,
 * and the date of the messages the gateway writes. */
#ifndef MG_CORE_CLOCK_H
#define MG_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

#define MG_DATE_LEN	40	/* bytes of an RFC 5322 date with the NUL */

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

/* t as an RFC 5322 date-time in UTC: "Tue, 24 Nov 2026 23:40:00 +0000",
 * names in English whatever the locale. */
void	mg_date_rfc5322(time_t t, char out[MG_DATE_LEN]);

#endif
