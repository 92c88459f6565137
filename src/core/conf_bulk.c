/* engine.bulk (conf_bulk.h): enabled = true; action = "deliver";
 * recipients = 25; review_recipients = 100;
 * domains = ( { domain = "example.com"; action = "quarantine"; } );
 * users = ( { user = "ceo@example.com"; action = "tag"; } ). */
#include <ctype.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_bulk.h"
#include "core/conf_parse.h"

#define BULK_ADDR_MAX	320	/* bytes of an address */

const char *const conf_bulk_action_names[] = { "deliver", "tag", "quarantine", "hold",
	"discard", NULL };

static const struct conf_u32 bulk_nums[] = {
	{ "recipients", offsetof(struct conf_bulk, recipients), 25, 2, 1000000 },
	{ "review_recipients", offsetof(struct conf_bulk, review_recipients), 100, 1,
	  1000000 },
};
#define BULK_NNUMS	(sizeof(bulk_nums) / sizeof(bulk_nums[0]))

void
conf_bulk_defaults(struct conf_bulk *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->action = CONF_BULK_DELIVER;
	conf_u32_defaults(bulk_nums, BULK_NNUMS, c);
}

static int
bulk_rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_bulk_rule *)a)->name,
	    ((const struct conf_bulk_rule *)b)->name);
}

/* One { KEY = "name"; action = "..."; } of list where; key is "domain" or "user". */
static int
bulk_load_rule(struct conf_ctx *cx, const config_setting_t *e, const char *where,
    const char *key, struct conf_bulk_rule *r)
{
	const char *const keys[] = { key, "action", NULL };
	const char *at;
	int action = -1;
	bool user = strcmp(key, "user") == 0;

	if (!config_setting_is_group(e))
		return conf_fail(cx, e, "%s: each entry must be { %s = \"...\"; action = "
		    "\"...\"; }", where, key);
	if (conf_check_keys(cx, e, keys, where) < 0 ||
	    conf_get_string(cx, e, key, true, &r->name) < 0 ||
	    conf_get_enum(cx, e, "action", conf_bulk_action_names, &action) < 0)
		return -1;
	if (action < 0)
		return conf_fail(cx, e, "%s: '%s' has no action", where, r->name);
	r->action = (enum conf_bulk_action)action;
	conf_lower(r->name);
	at = strrchr(r->name, '@');
	if (strlen(r->name) > BULK_ADDR_MAX || (user && (at == NULL || at == r->name)) ||
	    conf_check_domain(user ? at + 1 : r->name) != 0)
		return conf_fail(cx, e, "%s: '%s' is not %s", where, r->name,
		    user ? "an address" : "a domain name");
	return 0;
}

static int
bulk_load_rules(struct conf_ctx *cx, const config_setting_t *g, const char *name,
    const char *key, struct conf_bulk_rule **out, size_t *n)
{
	const config_setting_t *l = config_setting_get_member(g, name);
	char where[64];
	int len;

	if (l == NULL)
		return 0;
	snprintf(where, sizeof(where), "engine.bulk.%s", name);
	if (!config_setting_is_list(l) || (len = config_setting_length(l)) > CONF_BULK_MAX_RULES)
		return conf_fail(cx, l, "%s must be a list ( { %s = \"...\"; action = \"...\"; } ) "
		    "of at most %d", where, key, CONF_BULK_MAX_RULES);
	if (len > 0 && (*out = calloc((size_t)len, sizeof(**out))) == NULL)
		return conf_fail(cx, l, "out of memory");
	*n = (size_t)len;	/* names not loaded yet are NULL: conf_bulk_free copes */
	for (int i = 0; i < len; i++)
		if (bulk_load_rule(cx, config_setting_get_elem(l, (unsigned)i), where, key,
		    &(*out)[i]) < 0)
			return -1;
	qsort(*out, *n, sizeof(**out), bulk_rule_cmp);
	for (size_t i = 1; i < *n; i++)
		if (strcmp((*out)[i - 1].name, (*out)[i].name) == 0)
			return conf_fail(cx, l, "%s: '%s' is listed twice", where, (*out)[i].name);
	return 0;
}

int
conf_load_bulk(struct conf_ctx *cx, const config_setting_t *g, struct conf_bulk *c)
{
	static const char *const keys[] = { "enabled", "action", "recipients",
		"review_recipients", "domains", "users", NULL };
	int action = (int)c->action;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.bulk' must be a group { action = \"...\"; }");
	if (conf_check_keys(cx, g, keys, "engine.bulk") < 0 ||
	    conf_get_bool(cx, g, "enabled", "engine.bulk", &c->enabled) < 0 ||
	    conf_get_enum(cx, g, "action", conf_bulk_action_names, &action) < 0 ||
	    conf_load_u32s(cx, g, "engine.bulk", bulk_nums, BULK_NNUMS, c) < 0 ||
	    bulk_load_rules(cx, g, "domains", "domain", &c->domains, &c->ndomains) < 0 ||
	    bulk_load_rules(cx, g, "users", "user", &c->users, &c->nusers) < 0)
		return -1;
	c->action = (enum conf_bulk_action)action;
	return 0;
}

static void
bulk_rules_free(struct conf_bulk_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}

void
conf_bulk_free(struct conf_bulk *c)
{
	bulk_rules_free(c->domains, c->ndomains);
	bulk_rules_free(c->users, c->nusers);
	c->domains = c->users = NULL;
	c->ndomains = c->nusers = 0;
}

static const struct conf_bulk_rule *
bulk_find(const struct conf_bulk_rule *r, size_t n, const char *name)
{
	struct conf_bulk_rule key = { .name = (char *)(uintptr_t)name };

	return n == 0 ? NULL : bsearch(&key, r, n, sizeof(*r), bulk_rule_cmp);
}

int
conf_bulk_action(const struct conf_bulk *c, const char *rcpt)
{
	char addr[BULK_ADDR_MAX + 1];
	const struct conf_bulk_rule *r;
	const char *at;
	size_t n = 0;

	if (*rcpt == '<')
		rcpt++;
	for (; rcpt[n] != '\0' && rcpt[n] != '>' && n < BULK_ADDR_MAX; n++)
		addr[n] = (char)tolower((unsigned char)rcpt[n]);
	addr[n] = '\0';
	if ((r = bulk_find(c->users, c->nusers, addr)) != NULL)
		return (int)r->action;
	if ((at = strrchr(addr, '@')) != NULL &&
	    (r = bulk_find(c->domains, c->ndomains, at + 1)) != NULL)
		return (int)r->action;
	return (int)c->action;
}
