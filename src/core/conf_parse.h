/* Helpers of conf.c and the conf_<area>.c files: typed getters that report
 * "FILE:LINE: reason", and parsers for the value syntaxes of the
 * configuration (host:port, CIDR, domain names). Internal to src/core. */
#ifndef MG_CORE_CONF_PARSE_H
#define MG_CORE_CONF_PARSE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
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

/* Every member of group is named in allowed (NULL-terminated), else
 * "unknown setting 'NAME'", with " in WHERE" added when where is not NULL. */
int	conf_check_keys(struct conf_ctx *, const config_setting_t *group,
	    const char *const *allowed, const char *where);
/* An integer or a float setting as a double; -1 when it is neither, or
 * not finite. */
int	conf_number(const config_setting_t *, double *out);

/* Typed members of group, *out unchanged when absent. Errors name the
 * setting "WHERE.NAME", or "'NAME'" when where is NULL. */
int	conf_get_bool(struct conf_ctx *, const config_setting_t *group,
	    const char *name, const char *where, bool *out);
int	conf_get_u64(struct conf_ctx *, const config_setting_t *group,
	    const char *name, const char *where, uint64_t min, uint64_t max, uint64_t *out);
int	conf_get_u32(struct conf_ctx *, const config_setting_t *group,
	    const char *name, const char *where, uint32_t min, uint32_t max, uint32_t *out);
/* An integer or a finite float (conf_number) in [min, max]. */
int	conf_get_real(struct conf_ctx *, const config_setting_t *group,
	    const char *name, const char *where, double min, double max, double *out);

/* A table of 32-bit integer settings of one group: default and bounds of
 * the field at off in the area's struct. */
struct conf_u32 {
	const char	*name;
	size_t		 off;
	uint32_t	 def, min, max;
};

void	conf_u32_defaults(const struct conf_u32 *, size_t n, void *base);
int	conf_load_u32s(struct conf_ctx *, const config_setting_t *group, const char *where,
	    const struct conf_u32 *, size_t n, void *base);

/* A symbol name: upper case letters, digits and '_'; else fails at s. */
int	conf_check_symbol(struct conf_ctx *, const config_setting_t *s, const char *name);
/* ASCII letters of s to lower case, in place. */
void	conf_lower(char *s);

/* "host:port", "[v6]:port", or "host" when default_port != 0. */
int	conf_parse_hostport(const char *s, uint16_t default_port, char *host,
	    size_t hostlen, uint16_t *port);
int	conf_parse_cidr(const char *s, struct conf_network *out);
int	conf_check_domain(const char *s);
/* A list of at most max strings, each checked by ok (NULL = fine, else why
 * not, as "'VALUE' WHY") and lower-cased into a new array. */
int	conf_load_strings(struct conf_ctx *, const config_setting_t *list, const char *where,
	    const char *(*ok)(const char *), int max, char ***out, size_t *n);
void	conf_strings_free(char **, size_t n);
/* A list of at most max directories, each made absolute against the
 * file's directory, resolved and checked to exist ("WHERE: 'X' is not a
 * directory"), into a new array. */
int	conf_load_dirs(struct conf_ctx *, const config_setting_t *list, const char *where,
	    int max, char ***dirs, size_t *n);
/* ok function of conf_load_strings for domain names. */
const char *conf_domain_ok(const char *);
char	*conf_default_hostname(void);

#endif
