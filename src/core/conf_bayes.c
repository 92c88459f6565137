/* engine.bayes (conf_bayes.h): path = "FILE"; min_learns = N;
 * expire_days = N; max_tokens = N; margin = X. The path is made absolute
 * against the configuration file's directory; its directory must exist. */
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_bayes.h"
#include "core/conf_parse.h"

struct bayes_num {
	const char	*name;
	size_t		 off;
	uint32_t	 def, min, max;
};

static const struct bayes_num bayes_nums[] = {
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
	for (size_t i = 0; i < BAYES_NNUMS; i++)
		*(uint32_t *)((char *)c + bayes_nums[i].off) = bayes_nums[i].def;
	c->margin = BAYES_MARGIN_DEF;
}

static int
bayes_check_keys(struct conf_ctx *cx, const config_setting_t *g)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		bool ok = strcmp(name, "path") == 0 || strcmp(name, "margin") == 0;

		for (size_t k = 0; k < BAYES_NNUMS && !ok; k++)
			ok = strcmp(name, bayes_nums[k].name) == 0;
		if (!ok)
			return conf_fail(cx, s, "unknown setting '%s' in engine.bayes", name);
	}
	return 0;
}

static int
bayes_load_nums(struct conf_ctx *cx, const config_setting_t *g, struct conf_bayes *c)
{
	const config_setting_t *s;

	for (size_t i = 0; i < BAYES_NNUMS; i++) {
		const struct bayes_num *r = &bayes_nums[i];
		long long v;

		if ((s = config_setting_get_member(g, r->name)) == NULL)
			continue;
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			return conf_fail(cx, s, "engine.bayes.%s must be an integer", r->name);
		v = config_setting_get_int64(s);
		if (v < r->min || v > r->max)
			return conf_fail(cx, s, "engine.bayes.%s = %lld is out of range [%u, %u]",
			    r->name, v, r->min, r->max);
		*(uint32_t *)((char *)c + r->off) = (uint32_t)v;
	}
	if ((s = config_setting_get_member(g, "margin")) != NULL) {
		int t = config_setting_type(s);
		double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
		    t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ?
		    (double)config_setting_get_int64(s) : NAN;
		if (!(v >= 0.0 && v <= BAYES_MARGIN_MAX))
			return conf_fail(cx, s, "engine.bayes.margin must be a number in "
			    "[0, %g]", BAYES_MARGIN_MAX);
		c->margin = v;
	}
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
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.bayes' must be a group { path = \"...\"; }");
	if (bayes_check_keys(cx, g) < 0 || bayes_load_nums(cx, g, c) < 0 ||
	    bayes_load_path(cx, g, c) < 0)
		return -1;
	return 0;
}

void
conf_bayes_free(struct conf_bayes *c)
{
	free(c->path);
	c->path = NULL;
}
