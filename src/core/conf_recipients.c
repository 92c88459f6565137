/* guard.recipients (conf_recipients.h): static = [ "user@dom", "@dom" ];
 * max_unknown; ldap { uri; bind_dn; bind_password; base; filter; timeout;
 * domains; }; callout { enabled; sender; timeout; max_parallel; domains; };
 * cache { known; unknown; }; on_error = "tempfail" | "accept". */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_guard.h"
#include "core/conf_parse.h"

#define LDAP_FILTER_DEFAULT	"(|(mail=%s)(mailAlternateAddress=%s))"
#define FILTER_MAX		1024

static const char *const on_error_names[] = { "tempfail", "accept", NULL };

void
conf_recipients_defaults(struct conf_recipients *c)
{
	memset(c, 0, sizeof(*c));
	c->ldap.timeout_ms = 2000;
	c->callout.timeout_ms = 10000;
	c->callout.max_parallel = 16;
	c->cache_known = 86400;
	c->cache_unknown = 3600;
	c->on_error = CONF_RCPT_TEMPFAIL;
}

bool
conf_domains_cover(char *const *domains, size_t n, const char *domain)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(domains[i], domain) == 0)
			return true;
	return false;
}

/* "user@domain" or "@domain" (every address of the domain). */
static const char *
rcpt_ok(const char *v)
{
	const char *at = strrchr(v, '@');

	if (at == NULL || at - v > 64)
		return "is not \"user@domain\" or \"@domain\"";
	for (const char *p = v; p < at; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || (unsigned char)*p >= 0x7f)
			return "has a character not allowed in a local part";
	return conf_check_domain(at + 1) == 0 ? NULL : "does not end in a domain name";
}

/* A seconds setting in (0, max], stored as milliseconds. */
static int
get_timeout(struct conf_ctx *cx, const config_setting_t *g, const char *where,
    uint32_t *ms)
{
	double v = (double)*ms / 1000.0;

	if (conf_get_real(cx, g, "timeout", where, 0.001, 120, &v) < 0)
		return -1;
	*ms = (uint32_t)(v * 1000.0 + 0.5);
	return 0;
}

static int
get_domains(struct conf_ctx *cx, const config_setting_t *g, const char *where,
    char ***out, size_t *n)
{
	const config_setting_t *d = config_setting_get_member(g, "domains");
	char name[64];

	if (d == NULL)
		return 0;
	snprintf(name, sizeof(name), "%s.domains", where);
	return conf_load_strings(cx, d, name, conf_domain_ok, CONF_GUARD_MAX_LIST, out, n);
}

/* The filter has balanced parentheses and only %s, %u, %d, %%. */
static const char *
filter_why(const char *f)
{
	int depth = 0;

	if (strlen(f) > FILTER_MAX || f[0] != '(')
		return "must be an LDAP filter in parentheses, at most 1024 bytes";
	for (const char *p = f; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
		else if (*p == '%' && strchr("sud%", *++p) == NULL)
			return "may only use %s (address), %u (local part), %d (domain), %%";
	}
	return depth == 0 ? NULL : "has unbalanced parentheses";
}

