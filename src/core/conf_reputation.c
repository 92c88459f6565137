/* engine.reputation (conf_reputation.h): zones with their code maps, local
 * lists and the history group, validated completely: every mistake is
 * reported as "FILE:LINE: reason". */
#include <arpa/inet.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/conf_parse.h"
#include "core/conf_reputation.h"

#define REP_NAME_MAX	320	/* bytes of an address or domain in a list */

const char *const conf_list_kind_names[] = { "ip", "sender", "domain", "helo", "rcpt", NULL };

static const char *const zone_list_names[] = { "dnsbl", "dnswl", "uribl", NULL };
static const char *const zone_type_names[] = { "ip", "domain", NULL };
static const char *const top_keys[] = { "dnsbl", "dnswl", "uribl", "lists", "history",
	"dnsbl_check_private", "max_domains", NULL };
static const char *const zone_keys[] = { "zone", "type", "symbol", "score", "weight",
	"category", "sender", "refused", "codes", NULL };
static const char *const code_keys[] = { "code", "mask", "symbol", "score", "category", NULL };
static const char *const history_keys[] = { "enabled", "persist", "state", "min_messages",
	"half_life_days", "max_memory", "save_interval", "clean_max_score", NULL };

/* Symbols of the reputation checks themselves: a zone may not take them. */
static const char *const reserved_prefixes[] = { "LIST_", "REP_", NULL };
static const char *const reserved_names[] = { "DNSBL_FAIL", "LISTS_FAIL", "REPUTATION_FAIL",
	NULL };

/* A symbol name met while loading, with where, for the duplicate check. */
struct rep_name {
	const char	*name;
	const config_setting_t *where;
};

struct rep_names {
	struct rep_name	*v;
	size_t		 n, cap;
};

void
conf_reputation_defaults(struct conf_reputation *c)
{
	memset(c, 0, sizeof(*c));
	c->max_domains = 20;
	c->history = (struct conf_history){ .enabled = true, .persist = true,
		.min_messages = 20, .half_life_days = 30.0, .max_memory = 64,
		.save_interval = 300, .clean_max_score = 2.0 };
}

/* Records name (checked: syntax, reserved, unique) at s. */
static int
rep_name_add(struct conf_ctx *cx, struct rep_names *ns, const config_setting_t *s,
    const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CONF_REP_SYMBOL_MAX)
		return conf_fail(cx, s, "symbol '%s': 1 to %d characters", name,
		    CONF_REP_SYMBOL_MAX);
	if (conf_check_symbol(cx, s, name) < 0)
		return -1;
	for (const char *const *r = reserved_prefixes; *r; r++)
		if (strncmp(name, *r, strlen(*r)) == 0)
			return conf_fail(cx, s, "symbol '%s': names starting with %s are the "
			    "reputation checks' own", name, *r);
	for (const char *const *r = reserved_names; *r; r++)
		if (strcmp(name, *r) == 0)
			return conf_fail(cx, s, "symbol '%s' is a check's own", name);
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].name, name) == 0)
			return conf_fail(cx, s, "symbol '%s' is already defined at line %d", name,
			    config_setting_source_line(ns->v[i].where));
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		struct rep_name *v = realloc(ns->v, cap * sizeof(*v));
		if (v == NULL)
			return conf_fail(cx, NULL, "out of memory");
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = (struct rep_name){ name, s };
	return 0;
}

/* A score of the zone's list: block lists score >= 0, allow lists <= 0. */
static int
rep_get_score(struct conf_ctx *cx, const config_setting_t *g, enum conf_zone_list list,
    double *out)
{
	return conf_get_real(cx, g, "score", NULL, list == CONF_ZONE_DNSWL ? -1000.0 : 0.0,
	    list == CONF_ZONE_DNSWL ? 0.0 : 1000.0, out);
}

/* "127.0.0.2": an A record a list answers with. */
static int
rep_parse_code(struct conf_ctx *cx, const config_setting_t *s, uint32_t *out)
{
	const char *v = config_setting_get_string(s);
	struct in_addr a;

	if (v == NULL || inet_pton(AF_INET, v, &a) != 1)
		return conf_fail(cx, s, "code must be an IPv4 address in quotes such as "
		    "\"127.0.0.2\"");
	*out = ntohl(a.s_addr);
	if ((*out >> 24) != 127)
		return conf_fail(cx, s, "code %s is not in 127.0.0.0/8", v);
	return 0;
}

