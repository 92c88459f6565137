/* The configuration of mailgated: loaded from a libconfig file, validated
 * completely (errors name file, line and reason), then read-only. Every
 * numeric setting has a default, a minimum and a maximum (conf.c's table). */
#ifndef MG_CORE_CONF_H
#define MG_CORE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/conf_auth.h"
#include "core/conf_bayes.h"
#include "core/conf_account.h"
#include "core/conf_bec.h"
#include "core/conf_bulk.h"
#include "core/conf_cloud.h"
#include "core/conf_dangerous.h"
#include "core/conf_dkim.h"
#include "core/conf_guard.h"
#include "core/conf_intel.h"
#include "core/conf_images.h"
#include "core/conf_landing.h"
#include "core/conf_phish.h"
#include "core/conf_portal.h"
#include "core/conf_model.h"
#include "core/conf_quarantine.h"
#include "core/conf_reputation.h"
#include "core/conf_av.h"
#include "core/conf_rules.h"
#include "core/conf_yara.h"
#include "core/log.h"

enum conf_role { CONF_ROLE_INBOUND, CONF_ROLE_OUTBOUND };

/* TLS on a listener. */
enum conf_listen_tls {
	CONF_LTLS_NONE,		/* no STARTTLS offered */
	CONF_LTLS_STARTTLS,	/* STARTTLS offered, optional */
	CONF_LTLS_REQUIRED,	/* STARTTLS offered, MAIL refused before it */
};

/* TLS policy when delivering to a route. */
enum conf_tls_policy {
	CONF_TLS_NONE,		/* never STARTTLS */
	CONF_TLS_OPPORTUNISTIC,	/* STARTTLS when offered, plaintext otherwise */
	CONF_TLS_REQUIRED,	/* STARTTLS or defer; certificate not verified */
	CONF_TLS_VERIFY,	/* STARTTLS with a verified certificate or defer */
};

/* SMTP AUTH on a listener (outbound only). */
enum conf_listen_auth {
	CONF_LAUTH_OFF,
	CONF_LAUTH_ON,		/* AUTH offered, optional */
	CONF_LAUTH_REQUIRED,	/* MAIL refused before AUTH */
};

/* One line "name:hash" of the users file; hash is crypt(3) text. */
struct conf_user {
	char		*name;
	char		*hash;
};
#define CONF_USERS_MAX		100000	/* lines of the users file */
#define CONF_USER_NAME_MAX	255	/* bytes, as SMTP_AUTH_USER_MAX */

struct conf_listener {
	char		*address;	/* as written: "127.0.0.1:2525", "[::1]:25" */
	char		 host[64];
	uint16_t	 port;
	enum conf_role	 role;
	enum conf_listen_tls tls;
	char		*tls_cert;	/* this listener's own certificate and key, */
	char		*tls_key;	/* or NULL to use tls.certificate/tls.key */
	enum conf_listen_auth auth;
	bool		 auth_plaintext;	/* AUTH allowed before STARTTLS */
	int		 line;		/* for messages about it */
};

/* Where mail for a protected domain (or the outbound smart host) goes. */
struct conf_route {
	char		*domain;	/* lower case; NULL for the outbound route */
	char		*host;		/* next hop, or NULL to look up MX */
	uint16_t	 port;
	enum conf_tls_policy tls;
	char		*auth_user;	/* AUTH PLAIN to the next hop, or NULL */
	char		*auth_password;
	int		 line;
};

struct conf_network {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
	unsigned	 prefix;
};

struct conf_limits {
	uint64_t	 max_message_size;	/* bytes, announced in SIZE */
	uint32_t	 max_line_length;	/* command and text lines, bytes */
	uint32_t	 max_recipients;	/* per message */
	uint32_t	 max_messages;		/* per session */
	uint32_t	 max_commands;		/* per session */
	uint32_t	 max_errors;		/* per session, then disconnect */
	uint32_t	 max_sessions;		/* concurrent, whole smtpd */
	uint32_t	 command_timeout;	/* seconds idle while waiting for a command */
	uint32_t	 data_timeout;		/* seconds idle while receiving DATA/BDAT */
	uint32_t	 session_timeout;	/* seconds a session may last at most */
	uint32_t	 drain_timeout;		/* seconds sessions may finish on SIGTERM */
	uint32_t	 scan_timeout;		/* seconds smtpd waits for scand */
};

struct conf_queue {
	uint32_t	 retry_min;		/* seconds before the first retry */
	uint32_t	 retry_max;		/* cap of the exponential back-off */
	uint32_t	 lifetime;		/* seconds before a deferred message bounces */
	uint32_t	 max_deliveries;	/* concurrent delivery connections */
	uint32_t	 max_per_destination;	/* concurrent connections to one next hop */
	uint32_t	 connect_timeout;	/* seconds */
	uint32_t	 reply_timeout;		/* seconds for each reply */
	uint32_t	 mx_port;		/* port used for hosts found by MX lookup */
};

/* The verdict vocabulary, shared by the engine's configuration and its
 * results (engine/engine.h). Names: conf_category_names, conf_action_names. */
