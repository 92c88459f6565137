/* engine.reputation: DNS block and allow lists (client IP and the domains
 * of a message), local allow/block lists, and learned sender reputation.
 * Loaded by conf.c into struct conf_engine; documented in docs/reputation.md. */
#ifndef MG_CORE_CONF_REPUTATION_H
#define MG_CORE_CONF_REPUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;
struct conf_network;		/* conf.h */

#define CONF_REP_MAX_ZONES	64	/* dnsbl + dnswl + uribl */
#define CONF_REP_MAX_CODES	64	/* code entries of one zone */
#define CONF_REP_MAX_LIST	100000	/* entries of one local list */
#define CONF_REP_SYMBOL_MAX	64	/* bytes of a symbol name, "_FAIL" added */

enum conf_zone_list { CONF_ZONE_DNSBL, CONF_ZONE_DNSWL, CONF_ZONE_URIBL };
enum conf_zone_type { CONF_ZONE_IP, CONF_ZONE_DOMAIN };

/* One entry of a zone's codes: the answers (A records) it stands for. */
struct conf_zone_code {
	uint32_t	*codes;		/* exact answers, host byte order; or */
	size_t		 ncodes;
	uint32_t	 mask;		/* bits of the answer's low 24 bits; 0 = codes */
	char		*symbol;
	double		 score;
	int		 category;	/* enum mg_category */
	int		 line;
};

struct conf_zone {
	char		*zone;		/* lower case, no final dot */
	enum conf_zone_list list;
	enum conf_zone_type type;
	char		*symbol;	/* fires for an answer when there are no codes */
	char		*fail_symbol;	/* symbol + "_FAIL": timeouts, refusals; 0 */
	double		 score;
	double		 weight;	/* multiplies the score of every symbol of the zone */
	int		 category;
	bool		 sender;	/* domain zones: sender domains too, not only URLs */
	uint32_t	*refused;	/* answers meaning "query refused" (_FAIL note) */
	size_t		 nrefused;
	struct conf_zone_code *codes;
	size_t		 ncodes;
	int		 line;
};

enum conf_list_kind {
	CONF_LIST_IP,		/* client address: CIDR */
	CONF_LIST_SENDER,	/* envelope sender and header From: address */
	CONF_LIST_DOMAIN,	/* their domains: "example.org" or ".example.org" */
	CONF_LIST_HELO,		/* HELO name: as domain, or "[192.0.2.1]" */
	CONF_LIST_RCPT,		/* recipients: address or domain */
};
#define CONF_LIST_KINDS	5

struct conf_list {
	struct conf_network *nets;	/* CONF_LIST_IP */
	char		**names;	/* the others, lower case */
	size_t		 n;
};

/* engine.reputation.history: learned sender reputation. */
struct conf_history {
	bool		 enabled;
	bool		 persist;	/* keep the state in a file across restarts */
	char		*state;		/* absolute; NULL = reputation.kv by the store */
	uint32_t	 min_messages;	/* (decayed) verdicts before a key scores */
	double		 half_life_days;
	uint32_t	 max_memory;	/* MiB of state kept in memory */
	uint32_t	 save_interval;	/* seconds between snapshots; 0 = at stop only */
	double		 clean_max_score;	/* accepted mail at most this learns clean */
};

struct conf_reputation {
	struct conf_zone *zones;	/* dnsbl, then dnswl, then uribl, in file order */
	size_t		 nzones;
	bool		 check_private;	/* dnsbl_check_private: loopback, private too */
	uint32_t	 max_domains;	/* distinct URL domains looked up per message */
	struct conf_list allow[CONF_LIST_KINDS];
	struct conf_list block[CONF_LIST_KINDS];
	struct conf_history history;
	/* Not a setting: the process that owns the state (scand) sets it
	 * before opening the engine; others read the state and never save. */
	bool		 writer;
};

extern const char *const conf_list_kind_names[];	/* "ip", "sender", ... */

/* Nothing that needs the Internet: no zones, empty lists. Allocates nothing. */
void	conf_reputation_defaults(struct conf_reputation *);
/* g is the engine.reputation setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_reputation(struct conf_ctx *, const struct config_setting_t *g,
	    struct conf_reputation *);
void	conf_reputation_free(struct conf_reputation *);

#endif
