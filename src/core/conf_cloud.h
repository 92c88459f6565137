/* engine.cloud: the remote URL reputation service asked by the url_cloud
 * check (docs/cloud.md): endpoint, time limits, cache and circuit breaker.
 * Loaded by conf.c into struct conf_engine. */
#ifndef MG_CORE_CONF_CLOUD_H
#define MG_CORE_CONF_CLOUD_H

#include <stdbool.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_CLOUD_DEFAULT_URL	"http://127.0.0.1:8091/v1/lookup"
#define CONF_CLOUD_MAX_URL	2048	/* bytes of the endpoint */

struct conf_cloud {
	bool		 enabled;
	char		*url;		/* http:// or https://; NULL = CONF_CLOUD_DEFAULT_URL */
	char		*api_key_file;	/* absolute; NULL = no Authorization header */
	uint32_t	 timeout_ms;	/* connect + whole request, 50..10000 */
	uint32_t	 max_urls;	/* URLs asked about per message */
	uint32_t	 cache_ttl;	/* seconds an answer is kept; 0 = no cache */
	uint32_t	 cache_entries;	/* answers kept; 0 = no cache */
	uint32_t	 breaker_failures;	/* consecutive failures that open the circuit */
	uint32_t	 breaker_open_seconds;	/* before one probe request is let through */
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_cloud_defaults(struct conf_cloud *);
/* g is the engine.cloud setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_cloud(struct conf_ctx *, const struct config_setting_t *g, struct conf_cloud *);
void	conf_cloud_free(struct conf_cloud *);
/* c->url, or the built-in default. */
const char *conf_cloud_url(const struct conf_cloud *c);

#endif
