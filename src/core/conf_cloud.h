/* engine.cloud: the cloud URL lookup client (docs/urls.md "Cloud lookup"). Placeholder: being written. */
#ifndef MG_CORE_CONF_CLOUD_H
#define MG_CORE_CONF_CLOUD_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_cloud {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_cloud_defaults(struct conf_cloud *);
/* g is the engine.cloud setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_cloud(struct conf_ctx *, const struct config_setting_t *g, struct conf_cloud *);
void	conf_cloud_free(struct conf_cloud *);

#endif
