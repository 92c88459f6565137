/* engine.auth (conf_auth.h): authserv_id = "HOST"; spf, dkim, dmarc, arc =
 * true or false. */
#include <libconfig.h>
#include <stdlib.h>

#include "core/conf_auth.h"
#include "core/conf_parse.h"

static const struct {
	const char	*name;
	size_t		 off;
} auth_switches[] = {
	{ "spf", offsetof(struct conf_auth, spf) },
	{ "dkim", offsetof(struct conf_auth, dkim) },
	{ "dmarc", offsetof(struct conf_auth, dmarc) },
	{ "arc", offsetof(struct conf_auth, arc) },
};
#define AUTH_NSWITCHES	(sizeof(auth_switches) / sizeof(auth_switches[0]))

void
conf_auth_defaults(struct conf_auth *c)
{
	c->authserv_id = NULL;
	for (size_t i = 0; i < AUTH_NSWITCHES; i++)
		*(bool *)((char *)c + auth_switches[i].off) = true;
}

/* Only the switches and authserv_id, and each switch a boolean. */
static int
auth_load_switches(struct conf_ctx *cx, const config_setting_t *g, struct conf_auth *c)
{
	static const char *const keys[] = { "authserv_id", "spf", "dkim", "dmarc", "arc",
		NULL };

	if (conf_check_keys(cx, g, keys, "engine.auth") < 0)
		return -1;
	for (size_t i = 0; i < AUTH_NSWITCHES; i++)
		if (conf_get_bool(cx, g, auth_switches[i].name, "engine.auth",
		    (bool *)((char *)c + auth_switches[i].off)) < 0)
			return -1;
	return 0;
}

/* The authserv-id is a host name: it goes unquoted into the field. */
static int
auth_load_id(struct conf_ctx *cx, const config_setting_t *g, struct conf_auth *c)
{
	const config_setting_t *s = config_setting_get_member(g, "authserv_id");

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    conf_check_domain(config_setting_get_string(s)) < 0)
		return conf_fail(cx, s, "engine.auth.authserv_id must be a host name");
	return conf_get_string(cx, g, "authserv_id", true, &c->authserv_id);
}

int
conf_load_auth(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_auth *c)
{
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.auth' must be a group { spf = true; ... }");
	if (auth_load_switches(cx, g, c) < 0 || auth_load_id(cx, g, c) < 0)
		return -1;
	return 0;
}

void
conf_auth_free(struct conf_auth *c)
{
	free(c->authserv_id);
	c->authserv_id = NULL;
}
