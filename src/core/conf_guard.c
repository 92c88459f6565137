/* guard (conf_guard.h): rate_limits { NAME = { rate; per; burst; }; ... };
 * max_connections_per_ip; allow_ip = [ CIDR ]; greylisting { ... };
 * recipients { ... } (conf_recipients.c);
 * pregreet { enabled; delay; remember; }; strict_pipelining;
 * tarpit { enabled; step; max; }; max_idle_commands;
 * screen { dnsbl = ( { zone; weight; codes; } ); threshold; allow_threshold; rdns;
 * timeout; }. */
#include <arpa/inet.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_guard.h"
#include "core/conf_parse.h"

const char *const conf_guard_scope_names[] = { "connections_per_ip",
	"connections_per_net", "messages_per_ip", "recipients_per_ip",
	"messages_per_sender", "messages_per_rcpt_domain", "messages_per_user",
	"auth_failures_per_ip", NULL };

static const struct conf_u32 greylist_nums[] = {
	{ "delay", offsetof(struct conf_greylist, delay), 300, 1, 86400 },
	{ "retry_window", offsetof(struct conf_greylist, retry_window), 86400, 1,
	  7 * 86400 },
	{ "auto_allow", offsetof(struct conf_greylist, auto_allow), 36 * 86400, 0,
	  365 * 86400 },
};
#define GREYLIST_NNUMS	(sizeof(greylist_nums) / sizeof(greylist_nums[0]))

void
conf_guard_defaults(struct conf_guard *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(greylist_nums, GREYLIST_NNUMS, &c->greylist);
	conf_recipients_defaults(&c->recipients);
	c->pregreet.delay_ms = 2000;
	c->pregreet.remember = 3600;
	c->tarpit.step_ms = 1000;
	c->tarpit.max_ms = 10000;
	c->screen.threshold = 1;
	c->screen.timeout_ms = 2000;
}

/* A number of seconds in [0, max], stored as milliseconds. */
static int
guard_get_ms(struct conf_ctx *cx, const config_setting_t *g, const char *name,
    const char *where, double max, uint32_t *ms)
{
	double v = (double)*ms / 1000.0;

	if (conf_get_real(cx, g, name, where, 0, max, &v) < 0)
		return -1;
	*ms = (uint32_t)(v * 1000.0 + 0.5);
	return 0;
}

/* A whole number in [min, max]. */
static int
guard_get_int(struct conf_ctx *cx, const config_setting_t *g, const char *name,
    const char *where, int32_t min, int32_t max, int32_t *out)
{
	double v = *out;

	if (conf_get_real(cx, g, name, where, min, max, &v) < 0)
		return -1;
	if (v != (double)(int32_t)v)
		return conf_fail(cx, config_setting_get_member(g, name),
		    "%s.%s must be a whole number", where, name);
	*out = (int32_t)v;
	return 0;
}

