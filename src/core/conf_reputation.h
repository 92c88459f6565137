/* engine.reputation: DNS block and allow lists, local lists and learned sender reputation.
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_REPUTATION_H
#define MG_CORE_CONF_REPUTATION_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_reputation {
	bool		 enabled;
};

void	conf_reputation_defaults(struct conf_reputation *);
/* g is the engine.reputation setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_reputation(struct conf_ctx *, const struct config_setting_t *g, struct conf_reputation *);
void	conf_reputation_free(struct conf_reputation *);

#endif
