/* engine.account: compromised internal accounts (docs/phishing.md "Compromised accounts"). Placeholder: being written. */
#ifndef MG_CORE_CONF_ACCOUNT_H
#define MG_CORE_CONF_ACCOUNT_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_account {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_account_defaults(struct conf_account *);
/* g is the engine.account setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_account(struct conf_ctx *, const struct config_setting_t *g, struct conf_account *);
void	conf_account_free(struct conf_account *);

#endif
