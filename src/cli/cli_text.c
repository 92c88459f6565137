/* Text helpers shared by the commands (declared in commands.h): times,
 * durations, and untrusted text made safe for a terminal. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"

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