/* "127.0.0.2" or [ "127.0.0.4", ... ] (code, refused) into *v. */
static int
rep_load_code_values(struct conf_ctx *cx, const config_setting_t *s, uint32_t **v, size_t *nv)
{
	const char *key = config_setting_name(s);
	bool many = config_setting_is_array(s) || config_setting_is_list(s);
	size_t n = many ? (size_t)config_setting_length(s) : 1;

	if (!many && config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_fail(cx, s, "%s must be \"127.0.0.2\" or [ \"127.0.0.4\", ... ]", key);
	if (n == 0 || n > 256)
		return conf_fail(cx, s, "%s: 1 to 256 answers", key);
	if ((*v = calloc(n, sizeof(**v))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = many ? config_setting_get_elem(s, (unsigned)i) : s;
		if (rep_parse_code(cx, e, &(*v)[(*nv)++]) < 0)
			return -1;
	}
	return 0;
}

static int
rep_load_code(struct conf_ctx *cx, const config_setting_t *s, struct conf_zone *z,
    struct conf_zone_code *c, struct rep_names *ns)
{
	const config_setting_t *code = config_setting_get_member(s, "code");
	const config_setting_t *mask = config_setting_get_member(s, "mask");
	uint32_t m = 0;

	c->line = config_setting_source_line(s);
	c->score = z->score;
	c->category = z->category;
	if (!config_setting_is_group(s))
		return conf_fail(cx, s, "each element of codes must be a group "
		    "{ code = \"127.0.0.2\"; symbol = \"NAME\"; score = N; }");
	if (conf_check_keys(cx, s, code_keys, NULL) < 0 ||
	    conf_get_string(cx, s, "symbol", true, &c->symbol) < 0 ||
	    rep_name_add(cx, ns, config_setting_get_member(s, "symbol"), c->symbol) < 0 ||
	    rep_get_score(cx, s, z->list, &c->score) < 0 ||
	    conf_get_enum(cx, s, "category", conf_category_names, &c->category) < 0)
		return -1;
	if ((code == NULL) == (mask == NULL))
		return conf_fail(cx, s, "a code entry needs exactly one of 'code' and 'mask'");
	if (code != NULL)
		return rep_load_code_values(cx, code, &c->codes, &c->ncodes);
	if (conf_get_u32(cx, s, "mask", NULL, 1, 0xffffff, &m) < 0)
		return -1;
	c->mask = m;
	return 0;
}

static int
rep_load_codes(struct conf_ctx *cx, const config_setting_t *s, struct conf_zone *z,
    struct rep_names *ns)
{
	int n = config_setting_length(s);

	if (!config_setting_is_list(s) && !config_setting_is_array(s))
		return conf_fail(cx, s, "codes must be a list "
		    "( { code = ...; symbol = ...; }, ... )");
	if (n > CONF_REP_MAX_CODES)
		return conf_fail(cx, s, "codes: at most %d entries", CONF_REP_MAX_CODES);
	if (n > 0 && (z->codes = calloc((size_t)n, sizeof(*z->codes))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++)
		if (rep_load_code(cx, config_setting_get_elem(s, (unsigned)i), z,
		    &z->codes[z->ncodes++], ns) < 0)
			return -1;
	return 0;
}

/* The zone's own symbol and its _FAIL companion. */
static int
rep_zone_symbols(struct conf_ctx *cx, const config_setting_t *s, struct conf_zone *z,
    struct rep_names *ns)
{
	const config_setting_t *sym;
	size_t len;

	if (conf_get_string(cx, s, "symbol", true, &z->symbol) < 0)
		return -1;
	sym = config_setting_get_member(s, "symbol");
	if (rep_name_add(cx, ns, sym, z->symbol) < 0)
		return -1;
	len = strlen(z->symbol);
	if (len + strlen("_FAIL") > CONF_REP_SYMBOL_MAX)
		return conf_fail(cx, sym, "symbol '%s': at most %d characters for a zone, "
		    "whose %s_FAIL must fit in %d", z->symbol,
		    CONF_REP_SYMBOL_MAX - (int)strlen("_FAIL"), z->symbol, CONF_REP_SYMBOL_MAX);
	if ((z->fail_symbol = malloc(len + sizeof("_FAIL"))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	memcpy(z->fail_symbol, z->symbol, len);
	memcpy(z->fail_symbol + len, "_FAIL", sizeof("_FAIL"));
	return rep_name_add(cx, ns, sym, z->fail_symbol);
}

static int
rep_load_zone(struct conf_ctx *cx, const config_setting_t *s, enum conf_zone_list list,
    struct conf_zone *z, struct rep_names *ns)
{
	const config_setting_t *codes, *refused;
	int type = list == CONF_ZONE_URIBL ? CONF_ZONE_DOMAIN : CONF_ZONE_IP;

	z->list = list;
	z->line = config_setting_source_line(s);
	z->weight = 1.0;
	z->score = list == CONF_ZONE_DNSWL ? -1.0 : 1.0;
	z->category = list == CONF_ZONE_DNSWL ? MG_CAT_CLEAN : MG_CAT_SPAM;
	if (!config_setting_is_group(s))
		return conf_fail(cx, s, "each %s entry must be a group { zone = \"...\"; "
		    "symbol = \"...\"; }", zone_list_names[list]);
	if (conf_check_keys(cx, s, zone_keys, NULL) < 0 ||
	    conf_get_string(cx, s, "zone", true, &z->zone) < 0 ||
	    conf_get_enum(cx, s, "type", zone_type_names, &type) < 0 ||
	    rep_zone_symbols(cx, s, z, ns) < 0 ||
	    rep_get_score(cx, s, list, &z->score) < 0 ||
	    conf_get_real(cx, s, "weight", NULL, 0.0, 100.0, &z->weight) < 0 ||
	    conf_get_enum(cx, s, "category", conf_category_names, &z->category) < 0 ||
	    conf_get_bool(cx, s, "sender", NULL, &z->sender) < 0)
		return -1;
	z->type = (enum conf_zone_type)type;
	conf_lower(z->zone);
	if (conf_check_domain(z->zone) < 0 || strchr(z->zone, '.') == NULL)
		return conf_fail(cx, config_setting_get_member(s, "zone"),
		    "zone '%s' is not a domain name such as \"zen.spamhaus.org\"", z->zone);
	if (z->sender && z->type != CONF_ZONE_DOMAIN)
		return conf_fail(cx, config_setting_get_member(s, "sender"),
		    "'sender' applies to zones of type \"domain\" only");
	if ((refused = config_setting_get_member(s, "refused")) != NULL &&
	    rep_load_code_values(cx, refused, &z->refused, &z->nrefused) < 0)
		return -1;
	if ((codes = config_setting_get_member(s, "codes")) != NULL &&
	    rep_load_codes(cx, codes, z, ns) < 0)
		return -1;
	return 0;
}

static int
rep_load_zones(struct conf_ctx *cx, const config_setting_t *g, struct conf_reputation *c,
    struct rep_names *ns)
{
	size_t total = 0;

	for (int l = 0; zone_list_names[l]; l++) {
		const config_setting_t *s = config_setting_get_member(g, zone_list_names[l]);
		if (s == NULL)
			continue;
		if (!config_setting_is_list(s) && !config_setting_is_array(s))
			return conf_fail(cx, s, "%s must be a list ( { zone = ...; }, ... )",
			    zone_list_names[l]);
		total += (size_t)config_setting_length(s);
	}
	if (total > CONF_REP_MAX_ZONES)
		return conf_fail(cx, g, "at most %d zones in dnsbl, dnswl and uribl together",
		    CONF_REP_MAX_ZONES);
	if (total > 0 && (c->zones = calloc(total, sizeof(*c->zones))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int l = 0; zone_list_names[l]; l++) {
		const config_setting_t *s = config_setting_get_member(g, zone_list_names[l]);
		int n = s ? config_setting_length(s) : 0;

		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			struct conf_zone *z = &c->zones[c->nzones++];

			if (rep_load_zone(cx, e, (enum conf_zone_list)l, z, ns) < 0)
				return -1;
			for (size_t j = 0; j + 1 < c->nzones; j++)
				if (strcmp(c->zones[j].zone, z->zone) == 0 &&
				    c->zones[j].type == z->type)
					return conf_fail(cx, e, "zone '%s' is already listed "
					    "at line %d", z->zone, c->zones[j].line);
		}
	}
	return 0;
}

/* "example.org", ".example.org" (and subdomains) */
static bool
rep_domain_ok(const char *v)
{
	return conf_check_domain(v[0] == '.' ? v + 1 : v) == 0;
}

/* "user@example.org": a local part without blanks, '@', a domain. */
static bool
rep_address_ok(const char *v)
{
	const char *at = strrchr(v, '@');

	if (at == NULL || at == v || at - v > 64 || conf_check_domain(at + 1) < 0)
		return false;
	for (const char *p = v; p < at; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '@')
			return false;
	return true;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]": a HELO address literal. */
static bool
rep_literal_ok(const char *v)
{
	char addr[64];
	size_t n = strlen(v);
	uint8_t buf[16];

	if (n < 3 || v[0] != '[' || v[n - 1] != ']' || n - 2 >= sizeof(addr))
		return false;
	memcpy(addr, v + 1, n - 2);
	addr[n - 2] = '\0';
	if (strncmp(addr, "ipv6:", 5) == 0)
		return inet_pton(AF_INET6, addr + 5, buf) == 1;
	return inet_pton(AF_INET, addr, buf) == 1;
}

/* One element of a names list, checked for its kind; a new lower-case string. */
static int
rep_list_name(struct conf_ctx *cx, const config_setting_t *e, enum conf_list_kind kind,
    const char *key, char **out)
{
	const char *v = config_setting_get_string(e);
	bool ok;

	if (v == NULL || *v == '\0' || strlen(v) > REP_NAME_MAX)
		return conf_fail(cx, e, "%s: each element must be a non-empty string in quotes "
		    "(at most %d bytes)", key, REP_NAME_MAX);
	if ((*out = strdup(v)) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	conf_lower(*out);
	switch (kind) {
	case CONF_LIST_SENDER:
		ok = rep_address_ok(*out);
		break;
	case CONF_LIST_DOMAIN:
		ok = rep_domain_ok(*out);
		break;
	case CONF_LIST_HELO:
		ok = rep_domain_ok(*out) || rep_literal_ok(*out);
		break;
	default:
		ok = strchr(*out, '@') ? rep_address_ok(*out) : rep_domain_ok(*out);
		break;
	}
	if (!ok)
		return conf_fail(cx, e, "%s: '%s' is not %s", key, v,
		    kind == CONF_LIST_SENDER ? "an address such as \"ceo@example.org\"" :
		    kind == CONF_LIST_HELO ? "a host name or an address literal \"[192.0.2.1]\"" :
		    kind == CONF_LIST_RCPT ? "an address or a domain (\".example.org\" with "
		    "subdomains)" : "a domain (\".example.org\" with subdomains)");
	return 0;
}

/* One element of an IP list: a CIDR without bits set past its prefix. */
static int
rep_list_net(struct conf_ctx *cx, const config_setting_t *e, const char *key,
    struct conf_network *out)
{
	const char *v = config_setting_get_string(e);
	unsigned bytes;

	if (v == NULL || conf_parse_cidr(v, out) < 0)
		return conf_fail(cx, e, "%s: '%s' is not an address or a CIDR such as "
		    "\"192.0.2.0/24\"", key, v ? v : "?");
	bytes = out->family == AF_INET ? 4 : 16;
	for (unsigned bit = out->prefix; bit < bytes * 8; bit++)
		if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
			return conf_fail(cx, e, "%s: '%s' has address bits set past /%u", key,
			    v, out->prefix);
	return 0;
}

static int
rep_load_list(struct conf_ctx *cx, const config_setting_t *s, enum conf_list_kind kind,
    struct conf_list *l)
{
	const char *key = config_setting_name(s);
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conf_fail(cx, s, "%s must be a list [ \"...\", ... ]", key);
	if (n > CONF_REP_MAX_LIST)
		return conf_fail(cx, s, "%s: at most %d entries", key, CONF_REP_MAX_LIST);
	if (n == 0)
		return 0;
	if (kind == CONF_LIST_IP ? (l->nets = calloc((size_t)n, sizeof(*l->nets))) == NULL :
	    (l->names = calloc((size_t)n, sizeof(*l->names))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int rc = kind == CONF_LIST_IP ? rep_list_net(cx, e, key, &l->nets[i]) :
		    rep_list_name(cx, e, kind, key, &l->names[i]);
		l->n += kind == CONF_LIST_IP || l->names[i] != NULL;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* lists = { allow_ip = [ ... ]; block_sender = [ ... ]; ... } */
static int
rep_load_lists(struct conf_ctx *cx, const config_setting_t *g, struct conf_reputation *c)
{
	int n = config_setting_length(g);

	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "lists must be a group { allow_ip = [ ... ]; ... }");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s), *kind;
		bool allow = strncmp(name, "allow_", 6) == 0;
		int k = -1;

		kind = allow ? name + 6 : strncmp(name, "block_", 6) == 0 ? name + 6 : NULL;
		for (int j = 0; kind != NULL && conf_list_kind_names[j]; j++)
			if (strcmp(kind, conf_list_kind_names[j]) == 0)
				k = j;
		if (k < 0)
			return conf_fail(cx, s, "unknown setting '%s' (allow_ or block_ with ip, "
			    "sender, domain, helo or rcpt)", name);
		if (rep_load_list(cx, s, (enum conf_list_kind)k,
		    allow ? &c->allow[k] : &c->block[k]) < 0)
			return -1;
	}
	return 0;
}

static int
rep_load_history(struct conf_ctx *cx, const config_setting_t *g, struct conf_history *h)
{
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "history must be a group { enabled = true; ... }");
	if (conf_check_keys(cx, g, history_keys, NULL) < 0 ||
	    conf_get_bool(cx, g, "enabled", NULL, &h->enabled) < 0 ||
	    conf_get_bool(cx, g, "persist", NULL, &h->persist) < 0 ||
	    conf_get_path(cx, g, "state", false, &h->state) < 0 ||
	    conf_get_u32(cx, g, "min_messages", NULL, 1, 1000000, &h->min_messages) < 0 ||
	    conf_get_real(cx, g, "half_life_days", NULL, 0.01, 3650.0,
	    &h->half_life_days) < 0 ||
	    conf_get_u32(cx, g, "max_memory", NULL, 1, 65536, &h->max_memory) < 0 ||
	    conf_get_u32(cx, g, "save_interval", NULL, 0, 86400, &h->save_interval) < 0 ||
	    conf_get_real(cx, g, "clean_max_score", NULL, -1000.0, 1000.0,
	    &h->clean_max_score) < 0)
		return -1;
	return 0;
}

int
conf_load_reputation(struct conf_ctx *cx, const struct config_setting_t *g,
    struct conf_reputation *c)
{
	struct rep_names ns = { 0 };
	const config_setting_t *s;
	int rc = -1;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.reputation' must be a group { dnsbl = ...; }");
	if (conf_check_keys(cx, g, top_keys, NULL) < 0 ||
	    conf_get_bool(cx, g, "dnsbl_check_private", NULL, &c->check_private) < 0 ||
	    conf_get_u32(cx, g, "max_domains", NULL, 0, 1000, &c->max_domains) < 0 ||
	    rep_load_zones(cx, g, c, &ns) < 0)
		goto out;
	if ((s = config_setting_get_member(g, "lists")) != NULL && rep_load_lists(cx, s, c) < 0)
		goto out;
	if ((s = config_setting_get_member(g, "history")) != NULL &&
	    rep_load_history(cx, s, &c->history) < 0)
		goto out;
	rc = 0;
out:
	free(ns.v);
	return rc;
}

static void
rep_list_free(struct conf_list *l)
{
	for (size_t i = 0; l->names != NULL && i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->nets);
}

void
conf_reputation_free(struct conf_reputation *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		struct conf_zone *z = &c->zones[i];
		for (size_t j = 0; j < z->ncodes; j++) {
			free(z->codes[j].codes);
			free(z->codes[j].symbol);
		}
		free(z->codes);
		free(z->refused);
		free(z->zone);
		free(z->symbol);
		free(z->fail_symbol);
	}
	free(c->zones);
	for (int k = 0; k < CONF_LIST_KINDS; k++) {
		rep_list_free(&c->allow[k]);
		rep_list_free(&c->block[k]);
	}
	free(c->history.state);
	memset(c, 0, sizeof(*c));
}
