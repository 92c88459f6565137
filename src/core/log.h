/* Event logging: one key=value line per event, to stderr in the foreground
 * and to syslog (facility mail) otherwise. Lines about a session start with
 * its 16-hex-digit id: log_info("%016" PRIx64 " smtp connect ip=%s", id, ip). */
#ifndef MG_CORE_LOG_H
#define MG_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_CRIT, LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: process name shown on every line ("smtpd", "queued", ...). */
void	log_init(const char *ident, bool foreground, enum log_level level);
void	log_set_level(enum log_level level);
int	log_level_parse(const char *name, enum log_level *out);

void	log_crit(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* As log_err/log_warn, with " error=\"<strerror(errno)>\"" appended. */
void	log_syserr(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_syswarn(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
