/* Helpers of conf.c: typed getters that report "FILE:LINE: reason", and
 * parsers for the value syntaxes of the configuration (host:port, CIDR,
 * domain names). Internal to src/core. */
#ifndef MG_CORE_CONF_PARSE_H
#define MG_CORE_CONF_PARSE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"

struct conf_ctx {
	config_t	*cfg;
	const char	*path;
	char		*err;
	size_t		 errlen;
	char		*base;		/* directory of the file, for relative paths */
};

/* Writes "FILE:LINE: reason" (or "FILE: reason" without a setting); -1. */
int	conf_fail(struct conf_ctx *, const config_setting_t *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	conf_base_dir(struct conf_ctx *);
/* group NULL = top level. *out is a new string, or unchanged when absent
 * and not required. */
int	conf_get_string(struct conf_ctx *, const config_setting_t *group,
	    const char *name, bool required, char **out);
/* As conf_get_string, made absolute against the file's directory. */
int	conf_get_path(struct conf_ctx *, const config_setting_t *group,
	    const char *name, bool required, char **out);
/* *out = index of the value in names (NULL-terminated); unchanged if absent. */
int	conf_get_enum(struct conf_ctx *, const config_setting_t *group,
	    const char *name, const char *const *names, int *out);

/* "host:port", "[v6]:port", or "host" when default_port != 0. */
int	conf_parse_hostport(const char *s, uint16_t default_port, char *host,
	    size_t hostlen, uint16_t *port);
int	conf_parse_cidr(const char *s, struct conf_network *out);
int	conf_check_domain(const char *s);
char	*conf_default_hostname(void);

#endif
