/* engine.landing: the optional landing-page fetcher (docs/landing.md):
 * which links are fetched, by which worker, under which limits. Off by
 * default. */
#ifndef MG_CORE_CONF_LANDING_H
#define MG_CORE_CONF_LANDING_H

#include <stdbool.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_LANDING_UA_MAX	256	/* bytes of user_agent */

struct conf_landing {
	bool		 enabled;
	char		*fetcher;	/* absolute; NULL: mailgate-fetch beside the program */
	uint32_t	 max_urls;	/* links fetched per message */
	uint32_t	 max_bytes;	/* body bytes kept per page */
	uint32_t	 timeout_ms;	/* whole fetch, redirects included */
	uint32_t	 max_redirects;
	bool		 allow_private;	/* fetch loopback/private addresses (tests only) */
	char		*user_agent;	/* NULL: the built-in one (fetch/fetch.h) */
	uint32_t	 cache_ttl;	/* seconds a URL's result is reused */
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_landing_defaults(struct conf_landing *);
/* g is the engine.landing setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_landing(struct conf_ctx *, const struct config_setting_t *g, struct conf_landing *);
void	conf_landing_free(struct conf_landing *);

#endif
