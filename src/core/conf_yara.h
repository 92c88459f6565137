/* engine.yara: the directories of YARA rule files (rules/yara/README.md)
 * and the bounds of one scan. Loaded by conf.c into struct conf_engine;
 * documented in docs/malware.md ("YARA"). */
#ifndef MG_CORE_CONF_YARA_H
#define MG_CORE_CONF_YARA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_YARA_MAX_DIRS	64

struct conf_yara {
	bool		 enabled;
	char		**dirs;		/* absolute; none = no rules */
	size_t		 ndirs;
	uint32_t	 timeout;	/* seconds of one file's scan */
	uint32_t	 max_file_size;	/* bytes; bigger files are not scanned */
};

/* Numbers only; dirs stay NULL (allocates nothing). */
void	conf_yara_defaults(struct conf_yara *);
/* g is the engine.yara setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_yara(struct conf_ctx *, const struct config_setting_t *g, struct conf_yara *);
void	conf_yara_free(struct conf_yara *);

#endif
