/* portal (conf_portal.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_portal.h"
#include "core/conf_parse.h"

void
conf_portal_defaults(struct conf_portal *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_portal(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_portal *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "portal") < 0 ||
	    conf_get_bool(cx, g, "enabled", "portal", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_portal_free(struct conf_portal *c)
{
	(void)c;
}
