/* engine.bayes (conf_bayes.h). */
#include <libconfig.h>

#include "core/conf_bayes.h"
#include "core/conf_parse.h"

void
conf_bayes_defaults(struct conf_bayes *c)
{
	c->enabled = true;
}

int
conf_load_bayes(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_bayes *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_bayes_free(struct conf_bayes *c)
{
	(void)c;
}
