/* portal: the user portal, digests and signed links (docs/portal.md). Placeholder: being written. */
#ifndef MG_CORE_CONF_PORTAL_H
#define MG_CORE_CONF_PORTAL_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_portal {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_portal_defaults(struct conf_portal *);
/* g is the portal setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_portal(struct conf_ctx *, const struct config_setting_t *g, struct conf_portal *);
void	conf_portal_free(struct conf_portal *);

#endif
