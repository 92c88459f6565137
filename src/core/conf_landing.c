/* engine.landing (conf_landing.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_landing.h"
#include "core/conf_parse.h"

void
conf_landing_defaults(struct conf_landing *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_landing(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_landing *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.landing") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.landing", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_landing_free(struct conf_landing *c)
{
	(void)c;
}
