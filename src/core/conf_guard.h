/* guard: attack protection at the SMTP door (docs/guard.md) -- rate
 * limits, concurrent connections per client, greylisting, static
 * recipient validation, pre-greeting, pipelining, tarpit and connection
 * screening (DNS lists, reverse DNS). Every protection is off by default. Loaded by
 * conf.c into struct mg_conf from the top-level `guard` group. */
#ifndef MG_CORE_CONF_GUARD_H
#define MG_CORE_CONF_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf_recipients.h"

struct conf_ctx;
struct conf_network;
struct config_setting_t;

#define CONF_GUARD_MAX_LIST	100000	/* elements of allow_ip, domains, static */

/* A token bucket: rate events per `per` seconds, at most burst at once.
 * rate 0 = no limit. */
struct conf_guard_rate {
	uint32_t	 rate;
	uint32_t	 per;
	uint32_t	 burst;
};

enum conf_guard_scope {
	CONF_GUARD_CONN_IP,		/* connections per client IP */
	CONF_GUARD_CONN_NET,		/* connections per /24 (IPv6 /64) */
	CONF_GUARD_MSG_IP,		/* MAIL commands per client IP */
	CONF_GUARD_RCPT_IP,		/* RCPT commands per client IP */
	CONF_GUARD_MSG_SENDER,		/* MAIL commands per envelope sender */
	CONF_GUARD_MSG_RCPT_DOMAIN,	/* RCPT commands per recipient domain */
	CONF_GUARD_MSG_USER,		/* MAIL commands per authenticated user */
	CONF_GUARD_AUTH_FAIL_IP,	/* failed AUTH per client IP */
};
#define CONF_GUARD_NSCOPES	8
extern const char *const conf_guard_scope_names[];	/* "connections_per_ip", ... */

struct conf_greylist {
	bool		 enabled;
	uint32_t	 delay;		/* seconds before a retry passes */
	uint32_t	 retry_window;	/* seconds after the delay a retry may come */
	uint32_t	 auto_allow;	/* seconds a passed triplet stays allowed */
	char		**domains;	/* lower case; none = every protected domain */
	size_t		 ndomains;
};

/* Pre-greeting detection: the banner waits delay_ms; a client that talks
 * first is refused and remembered for `remember` seconds. */
struct conf_pregreet {
	bool		 enabled;
	uint32_t	 delay_ms;
	uint32_t	 remember;
};

/* Each error reply waits min(step_ms x errors so far, max_ms). */
struct conf_tarpit {
	bool		 enabled;
	uint32_t	 step_ms;
	uint32_t	 max_ms;
};

/* screen: DNS lists scored at connect, reverse DNS (conf_guard.screen). */
#define CONF_SCREEN_MAX_ZONES	32
#define CONF_SCREEN_MAX_CODES	16

struct conf_screen_zone {
	char		*zone;		/* lower case */
	int32_t		 weight;	/* negative: an allow list (DNSWL) */
	uint32_t	 codes[CONF_SCREEN_MAX_CODES];	/* IPv4, host order; none = any */
	size_t		 ncodes;
};

enum conf_screen_rdns { CONF_RDNS_OFF, CONF_RDNS_LOG, CONF_RDNS_REQUIRE };

struct conf_screen {
	struct conf_screen_zone *zones;
	size_t		 nzones;
	uint32_t	 threshold;	/* summed weight that refuses */
	int32_t		 allow_threshold;	/* summed weight at or below which the
					 * client counts as allow-listed (DNSWL):
					 * no greylisting; 0 = off */
	enum conf_screen_rdns rdns;
	uint32_t	 timeout_ms;	/* bound of all lookups together */
};

/* The commands that move no mail, each with its own per-connection
 * ceiling (guard.max_rset, ...) besides max_idle_commands for them all. */
#define CONF_IDLE_KINDS	4	/* RSET, NOOP, HELP, VRFY */

struct conf_guard {
	struct conf_guard_rate rates[CONF_GUARD_NSCOPES];
	uint32_t	 max_connections_per_ip;	/* 0 = no limit */
	struct conf_network *allow;	/* exempt from every protection */
	size_t		 nallow;
	struct conf_greylist greylist;
	struct conf_recipients recipients;
	struct conf_pregreet pregreet;
	bool		 strict_pipelining;	/* commands pipelined without PIPELINING: 554 */
	struct conf_tarpit tarpit;
	uint32_t	 max_idle_commands;	/* RSET+NOOP+HELP+VRFY; 0 = no limit */
	uint32_t	 max_each[CONF_IDLE_KINDS];	/* max_rset, max_noop, max_help, max_vrfy */
	struct conf_screen screen;	/* off: no zones and rdns off */
};

/* Everything off; allocates nothing. */
void	conf_guard_defaults(struct conf_guard *);
/* g is the top-level guard setting, or NULL (defaults stay). 0, or -1 with
 * "FILE:LINE: reason" written through conf_fail. */
int	conf_load_guard(struct conf_ctx *, const struct config_setting_t *g, struct conf_guard *);
void	conf_guard_free(struct conf_guard *);

#endif
