/* Attack protection at the SMTP door (docs/guard.md): token buckets,
 * concurrent connections per client, greylisting and static recipient
 * validation, with their state behind the kv interface (store/kv.h) so
 * that several nodes can share it. Time is injected for the tests. */
#ifndef MG_GUARD_GUARD_H
#define MG_GUARD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "store/kv.h"

#define GUARD_REPLY_MAX	128		/* bytes of a refusal line */

/* Why a client was refused; GUARD_PASS is no refusal. */
enum guard_reason {
	GUARD_PASS,
	GUARD_CONN_LIMIT,		/* max_connections_per_ip */
	GUARD_CONN_RATE_IP,
	GUARD_CONN_RATE_NET,
	GUARD_MSG_RATE_IP,
	GUARD_MSG_RATE_SENDER,
	GUARD_RCPT_RATE_IP,
	GUARD_UNKNOWN_RCPT,		/* recipient validation: no such user */
	GUARD_UNKNOWN_LIMIT,		/* recipients.max_unknown passed */
	GUARD_GREYLISTED,
	GUARD_PREGREET,			/* talked before the banner */
	GUARD_PREGREET_LISTED,		/* did so within pregreet.remember */
	GUARD_PIPELINING,		/* strict_pipelining */
	GUARD_IDLE_COMMANDS,		/* max_idle_commands passed */
	GUARD_DNSBL,			/* screen: listed weight >= threshold */
	GUARD_RDNS,			/* screen: no forward-confirmed rDNS */
	GUARD_MSG_RATE_RCPT_DOMAIN,	/* messages_per_rcpt_domain */
	GUARD_MSG_RATE_USER,		/* messages_per_user */
	GUARD_AUTH_FAILURES,		/* auth_failures_per_ip */
};
#define GUARD_NREASONS	19
extern const char *const guard_reason_names[];	/* "pass", "conn_limit", ... */

/* Token bucket (as GCRA: one stored number, the theoretical arrival time
 * in microseconds): up to r->burst events at once, then one every
 * r->per / r->rate seconds. 1 when the event may go (and is counted), 0
 * when refused with *wait_ms until it would go, or a negative kv error.
 * A rate of 0 always gives 1 and touches nothing. */
int	guard_bucket_take(struct kv *, const char *key, const struct conf_guard_rate *r,
	    uint64_t now_ms, uint64_t *wait_ms);
/* Whether guard_bucket_take would let the event go now, touching nothing. */
int	guard_bucket_peek(struct kv *, const char *key, const struct conf_guard_rate *r,
	    uint64_t now_ms, uint64_t *wait_ms);

/* Greylisting of one triplet key. */
enum guard_grey {
	GUARD_GREY_NEW,			/* first seen now: refuse */
	GUARD_GREY_EARLY,		/* retried before the delay: refuse */
	GUARD_GREY_PASSED,		/* retried in the window: now allowed */
	GUARD_GREY_ALLOWED,		/* allowed before (auto_allow running) */
};
/* The state of key at now (seconds), updated; *wait_s is how long a
 * refused client should wait. A negative kv error. */
int	guard_greylist(struct kv *, const struct conf_greylist *, const char *key, time_t now,
	    uint32_t *wait_s);

/* What the guard knows about one connection. */
struct guard_client {
	char		 ip[INET6_ADDRSTRLEN];
	char		 net[INET6_ADDRSTRLEN + 4];	/* "192.0.2.0/24", "2001:db8::/64" */
	bool		 allowed;	/* in allow_ip: exempt from everything */
	bool		 dnswl;		/* screen found it allow-listed: no greylisting */
	bool		 counted;	/* holds a concurrent-connection slot */
	uint32_t	 unknown;	/* unknown recipients so far */
};
/* -MG_EINVAL for an address that is not IPv4 or IPv6. */
int	guard_client_init(struct guard_client *, const struct conf_guard *,
	    const struct sockaddr *);

/* The guard of one process: the kv holding the state, its clock, and the
 * refusals counted by reason. */
struct guard {
	struct kv	*kv;
	uint64_t	(*clock_ms)(void);
	uint64_t	 refused[GUARD_NREASONS];
};
/* Takes kv (closed by guard_free); clock_ms NULL = the real time. */
struct guard *guard_new(struct kv *, uint64_t (*clock_ms)(void));
struct guard *guard_free(struct guard *);

/* The checks of each stage: GUARD_PASS, or a reason with the reply line
 * (no CRLF) in reply. A kv failure lets the client pass, with a warning. */
enum guard_reason guard_connect(struct guard *, const struct conf_guard *,
	    struct guard_client *, char *reply, size_t cap);
