/* engine.dkim: DKIM verification settings and the outbound signing keys.
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_DKIM_H
#define MG_CORE_CONF_DKIM_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_dkim {
	bool		 enabled;
};

void	conf_dkim_defaults(struct conf_dkim *);
/* g is the engine.dkim setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_dkim(struct conf_ctx *, const struct config_setting_t *g, struct conf_dkim *);
void	conf_dkim_free(struct conf_dkim *);

#endif
