/* engine.rules: content rule files (docs/rules.md).
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_RULES_H
#define MG_CORE_CONF_RULES_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_rules {
	bool		 enabled;
};

void	conf_rules_defaults(struct conf_rules *);
/* g is the engine.rules setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_rules(struct conf_ctx *, const struct config_setting_t *g, struct conf_rules *);
void	conf_rules_free(struct conf_rules *);

#endif
