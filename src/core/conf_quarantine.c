/* quarantine (conf_quarantine.h): dir = "PATH" (relative to the file);
 * retention = DAYS; retention_by_category = { CATEGORY = DAYS; ... } with
 * the category names of the verdicts (clean, spam, malware, ...). */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/conf_parse.h"
#include "core/conf_quarantine.h"

_Static_assert(CONF_QUARANTINE_NCAT == MG_CAT_COUNT, "one retention per category");

void
conf_quarantine_defaults(struct conf_quarantine *c)
{
	memset(c, 0, sizeof(*c));
	c->retention = CONF_QUARANTINE_DAYS_DEFAULT;
}

static int
load_by_category(struct conf_ctx *cx, const config_setting_t *g, struct conf_quarantine *c)
{
	const char *where = "quarantine.retention_by_category";

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group { spam = 15; }", where);
	if (conf_check_keys(cx, g, conf_category_names, where) < 0)
		return -1;
	for (size_t i = 0; i < CONF_QUARANTINE_NCAT; i++)
		if (conf_get_u32(cx, g, conf_category_names[i], where, 1,
		    CONF_QUARANTINE_DAYS_MAX, &c->by_category[i]) < 0)
			return -1;
	return 0;
}

int
conf_load_quarantine(struct conf_ctx *cx, const struct config_setting_t *g,
    struct conf_quarantine *c)
{
	static const char *const keys[] = { "dir", "retention", "retention_by_category", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'quarantine' must be a group { retention = 30; }");
	if (conf_check_keys(cx, g, keys, "quarantine") < 0 ||
	    conf_get_path(cx, g, "dir", false, &c->dir) < 0 ||
	    conf_get_u32(cx, g, "retention", "quarantine", 1, CONF_QUARANTINE_DAYS_MAX,
	    &c->retention) < 0)
		return -1;
	return load_by_category(cx, config_setting_get_member(g, "retention_by_category"), c);
}

void
conf_quarantine_free(struct conf_quarantine *c)
{
	free(c->dir);
	c->dir = NULL;
}

int
conf_quarantine_dir(const struct conf_quarantine *c, const char *store_path, char *out,
    size_t outlen)
{
	const char *slash = store_path ? strrchr(store_path, '/') : NULL;
	int n;

	if (c->dir != NULL)
		n = snprintf(out, outlen, "%s", c->dir);
	else if (slash != NULL)
		n = snprintf(out, outlen, "%.*s/quarantine", (int)(slash - store_path),
		    store_path);
	else
		n = snprintf(out, outlen, "quarantine");
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

uint32_t
conf_quarantine_days(const struct conf_quarantine *c, const char *category)
{
	for (size_t i = 0; category != NULL && i < CONF_QUARANTINE_NCAT; i++)
		if (strcmp(conf_category_names[i], category) == 0 && c->by_category[i] != 0)
			return c->by_category[i];
	return c->retention;
}
