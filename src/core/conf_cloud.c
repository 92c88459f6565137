/* engine.cloud (conf_cloud.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_cloud.h"
#include "core/conf_parse.h"

void
conf_cloud_defaults(struct conf_cloud *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_cloud(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_cloud *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.cloud") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.cloud", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_cloud_free(struct conf_cloud *c)
{
	(void)c;
}
