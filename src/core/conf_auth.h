/* engine.auth: sender authentication in the auth check: which of SPF,
 * DKIM verification, DMARC and ARC run, and the authserv-id written in
 * the Authentication-Results field. Loaded by conf.c into struct
 * conf_engine; documented in docs/auth.md. */
#ifndef MG_CORE_CONF_AUTH_H
#define MG_CORE_CONF_AUTH_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_auth {
	char		*authserv_id;	/* NULL: the configured hostname */
	bool		 spf, dkim, dmarc, arc;	/* all true by default */
};

void	conf_auth_defaults(struct conf_auth *);
/* g is the engine.auth setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_auth(struct conf_ctx *, const struct config_setting_t *g, struct conf_auth *);
void	conf_auth_free(struct conf_auth *);

#endif
