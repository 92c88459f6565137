/* Hourly message and recipient counts of one sending account against a
 * learned baseline (an exponentially weighted average of its hourly
 * counts), kept in the shared kv (rep_state_open) for the account check. */
#ifndef MG_LEARN_ACCOUNT_RATE_H
#define MG_LEARN_ACCOUNT_RATE_H

#include <stdint.h>
#include <time.h>

#include "store/kv.h"

#define ACCOUNT_RATE_PREFIX	"acct:rate:"

struct account_rate {
	int64_t		 hour;		/* Unix hour of the counts */
	double		 msgs, rcpts;	/* counted this hour */
	double		 base_msgs;	/* hourly averages of the hours before */
	double		 base_rcpts;
	double		 hours;		/* hours the average has seen, capped */
};

/* Counts one message to nrcpts recipients from account (a lower case
 * address) at now (Unix seconds): earlier hours fold into the baseline
 * with weight 1/baseline_hours each (hours without mail count as zero).
 * *out gets the state after counting. 0, -MG_ELIMIT for an account too
 * long for a key, or the kv's error. */
int	account_rate_count(struct kv *, const char *account, uint32_t nrcpts,
	    uint32_t baseline_hours, time_t now, struct account_rate *out);

#endif
