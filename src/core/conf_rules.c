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
	return conf_load_dirs(cx, dirs, "engine.rules.dirs", CONF_RULES_MAX_DIRS, &c->dirs,
	    &c->ndirs);
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
