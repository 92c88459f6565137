/* key=value event lines to stderr (foreground) or syslog; thread-safe since
 * each line is formatted into one buffer and written with a single call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static const char *log_ident = "mailgate";
static bool log_foreground = true;
static enum log_level log_max = LOG_LVL_INFO;

static const char *const log_names[] = { "crit", "err", "warn", "info", "debug" };
static const int log_prio[] = { LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *ident, bool foreground, enum log_level level)
{
	log_ident = ident;
	log_foreground = foreground;
	log_max = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void
log_emit(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (lvl > log_max)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (errnum)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " error=\"%s\"",
		    strerror(errnum));
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (!log_foreground) {
		syslog(log_prio[lvl], "%s", line);
		return;
	}
	char out[2200];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int m = snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, log_ident, (int)getpid(),
	    log_names[lvl], line);
	if (m > 0)
		(void)!write(STDERR_FILENO, out, (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1);
}

#define LOG_FN(name, lvl, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	int saved = errno;						\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_emit(lvl, witherr ? saved : 0, fmt, ap);			\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_crit, LOG_LVL_CRIT, 0)
LOG_FN(log_err, LOG_LVL_ERR, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_syserr, LOG_LVL_ERR, 1)
LOG_FN(log_syswarn, LOG_LVL_WARN, 1)
