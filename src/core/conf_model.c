/* engine.model (conf_model.h): path = "FILE"; relative to the
 * configuration file's directory. The file must exist here; its content is
 * checked when the engine opens (the model check's init). */
#include <libconfig.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/conf_model.h"
#include "core/conf_parse.h"

void
conf_model_defaults(struct conf_model *c)
{
	c->path = NULL;
}

int
conf_load_model(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_model *c)
{
	static const char *const keys[] = { "path", NULL };
	struct stat st;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.model' must be a group { path = \"FILE\"; }");
	if (conf_check_keys(cx, g, keys, NULL) < 0 ||
	    conf_get_path(cx, g, "path", false, &c->path) < 0)
		return -1;
	if (c->path != NULL && (stat(c->path, &st) == -1 || !S_ISREG(st.st_mode)))
		return conf_fail(cx, config_setting_get_member(g, "path"),
		    "engine.model.path: '%s' is not a readable file", c->path);
	return 0;
}

void
conf_model_free(struct conf_model *c)
{
	free(c->path);
	c->path = NULL;
}
