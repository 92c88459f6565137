/* engine.intel: the URL reputation file and the feeds it is built from
 * (docs/urls.md, "URL intelligence"). Loaded by conf.c into struct
 * conf_engine. */
#ifndef MG_CORE_CONF_INTEL_H
#define MG_CORE_CONF_INTEL_H

#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_INTEL_MAX_FEEDS	256
#define CONF_INTEL_MAX_SHARED	4096

/* The category names a feed may carry, and the formats; index 0 = guess. */
extern const char *const conf_intel_categories[];	/* "guess", "phishing", "malware", "spam" */
extern const char *const conf_intel_formats[];		/* "auto", "text", "csv", "json" */

struct conf_intel_feed {
	char		*path;		/* absolute: a file or a directory of feed files */
	char		*source;	/* NULL: the file name without extension */
	int		 category;	/* index in conf_intel_categories; 0 = guess from the name */
	int		 format;	/* index in conf_intel_formats */
};

struct conf_intel {
	char		*db;		/* absolute; NULL = no URL intelligence */
	struct conf_intel_feed *feeds;
	size_t		 nfeeds;
	char		**shared;	/* extra shared platforms, lower case */
	size_t		 nshared;
	char		**shared_files;	/* absolute: host lists of more shared platforms */
	size_t		 nshared_files;
	uint32_t	 reload_interval;	/* seconds between checks of db */
	uint32_t	 max_feed_bytes;	/* per feed file */
};

/* Numbers only; pointers stay NULL (allocates nothing). */
void	conf_intel_defaults(struct conf_intel *);
/* g is engine.intel, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_intel(struct conf_ctx *, const struct config_setting_t *g, struct conf_intel *);
void	conf_intel_free(struct conf_intel *);

#endif
