/* engine.rules (conf_rules.h): dirs = [ "DIR", ... ]; max_scan_bytes = N;
 * pcre_match_limit = N. Directories are made absolute against the
 * configuration file's directory and must exist. */
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_parse.h"
#include "core/conf_rules.h"

static const struct conf_u32 rules_nums[] = {
	{ "max_scan_bytes", offsetof(struct conf_rules, max_scan_bytes), 512u << 10, 1024,
	  64u << 20 },
	{ "pcre_match_limit", offsetof(struct conf_rules, pcre_match_limit), 100000, 1000,
	  100000000 },
};
#define RULES_NNUMS	(sizeof(rules_nums) / sizeof(rules_nums[0]))

void
conf_rules_defaults(struct conf_rules *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(rules_nums, RULES_NNUMS, c);
}

/* One element of dirs, absolute and resolved; a new string or NULL. */
static int
rules_dir(struct conf_ctx *cx, const config_setting_t *s, char **out)
{
	const char *v = config_setting_get_string(s);
	char joined[PATH_MAX], abs[PATH_MAX];
	struct stat st;

	if (v == NULL || *v == '\0')
		return conf_fail(cx, s, "engine.rules.dirs: each element must be a "
		    "non-empty string");
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s%s", v[0] == '/' ? "" : cx->base,
	    v[0] == '/' ? "" : "/", v) >= sizeof(joined))
		return conf_fail(cx, s, "engine.rules.dirs: '%s' is too long", v);
	if (realpath(joined, abs) == NULL || stat(abs, &st) == -1 || !S_ISDIR(st.st_mode))
		return conf_fail(cx, s, "engine.rules.dirs: '%s' is not a directory", v);
	if ((*out = strdup(abs)) == NULL)
		return conf_fail(cx, s, "out of memory");
	return 0;
}

static int
rules_load_dirs(struct conf_ctx *cx, const config_setting_t *list, struct conf_rules *c)
{
	int n;

	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "engine.rules.dirs must be a list [ \"DIR\", ... ]");
	n = config_setting_length(list);
	if (n > CONF_RULES_MAX_DIRS)
		return conf_fail(cx, list, "engine.rules.dirs: more than %d directories",
		    CONF_RULES_MAX_DIRS);
	if (n > 0 && (c->dirs = calloc((size_t)n, sizeof(*c->dirs))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < n; i++) {
		if (rules_dir(cx, config_setting_get_elem(list, (unsigned)i), &c->dirs[i]) < 0)
			return -1;
		c->ndirs++;
	}
	return 0;
}

int
conf_load_rules(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_rules *c)
{
	static const char *const keys[] = { "dirs", "max_scan_bytes", "pcre_match_limit",
		NULL };
	const config_setting_t *dirs;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.rules' must be a group { dirs = [ ... ]; }");
	if (conf_check_keys(cx, g, keys, NULL) < 0 ||
	    conf_load_u32s(cx, g, "engine.rules", rules_nums, RULES_NNUMS, c) < 0)
		return -1;
	if ((dirs = config_setting_get_member(g, "dirs")) == NULL)
		return 0;
	return rules_load_dirs(cx, dirs, c);
}

void
conf_rules_free(struct conf_rules *c)
{
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	c->dirs = NULL;
	c->ndirs = 0;
}
