/* engine.dkim: DKIM verification on or off and the outbound signing keys
 * (one per sending domain). Loaded by conf.c into struct conf_engine;
 * documented in docs/dkim.md. */
#ifndef MG_CORE_CONF_DKIM_H
#define MG_CORE_CONF_DKIM_H

#include <stdbool.h>
#include <stddef.h>

struct conf_ctx;
struct config_setting_t;
struct evp_pkey_st;

/* One entry of engine.dkim.sign. */
struct conf_dkim_key {
	char		*domain;	/* d=, lower case */
	char		*selector;	/* s= */
	char		*key;		/* absolute path of the PEM private key */
};

struct conf_dkim {
	bool		 verify;	/* verify DKIM-Signature fields (default true) */
	struct conf_dkim_key *sign;	/* NULL: no outbound signing */
	size_t		 nsign;
};

void	conf_dkim_defaults(struct conf_dkim *);
/* g is the engine.dkim setting, or NULL when absent (defaults stay). Each
 * key file is read and checked. 0, or -1 with "FILE:LINE: reason" written
 * through conf_fail. */
int	conf_load_dkim(struct conf_ctx *, const struct config_setting_t *g, struct conf_dkim *);
void	conf_dkim_free(struct conf_dkim *);

/* The PEM private key at path: RSA of 1024 to 8192 bits, or Ed25519 (an
 * EVP_PKEY the caller frees). NULL with a reason in err. */
struct evp_pkey_st *conf_dkim_key_read(const char *path, char *err, size_t errlen);

#endif
