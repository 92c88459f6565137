/* Loading and validating the configuration file (libconfig syntax; see
 * docs/configuration.md). Every error names the file, the line and the
 * reason; unknown settings are errors so that typos do not pass silently. */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/conf_parse.h"
#include "core/conf_users.h"

/* Numeric settings: default, minimum, maximum, in one place. */
struct conf_num {
	const char	*group;
	const char	*name;
	size_t		 off;
	unsigned	 width;		/* 4 or 8 bytes */
	uint64_t	 def, min, max;
};

#define NUM32(g, s, f, d, lo, hi) { g, #f, offsetof(struct mg_conf, s.f), 4, d, lo, hi }
#define NUM64(g, s, f, d, lo, hi) { g, #f, offsetof(struct mg_conf, s.f), 8, d, lo, hi }

static const struct conf_num conf_nums[] = {
	NUM64("limits", limits, max_message_size, 50u << 20, 1024, 2048ull << 20),
	NUM32("limits", limits, max_line_length, 2048, 512, 65536),
	NUM32("limits", limits, max_recipients, 1000, 1, 100000),
	NUM32("limits", limits, max_messages, 1000, 1, 1000000),
	NUM32("limits", limits, max_commands, 10000, 10, 10000000),
	NUM32("limits", limits, max_errors, 10, 1, 1000),
	NUM32("limits", limits, max_sessions, 1000, 1, 200000),
	NUM32("limits", limits, command_timeout, 300, 1, 3600),
	NUM32("limits", limits, data_timeout, 300, 1, 3600),
	NUM32("limits", limits, session_timeout, 3600, 10, 86400),
	NUM32("limits", limits, drain_timeout, 30, 0, 3600),
	NUM32("limits", limits, scan_timeout, 120, 1, 3600),
	NUM32("queue", queue, retry_min, 60, 1, 86400),
	NUM32("queue", queue, retry_max, 3600, 1, 604800),
	NUM32("queue", queue, lifetime, 432000, 60, 2592000),
	NUM32("queue", queue, max_deliveries, 100, 1, 10000),
	NUM32("queue", queue, max_per_destination, 20, 1, 1000),
	NUM32("queue", queue, connect_timeout, 30, 1, 600),
	NUM32("queue", queue, reply_timeout, 300, 1, 3600),
	NUM32("queue", queue, mx_port, 25, 1, 65535),
	NUM32("resolver", resolver, timeout, 5, 1, 60),
	{ "scan", "workers", offsetof(struct mg_conf, scan_workers), 4, 8, 1, 64 },
	NUM32("engine.mime", engine.mime, max_header_len, 64u << 10, 1024, 16u << 20),
	NUM32("engine.mime", engine.mime, max_headers, 1024, 16, 100000),
	NUM32("engine.mime", engine.mime, max_depth, 32, 1, 256),
	NUM32("engine.mime", engine.mime, max_parts, 1024, 1, 100000),
	NUM64("engine.mime", engine.mime, max_decoded, 64u << 20, 1u << 20, 2048ull << 20),
};

static const char *const top_keys[] = { "hostname", "user", "spool", "store",
	"log_level", "tls", "listeners", "domains", "outbound", "trusted_networks",
	"limits", "queue", "resolver", "scan", "engine", "guard", "users", "quarantine",
	"portal", NULL };
static const char *const tls_keys[] = { "certificate", "key", "ca", NULL };
static const char *const listener_keys[] = { "address", "role", "tls", "certificate",
	"key", "auth", "auth_plaintext", NULL };
static const char *const route_keys[] = { "name", "route", "tls", "auth", NULL };
static const char *const auth_keys[] = { "user", "password", NULL };
static const char *const resolver_keys[] = { "upstream", "timeout", NULL };

const char *const conf_category_names[] = { "clean", "spam", "bulk", "phishing",
	"malware", "bec", "policy", "dangerous", NULL };
const char *const conf_action_names[] = { "accept", "tag", "quarantine", "hold", "reject",
	NULL };

