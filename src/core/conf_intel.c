/* engine.intel (conf_intel.h): db = "FILE"; feeds = [ "PATH", { path =
 * "PATH"; category = "malware"; source = "NAME"; format = "csv"; }, ... ];
 * shared_platforms = [ "DOMAIN", ... ]; shared_files = [ "PATH", ... ];
 * reload_interval = N;
 * max_feed_bytes = N. Paths are made absolute against the configuration
 * file's directory; feeds need not exist yet (feeds update reports them). */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_intel.h"
#include "core/conf_parse.h"

const char *const conf_intel_categories[] = { "guess", "phishing", "malware", "spam", NULL };
const char *const conf_intel_formats[] = { "auto", "text", "csv", "json", NULL };

static const struct conf_u32 intel_nums[] = {
	{ "reload_interval", offsetof(struct conf_intel, reload_interval), 30, 1, 86400 },
	{ "max_feed_bytes", offsetof(struct conf_intel, max_feed_bytes), 256u << 20, 1024,
	  2000u << 20 },
};
#define INTEL_NNUMS	(sizeof(intel_nums) / sizeof(intel_nums[0]))

void
conf_intel_defaults(struct conf_intel *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(intel_nums, INTEL_NNUMS, c);
}

/* A path made absolute against the configuration's directory. */
static int
intel_abs(struct conf_ctx *cx, const config_setting_t *s, const char *v, char **out)
{
	size_t n = strlen(cx->base) + strlen(v) + 2;

	if (v[0] == '\0')
		return conf_fail(cx, s, "engine.intel: a path must not be empty");
	if ((*out = malloc(n)) == NULL)
		return conf_fail(cx, s, "out of memory");
	if (v[0] == '/')
		memcpy(*out, v, strlen(v) + 1);
	else
		snprintf(*out, n, "%s/%s", cx->base, v);
	return 0;
}

static int
intel_feed(struct conf_ctx *cx, const config_setting_t *s, struct conf_intel_feed *f)
{
	static const char *const keys[] = { "path", "category", "source", "format", NULL };
	const char *v;

	if ((v = config_setting_get_string(s)) != NULL)
		return intel_abs(cx, s, v, &f->path);
	if (!config_setting_is_group(s))
		return conf_fail(cx, s, "engine.intel.feeds: each element is a path or a group "
		    "{ path = \"...\"; category = \"...\"; }");
	if (conf_check_keys(cx, s, keys, "engine.intel.feeds") < 0 ||
	    conf_get_path(cx, s, "path", true, &f->path) < 0 ||
	    conf_get_string(cx, s, "source", false, &f->source) < 0 ||
	    conf_get_enum(cx, s, "category", conf_intel_categories, &f->category) < 0 ||
	    conf_get_enum(cx, s, "format", conf_intel_formats, &f->format) < 0)
		return -1;
	if (f->source != NULL && (f->source[0] == '\0' || strlen(f->source) > 63))
		return conf_fail(cx, s, "engine.intel.feeds: source must have 1 to 63 bytes");
	return 0;
}

static int
intel_feeds(struct conf_ctx *cx, const config_setting_t *list, struct conf_intel *c)
{
	int n;

	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return conf_fail(cx, list, "engine.intel.feeds must be a list ( ... ) or [ ... ]");
	if ((n = config_setting_length(list)) > CONF_INTEL_MAX_FEEDS)
		return conf_fail(cx, list, "engine.intel.feeds: at most %d feeds",
		    CONF_INTEL_MAX_FEEDS);
	if (n == 0)
		return 0;
	if ((c->feeds = calloc((size_t)n, sizeof(*c->feeds))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < n; i++) {
		c->nfeeds++;
		if (intel_feed(cx, config_setting_get_elem(list, (unsigned)i), &c->feeds[i]) < 0)
			return -1;
	}
	return 0;
}

static int
intel_shared_files(struct conf_ctx *cx, const config_setting_t *list, struct conf_intel *c)
{
	int n = config_setting_length(list);

	if ((!config_setting_is_list(list) && !config_setting_is_array(list)) ||
	    n > CONF_INTEL_MAX_FEEDS)
		return conf_fail(cx, list, "engine.intel.shared_files must be a list of at most "
		    "%d paths", CONF_INTEL_MAX_FEEDS);
	if (n == 0)
		return 0;
	if ((c->shared_files = calloc((size_t)n, sizeof(char *))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (v == NULL)
			return conf_fail(cx, e, "engine.intel.shared_files: each element is a path");
		c->nshared_files++;
		if (intel_abs(cx, e, v, &c->shared_files[i]) < 0)
			return -1;
	}
	return 0;
}

int
conf_load_intel(struct conf_ctx *cx, const config_setting_t *g, struct conf_intel *c)
{
	static const char *const keys[] = { "db", "feeds", "shared_platforms", "shared_files",
		"reload_interval", "max_feed_bytes", NULL };
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.intel' must be a group { db = \"...\"; }");
	if (conf_check_keys(cx, g, keys, "engine.intel") < 0 ||
	    conf_load_u32s(cx, g, "engine.intel", intel_nums, INTEL_NNUMS, c) < 0 ||
	    conf_get_path(cx, g, "db", false, &c->db) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "feeds")) != NULL && intel_feeds(cx, s, c) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "shared_platforms")) != NULL &&
	    conf_load_strings(cx, s, "engine.intel.shared_platforms", conf_domain_ok,
	    CONF_INTEL_MAX_SHARED, &c->shared, &c->nshared) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "shared_files")) != NULL)
		return intel_shared_files(cx, s, c);
	return 0;
}

void
conf_intel_free(struct conf_intel *c)
{
	for (size_t i = 0; i < c->nfeeds; i++) {
		free(c->feeds[i].path);
		free(c->feeds[i].source);
	}
	free(c->feeds);
	free(c->db);
	conf_strings_free(c->shared, c->nshared);
	conf_strings_free(c->shared_files, c->nshared_files);
	memset(c, 0, sizeof(*c));
}