static int
load_ldap(struct conf_ctx *cx, const config_setting_t *g, struct conf_rcpt_ldap *c)
{
	static const char *const keys[] = { "uri", "bind_dn", "bind_password", "base",
		"filter", "timeout", "domains", NULL };
	const char *where = "guard.recipients.ldap", *why;

	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_string(cx, g, "uri", true, &c->uri) < 0 ||
	    conf_get_string(cx, g, "base", true, &c->base) < 0 ||
	    conf_get_string(cx, g, "bind_dn", false, &c->bind_dn) < 0 ||
	    conf_get_string(cx, g, "bind_password", false, &c->bind_password) < 0 ||
	    conf_get_string(cx, g, "filter", false, &c->filter) < 0 ||
	    get_timeout(cx, g, where, &c->timeout_ms) < 0 ||
	    get_domains(cx, g, where, &c->domains, &c->ndomains) < 0)
		return -1;
	if (strncmp(c->uri, "ldap://", 7) != 0 && strncmp(c->uri, "ldaps://", 8) != 0 &&
	    strncmp(c->uri, "ldapi://", 8) != 0)
		return conf_fail(cx, config_setting_get_member(g, "uri"),
		    "%s.uri: '%s' is not an ldap://, ldaps:// or ldapi:// URI", where, c->uri);
	if ((c->bind_dn == NULL) != (c->bind_password == NULL))
		return conf_fail(cx, g, "%s: bind_dn and bind_password go together", where);
	if (c->filter == NULL && (c->filter = strdup(LDAP_FILTER_DEFAULT)) == NULL)
		return conf_fail(cx, g, "out of memory");
	if ((why = filter_why(c->filter)) != NULL)
		return conf_fail(cx, g, "%s.filter: '%s' %s", where, c->filter, why);
	return 0;
}

static int
load_callout(struct conf_ctx *cx, const config_setting_t *g, struct conf_rcpt_callout *c)
{
	static const char *const keys[] = { "enabled", "sender", "timeout", "max_parallel",
		"domains", NULL };
	const char *where = "guard.recipients.callout";

	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_bool(cx, g, "enabled", where, &c->enabled) < 0 ||
	    conf_get_string(cx, g, "sender", false, &c->sender) < 0 ||
	    get_timeout(cx, g, where, &c->timeout_ms) < 0 ||
	    conf_get_u32(cx, g, "max_parallel", where, 1, 1000, &c->max_parallel) < 0 ||
	    get_domains(cx, g, where, &c->domains, &c->ndomains) < 0)
		return -1;
	if (c->sender != NULL && c->sender[0] != '\0' && rcpt_ok(c->sender) != NULL)
		return conf_fail(cx, g, "%s.sender: '%s' is not an address", where, c->sender);
	return 0;
}

static int
load_cache(struct conf_ctx *cx, const config_setting_t *g, struct conf_recipients *c)
{
	static const char *const keys[] = { "known", "unknown", NULL };
	const char *where = "guard.recipients.cache";

	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_u32(cx, g, "known", where, 0, 30 * 86400, &c->cache_known) < 0 ||
	    conf_get_u32(cx, g, "unknown", where, 0, 30 * 86400, &c->cache_unknown) < 0)
		return -1;
	return 0;
}

int
conf_load_recipients(struct conf_ctx *cx, const config_setting_t *g,
    struct conf_recipients *c)
{
	static const char *const keys[] = { "static", "max_unknown", "ldap", "callout",
		"cache", "on_error", NULL };
	const char *where = "guard.recipients";
	const config_setting_t *s;
	int on_error = (int)c->on_error;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_u32(cx, g, "max_unknown", where, 0, 1000, &c->max_unknown) < 0 ||
	    conf_get_enum(cx, g, "on_error", on_error_names, &on_error) < 0)
		return -1;
	c->on_error = (enum conf_rcpt_on_error)on_error;
	if ((s = config_setting_get_member(g, "static")) != NULL &&
	    conf_load_strings(cx, s, "guard.recipients.static", rcpt_ok, CONF_GUARD_MAX_LIST,
	    &c->listed, &c->nlisted) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "ldap")) != NULL && load_ldap(cx, s, &c->ldap) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "callout")) != NULL &&
	    load_callout(cx, s, &c->callout) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "cache")) != NULL && load_cache(cx, s, c) < 0)
		return -1;
	return 0;
}

void
conf_recipients_free(struct conf_recipients *c)
{
	conf_strings_free(c->listed, c->nlisted);
	free(c->ldap.uri);
	free(c->ldap.bind_dn);
	free(c->ldap.bind_password);
	free(c->ldap.base);
	free(c->ldap.filter);
	conf_strings_free(c->ldap.domains, c->ldap.ndomains);
	free(c->callout.sender);
	conf_strings_free(c->callout.domains, c->callout.ndomains);
	memset(c, 0, sizeof(*c));
}
