/* engine.images (conf_images.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_images.h"
#include "core/conf_parse.h"

void
conf_images_defaults(struct conf_images *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_images(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_images *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.images") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.images", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_images_free(struct conf_images *c)
{
	(void)c;
}
