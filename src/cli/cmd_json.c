/* JSON helpers of the engine commands (cmd_json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_json.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min, cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, min = 0x80, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, min = 0x800, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, min = 0x10000, cp = p[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *
cli_json_strn(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *fixed;
	size_t o = 0;

	if (s == NULL)
		return json_null();
	if ((j = json_stringn(s, len)) != NULL)
		return j;
	/* Invalid UTF-8 (or a NUL): each bad byte becomes U+FFFD. */
	if (len > (SIZE_MAX - 1) / 3 || (fixed = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] != 0 ? utf8_seq(p + i, len - i) : 0;
		if (n == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(fixed + o, p + i, n);
			o += n;
			i += n;
		}
	}
	j = json_stringn(fixed, o);
	free(fixed);
	return j;
}

json_t *
cli_json_str(const char *s)
{
	return cli_json_strn(s, s ? strlen(s) : 0);
}

json_t *
cli_json_flags(uint64_t flags, unsigned nbits, const char *(*name)(uint64_t))
{
	json_t *a = json_array();
	char num[32];

	for (unsigned bit = 0; a != NULL && bit < 64; bit++) {
		const char *n;
		if (!((flags >> bit) & 1))
			continue;
		if ((n = bit < nbits ? name(1ull << bit) : NULL) == NULL) {
			snprintf(num, sizeof(num), "0x%llx", 1ull << bit);
			n = num;
		}
		json_array_append_new(a, json_string(n));
	}
	return a;
}

void
cli_json_set(json_t *obj, const char *key, json_t *value)
{
	if (value != NULL)
		json_object_set_new(obj, key, value);
}