static int
guard_load_pregreet(struct conf_ctx *cx, const config_setting_t *g, struct conf_pregreet *c)
{
	static const char *const keys[] = { "enabled", "delay", "remember", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard.pregreet' must be a group");
	if (conf_check_keys(cx, g, keys, "guard.pregreet") < 0 ||
	    conf_get_bool(cx, g, "enabled", "guard.pregreet", &c->enabled) < 0 ||
	    guard_get_ms(cx, g, "delay", "guard.pregreet", 60, &c->delay_ms) < 0 ||
	    conf_get_u32(cx, g, "remember", "guard.pregreet", 0, 30 * 86400,
	    &c->remember) < 0)
		return -1;
	if (c->enabled && c->delay_ms == 0)
		return conf_fail(cx, g, "guard.pregreet.delay must be above 0 when enabled");
	return 0;
}

static int
guard_load_tarpit(struct conf_ctx *cx, const config_setting_t *g, struct conf_tarpit *c)
{
	static const char *const keys[] = { "enabled", "step", "max", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard.tarpit' must be a group");
	if (conf_check_keys(cx, g, keys, "guard.tarpit") < 0 ||
	    conf_get_bool(cx, g, "enabled", "guard.tarpit", &c->enabled) < 0 ||
	    guard_get_ms(cx, g, "step", "guard.tarpit", 60, &c->step_ms) < 0 ||
	    guard_get_ms(cx, g, "max", "guard.tarpit", 300, &c->max_ms) < 0)
		return -1;
	if (c->max_ms < c->step_ms)
		return conf_fail(cx, g, "guard.tarpit.max must not be below guard.tarpit.step");
	return 0;
}

/* rate_limits.NAME = { rate = N; per = SECONDS; burst = N; } */
static int
guard_load_rate(struct conf_ctx *cx, const config_setting_t *s, const char *name,
    struct conf_guard_rate *r)
{
	static const char *const keys[] = { "rate", "per", "burst", NULL };
	char where[64];

	snprintf(where, sizeof(where), "guard.rate_limits.%s", name);
	if (!config_setting_is_group(s))
		return conf_fail(cx, s, "'%s' must be a group { rate = N; per = SECONDS; "
		    "burst = N; }", where);
	if (conf_check_keys(cx, s, keys, where) < 0)
		return -1;
	if (config_setting_get_member(s, "rate") == NULL)
		return conf_fail(cx, s, "%s: 'rate' is required", where);
	r->per = 60;
	if (conf_get_u32(cx, s, "rate", where, 0, 1000000, &r->rate) < 0 ||
	    conf_get_u32(cx, s, "per", where, 1, 86400, &r->per) < 0)
		return -1;
	r->burst = r->rate > 0 ? r->rate : 1;
	return conf_get_u32(cx, s, "burst", where, 1, 1000000, &r->burst);
}

static int
guard_load_rates(struct conf_ctx *cx, const config_setting_t *g, struct conf_guard *c)
{
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard.rate_limits' must be a group");
	if (conf_check_keys(cx, g, conf_guard_scope_names, "guard.rate_limits") < 0)
		return -1;
	for (int i = 0; i < CONF_GUARD_NSCOPES; i++)
		if ((s = config_setting_get_member(g, conf_guard_scope_names[i])) != NULL &&
		    guard_load_rate(cx, s, conf_guard_scope_names[i], &c->rates[i]) < 0)
			return -1;
	return 0;
}

/* The elements of a list of strings, each checked by ok (NULL when fine,
 * else the reason), lower-cased into a new array. */
static int
guard_load_greylist(struct conf_ctx *cx, const config_setting_t *g, struct conf_greylist *c)
{
	static const char *const keys[] = { "enabled", "delay", "retry_window", "auto_allow",
		"domains", NULL };
	const config_setting_t *d;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard.greylisting' must be a group");
	if (conf_check_keys(cx, g, keys, "guard.greylisting") < 0 ||
	    conf_get_bool(cx, g, "enabled", "guard.greylisting", &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, "guard.greylisting", greylist_nums, GREYLIST_NNUMS, c) < 0)
		return -1;
	if ((d = config_setting_get_member(g, "domains")) == NULL)
		return 0;
	return conf_load_strings(cx, d, "guard.greylisting.domains", conf_domain_ok,
	    CONF_GUARD_MAX_LIST, &c->domains, &c->ndomains);
}

static int
guard_load_allow(struct conf_ctx *cx, const config_setting_t *list, struct conf_guard *c)
{
	int n;

	if (list == NULL)
		return 0;
	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "'guard.allow_ip' must be a list [ \"CIDR\", ... ]");
	if ((n = config_setting_length(list)) > CONF_GUARD_MAX_LIST)
		return conf_fail(cx, list, "guard.allow_ip: more than %d elements",
		    CONF_GUARD_MAX_LIST);
	if (n > 0 && (c->allow = calloc((size_t)n, sizeof(*c->allow))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const char *v = config_setting_get_string(s);

		if (v == NULL || conf_parse_cidr(v, &c->allow[c->nallow]) < 0)
			return conf_fail(cx, s, "guard.allow_ip: '%s' is not an address or CIDR",
			    v != NULL ? v : "(not a string)");
		c->nallow++;
	}
	return 0;
}

static const char *const screen_rdns_names[] = { "off", "log", "require", NULL };

/* codes = [ "127.0.0.2", ... ]: the answers that count as listed. */
static int
screen_load_codes(struct conf_ctx *cx, const config_setting_t *list, const char *where,
    struct conf_screen_zone *z)
{
	int n;

	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "%s.codes must be a list [ \"127.0.0.2\", ... ]",
		    where);
	if ((n = config_setting_length(list)) > CONF_SCREEN_MAX_CODES)
		return conf_fail(cx, list, "%s.codes: more than %d elements", where,
		    CONF_SCREEN_MAX_CODES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const char *v = config_setting_get_string(s);
		struct in_addr a;

		if (v == NULL || inet_pton(AF_INET, v, &a) != 1)
			return conf_fail(cx, s, "%s.codes: '%s' is not an IPv4 address", where,
			    v != NULL ? v : "(not a string)");
		z->codes[z->ncodes++] = ntohl(a.s_addr);
	}
	return 0;
}

static int
screen_load_zone(struct conf_ctx *cx, const config_setting_t *g, size_t i,
    struct conf_screen_zone *z)
{
	static const char *const keys[] = { "zone", "weight", "codes", NULL };
	const config_setting_t *codes;
	char where[64];

	snprintf(where, sizeof(where), "guard.screen.dnsbl[%zu]", i);
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "%s must be a group { zone; weight; codes; }", where);
	z->weight = 1;
	if (conf_check_keys(cx, g, keys, where) < 0)
		return -1;
	if (config_setting_get_member(g, "zone") == NULL)
		return conf_fail(cx, g, "%s: 'zone' is required", where);
	if (conf_get_string(cx, g, "zone", true, &z->zone) < 0 ||
	    guard_get_int(cx, g, "weight", where, -1000, 1000, &z->weight) < 0)
		return -1;
	if (conf_check_domain(z->zone) < 0)
		return conf_fail(cx, config_setting_get_member(g, "zone"),
		    "%s.zone: '%s' is not a domain name", where, z->zone);
	conf_lower(z->zone);
	if ((codes = config_setting_get_member(g, "codes")) == NULL)
		return 0;
	return screen_load_codes(cx, codes, where, z);
}