enum mg_category {
	MG_CAT_CLEAN, MG_CAT_SPAM, MG_CAT_BULK, MG_CAT_PHISHING, MG_CAT_MALWARE,
	MG_CAT_BEC, MG_CAT_POLICY,
	MG_CAT_DANGEROUS,	/* a file that can run code but is not known malware */
};
#define MG_CAT_COUNT	8
/* In rising severity: HOLD keeps the message for an administrator's
 * review (a user cannot release it); a forced action only ever raises. */
enum mg_verdict_action {
	MG_VERDICT_ACCEPT, MG_VERDICT_TAG, MG_VERDICT_QUARANTINE, MG_VERDICT_HOLD,
	MG_VERDICT_REJECT,
};
extern const char *const conf_category_names[];	/* "clean", ...; NULL-terminated */
extern const char *const conf_action_names[];	/* "accept", ...; NULL-terminated */

/* One entry of engine.scores: overrides the built-in default of a symbol
 * (engine/symbol_defaults.c). Names are checked against that table when the
 * engine opens, which reports "FILE:LINE: unknown symbol". */
struct conf_symbol {
	char		*name;
	bool		 has_score;
	double		 score;
	int		 category;	/* enum mg_category, or -1: built-in */
	int		 force;		/* enum mg_verdict_action, or -1: built-in */
	int		 line;
};

/* Ceilings of the MIME parser for one message (engine.mime). */
struct conf_mime {
	uint32_t	 max_header_len;	/* bytes of one header section */
	uint32_t	 max_headers;		/* fields per section */
	uint32_t	 max_depth;		/* nesting of multipart/message */
	uint32_t	 max_parts;		/* parts in the whole tree */
	uint64_t	 max_decoded;		/* bytes decoded from one message */
};

struct conf_engine {
	struct conf_mime mime;
	double		 tag, quarantine, reject;	/* score thresholds */
	double		 task_timeout;		/* seconds for a whole scan */
	double		 check_timeout;		/* seconds for one check */
	struct conf_symbol *symbols;	/* in file order */
	size_t		 nsymbols;
	bool		 network;	/* checks may query DNS (engine.network) */
	struct conf_auth auth;
	struct conf_dkim dkim;
	struct conf_rules rules;
	struct conf_av	 av;
	struct conf_yara yara;
	struct conf_dangerous dangerous;
	struct conf_bayes bayes;
	struct conf_model model;
	struct conf_reputation reputation;
	struct conf_intel intel;
	struct conf_phish phish;
	struct conf_bec	 bec;
	struct conf_cloud cloud;
	struct conf_landing landing;
	struct conf_images images;
	struct conf_account account;
	struct conf_bulk bulk;
};

struct conf_resolver {
	char		*upstream;	/* "ip" or "ip@port"; NULL = system resolv.conf */
	uint32_t	 timeout;	/* seconds per query */
};

struct mg_conf {
	char		*path;		/* the file read */
	char		*hostname;	/* our name in banner, Received, HELO */
	char		*user;		/* children run as this user when started as root */
	char		*spool_dir;	/* absolute */
	char		*store_path;	/* SQLite database, absolute */
	enum log_level	 log_level;

	char		*tls_cert;	/* PEM files, absolute; NULL = no TLS */
	char		*tls_key;
	char		*tls_ca;	/* CA bundle for CONF_TLS_VERIFY; NULL = system */

	struct conf_listener *listeners;
	size_t		 nlisteners;
	struct conf_route *routes;	/* one per protected domain */
	size_t		 nroutes;
	struct conf_route outbound;	/* host NULL = MX lookup */
	struct conf_network *trusted;
	size_t		 ntrusted;
	char		*users_path;	/* the users file (SMTP AUTH), absolute, or NULL */
	struct conf_user *users;	/* sorted by name */
	size_t		 nusers;

	struct conf_limits limits;
	struct conf_queue queue;
	struct conf_resolver resolver;
	uint32_t	 scan_workers;
	struct conf_engine engine;
	struct conf_guard guard;
	struct conf_quarantine quarantine;
	struct conf_portal portal;
};

/* Loads and validates path. On error returns NULL and writes
 * "FILE:LINE: reason" (or "FILE: reason") into err. */
struct mg_conf	*conf_load(const char *path, char *err, size_t errlen);
struct mg_conf	*conf_free(struct mg_conf *);		/* returns NULL */
/* The engine settings of a configuration without a file (mailgate scan). */
void	conf_engine_defaults(struct conf_engine *);
void	conf_engine_free(struct conf_engine *);

/* The route for a recipient domain (case-insensitive), or NULL when the
 * domain is not protected. */
const struct conf_route *conf_route_for(const struct mg_conf *, const char *domain, size_t len);
bool	conf_is_trusted(const struct mg_conf *, const struct sockaddr *);
/* The users-file entry of name (case-sensitive), or NULL. */
const struct conf_user *conf_user_find(const struct mg_conf *, const char *name);
/* Whether addr (4 or 16 bytes by family) is in the network n. */
bool	conf_net_contains(const struct conf_network *n, int family, const uint8_t *addr);

#endif