/* The engine's real-valued settings (scores and seconds), as conf_nums. */
struct conf_real {
	const char	*group;		/* under engine: "thresholds" or NULL */
	const char	*name;
	size_t		 off;		/* in struct conf_engine */
	double		 def, min, max;
};

static const struct conf_real conf_reals[] = {
	{ "thresholds", "tag", offsetof(struct conf_engine, tag), 5.0, -1000.0, 1e6 },
	{ "thresholds", "quarantine", offsetof(struct conf_engine, quarantine), 10.0, -1000.0, 1e6 },
	{ "thresholds", "reject", offsetof(struct conf_engine, reject), 20.0, -1000.0, 1e6 },
	{ NULL, "task_timeout", offsetof(struct conf_engine, task_timeout), 10.0, 0.01, 3600.0 },
	{ NULL, "check_timeout", offsetof(struct conf_engine, check_timeout), 5.0, 0.001, 3600.0 },
};
#define SYMBOL_SCORE_MAX	100000.0	/* |score| of one symbol */

/* Stores v into dst, n's field, at n's width. */
static void
conf_num_store(const struct conf_num *n, void *dst, uint64_t v)
{
	if (n->width == 8)
		*(uint64_t *)dst = v;
	else
		*(uint32_t *)dst = (uint32_t)v;
}

static int
conf_load_numbers(struct conf_ctx *cx, struct mg_conf *c)
{
	const char *group_names[8];
	size_t ngroups = 0;

	for (size_t i = 0; i < sizeof(conf_nums) / sizeof(conf_nums[0]); i++) {
		const struct conf_num *n = &conf_nums[i];
		const config_setting_t *g = config_lookup(cx->cfg, n->group);
		uint64_t v = n->def;

		if (g != NULL && conf_get_u64(cx, g, n->name, n->group, n->min, n->max, &v) < 0)
			return -1;
		conf_num_store(n, (char *)c + n->off, v);
		if (ngroups == 0 || strcmp(group_names[ngroups - 1], n->group) != 0)
			group_names[ngroups++] = n->group;
	}
	for (size_t i = 0; i < ngroups; i++) {
		const config_setting_t *g = config_lookup(cx->cfg, group_names[i]);
		const char *names[32];
		size_t k = 0;
		if (g == NULL || strcmp(group_names[i], "resolver") == 0)
			continue;
		for (size_t j = 0; j < sizeof(conf_nums) / sizeof(conf_nums[0]); j++)
			if (strcmp(conf_nums[j].group, group_names[i]) == 0)
				names[k++] = conf_nums[j].name;
		names[k] = NULL;
		if (!config_setting_is_group(g))
			return conf_fail(cx, g, "'%s' must be a group { ... }", group_names[i]);
		if (conf_check_keys(cx, g, names, NULL) < 0)
			return -1;
	}
	if (c->queue.retry_max < c->queue.retry_min)
		return conf_fail(cx, config_lookup(cx->cfg, "queue"),
		    "queue.retry_max (%u) is smaller than queue.retry_min (%u)",
		    c->queue.retry_max, c->queue.retry_min);
	return 0;
}

/* A PEM file named by setting name of group s must be readable. */
static int
conf_check_readable(struct conf_ctx *cx, const config_setting_t *s, const char *name,
    const char *path)
{
	if (path != NULL && access(path, R_OK) != 0)
		return conf_fail(cx, config_setting_get_member(s, name), "cannot read %s: %s",
		    path, strerror(errno));
	return 0;
}

/* Optional per-listener certificate: both files or neither. */
static int
conf_load_listener_cert(struct conf_ctx *cx, const config_setting_t *s,
    struct conf_listener *l)
{
	if (conf_get_path(cx, s, "certificate", false, &l->tls_cert) < 0 ||
	    conf_get_path(cx, s, "key", false, &l->tls_key) < 0)
		return -1;
	if ((l->tls_cert == NULL) != (l->tls_key == NULL))
		return conf_fail(cx, s, "listener %s: certificate and key go together",
		    l->address);
	if (conf_check_readable(cx, s, "certificate", l->tls_cert) < 0 ||
	    conf_check_readable(cx, s, "key", l->tls_key) < 0)
		return -1;
	return 0;
}

