/* engine.landing (conf_landing.h): enabled = false; fetcher = "PATH";
 * max_urls = 3; max_bytes = 524288; timeout_ms = 5000; max_redirects = 5;
 * allow_private = false; user_agent = "..."; cache_ttl = 600. */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_landing.h"
#include "core/conf_parse.h"

static const struct conf_u32 landing_nums[] = {
	{ "max_urls", offsetof(struct conf_landing, max_urls), 3, 1, 20 },
	{ "max_bytes", offsetof(struct conf_landing, max_bytes), 512u << 10, 1024, 2u << 20 },
	{ "timeout_ms", offsetof(struct conf_landing, timeout_ms), 5000, 100, 60000 },
	{ "max_redirects", offsetof(struct conf_landing, max_redirects), 5, 0, 20 },
	{ "cache_ttl", offsetof(struct conf_landing, cache_ttl), 600, 0, 86400 },
};
#define LANDING_NNUMS	(sizeof(landing_nums) / sizeof(landing_nums[0]))

void
conf_landing_defaults(struct conf_landing *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(landing_nums, LANDING_NNUMS, c);
}

/* A User-Agent is printable ASCII: it goes into a request header. */
static int
landing_ua_ok(struct conf_ctx *cx, const config_setting_t *g, const char *ua)
{
	size_t n = strlen(ua);

	if (n == 0 || n > CONF_LANDING_UA_MAX)
		return conf_fail(cx, config_setting_get_member(g, "user_agent"),
		    "engine.landing.user_agent must have 1 to %d bytes", CONF_LANDING_UA_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ua[i] < 0x20 || (unsigned char)ua[i] > 0x7e)
			return conf_fail(cx, config_setting_get_member(g, "user_agent"),
			    "engine.landing.user_agent must be printable ASCII");
	return 0;
}

int
conf_load_landing(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_landing *c)
{
	static const char *const keys[] = { "enabled", "fetcher", "max_urls", "max_bytes",
		"timeout_ms", "max_redirects", "allow_private", "user_agent", "cache_ttl", NULL };

	if (g == NULL)
		return 0;
	if (conf_check_keys(cx, g, keys, "engine.landing") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.landing", &c->enabled) < 0 ||
	    conf_get_bool(cx, g, "allow_private", "engine.landing", &c->allow_private) < 0 ||
	    conf_load_u32s(cx, g, "engine.landing", landing_nums, LANDING_NNUMS, c) < 0 ||
	    conf_get_path(cx, g, "fetcher", false, &c->fetcher) < 0 ||
	    conf_get_string(cx, g, "user_agent", false, &c->user_agent) < 0)
		return -1;
	if (c->user_agent != NULL && landing_ua_ok(cx, g, c->user_agent) < 0)
		return -1;
	return 0;
}

void
conf_landing_free(struct conf_landing *c)
{
	free(c->fetcher);
	free(c->user_agent);
	c->fetcher = c->user_agent = NULL;
}
