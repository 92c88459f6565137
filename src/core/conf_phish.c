/* engine.phish (conf_phish.h): protected_domains = [ "DOMAIN", ... ];
 * brands = [ "LABEL", ... ]; free_hosting = [ "HOST", ... ];
 * redirectors = "FILE"; lookalike_distance = N; deep_subdomains = N. */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_parse.h"
#include "core/conf_phish.h"

const char *const conf_phish_brands_default[] = {
	"paypal", "microsoft", "office365", "outlook", "onedrive", "sharepoint", "apple",
	"icloud", "google", "gmail", "amazon", "netflix", "facebook", "instagram",
	"whatsapp", "linkedin", "dropbox", "docusign", "adobe", "wellsfargo", "chase",
	"bankofamerica", "citibank", "hsbc", "barclays", "santander", "americanexpress",
	"mastercard", "visa", "coinbase", "binance", "metamask", "blockchain", "dhl", "fedex",
	"usps", "royalmail", "steam", "roblox", "spotify", "yahoo", "ebay", "walmart",
	"booking", "airbnb", "irs", "hmrc", NULL,
};

static const struct conf_u32 phish_nums[] = {
	{ "lookalike_distance", offsetof(struct conf_phish, lookalike_distance), 1, 0, 3 },
	{ "deep_subdomains", offsetof(struct conf_phish, deep_subdomains), 4, 2, 32 },
};
#define PHISH_NNUMS	(sizeof(phish_nums) / sizeof(phish_nums[0]))

void
conf_phish_defaults(struct conf_phish *c)
{
	memset(c, 0, sizeof(*c));
	conf_u32_defaults(phish_nums, PHISH_NNUMS, c);
}

/* A brand: a lower case label of letters, digits and '-', 3 to 63 bytes. */
static const char *
phish_brand_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 63)
		return "must have 3 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return "is not a domain label (letters, digits, '-')";
	return NULL;
}

static int
phish_list(struct conf_ctx *cx, const config_setting_t *g, const char *name,
    const char *(*ok)(const char *), char ***out, size_t *n)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char where[64] = "engine.phish.";

	if (s == NULL)
		return 0;
	strncat(where, name, sizeof(where) - strlen(where) - 1);
	if (conf_load_strings(cx, s, where, ok, CONF_PHISH_MAX_NAMES, out, n) < 0)
		return -1;
	/* an empty list means "none", not "the default" */
	if (*out == NULL && (*out = calloc(1, sizeof(char *))) == NULL)
		return conf_fail(cx, s, "out of memory");
	return 0;
}

int
conf_load_phish(struct conf_ctx *cx, const config_setting_t *g, struct conf_phish *c)
{
	static const char *const keys[] = { "protected_domains", "brands", "free_hosting",
		"redirectors", "lookalike_distance", "deep_subdomains", NULL };

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.phish' must be a group { brands = [ ... ]; }");
	if (conf_check_keys(cx, g, keys, "engine.phish") < 0 ||
	    conf_load_u32s(cx, g, "engine.phish", phish_nums, PHISH_NNUMS, c) < 0 ||
	    conf_get_path(cx, g, "redirectors", false, &c->redirectors) < 0 ||
	    phish_list(cx, g, "protected_domains", conf_domain_ok, &c->protected,
	    &c->nprotected) < 0 ||
	    phish_list(cx, g, "brands", phish_brand_ok, &c->brands, &c->nbrands) < 0 ||
	    phish_list(cx, g, "free_hosting", conf_domain_ok, &c->free_hosting,
	    &c->nfree_hosting) < 0)
		return -1;
	return 0;
}

void
conf_phish_free(struct conf_phish *c)
{
	conf_strings_free(c->protected, c->nprotected);
	conf_strings_free(c->brands, c->nbrands);
	conf_strings_free(c->free_hosting, c->nfree_hosting);
	free(c->redirectors);
	memset(c, 0, sizeof(*c));
}