static int
guard_load_screen(struct conf_ctx *cx, const config_setting_t *g, struct conf_screen *c)
{
	static const char *const keys[] = { "dnsbl", "threshold", "allow_threshold", "rdns",
		"timeout", NULL };
	const config_setting_t *list;
	int rdns = (int)c->rdns, n;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard.screen' must be a group");
	if (conf_check_keys(cx, g, keys, "guard.screen") < 0 ||
	    conf_get_u32(cx, g, "threshold", "guard.screen", 1, 100000, &c->threshold) < 0 ||
	    guard_get_int(cx, g, "allow_threshold", "guard.screen", -100000, 0,
	    &c->allow_threshold) < 0 ||
	    conf_get_enum(cx, g, "rdns", screen_rdns_names, &rdns) < 0 ||
	    guard_get_ms(cx, g, "timeout", "guard.screen", 30, &c->timeout_ms) < 0)
		return -1;
	c->rdns = (enum conf_screen_rdns)rdns;
	if (c->timeout_ms == 0)
		return conf_fail(cx, g, "guard.screen.timeout must be above 0");
	if ((list = config_setting_get_member(g, "dnsbl")) == NULL)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return conf_fail(cx, list, "guard.screen.dnsbl must be a list ( { ... }, ... )");
	if ((n = config_setting_length(list)) > CONF_SCREEN_MAX_ZONES)
		return conf_fail(cx, list, "guard.screen.dnsbl: more than %d zones",
		    CONF_SCREEN_MAX_ZONES);
	if (n > 0 && (c->zones = calloc((size_t)n, sizeof(*c->zones))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < n; i++) {
		c->nzones++;
		if (screen_load_zone(cx, config_setting_get_elem(list, (unsigned)i),
		    (size_t)i, &c->zones[i]) < 0)
			return -1;
	}
	return 0;
}

static int
guard_load_idle(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_guard *c)
{
	static const char *const conf_idle_names[CONF_IDLE_KINDS] = { "max_rset", "max_noop",
		"max_help", "max_vrfy" };

	for (size_t i = 0; i < CONF_IDLE_KINDS; i++)
		if (conf_get_u32(cx, g, conf_idle_names[i], "guard", 0, 1000000,
		    &c->max_each[i]) < 0)
			return -1;
	return 0;
}

int
conf_load_guard(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_guard *c)
{
	static const char *const keys[] = { "rate_limits", "max_connections_per_ip",
		"allow_ip", "greylisting", "recipients", "pregreet", "strict_pipelining",
		"tarpit", "max_idle_commands", "max_rset", "max_noop", "max_help", "max_vrfy",
		"screen", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'guard' must be a group { ... }");
	if (conf_check_keys(cx, g, keys, "guard") < 0 ||
	    conf_get_u32(cx, g, "max_connections_per_ip", "guard", 0, 100000,
	    &c->max_connections_per_ip) < 0 ||
	    guard_load_rates(cx, config_setting_get_member(g, "rate_limits"), c) < 0 ||
	    guard_load_allow(cx, config_setting_get_member(g, "allow_ip"), c) < 0 ||
	    guard_load_greylist(cx, config_setting_get_member(g, "greylisting"),
	    &c->greylist) < 0 ||
	    guard_load_pregreet(cx, config_setting_get_member(g, "pregreet"),
	    &c->pregreet) < 0 ||
	    guard_load_tarpit(cx, config_setting_get_member(g, "tarpit"), &c->tarpit) < 0 ||
	    conf_get_bool(cx, g, "strict_pipelining", "guard", &c->strict_pipelining) < 0 ||
	    conf_get_u32(cx, g, "max_idle_commands", "guard", 0, 1000000,
	    &c->max_idle_commands) < 0 || guard_load_idle(cx, g, c) < 0 ||
	    guard_load_screen(cx, config_setting_get_member(g, "screen"), &c->screen) < 0)
		return -1;
	return conf_load_recipients(cx, config_setting_get_member(g, "recipients"),
	    &c->recipients);
}

void
conf_guard_free(struct conf_guard *c)
{
	free(c->allow);
	conf_strings_free(c->greylist.domains, c->greylist.ndomains);
	conf_recipients_free(&c->recipients);
	for (size_t i = 0; i < c->screen.nzones; i++)
		free(c->screen.zones[i].zone);
	free(c->screen.zones);
	memset(c, 0, sizeof(*c));
}
