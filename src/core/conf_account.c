/* engine.account (conf_account.h): enabled = true; burst_factor = 5.0;
 * min_burst = 50; min_burst_recipients = 500; many_internal = 50;
 * baseline_hours = 168; finance_senders = [ "ap@example.com", "@finance.example.com" ];
 * first_seen = { enabled = true; warmup = 1000; }. */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_account.h"
#include "core/conf_parse.h"

static const struct conf_u32 account_nums[] = {
	{ "min_burst", offsetof(struct conf_account, min_burst), 50, 1, 1000000 },
	{ "min_burst_recipients", offsetof(struct conf_account, min_burst_recipients), 500, 1,
	  10000000 },
	{ "many_internal", offsetof(struct conf_account, many_internal), 50, 1, 1000000 },
	{ "baseline_hours", offsetof(struct conf_account, baseline_hours), 168, 1, 8760 },
};
#define ACCOUNT_NNUMS	(sizeof(account_nums) / sizeof(account_nums[0]))

static const struct conf_u32 first_seen_nums[] = {
	{ "warmup", offsetof(struct conf_first_seen, warmup), 1000, 0, 100000000 },
};

void
conf_account_defaults(struct conf_account *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->burst_factor = 5.0;
	conf_u32_defaults(account_nums, ACCOUNT_NNUMS, c);
	c->first_seen.enabled = true;
	conf_u32_defaults(first_seen_nums, 1, &c->first_seen);
}

/* An address "user@domain" or a whole domain "@domain". */
static const char *
account_finance_ok(const char *v)
{
	const char *at = strrchr(v, '@');

	if (at == NULL || strchr(v, ' ') != NULL || strlen(v) > 320 ||
	    conf_check_domain(at + 1) != 0)
		return "is not an address or @domain";
	return NULL;
}

static int
account_load_first_seen(struct conf_ctx *cx, const config_setting_t *g,
    struct conf_first_seen *c)
{
	static const char *const keys[] = { "enabled", "warmup", NULL };
	static const char where[] = "engine.account.first_seen";

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group { warmup = N; }", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_bool(cx, g, "enabled", where, &c->enabled) < 0 ||
	    conf_load_u32s(cx, g, where, first_seen_nums, 1, c) < 0)
		return -1;
	return 0;
}

int
conf_load_account(struct conf_ctx *cx, const config_setting_t *g, struct conf_account *c)
{
	static const char *const keys[] = { "enabled", "burst_factor", "min_burst",
		"min_burst_recipients", "many_internal", "baseline_hours", "finance_senders",
		"first_seen", NULL };
	static const char where[] = "engine.account";
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'%s' must be a group { min_burst = N; ... }", where);
	if (conf_check_keys(cx, g, keys, where) < 0 ||
	    conf_get_bool(cx, g, "enabled", where, &c->enabled) < 0 ||
	    conf_get_real(cx, g, "burst_factor", where, 1.0, 1000.0, &c->burst_factor) < 0 ||
	    conf_load_u32s(cx, g, where, account_nums, ACCOUNT_NNUMS, c) < 0 ||
	    account_load_first_seen(cx, config_setting_get_member(g, "first_seen"),
	    &c->first_seen) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "finance_senders")) != NULL &&
	    conf_load_strings(cx, s, "engine.account.finance_senders", account_finance_ok,
	    CONF_ACCOUNT_MAX_FINANCE, &c->finance_senders, &c->nfinance_senders) < 0)
		return -1;
	return 0;
}

void
conf_account_free(struct conf_account *c)
{
	conf_strings_free(c->finance_senders, c->nfinance_senders);
	c->finance_senders = NULL;
	c->nfinance_senders = 0;
}

bool
conf_account_finance(const struct conf_account *c, const char *addr)
{
	const char *at = strrchr(addr, '@');

	for (size_t i = 0; i < c->nfinance_senders; i++) {
		const char *f = c->finance_senders[i];
		if (strcmp(f, addr) == 0 || (f[0] == '@' && at != NULL && strcmp(f, at) == 0))
			return true;
	}
	return false;
}
