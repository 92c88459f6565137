/* engine.dkim (conf_dkim.h). */
#include <libconfig.h>

#include "core/conf_dkim.h"
#include "core/conf_parse.h"

void
conf_dkim_defaults(struct conf_dkim *c)
{
	c->enabled = true;
}

int
conf_load_dkim(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_dkim *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_dkim_free(struct conf_dkim *c)
{
	(void)c;
}