/* Gives back the slot of guard_connect (when it took one). */
void	guard_disconnect(struct guard *, struct guard_client *);
enum guard_reason guard_mail(struct guard *, const struct conf_guard *,
	    const struct guard_client *, const char *sender, char *reply, size_t cap);
/* MAIL of an authenticated client: messages_per_user (451 4.7.1). */
enum guard_reason guard_mail_user(struct guard *, const struct conf_guard *,
	    const struct guard_client *, const char *user, char *reply, size_t cap);
/* AUTH: GUARD_AUTH_FAILURES (421 4.7.0) when the client's
 * auth_failures_per_ip bucket is empty, without taking from it. */
enum guard_reason guard_auth(struct guard *, const struct conf_guard *,
	    const struct guard_client *, char *reply, size_t cap);
/* A failed AUTH takes a token of auth_failures_per_ip. */
void	guard_auth_failed(struct guard *, const struct conf_guard *,
	    const struct guard_client *);
/* RCPT, before the recipient is validated: recipients_per_ip. */
enum guard_reason guard_rcpt(struct guard *, const struct conf_guard *,
	    const struct guard_client *, char *reply, size_t cap);
/* The recipient does not exist: GUARD_UNKNOWN_RCPT (550 5.1.1), or
 * GUARD_UNKNOWN_LIMIT (421) once recipients.max_unknown is passed. */
enum guard_reason guard_rcpt_unknown(const struct conf_guard *, struct guard_client *,
	    char *reply, size_t cap);
/* The recipient exists (or is not validated): messages_per_rcpt_domain,
 * then greylisting unless greylist is false (outbound listener, trusted
 * client). */
enum guard_reason guard_rcpt_accept(struct guard *, const struct conf_guard *,
	    const struct guard_client *, bool greylist, const char *sender,
	    const char *rcpt, char *reply, size_t cap);

/* guard_door.c: pre-greeting, tarpit. */
/* A client that talked before the banner: remembered (pregreet.remember
 * seconds) so that guard_connect refuses its next connections. */
void	guard_pregreet_remember(struct guard *, const struct conf_guard *,
	    const struct guard_client *);
/* GUARD_PREGREET_LISTED with a 421 reply when the client is remembered. */
enum guard_reason guard_pregreet_listed(struct guard *, const struct conf_guard *,
	    const struct guard_client *, char *reply, size_t cap);
/* Milliseconds the n-th error reply of a session waits (n from 1):
 * min(step x n, max), 0 when the tarpit is off. */
uint32_t guard_tarpit_ms(const struct conf_tarpit *, uint32_t n);

/* guard_screen.c: what the connection screen found out about a client. */
enum guard_rdns {
	GUARD_RDNS_UNKNOWN,		/* not looked up, failed or timed out */
	GUARD_RDNS_NONE,		/* no PTR record */
	GUARD_RDNS_UNCONFIRMED,		/* the PTR name does not lead back */
	GUARD_RDNS_CONFIRMED,
};
struct guard_screen {
	uint32_t	 listed;	/* bit i: screen.zones[i] lists the client */
	enum guard_rdns	 rdns;
	bool		 failed;	/* a lookup failed: not cached */
};
/* The summed weight of the zones listing the client. */
int64_t	guard_screen_score(const struct conf_screen *, const struct guard_screen *);
/* Whether that sum puts the client on the allow side (screen.allow_threshold,
 * DNSWL zones with negative weights): it is not greylisted. */
bool	guard_screen_allowed(const struct conf_screen *, const struct guard_screen *);
/* Whether the A answer a (host order) of zone z means listed. */
bool	guard_screen_code(const struct conf_screen_zone *, uint32_t a);
/* GUARD_PASS, GUARD_DNSBL (554 naming the heaviest listing zone) or
 * GUARD_RDNS (450 4.7.25 with rdns = require) with the reply. */
enum guard_reason guard_screen_verdict(const struct conf_screen *,
	    const struct guard_screen *, const char *ip, char *reply, size_t cap);
/* The result cached for ip (1), none (0), or a negative kv error. */
int	guard_screen_cached(struct guard *, const char *ip, struct guard_screen *);
/* Caches r for GUARD_SCREEN_TTL seconds unless a lookup failed. */
void	guard_screen_store(struct guard *, const char *ip, const struct guard_screen *);
#define GUARD_SCREEN_TTL	300

/* Counts a refusal and logs "smtp refuse reason=R ip=IP" (after the
 * session id unless sid is 0). */
void	guard_refused(struct guard *, uint64_t sid, enum guard_reason, const char *ip);
/* One line with the refusals by reason. */
void	guard_log_stats(const struct guard *);

#endif
