/* engine.model: the trained model on hashed features (docs/accuracy.md).
 * Loaded by conf.c into struct conf_engine. Without a path the model check
 * adds nothing and every symbol keeps its configured score. */
#ifndef MG_CORE_CONF_MODEL_H
#define MG_CORE_CONF_MODEL_H

struct conf_ctx;
struct config_setting_t;

struct conf_model {
	char		*path;		/* model file (mailgate train), absolute; NULL = none */
};

void	conf_model_defaults(struct conf_model *);
/* g is the engine.model setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_model(struct conf_ctx *, const struct config_setting_t *g, struct conf_model *);
void	conf_model_free(struct conf_model *);

#endif
