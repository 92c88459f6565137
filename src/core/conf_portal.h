/* portal: the user self-service portal, the quarantine digests and the
 * signed links between them (docs/portal.md). Loaded by conf.c
 * into struct mg_conf from the top-level `portal` group:
 *   portal = { enabled = true; listen = "127.0.0.1:8025";
 *              url = "https://mail.example.com"; link_days = 7;
 *              digest = { interval_hours = 24; max_items = 50; }; }; */
#ifndef MG_CORE_CONF_PORTAL_H
#define MG_CORE_CONF_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_PORTAL_HOST_MAX	64	/* bytes of the listen host with the NUL */
#define CONF_PORTAL_PORT	8025
#define CONF_PORTAL_URL_MAX	512	/* bytes of a resolved url with the NUL */
#define CONF_PORTAL_ADDR_MAX	320	/* bytes of a from/admin address with the NUL */

struct conf_portal_digest {
	bool		 enabled;	/* default true; sent only when the portal is enabled */
	uint32_t	 interval_hours;	/* 1 .. 168, default 24 */
	uint32_t	 max_items;	/* per digest, 1 .. 1000, default 50 */
};

struct conf_portal {
	bool		 enabled;	/* the HTTP portal runs (default false) */
	char		 listen_host[CONF_PORTAL_HOST_MAX];	/* default "127.0.0.1" */
	uint16_t	 listen_port;	/* default CONF_PORTAL_PORT */
	char		*url;		/* "http(s)://host[:port][/path]" without a
					 * trailing '/'; NULL = http://HOSTNAME:PORT */
	char		*key_file;	/* absolute; NULL = "portal.key" beside the store */
	uint32_t	 link_days;	/* digest links live, 1 .. 90, default 7 */
	uint32_t	 session_minutes;	/* 5 .. 1440, default 60 */
	uint32_t	 code_minutes;	/* one-time login codes, 1 .. 60, default 15 */
	struct conf_portal_digest digest;
	char		*from;		/* sender of digests and notices; NULL = postmaster@HOSTNAME */
	char		*admin;		/* notify=admin goes here; NULL = postmaster@HOSTNAME */
};

/* Allocates nothing. */
void	conf_portal_defaults(struct conf_portal *);
/* g is the portal setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_portal(struct conf_ctx *, const struct config_setting_t *g, struct conf_portal *);
void	conf_portal_free(struct conf_portal *);

/* Values in effect (the NULL defaults resolved); hostname is
 * mg_conf.hostname, store_path mg_conf's store path. 0, or -1 when the
 * result does not fit outlen. */
int	conf_portal_url(const struct conf_portal *, const char *hostname, char *out,
	    size_t outlen);
int	conf_portal_key_file(const struct conf_portal *, const char *store_path, char *out,
	    size_t outlen);
int	conf_portal_from(const struct conf_portal *, const char *hostname, char *out,
	    size_t outlen);
int	conf_portal_admin(const struct conf_portal *, const char *hostname, char *out,
	    size_t outlen);
/* Whether queued sends digests: portal and digest both enabled. */
bool	conf_portal_digests(const struct conf_portal *);

#endif
