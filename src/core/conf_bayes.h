/* engine.bayes: the OSB Bayes classifier and its token store.
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_BAYES_H
#define MG_CORE_CONF_BAYES_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_bayes {
	bool		 enabled;
};

void	conf_bayes_defaults(struct conf_bayes *);
/* g is the engine.bayes setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_bayes(struct conf_ctx *, const struct config_setting_t *g, struct conf_bayes *);
void	conf_bayes_free(struct conf_bayes *);

#endif
