/* engine.bec: who may be impersonated (VIPs, the internal people of a
 * names file), the free-mail domains, and how close a look-alike of a
 * protected domain must be (docs/phishing.md, "Impersonation (BEC)").
 * Loaded by conf.c into struct conf_engine. */
#ifndef MG_CORE_CONF_BEC_H
#define MG_CORE_CONF_BEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_BEC_MAX_VIPS	1024
#define CONF_BEC_MAX_FREE_MAIL	4096
#define CONF_BEC_NAME_MAX	128	/* bytes of a display name */
#define CONF_BEC_ADDR_MAX	320	/* bytes of an address */

struct conf_bec {
	bool		 enabled;	/* default true */
	char		**vips;		/* "Display Name <addr>", as written */
	size_t		 nvips;
	char		*internal_names_file;	/* absolute, or NULL */
	char		**free_mail;	/* lower case; NULL = conf_bec_free_mail_default */
	size_t		 nfree_mail;
	uint32_t	 lookalike_distance;	/* edit distance, 0..3; default 1 */
	uint32_t	 first_time_history;	/* senders learned before "first time" counts */
};

/* The built-in free-mail domains, NULL-terminated ("yahoo.*" matches any
 * public suffix after the label). */
extern const char *const conf_bec_free_mail_default[];

/* One mailbox: "Name <addr>", "\"Name\" <addr>", "addr (Name)" or "addr".
 * name (maybe empty) and addr (lower case, maybe empty when there is no
 * '@') are copied, cut to their sizes. 0, or -1 for nothing usable. */
int	conf_bec_mailbox(const char *s, char *name, size_t namelen, char *addr,
	    size_t addrlen);

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_bec_defaults(struct conf_bec *);
/* g is engine.bec, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_bec(struct conf_ctx *, const struct config_setting_t *g, struct conf_bec *);
void	conf_bec_free(struct conf_bec *);

#endif
