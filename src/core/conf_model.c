/* engine.model (conf_model.h). */
#include <libconfig.h>

#include "core/conf_model.h"
#include "core/conf_parse.h"

void
conf_model_defaults(struct conf_model *c)
{
	c->enabled = true;
}

int
conf_load_model(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_model *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_model_free(struct conf_model *c)
{
	(void)c;
}
