/* engine.landing: the landing-page fetcher (docs/phishing.md "Landing pages"). Placeholder: being written. */
#ifndef MG_CORE_CONF_LANDING_H
#define MG_CORE_CONF_LANDING_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_landing {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_landing_defaults(struct conf_landing *);
/* g is the engine.landing setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_landing(struct conf_ctx *, const struct config_setting_t *g, struct conf_landing *);
void	conf_landing_free(struct conf_landing *);

#endif
