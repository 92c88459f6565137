/* engine.bulk (conf_bulk.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_bulk.h"
#include "core/conf_parse.h"

void
conf_bulk_defaults(struct conf_bulk *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_bulk(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_bulk *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.bulk") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.bulk", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_bulk_free(struct conf_bulk *c)
{
	(void)c;
}
