/* engine.yara (conf_yara.h): enabled = BOOL; dirs = [ "DIR", ... ];
 * timeout = SECONDS; max_file_size = BYTES. Directories are made absolute
 * against the configuration file's directory and must exist; none = no
 * YARA rules (etc/mailgate.conf names the shipped rules/yara). */
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_parse.h"
#include "core/conf_yara.h"

static const struct conf_u32 yara_nums[] = {
	{ "timeout", offsetof(struct conf_yara, timeout), 5, 1, 3600 },
	{ "max_file_size", offsetof(struct conf_yara, max_file_size), 16u << 20, 1024,
	  1024u << 20 },
};
#define YARA_NNUMS	(sizeof(yara_nums) / sizeof(yara_nums[0]))

void
conf_yara_defaults(struct conf_yara *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	conf_u32_defaults(yara_nums, YARA_NNUMS, c);
}

int
conf_load_yara(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_yara *c)
{
	static const char *const keys[] = { "enabled", "dirs", "timeout", "max_file_size",
		NULL };
	const config_setting_t *dirs;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.yara' must be a group { dirs = [ ... ]; }");
	if (conf_check_keys(cx, g, keys, NULL) < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.yara", &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, "engine.yara", yara_nums, YARA_NNUMS, c) < 0)
		return -1;
	if ((dirs = config_setting_get_member(g, "dirs")) == NULL)
		return 0;
	return conf_load_dirs(cx, dirs, "engine.yara.dirs", CONF_YARA_MAX_DIRS, &c->dirs,
	    &c->ndirs);
}

void
conf_yara_free(struct conf_yara *c)
{
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	c->dirs = NULL;
	c->ndirs = 0;
}
