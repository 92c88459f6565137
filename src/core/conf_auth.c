/* engine.auth (conf_auth.h). */
#include <libconfig.h>

#include "core/conf_auth.h"
#include "core/conf_parse.h"

void
conf_auth_defaults(struct conf_auth *c)
{
	c->enabled = true;
}

int
conf_load_auth(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_auth *c)
{
	(void)cx;
	(void)g;
	(void)c;
	return 0;
}

void
conf_auth_free(struct conf_auth *c)
{
	(void)c;
}
