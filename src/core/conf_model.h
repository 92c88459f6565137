/* engine.model: the trained model on hashed features.
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_MODEL_H
#define MG_CORE_CONF_MODEL_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_model {
	bool		 enabled;
};

void	conf_model_defaults(struct conf_model *);
/* g is the engine.model setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_model(struct conf_ctx *, const struct config_setting_t *g, struct conf_model *);
void	conf_model_free(struct conf_model *);

#endif
