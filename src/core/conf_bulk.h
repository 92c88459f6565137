/* engine.bulk: bulk and group mail (docs/policy.md "Bulk mail"). Placeholder: being written. */
#ifndef MG_CORE_CONF_BULK_H
#define MG_CORE_CONF_BULK_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_bulk {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_bulk_defaults(struct conf_bulk *);
/* g is the engine.bulk setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_bulk(struct conf_ctx *, const struct config_setting_t *g, struct conf_bulk *);
void	conf_bulk_free(struct conf_bulk *);

#endif
