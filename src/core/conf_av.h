/* engine.av: the anti-virus engines (libclamav in process, clamd over its
 * socket), the result cache and what happens when every engine failed.
 * Loaded by conf.c into struct conf_engine; documented in docs/malware.md. */
#ifndef MG_CORE_CONF_AV_H
#define MG_CORE_CONF_AV_H

#include <stdbool.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

enum conf_av_failure {
	CONF_AV_TEMPFAIL,		/* 451: the client retries later */
	CONF_AV_ACCEPT_WITH_HEADER,	/* pass with X-Mailgate-AV: unscanned */
};

struct conf_av {
	bool		 clamav;		/* libclamav in process */
	char		*database;		/* absolute directory; NULL = shipped rules/av */
	uint32_t	 max_filesize;		/* bytes of one file libclamav looks at */
	uint32_t	 max_scansize;		/* bytes scanned in one file, members included */
	uint32_t	 max_recursion;		/* archive nesting */
	uint32_t	 max_files;		/* members of one archive */
	double		 clamav_timeout;	/* seconds of scan time per file */
	char		*clamd;			/* "unix:/path" or "tcp:host:port"; NULL = off */
	double		 clamd_timeout;		/* seconds per file, connect to answer */
	uint32_t	 cache_ttl;		/* seconds; 0 = no cache */
	uint32_t	 cache_max_entries;
	enum conf_av_failure on_failure;
	bool		 bodies;		/* text bodies too, not only attachments */
};

/* Numbers only; database and clamd stay NULL (allocates nothing). */
void	conf_av_defaults(struct conf_av *);
/* g is the engine.av setting, or NULL when absent (defaults stay: no
 * engine). 0, or -1 with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_av(struct conf_ctx *, const struct config_setting_t *g, struct conf_av *);
void	conf_av_free(struct conf_av *);
/* Whether any engine is configured. */
bool	conf_av_enabled(const struct conf_av *);

#endif
