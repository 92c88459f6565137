/* quarantine: where held messages are stored and how long they are kept
 * (docs/quarantine.md). Loaded by conf.c into struct mg_conf from the
 * top-level `quarantine` group:
 *   quarantine = { dir = "..."; retention = 30;
 *                  retention_by_category = { spam = 15; malware = 90; }; }; */
#ifndef MG_CORE_CONF_QUARANTINE_H
#define MG_CORE_CONF_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_QUARANTINE_NCAT		8	/* = MG_CAT_COUNT */
#define CONF_QUARANTINE_DAYS_DEFAULT	30
#define CONF_QUARANTINE_DAYS_MAX	3650

struct conf_quarantine {
	char		*dir;		/* absolute; NULL = "quarantine" beside the store */
	uint32_t	 retention;	/* days, 1 .. CONF_QUARANTINE_DAYS_MAX */
	uint32_t	 by_category[CONF_QUARANTINE_NCAT];	/* days; 0 = retention */
};

/* 30 days for every category, the default directory (allocates nothing). */
void	conf_quarantine_defaults(struct conf_quarantine *);
/* g is the quarantine setting, or NULL when absent (defaults stay).
 * 0, or -1 with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_quarantine(struct conf_ctx *, const struct config_setting_t *g,
	    struct conf_quarantine *);
void	conf_quarantine_free(struct conf_quarantine *);
/* The directory in effect: dir, or "quarantine" in store_path's directory.
 * 0, or -1 when it does not fit outlen. */
int	conf_quarantine_dir(const struct conf_quarantine *, const char *store_path,
	    char *out, size_t outlen);
/* Days kept for the category named category (an unknown name gets the
 * default retention). */
uint32_t conf_quarantine_days(const struct conf_quarantine *, const char *category);

#endif
