/* Connection counts of smtpd for the statistics (docs/guard.md): every
 * accepted connection, accepted message and refusal, counted per minute,
 * client address and event in memory and sent to queued (which adds them
 * to the store) every few seconds as PROTO_CONN_STATS frames. */
#ifndef MG_DAEMON_SMTPD_STATS_H
#define MG_DAEMON_SMTPD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>

#define SMTPD_STATS_FLUSH_SECONDS	10
#define SMTPD_STATS_KEYS_MAX		20000	/* (minute, ip, event) per interval */
#define SMTPD_STATS_OTHER_MAX		256	/* more keys, for ip "other" only */

struct smtpd_notify;
struct smtpd_stats;

/* Sends notify the counts every SMTPD_STATS_FLUSH_SECONDS; NULL when out
 * of memory. */
struct smtpd_stats *smtpd_stats_new(struct event_base *, struct smtpd_notify *);
/* Sends what is counted (waiting up to a second for it to be written),
 * then frees. Call before freeing notify; the loop need not run. */
struct smtpd_stats *smtpd_stats_free(struct smtpd_stats *);
/* One event for client ip now: "connect", "message" or a guard reason name
 * ([a-z0-9_], < 32 bytes: anything else is a bug). An ip that is not an
 * address (NULL, "") counts as "other", as do new addresses once the
 * interval holds SMTPD_STATS_KEYS_MAX keys. O(1); s NULL does nothing. */
void	smtpd_stats_count(struct smtpd_stats *, const char *ip, const char *event);

/* smtpd_commit.c: sends one or more whole encoded frames to queued. 0, or
 * -MG_EAGAIN when queued cannot be reached or is too far behind (nothing
 * sent). With sync, also writes out everything pending before returning
 * (at most a second; -MG_EIO if it could not): for the last frames, when
 * the event loop no longer runs. */
int	smtpd_notify_frames(struct smtpd_notify *, const void *frames, size_t len,
	    bool sync);

#endif
