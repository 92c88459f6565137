/* engine.cloud (conf_cloud.h): enabled = true; url = "https://..."; timeout_ms = N;
 * max_urls = N; cache_ttl = N; cache_entries = N; api_key_file = "PATH";
 * breaker = { failures = N; open_seconds = N; }. */
#include <libconfig.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf_cloud.h"
#include "core/conf_parse.h"

static const struct conf_u32 cloud_nums[] = {
	{ "timeout_ms", offsetof(struct conf_cloud, timeout_ms), 800, 50, 10000 },
	{ "max_urls", offsetof(struct conf_cloud, max_urls), 50, 1, 1000 },
	{ "cache_ttl", offsetof(struct conf_cloud, cache_ttl), 3600, 0, 7 * 86400 },
	{ "cache_entries", offsetof(struct conf_cloud, cache_entries), 100000, 0, 10000000 },
};
#define CLOUD_NNUMS	(sizeof(cloud_nums) / sizeof(cloud_nums[0]))

static const struct conf_u32 breaker_nums[] = {
	{ "failures", offsetof(struct conf_cloud, breaker_failures), 5, 1, 1000 },
	{ "open_seconds", offsetof(struct conf_cloud, breaker_open_seconds), 30, 1, 3600 },
};
#define BREAKER_NNUMS	(sizeof(breaker_nums) / sizeof(breaker_nums[0]))

void
conf_cloud_defaults(struct conf_cloud *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(cloud_nums, CLOUD_NNUMS, c);
	conf_u32_defaults(breaker_nums, BREAKER_NNUMS, c);
}

const char *
conf_cloud_url(const struct conf_cloud *c)
{
	return c->url != NULL ? c->url : CONF_CLOUD_DEFAULT_URL;
}

/* Why u is not an http(s) URL with a host, or NULL. */
static const char *
cloud_url_bad(const char *u)
{
	size_t n = strlen(u), skip;

	if (n > CONF_CLOUD_MAX_URL)
		return "is longer than 2048 bytes";
	if (strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else
		return "must start with http:// or https://";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f)
			return "must not contain spaces, control or non-ASCII characters";
	if (u[skip] == '\0' || u[skip] == '/' || u[skip] == ':' || u[skip] == '?' ||
	    u[skip] == '#')
		return "has no host";
	if (strchr(u + skip, '#') != NULL || strcspn(u + skip, "/?") > strcspn(u + skip, "@"))
		return "must not contain a fragment or user information";
	return NULL;
}

static int
cloud_breaker(struct conf_ctx *cx, const config_setting_t *b, struct conf_cloud *c)
{
	static const char *const keys[] = { "failures", "open_seconds", NULL };

	if (!config_setting_is_group(b))
		return conf_fail(cx, b, "engine.cloud.breaker must be a group "
		    "{ failures = N; open_seconds = N; }");
	if (conf_check_keys(cx, b, keys, "engine.cloud.breaker") < 0)
		return -1;
	return conf_load_u32s(cx, b, "engine.cloud.breaker", breaker_nums, BREAKER_NNUMS, c);
}

int
conf_load_cloud(struct conf_ctx *cx, const config_setting_t *g, struct conf_cloud *c)
{
	static const char *const keys[] = { "enabled", "url", "timeout_ms", "max_urls",
		"cache_ttl", "cache_entries", "breaker", "api_key_file", NULL };
	const config_setting_t *s;
	const char *why;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.cloud' must be a group { enabled = true; }");
	if (conf_check_keys(cx, g, keys, "engine.cloud") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.cloud", &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, "engine.cloud", cloud_nums, CLOUD_NNUMS, c) < 0 ||
	    conf_get_string(cx, g, "url", false, &c->url) < 0)
		return -1;
	if (c->url != NULL && (why = cloud_url_bad(c->url)) != NULL)
		return conf_fail(cx, config_setting_get_member(g, "url"),
		    "engine.cloud.url %s", why);
	if (conf_get_path(cx, g, "api_key_file", false, &c->api_key_file) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "breaker")) != NULL && cloud_breaker(cx, s, c) < 0)
		return -1;
	return 0;
}

void
conf_cloud_free(struct conf_cloud *c)
{
	free(c->url);
	free(c->api_key_file);
	c->url = c->api_key_file = NULL;
}
