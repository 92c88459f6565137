/* engine.av (conf_av.h): clamav { enabled; database; max_filesize;
 * max_scansize; max_recursion; max_files; timeout; }; clamd { address;
 * timeout; }; cache { ttl; max_entries; }; on_failure = "tempfail";
 * bodies = BOOL. */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/conf_av.h"
#include "core/conf_parse.h"

static const struct conf_u32 clamav_nums[] = {
	{ "max_filesize", offsetof(struct conf_av, max_filesize), 25u << 20, 1024, 1u << 30 },
	{ "max_scansize", offsetof(struct conf_av, max_scansize), 100u << 20, 1024, 2000u << 20 },
	{ "max_recursion", offsetof(struct conf_av, max_recursion), 17, 1, 64 },
	{ "max_files", offsetof(struct conf_av, max_files), 10000, 1, 1000000 },
};
static const struct conf_u32 cache_nums[] = {
	{ "ttl", offsetof(struct conf_av, cache_ttl), 3600, 0, 7 * 86400 },
	{ "max_entries", offsetof(struct conf_av, cache_max_entries), 100000, 0, 10000000 },
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const failure_names[] = { "tempfail", "accept_with_header", NULL };

void
conf_av_defaults(struct conf_av *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(clamav_nums, NELEM(clamav_nums), c);
	conf_u32_defaults(cache_nums, NELEM(cache_nums), c);
	c->clamav_timeout = 30.0;
	c->clamd_timeout = 30.0;
	c->on_failure = CONF_AV_TEMPFAIL;
	c->bodies = true;
}

static int
av_group(struct conf_ctx *cx, const config_setting_t *g, const char *where,
    const char *const *keys)
{
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group { ... }", where);
	return conf_check_keys(cx, g, keys, where);
}

static int
av_load_clamav(struct conf_ctx *cx, const config_setting_t *g, struct conf_av *c)
{
	static const char *const keys[] = { "enabled", "database", "max_filesize",
		"max_scansize", "max_recursion", "max_files", "timeout", NULL };
	struct stat st;

	c->clamav = true;
	if (av_group(cx, g, "engine.av.clamav", keys) < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.av.clamav", &c->clamav) < 0 ||
	    conf_load_u32s(cx, g, "engine.av.clamav", clamav_nums, NELEM(clamav_nums), c) < 0 ||
	    conf_get_real(cx, g, "timeout", "engine.av.clamav", 0.1, 3600.0,
	    &c->clamav_timeout) < 0 || conf_get_path(cx, g, "database", false, &c->database) < 0)
		return -1;
	if (c->database != NULL && (stat(c->database, &st) == -1 || !S_ISDIR(st.st_mode)))
		return conf_fail(cx, config_setting_get_member(g, "database"),
		    "engine.av.clamav.database: '%s' is not a directory", c->database);
	if (c->max_scansize < c->max_filesize)
		return conf_fail(cx, g, "engine.av.clamav: max_scansize is smaller than "
		    "max_filesize");
	return 0;
}

/* "unix:/path" (relative to the file's directory) or "tcp:host:port". */
static int
av_clamd_address(struct conf_ctx *cx, const config_setting_t *s, char **out)
{
	const char *v = config_setting_get_string(s);
	char host[256];
	uint16_t port;
	size_t n;

	if (v == NULL)
		return conf_fail(cx, s, "engine.av.clamd.address must be a string");
	if (strncmp(v, "tcp:", 4) == 0) {
		if (conf_parse_hostport(v + 4, 0, host, sizeof(host), &port) < 0 || port == 0)
			return conf_fail(cx, s, "engine.av.clamd.address: '%s' is not "
			    "tcp:HOST:PORT", v);
		*out = strdup(v);
	} else if (strncmp(v, "unix:", 5) == 0 && v[5] != '\0') {
		n = strlen(cx->base) + strlen(v) + 2;
		if (v[5] == '/')
			*out = strdup(v);
		else if ((*out = malloc(n)) != NULL)
			snprintf(*out, n, "unix:%s/%s", cx->base, v + 5);
		if (*out != NULL && strlen(*out) - 5 >= 108)
			return conf_fail(cx, s, "engine.av.clamd.address: the socket path "
			    "is too long");
	} else
		return conf_fail(cx, s, "engine.av.clamd.address: '%s' is neither "
		    "unix:/PATH nor tcp:HOST:PORT", v);
	return *out == NULL ? conf_fail(cx, s, "out of memory") : 0;
}

static int
av_load_clamd(struct conf_ctx *cx, const config_setting_t *g, struct conf_av *c)
{
	static const char *const keys[] = { "address", "timeout", NULL };
	const config_setting_t *a;

	if (av_group(cx, g, "engine.av.clamd", keys) < 0 ||
	    conf_get_real(cx, g, "timeout", "engine.av.clamd", 0.1, 3600.0,
	    &c->clamd_timeout) < 0)
		return -1;
	if ((a = config_setting_get_member(g, "address")) == NULL)
		return conf_fail(cx, g, "engine.av.clamd: 'address' is required");
	return av_clamd_address(cx, a, &c->clamd);
}

int
conf_load_av(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_av *c)
{
	static const char *const keys[] = { "clamav", "clamd", "cache", "on_failure", "bodies",
		NULL };
	const config_setting_t *s;
	int failure = (int)c->on_failure;

	if (g == NULL)
		return 0;
	if (av_group(cx, g, "engine.av", keys) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "clamav")) != NULL && av_load_clamav(cx, s, c) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "clamd")) != NULL && av_load_clamd(cx, s, c) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "cache")) != NULL &&
	    (av_group(cx, s, "engine.av.cache", (const char *const[]){ "ttl",
	    "max_entries", NULL }) < 0 ||
	    conf_load_u32s(cx, s, "engine.av.cache", cache_nums, NELEM(cache_nums), c) < 0))
		return -1;
	if (conf_get_enum(cx, g, "on_failure", failure_names, &failure) < 0 ||
	    conf_get_bool(cx, g, "bodies", "engine.av", &c->bodies) < 0)
		return -1;
	c->on_failure = (enum conf_av_failure)failure;
	return 0;
}

void
conf_av_free(struct conf_av *c)
{
	free(c->database);
	free(c->clamd);
	c->database = c->clamd = NULL;
}

bool
conf_av_enabled(const struct conf_av *c)
{
	return c->clamav || c->clamd != NULL;
}
