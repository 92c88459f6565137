/* engine.bulk: bulk and group mail (docs/bulk.md): what to do with mail
 * the bulk check classifies as bulk, by default, per recipient domain and
 * per recipient, and how many recipients make a message bulk or need an
 * administrator's review. Loaded by conf.c. */
#ifndef MG_CORE_CONF_BULK_H
#define MG_CORE_CONF_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_BULK_MAX_RULES	100000	/* entries of domains, of users */

/* What the gateway does for one recipient of a bulk message. */
enum conf_bulk_action {
	CONF_BULK_DELIVER, CONF_BULK_TAG, CONF_BULK_QUARANTINE, CONF_BULK_HOLD,
	CONF_BULK_DISCARD,
};
extern const char *const conf_bulk_action_names[];	/* NULL-terminated */

struct conf_bulk_rule {
	char		*name;		/* lower case domain or address */
	enum conf_bulk_action action;
};

struct conf_bulk {
	bool		 enabled;		/* default true */
	enum conf_bulk_action action;		/* default deliver */
	uint32_t	 recipients;		/* this many recipients make bulk; 25 */
	uint32_t	 review_recipients;	/* internal recipients needing review; 100 */
	struct conf_bulk_rule *domains;		/* sorted by name */
	size_t		 ndomains;
	struct conf_bulk_rule *users;		/* sorted by name */
	size_t		 nusers;
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_bulk_defaults(struct conf_bulk *);
/* g is the engine.bulk setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_bulk(struct conf_ctx *, const struct config_setting_t *g, struct conf_bulk *);
void	conf_bulk_free(struct conf_bulk *);
/* The action for recipient rcpt ("user@example.com" or "<User@Example.com>",
 * any case): its users entry, else its domain's, else the default (enum
 * conf_bulk_action). */
int	conf_bulk_action(const struct conf_bulk *, const char *rcpt);

#endif
