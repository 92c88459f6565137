/* portal (conf_portal.h): listen = "HOST:PORT"; url = "http(s)://..."; key_file
 * = "PATH" (relative to the file); link_days, session_minutes, code_minutes;
 * digest = { enabled; interval_hours; max_items; }; from = ADDR; admin = ADDR.
 * The NULL defaults depend on the hostname and the store: resolved at use. */
#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_parse.h"
#include "core/conf_portal.h"

static const struct conf_u32 portal_u32s[] = {
	{ "link_days", offsetof(struct conf_portal, link_days), 7, 1, 90 },
	{ "session_minutes", offsetof(struct conf_portal, session_minutes), 60, 5, 1440 },
	{ "code_minutes", offsetof(struct conf_portal, code_minutes), 15, 1, 60 },
};

static const struct conf_u32 digest_u32s[] = {
	{ "interval_hours", offsetof(struct conf_portal_digest, interval_hours), 24, 1, 168 },
	{ "max_items", offsetof(struct conf_portal_digest, max_items), 50, 1, 1000 },
};

#define NU32(t)	(sizeof(t) / sizeof((t)[0]))

void
conf_portal_defaults(struct conf_portal *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = CONF_PORTAL_PORT;
	conf_u32_defaults(portal_u32s, NU32(portal_u32s), c);
	c->digest.enabled = true;
	conf_u32_defaults(digest_u32s, NU32(digest_u32s), &c->digest);
}

/* "http://" or "https://", a host, then anything printable but blanks;
 * a trailing '/' is dropped. NULL when fine, else why not. */
static const char *
url_bad(char *url)
{
	size_t n = strlen(url), skip;

	if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return "must start with http:// or https://";
	while (n > skip && url[n - 1] == '/')
		url[--n] = '\0';
	if (n == skip || url[skip] == '/' || url[skip] == ':')
		return "has no host";
	if (n >= CONF_PORTAL_URL_MAX)
		return "is too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f ||
		    url[i] == '?' || url[i] == '#' || url[i] == '"' || url[i] == '<' ||
		    url[i] == '>')
			return "has a blank, control, non-ASCII, '?', '#', '\"' or '<>' character";
	return NULL;
}

/* local@domain, no blank, control or angle bracket, domain a valid name. */
static const char *
addr_bad(const char *a)
{
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || strlen(a) >= CONF_PORTAL_ADDR_MAX)
		return "is not LOCAL@DOMAIN";
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == ',' || *p == '"')
			return "has a blank, control, '\"', ',' or '<>' character";
	if (conf_check_domain(at + 1) < 0)
		return "has an invalid domain";
	return NULL;
}

static int
load_addr(struct conf_ctx *cx, const config_setting_t *g, const char *name, char **out)
{
	const char *why;

	if (conf_get_string(cx, g, name, false, out) < 0)
		return -1;
	if (*out != NULL && (why = addr_bad(*out)) != NULL)
		return conf_fail(cx, config_setting_get_member(g, name), "portal.%s '%s' %s",
		    name, *out, why);
	return 0;
}

static int
load_net(struct conf_ctx *cx, const config_setting_t *g, struct conf_portal *c)
{
	const char *why;
	char *listen = NULL;
	int rc = 0;

	if (conf_get_string(cx, g, "listen", false, &listen) < 0 ||
	    conf_get_string(cx, g, "url", false, &c->url) < 0)
		return -1;
	if (listen != NULL && (conf_parse_hostport(listen, 0, c->listen_host,
	    sizeof(c->listen_host), &c->listen_port) < 0 || c->listen_port == 0))
		rc = conf_fail(cx, config_setting_get_member(g, "listen"),
		    "portal.listen '%s' is not HOST:PORT or [IPV6]:PORT", listen);
	free(listen);
	if (rc == 0 && c->url != NULL && (why = url_bad(c->url)) != NULL)
		rc = conf_fail(cx, config_setting_get_member(g, "url"), "portal.url '%s' %s",
		    c->url, why);
	return rc;
}

static int
load_digest(struct conf_ctx *cx, const config_setting_t *g, struct conf_portal_digest *d)
{
	static const char *const keys[] = { "enabled", "interval_hours", "max_items", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'portal.digest' must be a group { interval_hours = 24; }");
	if (conf_check_keys(cx, g, keys, "portal.digest") < 0 ||
	    conf_get_bool(cx, g, "enabled", "portal.digest", &d->enabled) < 0)
		return -1;
	return conf_load_u32s(cx, g, "portal.digest", digest_u32s, NU32(digest_u32s), d);
}

int
conf_load_portal(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_portal *c)
{
	static const char *const keys[] = { "enabled", "listen", "url", "key_file",
	    "link_days", "session_minutes", "code_minutes", "digest", "from", "admin", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'portal' must be a group { enabled = true; }");
	if (conf_check_keys(cx, g, keys, "portal") < 0 ||
	    conf_get_bool(cx, g, "enabled", "portal", &c->enabled) < 0 ||
	    load_net(cx, g, c) < 0 ||
	    conf_get_path(cx, g, "key_file", false, &c->key_file) < 0 ||
	    conf_load_u32s(cx, g, "portal", portal_u32s, NU32(portal_u32s), c) < 0 ||
	    load_digest(cx, config_setting_get_member(g, "digest"), &c->digest) < 0 ||
	    load_addr(cx, g, "from", &c->from) < 0 ||
	    load_addr(cx, g, "admin", &c->admin) < 0)
		return -1;
	return 0;
}

void
conf_portal_free(struct conf_portal *c)
{
	free(c->url);
	free(c->key_file);
	free(c->from);
	free(c->admin);
	c->url = c->key_file = c->from = c->admin = NULL;
}

static int
fits(int n, size_t outlen)
{
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
conf_portal_url(const struct conf_portal *c, const char *hostname, char *out, size_t outlen)
{
	if (c->url != NULL)
		return fits(snprintf(out, outlen, "%s", c->url), outlen);
	return fits(snprintf(out, outlen, "http://%s:%u", hostname, (unsigned)c->listen_port),
	    outlen);
}

int
conf_portal_key_file(const struct conf_portal *c, const char *store_path, char *out,
    size_t outlen)
{
	const char *slash = store_path ? strrchr(store_path, '/') : NULL;

	if (c->key_file != NULL)
		return fits(snprintf(out, outlen, "%s", c->key_file), outlen);
	if (slash != NULL)
		return fits(snprintf(out, outlen, "%.*s/portal.key", (int)(slash - store_path),
		    store_path), outlen);
	return fits(snprintf(out, outlen, "portal.key"), outlen);
}

int
conf_portal_from(const struct conf_portal *c, const char *hostname, char *out, size_t outlen)
{
	if (c->from != NULL)
		return fits(snprintf(out, outlen, "%s", c->from), outlen);
	return fits(snprintf(out, outlen, "postmaster@%s", hostname), outlen);
}

int
conf_portal_admin(const struct conf_portal *c, const char *hostname, char *out, size_t outlen)
{
	if (c->admin != NULL)
		return fits(snprintf(out, outlen, "%s", c->admin), outlen);
	return fits(snprintf(out, outlen, "postmaster@%s", hostname), outlen);
}

bool
conf_portal_digests(const struct conf_portal *c)
{
	return c->enabled && c->digest.enabled;
}
