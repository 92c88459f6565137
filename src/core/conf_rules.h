/* engine.rules: where the content rule files are (docs/rules.md) and the
 * bounds of matching them. Loaded by conf.c into struct conf_engine;
 * documented in docs/rules.md ("Configuration"). */
#ifndef MG_CORE_CONF_RULES_H
#define MG_CORE_CONF_RULES_H

#include <stddef.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_RULES_MAX_DIRS	64

struct conf_rules {
	char		**dirs;		/* absolute; NULL/0 = no rules at all */
	size_t		 ndirs;
	uint32_t	 max_scan_bytes;	/* per scope per message */
	uint32_t	 pcre_match_limit;	/* PCRE2 fallback patterns */
};

/* Numbers only; dirs stay NULL (allocates nothing). */
void	conf_rules_defaults(struct conf_rules *);
/* g is the engine.rules setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_rules(struct conf_ctx *, const struct config_setting_t *g, struct conf_rules *);
void	conf_rules_free(struct conf_rules *);

#endif
