/* Helpers shared by the commands (declared in commands.h): times,
 * durations, WHEN arguments, untrusted text made safe for a terminal, and
 * becoming the daemon's user before writing its files. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "core/proc.h"

void
cli_format_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "-");
		return;
	}
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
cli_format_age(time_t secs, char *out, size_t outlen)
{
	long long s = secs < 0 ? 0 : (long long)secs;

	if (s < 60)
		snprintf(out, outlen, "%llds", s);
	else if (s < 3600)
		snprintf(out, outlen, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, outlen, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, outlen, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

void
cli_sanitize(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "-");
	size_t o = 0;

	if (outlen == 0)
		return;
	for (; *p != '\0'; p++) {
		if (o + 1 >= outlen) {
			if (outlen > 4) {
				o = outlen - 4;
				/* do not end inside a UTF-8 sequence */
				while (o > 0 && ((unsigned char)out[o] & 0xc0) == 0x80)
					o--;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			out[o++] = '?';		/* a C1 control in UTF-8 */
			p++;
		} else if (*p < 0x20 || *p == 0x7f)
			out[o++] = '?';
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

/* Reads exactly n decimal digits at *p. */
static bool
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* "YYYY-MM-DD[THH:MM[:SS]][Z]" in UTC ("T" may be a space). A date alone
 * means its first second, or with end_of_day its last one. */
static int
parse_iso(const char *s, bool end_of_day, time_t *out)
{
	struct tm tm = { 0 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool date_only;
	time_t t;

	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d))
		return -1;
	date_only = *p == '\0';
	if (!date_only) {
		if (!expect(&p, 'T') && !expect(&p, ' '))
			return -1;
		if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi))
			return -1;
		if (expect(&p, ':') && !digits(&p, 2, &sec))
			return -1;
		(void)expect(&p, 'Z');
		if (*p != '\0' || h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (mo < 1 || mo > 12 || d < 1 || (t = timegm(&tm)) == (time_t)-1 ||
	    tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;	/* normalised: the date did not exist */
	*out = date_only && end_of_day ? t + 86399 : t;
	return 0;
}

int
cli_parse_when(const char *s, time_t now, bool end_of_day, time_t *out)
{
	static const struct { char unit; long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	char *end;
	unsigned long long n;

	if (parse_iso(s, end_of_day, out) == 0)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoull(s, &end, 10);
	if (end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit != end[0])
			continue;
		if (n > (unsigned long long)now / (unsigned long long)units[i].secs)
			return -1;
		*out = now - (time_t)n * units[i].secs;
		return 0;
	}
	return -1;
}

int
cli_become_daemon_user(const struct mg_conf *conf, const char *cmd)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || conf->user == NULL)
		return 0;
	if (proc_user_ids(conf->user, &uid, &gid) < 0) {
		fprintf(stderr, "mailgate %s: no user %s\n", cmd, conf->user);
		return -1;
	}
	/* the store's directory tells whose files these are */
	snprintf(dir, sizeof(dir), "%s", conf->store_path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (stat(dir[0] ? dir : "/", &st) == 0 && st.st_uid != uid)
		return 0;
	if (proc_drop_privileges(conf->user, uid, gid) < 0) {
		fprintf(stderr, "mailgate %s: cannot become user %s\n", cmd, conf->user);
		return -1;
	}
	return 0;
}
