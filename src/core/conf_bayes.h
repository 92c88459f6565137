/* engine.bayes: the OSB Bayes classifier and its token store (docs/bayes.md).
 * Loaded by conf.c into struct conf_engine; documented in docs/configuration.md. */
#ifndef MG_CORE_CONF_BAYES_H
#define MG_CORE_CONF_BAYES_H

#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

struct conf_bayes {
	char		*path;		/* the token store; NULL = Bayes off */
	uint32_t	 min_learns;	/* spam and ham messages each before classifying: 200 */
	uint32_t	 expire_days;	/* rare tokens unseen this long are dropped: 180, 0 = never */
	uint32_t	 max_tokens;	/* tokens kept; rare ones are pruned beyond: 2,500,000 */
	double		 margin;	/* symbols only beyond 0.5 +- margin: 0.2 */
};

void	conf_bayes_defaults(struct conf_bayes *);
/* g is the engine.bayes setting, or NULL when absent (defaults stay). 0, or -1
 * with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_bayes(struct conf_ctx *, const struct config_setting_t *g, struct conf_bayes *);
void	conf_bayes_free(struct conf_bayes *);

#endif
