/* engine.bayes (conf_bayes.h): path = "FILE"; min_learns = N;
 * expire_days = N; max_tokens = N; margin = X. The path is made absolute
 * against the configuration file's directory; its directory must exist. */
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_bayes.h"
#include "core/conf_parse.h"

static const struct conf_u32 bayes_nums[] = {
	{ "min_learns", offsetof(struct conf_bayes, min_learns), 200, 1, 1000000 },
	{ "expire_days", offsetof(struct conf_bayes, expire_days), 180, 0, 36500 },
	{ "max_tokens", offsetof(struct conf_bayes, max_tokens), 2500000, 10000, 100000000 },
};
#define BAYES_NNUMS	(sizeof(bayes_nums) / sizeof(bayes_nums[0]))
#define BAYES_MARGIN_DEF	0.2
#define BAYES_MARGIN_MAX	0.49

void
conf_bayes_defaults(struct conf_bayes *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(bayes_nums, BAYES_NNUMS, c);
	c->margin = BAYES_MARGIN_DEF;
}

/* margin: a number in [0, BAYES_MARGIN_MAX], one message for both mistakes. */
static int
bayes_load_margin(struct conf_ctx *cx, const config_setting_t *g, struct conf_bayes *c)
{
	const config_setting_t *s = config_setting_get_member(g, "margin");
	double v;

	if (s == NULL)
		return 0;
	if (conf_number(s, &v) < 0 || !(v >= 0.0 && v <= BAYES_MARGIN_MAX))
		return conf_fail(cx, s, "engine.bayes.margin must be a number in [0, %g]",
		    BAYES_MARGIN_MAX);
	c->margin = v;
	return 0;
}

/* The store's directory must exist (the file is created by `mailgate learn`). */
static int
bayes_load_path(struct conf_ctx *cx, const config_setting_t *g, struct conf_bayes *c)
{
	const config_setting_t *s = config_setting_get_member(g, "path");
	char *slash;
	struct stat st;
	int rc = 0;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING || *config_setting_get_string(s) == '\0')
		return conf_fail(cx, s, "engine.bayes.path must be a non-empty string");
	if (conf_get_path(cx, g, "path", true, &c->path) < 0)
		return -1;
	if (strlen(c->path) >= PATH_MAX - 32)
		return conf_fail(cx, s, "engine.bayes.path is too long");
	slash = strrchr(c->path, '/');
	if (slash != NULL && slash != c->path) {
		*slash = '\0';
		if (stat(c->path, &st) == -1 || !S_ISDIR(st.st_mode))
			rc = conf_fail(cx, s, "engine.bayes.path: directory '%s' does not exist",
			    c->path);
		*slash = '/';
	}
	if (rc == 0 && stat(c->path, &st) == 0 && !S_ISREG(st.st_mode))
		rc = conf_fail(cx, s, "engine.bayes.path: '%s' is not a regular file", c->path);
	return rc;
}

int
conf_load_bayes(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_bayes *c)
{
	static const char *const keys[] = { "path", "margin", "min_learns", "expire_days",
		"max_tokens", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.bayes' must be a group { path = \"...\"; }");
	if (conf_check_keys(cx, g, keys, "engine.bayes") < 0 ||
	    conf_load_u32s(cx, g, "engine.bayes", bayes_nums, BAYES_NNUMS, c) < 0 ||
	    bayes_load_margin(cx, g, c) < 0 || bayes_load_path(cx, g, c) < 0)
		return -1;
	return 0;
}

void
conf_bayes_free(struct conf_bayes *c)
{
	free(c->path);
	c->path = NULL;
}
