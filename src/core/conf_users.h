/* The SMTP AUTH users file named by the top-level `users` setting
 * (docs/smtpd.md): loaded with the configuration, errors as
 * "USERS_FILE:LINE: reason". conf_user_find is declared in conf.h. */
#ifndef MG_CORE_CONF_USERS_H
#define MG_CORE_CONF_USERS_H

#include "core/conf.h"

struct conf_ctx;

/* Reads c->users_path (nothing when NULL) into c->users, sorted; 0 or -1
 * with the reason in the context's error buffer. */
int	conf_load_users(struct conf_ctx *, struct mg_conf *c);
void	conf_users_free(struct mg_conf *c);

#endif
