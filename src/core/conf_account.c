/* engine.account (conf_account.h). Placeholder: being written. */
#include <libconfig.h>
#include <string.h>

#include "core/conf_account.h"
#include "core/conf_parse.h"

void
conf_account_defaults(struct conf_account *c)
{
	memset(c, 0, sizeof(*c));
}

int
conf_load_account(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_account *c)
{
	static const char *const keys[] = { "enabled", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.account") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.account", &c->enabled) < 0)
		return -1;
	return 0;
}

void
conf_account_free(struct conf_account *c)
{
	(void)c;
}
