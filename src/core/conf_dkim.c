/* engine.dkim (conf_dkim.h): verify = true|false and the signing keys
 * sign = ( { domain = "..."; selector = "..."; key = "FILE"; } ), each key
 * read and checked here so that a bad one stops the configuration with
 * its file and line. */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/conf_dkim.h"
#include "core/conf_parse.h"

#define DKIM_KEY_MIN_BITS	1024
#define DKIM_KEY_MAX_BITS	8192

void
conf_dkim_defaults(struct conf_dkim *c)
{
	c->verify = true;
	c->sign = NULL;
	c->nsign = 0;
}

struct evp_pkey_st *
conf_dkim_key_read(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	FILE *f;
	int bits;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot read DKIM key %s: %s", path, strerror(errno));
		return NULL;
	}
	pk = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	ERR_clear_error();
	if (pk == NULL || (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA &&
	    EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519)) {
		snprintf(err, errlen, "%s is not an unencrypted PEM RSA or Ed25519 private key",
		    path);
		EVP_PKEY_free(pk);
		return NULL;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    (bits < DKIM_KEY_MIN_BITS || bits > DKIM_KEY_MAX_BITS)) {
		snprintf(err, errlen, "RSA key %s has %d bits (%d to %d are usable)", path, bits,
		    DKIM_KEY_MIN_BITS, DKIM_KEY_MAX_BITS);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/* A selector: dot-separated labels of letters, digits and '-'. */
static bool
selector_ok(const char *s)
{
	return conf_check_domain(s) == 0 && strlen(s) <= 63;
}

static int
dkim_load_key(struct conf_ctx *cx, const config_setting_t *e, struct conf_dkim *c,
    struct conf_dkim_key *k)
{
	static const char *const keys[] = { "domain", "selector", "key", NULL };
	char why[512];
	EVP_PKEY *pk;

	if (!config_setting_is_group(e))
		return conf_fail(cx, e, "engine.dkim.sign entries are groups "
		    "{ domain = ...; selector = ...; key = ...; }");
	if (conf_check_keys(cx, e, keys, NULL) < 0 ||
	    conf_get_string(cx, e, "domain", true, &k->domain) < 0 ||
	    conf_get_string(cx, e, "selector", true, &k->selector) < 0 ||
	    conf_get_path(cx, e, "key", true, &k->key) < 0)
		return -1;
	conf_lower(k->domain);
	if (conf_check_domain(k->domain) < 0)
		return conf_fail(cx, e, "engine.dkim.sign: '%s' is not a domain name", k->domain);
	if (!selector_ok(k->selector))
		return conf_fail(cx, e, "engine.dkim.sign: '%s' is not a selector", k->selector);
	for (size_t i = 0; i < c->nsign; i++)
		if (strcmp(c->sign[i].domain, k->domain) == 0)
			return conf_fail(cx, e, "engine.dkim.sign: a second key for %s", k->domain);
	if ((pk = conf_dkim_key_read(k->key, why, sizeof(why))) == NULL)
		return conf_fail(cx, e, "%s", why);
	EVP_PKEY_free(pk);
	return 0;
}

static int
dkim_load_sign(struct conf_ctx *cx, const config_setting_t *l, struct conf_dkim *c)
{
	int n;

	if (!config_setting_is_list(l))
		return conf_fail(cx, l, "engine.dkim.sign must be a list "
		    "( { domain = ...; selector = ...; key = ...; } )");
	if ((n = config_setting_length(l)) == 0)
		return 0;
	if ((c->sign = calloc((size_t)n, sizeof(*c->sign))) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		struct conf_dkim_key k = { NULL, NULL, NULL };
		int r = dkim_load_key(cx, config_setting_get_elem(l, (unsigned)i), c, &k);

		c->sign[c->nsign++] = k;	/* freed by conf_dkim_free either way */
		if (r < 0)
			return -1;
	}
	return 0;
}

int
conf_load_dkim(struct conf_ctx *cx, const struct config_setting_t *g, struct conf_dkim *c)
{
	static const char *const keys[] = { "verify", "sign", NULL };
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.dkim' must be a group { verify = ...; sign = ...; }");
	if (conf_check_keys(cx, g, keys, NULL) < 0 ||
	    conf_get_bool(cx, g, "verify", "engine.dkim", &c->verify) < 0)
		return -1;
	if ((s = config_setting_get_member(g, "sign")) != NULL)
		return dkim_load_sign(cx, s, c);
	return 0;
}

void
conf_dkim_free(struct conf_dkim *c)
{
	for (size_t i = 0; i < c->nsign; i++) {
		free(c->sign[i].domain);
		free(c->sign[i].selector);
		free(c->sign[i].key);
	}
	free(c->sign);
	conf_dkim_defaults(c);
}