/* auth and auth_plaintext: outbound only, with a users file, and offered
 * somewhere (TLS or plaintext allowed). */
static int
conf_load_listener_auth(struct conf_ctx *cx, const config_setting_t *s,
    const struct mg_conf *c, struct conf_listener *l)
{
	static const char *const modes[] = { "off", "on", "required", NULL };
	int auth = 0;

	if (conf_get_enum(cx, s, "auth", modes, &auth) < 0 ||
	    conf_get_bool(cx, s, "auth_plaintext", "listener", &l->auth_plaintext) < 0)
		return -1;
	l->auth = (enum conf_listen_auth)auth;
	if (l->auth == CONF_LAUTH_OFF)
		return 0;
	if (l->role != CONF_ROLE_OUTBOUND)
		return conf_fail(cx, s, "listener %s: auth is for outbound listeners", l->address);
	if (c->users_path == NULL)
		return conf_fail(cx, s, "listener %s: auth needs a users file (users = ...)",
		    l->address);
	if (l->tls == CONF_LTLS_NONE && !l->auth_plaintext)
		return conf_fail(cx, s, "listener %s: auth needs tls (or auth_plaintext = true)",
		    l->address);
	return 0;
}

static int
conf_load_listeners(struct conf_ctx *cx, struct mg_conf *c)
{
	static const char *const roles[] = { "inbound", "outbound", NULL };
	static const char *const modes[] = { "none", "starttls", "required", NULL };
	const config_setting_t *list = config_lookup(cx->cfg, "listeners");
	int n;

	if (list == NULL)
		return conf_fail(cx, NULL, "no 'listeners' defined");
	if (!config_setting_is_list(list) || (n = config_setting_length(list)) == 0)
		return conf_fail(cx, list, "'listeners' must be a non-empty list ( {...}, ... )");
	if ((c->listeners = calloc((size_t)n, sizeof(*c->listeners))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct conf_listener *l = &c->listeners[c->nlisteners++];
		int role = 0, tls = 0;

		l->line = config_setting_source_line(s);
		if (!config_setting_is_group(s))
			return conf_fail(cx, s, "a listener must be a group { address = ...; }");
		if (conf_check_keys(cx, s, listener_keys, NULL) < 0 ||
		    conf_get_string(cx, s, "address", true, &l->address) < 0 ||
		    conf_get_enum(cx, s, "role", roles, &role) < 0 ||
		    conf_get_enum(cx, s, "tls", modes, &tls) < 0)
			return -1;
		if (conf_parse_hostport(l->address, 0, l->host, sizeof(l->host), &l->port) < 0)
			return conf_fail(cx, config_setting_get_member(s, "address"),
			    "listener address '%s' is not HOST:PORT or [IPV6]:PORT", l->address);
		l->role = (enum conf_role)role;
		l->tls = (enum conf_listen_tls)tls;
		if (conf_load_listener_cert(cx, s, l) < 0 ||
		    conf_load_listener_auth(cx, s, c, l) < 0)
			return -1;
		if (l->tls != CONF_LTLS_NONE && c->tls_cert == NULL && l->tls_cert == NULL)
			return conf_fail(cx, s, "listener %s uses TLS but tls.certificate is not set",
			    l->address);
		for (size_t j = 0; j + 1 < c->nlisteners; j++)
			if (strcmp(c->listeners[j].host, l->host) == 0 && c->listeners[j].port == l->port)
				return conf_fail(cx, s, "listener %s is defined twice", l->address);
	}
	return 0;
}

static int
conf_load_route_auth(struct conf_ctx *cx, const config_setting_t *s, struct conf_route *r)
{
	const config_setting_t *a = config_setting_get_member(s, "auth");

	if (a == NULL)
		return 0;
	if (!config_setting_is_group(a))
		return conf_fail(cx, a, "'auth' must be a group { user = ...; password = ...; }");
	if (conf_check_keys(cx, a, auth_keys, NULL) < 0 ||
	    conf_get_string(cx, a, "user", true, &r->auth_user) < 0 ||
	    conf_get_string(cx, a, "password", true, &r->auth_password) < 0)
		return -1;
	if (r->tls == CONF_TLS_NONE || r->tls == CONF_TLS_OPPORTUNISTIC)
		return conf_fail(cx, a, "auth needs tls = \"required\" or \"verify\" so that the "
		    "password never travels in clear text");
	return 0;
}

/* One route: "host", "host:port" or (outbound only) "mx". */
static int
conf_load_route(struct conf_ctx *cx, const config_setting_t *s, bool allow_mx,
    struct conf_route *r)
{
	static const char *const policies[] = { "none", "opportunistic", "required", "verify", NULL };
	char *spec = NULL, host[256];
	int tls = 1;

	r->line = config_setting_source_line(s);
	if (conf_get_string(cx, s, "route", !allow_mx, &spec) < 0 ||
	    conf_get_enum(cx, s, "tls", policies, &tls) < 0)
		goto fail;
	r->tls = (enum conf_tls_policy)tls;
	if (spec == NULL || (allow_mx && strcasecmp(spec, "mx") == 0)) {
		free(spec);
		return conf_load_route_auth(cx, s, r);
	}
	if (conf_parse_hostport(spec, 25, host, sizeof(host), &r->port) < 0) {
		conf_fail(cx, config_setting_get_member(s, "route"),
		    "route '%s' is not HOST, HOST:PORT or [IPV6]:PORT%s", spec,
		    allow_mx ? " or \"mx\"" : "");
		goto fail;
	}
	free(spec);
	if ((r->host = strdup(host)) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	return conf_load_route_auth(cx, s, r);
fail:
	free(spec);
	return -1;
}

static int
conf_load_domains(struct conf_ctx *cx, struct mg_conf *c)
{
	const config_setting_t *list = config_lookup(cx->cfg, "domains");
	int n;

	if (list == NULL)
		return conf_fail(cx, NULL, "no protected 'domains' defined");
	if (!config_setting_is_list(list) || (n = config_setting_length(list)) == 0)
		return conf_fail(cx, list, "'domains' must be a non-empty list ( {...}, ... )");
	if ((c->routes = calloc((size_t)n, sizeof(*c->routes))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct conf_route *r = &c->routes[c->nroutes++];

		if (!config_setting_is_group(s))
			return conf_fail(cx, s, "a domain must be a group { name = ...; route = ...; }");
		if (conf_check_keys(cx, s, route_keys, NULL) < 0 ||
		    conf_get_string(cx, s, "name", true, &r->domain) < 0)
			return -1;
		if (conf_check_domain(r->domain) < 0)
			return conf_fail(cx, config_setting_get_member(s, "name"),
			    "'%s' is not a valid domain name", r->domain);
		conf_lower(r->domain);
		if (conf_load_route(cx, s, false, r) < 0)
			return -1;
		for (size_t j = 0; j + 1 < c->nroutes; j++)
			if (strcmp(c->routes[j].domain, r->domain) == 0)
				return conf_fail(cx, s, "domain %s is defined twice", r->domain);
	}
	return 0;
}

static int
conf_load_outbound(struct conf_ctx *cx, struct mg_conf *c)
{
	static const char *const keys[] = { "route", "tls", "auth", NULL };
	const config_setting_t *s = config_lookup(cx->cfg, "outbound");

	c->outbound.tls = CONF_TLS_OPPORTUNISTIC;
	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return conf_fail(cx, s, "'outbound' must be a group { route = ...; }");
	if (conf_check_keys(cx, s, keys, NULL) < 0)
		return -1;
	return conf_load_route(cx, s, true, &c->outbound);
}

static int
conf_load_trusted(struct conf_ctx *cx, struct mg_conf *c)
{
	const config_setting_t *list = config_lookup(cx->cfg, "trusted_networks");
	int n;

	if (list == NULL)
		return 0;
	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "'trusted_networks' must be a list [ \"CIDR\", ... ]");
	n = config_setting_length(list);
	if (n && (c->trusted = calloc((size_t)n, sizeof(*c->trusted))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const char *v = config_setting_get_string(s);
		if (v == NULL || conf_parse_cidr(v, &c->trusted[c->ntrusted]) < 0)
			return conf_fail(cx, s, "trusted network '%s' is not an address or CIDR",
			    v ? v : "(not a string)");
		c->ntrusted++;
	}
	return 0;
}

static int
conf_load_files(struct conf_ctx *cx, struct mg_conf *c)
{
	const config_setting_t *t = config_lookup(cx->cfg, "tls");

	if (conf_get_path(cx, NULL, "spool", true, &c->spool_dir) < 0 ||
	    conf_get_path(cx, NULL, "store", true, &c->store_path) < 0 ||
	    conf_get_path(cx, NULL, "users", false, &c->users_path) < 0 ||
	    conf_load_users(cx, c) < 0)
		return -1;
	if (t == NULL)
		return 0;
	if (!config_setting_is_group(t))
		return conf_fail(cx, t, "'tls' must be a group { certificate = ...; key = ...; }");
	if (conf_check_keys(cx, t, tls_keys, NULL) < 0 ||
	    conf_get_path(cx, t, "certificate", true, &c->tls_cert) < 0 ||
	    conf_get_path(cx, t, "key", true, &c->tls_key) < 0 ||
	    conf_get_path(cx, t, "ca", false, &c->tls_ca) < 0)
		return -1;
	if (conf_check_readable(cx, t, "certificate", c->tls_cert) < 0 ||
	    conf_check_readable(cx, t, "key", c->tls_key) < 0)
		return -1;
	return 0;
}

static int
conf_load_misc(struct conf_ctx *cx, struct mg_conf *c)
{
	const config_setting_t *r = config_lookup(cx->cfg, "resolver");
	char *level = NULL;

	if (conf_get_string(cx, NULL, "hostname", false, &c->hostname) < 0 ||
	    conf_get_string(cx, NULL, "user", false, &c->user) < 0 ||
	    conf_get_string(cx, NULL, "log_level", false, &level) < 0)
		return -1;
	c->log_level = LOG_LVL_INFO;
	if (level && log_level_parse(level, &c->log_level) < 0) {
		free(level);
		return conf_fail(cx, config_lookup(cx->cfg, "log_level"),
		    "log_level must be one of crit, err, warn, info, debug");
	}
	free(level);
	if (c->hostname == NULL && (c->hostname = conf_default_hostname()) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	if (c->user == NULL && (c->user = strdup("mailgate")) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	if (r && (conf_check_keys(cx, r, resolver_keys, NULL) < 0 ||
	    conf_get_string(cx, r, "upstream", false, &c->resolver.upstream) < 0))
		return -1;
	return 0;
}

void
conf_engine_defaults(struct conf_engine *e)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < sizeof(conf_reals) / sizeof(conf_reals[0]); i++)
		*(double *)((char *)e + conf_reals[i].off) = conf_reals[i].def;
	/* engine.mime: the defaults of the numeric table, one place for both */
	for (size_t i = 0; i < sizeof(conf_nums) / sizeof(conf_nums[0]); i++) {
		const struct conf_num *n = &conf_nums[i];
		size_t off = n->off - offsetof(struct mg_conf, engine);

		if (strcmp(n->group, "engine.mime") == 0)
			conf_num_store(n, (char *)e + off, n->def);
	}
	e->network = true;
	conf_auth_defaults(&e->auth);
	conf_dkim_defaults(&e->dkim);
	conf_rules_defaults(&e->rules);
	conf_av_defaults(&e->av);
	conf_yara_defaults(&e->yara);
	conf_dangerous_defaults(&e->dangerous);
	conf_bayes_defaults(&e->bayes);
	conf_model_defaults(&e->model);
	conf_reputation_defaults(&e->reputation);
	conf_intel_defaults(&e->intel);
	conf_phish_defaults(&e->phish);
	conf_bec_defaults(&e->bec);
	conf_cloud_defaults(&e->cloud);
	conf_landing_defaults(&e->landing);
	conf_images_defaults(&e->images);
	conf_account_defaults(&e->account);
	conf_bulk_defaults(&e->bulk);
}

void
conf_engine_free(struct conf_engine *e)
{
	for (size_t i = 0; i < e->nsymbols; i++)
		free(e->symbols[i].name);
	free(e->symbols);
	conf_auth_free(&e->auth);
	conf_dkim_free(&e->dkim);
	conf_rules_free(&e->rules);
	conf_av_free(&e->av);
	conf_yara_free(&e->yara);
	conf_dangerous_free(&e->dangerous);
	conf_bayes_free(&e->bayes);
	conf_model_free(&e->model);
	conf_reputation_free(&e->reputation);
	conf_intel_free(&e->intel);
	conf_phish_free(&e->phish);
	conf_bec_free(&e->bec);
	conf_cloud_free(&e->cloud);
	conf_landing_free(&e->landing);
	conf_images_free(&e->images);
	conf_account_free(&e->account);
	conf_bulk_free(&e->bulk);
	memset(e, 0, sizeof(*e));
}

/* engine.network and the groups each anti-spam area loads itself. */
static int
conf_load_engine_areas(struct conf_ctx *cx, const config_setting_t *eng, struct conf_engine *e)
{
	if (conf_get_bool(cx, eng, "network", "engine", &e->network) < 0 ||
	    conf_load_auth(cx, config_setting_get_member(eng, "auth"), &e->auth) < 0 ||
	    conf_load_dkim(cx, config_setting_get_member(eng, "dkim"), &e->dkim) < 0 ||
	    conf_load_rules(cx, config_setting_get_member(eng, "rules"), &e->rules) < 0 ||
	    conf_load_av(cx, config_setting_get_member(eng, "av"), &e->av) < 0 ||
	    conf_load_yara(cx, config_setting_get_member(eng, "yara"), &e->yara) < 0 ||
	    conf_load_dangerous(cx, config_setting_get_member(eng, "dangerous"),
	    &e->dangerous) < 0 ||
	    conf_load_bayes(cx, config_setting_get_member(eng, "bayes"), &e->bayes) < 0 ||
	    conf_load_model(cx, config_setting_get_member(eng, "model"), &e->model) < 0 ||
	    conf_load_reputation(cx, config_setting_get_member(eng, "reputation"),
	    &e->reputation) < 0 ||
	    conf_load_intel(cx, config_setting_get_member(eng, "intel"), &e->intel) < 0 ||
	    conf_load_phish(cx, config_setting_get_member(eng, "phish"), &e->phish) < 0)
		return -1;
	if (conf_load_bec(cx, config_setting_get_member(eng, "bec"), &e->bec) < 0 ||
	    conf_load_cloud(cx, config_setting_get_member(eng, "cloud"), &e->cloud) < 0 ||
	    conf_load_landing(cx, config_setting_get_member(eng, "landing"), &e->landing) < 0 ||
	    conf_load_images(cx, config_setting_get_member(eng, "images"), &e->images) < 0 ||
	    conf_load_account(cx, config_setting_get_member(eng, "account"), &e->account) < 0 ||
	    conf_load_bulk(cx, config_setting_get_member(eng, "bulk"), &e->bulk) < 0)
		return -1;
	return 0;
}

static int
conf_load_engine_reals(struct conf_ctx *cx, const config_setting_t *eng,
    struct conf_engine *e)
{
	static const char *const thr_keys[] = { "tag", "quarantine", "reject", NULL };
	const config_setting_t *thr = config_setting_get_member(eng, "thresholds");

	if (thr != NULL && !config_setting_is_group(thr))
		return conf_fail(cx, thr, "'engine.thresholds' must be a group { tag = ...; }");
	if (thr != NULL && conf_check_keys(cx, thr, thr_keys, NULL) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(conf_reals) / sizeof(conf_reals[0]); i++) {
		const struct conf_real *r = &conf_reals[i];
		const config_setting_t *g = r->group ? thr : eng;

		if (g != NULL && conf_get_real(cx, g, r->name,
		    r->group ? "engine.thresholds" : "engine", r->min, r->max,
		    (double *)((char *)e + r->off)) < 0)
			return -1;
	}
	if (e->quarantine < e->tag || e->reject < e->quarantine)
		return conf_fail(cx, thr, "engine.thresholds must be tag <= quarantine <= reject "
		    "(%g, %g, %g)", e->tag, e->quarantine, e->reject);
	if (e->check_timeout > e->task_timeout)
		return conf_fail(cx, eng, "engine.check_timeout (%g) is longer than "
		    "engine.task_timeout (%g)", e->check_timeout, e->task_timeout);
	return 0;
}

/* NAME = 2.5; or NAME = { score = 2.5; category = "phishing"; force = "reject"; }; */
static int
conf_load_symbol(struct conf_ctx *cx, const config_setting_t *s, struct conf_symbol *sym)
{
	static const char *const keys[] = { "score", "category", "force", NULL };
	const config_setting_t *v = s;
	const char *name = config_setting_name(s);

	sym->line = config_setting_source_line(s);
	sym->category = sym->force = -1;
	if (conf_check_symbol(cx, s, name) < 0)
		return -1;
	if ((sym->name = strdup(name)) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	if (config_setting_is_group(s)) {
		if (conf_check_keys(cx, s, keys, NULL) < 0 ||
		    conf_get_enum(cx, s, "category", conf_category_names, &sym->category) < 0 ||
		    conf_get_enum(cx, s, "force", conf_action_names, &sym->force) < 0)
			return -1;
		v = config_setting_get_member(s, "score");
	}
	if (v == NULL)
		return 0;
	if (conf_number(v, &sym->score) < 0)
		return conf_fail(cx, v, "score of %s must be a number", name);
	if (fabs(sym->score) > SYMBOL_SCORE_MAX)
		return conf_fail(cx, v, "score of %s = %g is out of range [%g, %g]", name,
		    sym->score, -SYMBOL_SCORE_MAX, SYMBOL_SCORE_MAX);
	sym->has_score = true;
	return 0;
}

static int
conf_load_engine(struct conf_ctx *cx, struct mg_conf *c)
{
	static const char *const keys[] = { "thresholds", "task_timeout", "check_timeout",
		"scores", "mime", "network", "auth", "dkim", "rules", "av", "bayes", "model",
		"reputation", "yara", "dangerous", "intel", "phish", "bec", "cloud", "landing",
		"images", "account", "bulk", NULL };
	const config_setting_t *eng = config_lookup(cx->cfg, "engine"), *sc;
	int n;

	conf_engine_defaults(&c->engine);
	if (eng == NULL)
		return 0;
	if (!config_setting_is_group(eng))
		return conf_fail(cx, eng, "'engine' must be a group { thresholds = ...; }");
	if (conf_check_keys(cx, eng, keys, NULL) < 0 ||
	    conf_load_engine_reals(cx, eng, &c->engine) < 0 ||
	    conf_load_engine_areas(cx, eng, &c->engine) < 0)
		return -1;
	if ((sc = config_setting_get_member(eng, "scores")) == NULL)
		return 0;
	if (!config_setting_is_group(sc))
		return conf_fail(cx, sc, "'engine.scores' must be a group { SYMBOL = score; }");
	if ((n = config_setting_length(sc)) == 0)
		return 0;
	if ((c->engine.symbols = calloc((size_t)n, sizeof(*c->engine.symbols))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++)
		if (conf_load_symbol(cx, config_setting_get_elem(sc, (unsigned)i),
		    &c->engine.symbols[c->engine.nsymbols++]) < 0)
			return -1;
	return 0;
}

/* The call-out's domains must be protected ones (their routes name the
 * server to probe). */
static int
conf_check_callout(struct conf_ctx *cx, const config_setting_t *g, const struct mg_conf *c)
{
	const struct conf_rcpt_callout *co = &c->guard.recipients.callout;

	for (size_t i = 0; i < co->ndomains; i++)
		if (conf_route_for(c, co->domains[i], strlen(co->domains[i])) == NULL)
			return conf_fail(cx, g, "guard.recipients.callout: %s is not a "
			    "protected domain", co->domains[i]);
	return 0;
}

struct mg_conf *
conf_load(const char *path, char *err, size_t errlen)
{
	config_t cfg;
	struct conf_ctx cx = { &cfg, path, err, errlen, NULL };
	struct mg_conf *c = calloc(1, sizeof(*c));

	config_init(&cfg);
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	conf_guard_defaults(&c->guard);
	conf_quarantine_defaults(&c->quarantine);
	conf_portal_defaults(&c->portal);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", config_error_file(&cfg) ?
			    config_error_file(&cfg) : path, config_error_line(&cfg),
			    config_error_text(&cfg));
		goto fail;
	}
	if (conf_base_dir(&cx) < 0 ||
	    conf_check_keys(&cx, config_root_setting(&cfg), top_keys, NULL) < 0 ||
	    conf_load_misc(&cx, c) < 0 || conf_load_files(&cx, c) < 0 ||
	    conf_load_engine(&cx, c) < 0 ||	/* its defaults first: numbers fill engine.mime */
	    conf_load_numbers(&cx, c) < 0 || conf_load_listeners(&cx, c) < 0 ||
	    conf_load_domains(&cx, c) < 0 || conf_load_outbound(&cx, c) < 0 ||
	    conf_load_trusted(&cx, c) < 0 ||
	    conf_load_guard(&cx, config_lookup(&cfg, "guard"), &c->guard) < 0 ||
	    conf_check_callout(&cx, config_lookup(&cfg, "guard.recipients.callout"), c) < 0 ||
	    conf_load_quarantine(&cx, config_lookup(&cfg, "quarantine"), &c->quarantine) < 0 ||
	    conf_load_portal(&cx, config_lookup(&cfg, "portal"), &c->portal) < 0)
		goto fail;
	free(cx.base);
	config_destroy(&cfg);
	return c;
fail:
	free(cx.base);
	config_destroy(&cfg);
	conf_free(c);
	return NULL;
}

static void
conf_route_clear(struct conf_route *r)
{
	free(r->domain);
	free(r->host);
	free(r->auth_user);
	free(r->auth_password);
}

struct mg_conf *
conf_free(struct mg_conf *c)
{
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->nlisteners; i++) {
		free(c->listeners[i].address);
		free(c->listeners[i].tls_cert);
		free(c->listeners[i].tls_key);
	}
	for (size_t i = 0; i < c->nroutes; i++)
		conf_route_clear(&c->routes[i]);
	conf_route_clear(&c->outbound);
	free(c->listeners);
	free(c->routes);
	free(c->trusted);
	conf_users_free(c);
	free(c->path);
	free(c->hostname);
	free(c->user);
	free(c->spool_dir);
	free(c->store_path);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->resolver.upstream);
	conf_engine_free(&c->engine);
	conf_guard_free(&c->guard);
	conf_quarantine_free(&c->quarantine);
	conf_portal_free(&c->portal);
	free(c);
	return NULL;
}

const struct conf_route *
conf_route_for(const struct mg_conf *c, const char *domain, size_t len)
{
	for (size_t i = 0; i < c->nroutes; i++) {
		const char *d = c->routes[i].domain;
		if (strlen(d) == len && strncasecmp(d, domain, len) == 0)
			return &c->routes[i];
	}
	return NULL;
}
