/* engine.reputation (conf_reputation.h). */
#include <libconfig.h>

#include "core/conf_reputation.h"
#include "core/conf_parse.h"

void
conf_reputation_defaults(struct conf_reputation *c)
{
	c->enabled = true;
}

int
conf_load_reputation(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_reputation *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_reputation_free(struct conf_reputation *c)
{
	(void)c;
}
