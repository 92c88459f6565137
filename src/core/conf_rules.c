/* engine.rules (conf_rules.h). */
#include <libconfig.h>

#include "core/conf_rules.h"
#include "core/conf_parse.h"

void
conf_rules_defaults(struct conf_rules *c)
{
	c->enabled = true;
}

int
conf_load_rules(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_rules *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_rules_free(struct conf_rules *c)
{
	(void)c;
}
