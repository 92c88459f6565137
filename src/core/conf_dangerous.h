/* engine.dangerous: what the gateway does with a message whose verdict is
 * "dangerous" (a file that can run code but is not known malware):
 * quarantine it, or strip the dangerous files and deliver the rest with a
 * text notice in their place. Documented in docs/malware.md. */
#ifndef MG_CORE_CONF_DANGEROUS_H
#define MG_CORE_CONF_DANGEROUS_H

#include <stddef.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_DANGEROUS_NOTICE_MAX	2048	/* bytes of the notice template */

enum conf_dangerous_action {
	CONF_DANGEROUS_QUARANTINE,	/* the verdict's action stands */
	CONF_DANGEROUS_STRIP,		/* files replaced by the notice, message delivered */
};

struct conf_dangerous {
	enum conf_dangerous_action action;
	char		*notice;	/* template: %f file name, %r reason, %% a '%';
					 * NULL = CONF_DANGEROUS_NOTICE_DEFAULT */
};

#define CONF_DANGEROUS_NOTICE_DEFAULT \
	"The attachment \"%f\" was removed from this message by the mail gateway\n" \
	"because it contains content that can run code when opened (%r).\n" \
	"If you expected this file, ask the sender to share it another way or\n" \
	"contact your mail administrator.\n"

/* Quarantine, the built-in notice (allocates nothing). */
void	conf_dangerous_defaults(struct conf_dangerous *);
/* g is the engine.dangerous setting, or NULL when absent (defaults stay).
 * 0, or -1 with "FILE:LINE: reason" written through conf_fail. */
int	conf_load_dangerous(struct conf_ctx *, const struct config_setting_t *g,
	    struct conf_dangerous *);
void	conf_dangerous_free(struct conf_dangerous *);
/* The notice template in effect. */
const char *conf_dangerous_notice(const struct conf_dangerous *);

#endif
