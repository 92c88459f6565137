/* Look-alike names (lookalike.h): the edit distance of two names in code
 * points, and the confusable skeleton ICU gives (раураl and paypal share
 * one). Used by the link heuristics and the impersonation check. */
#include <stdint.h>
#include <string.h>

#include "intel/lookalike.h"

/* Decodes UTF-8 s into at most max code points (bytes of a broken
 * sequence are taken as they come). */
static size_t
utf8_cps(const char *s, uint32_t *cp, size_t max)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n < max; n++) {
		uint32_t c = *p++;
		int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (more)
			c &= 0x3fu >> more;
		for (; more > 0 && (*p & 0xc0) == 0x80; more--)
			c = c << 6 | (*p++ & 0x3fu);
		cp[n] = c;
	}
	return n;
}

unsigned
lookalike_distance(const char *a, const char *b, unsigned max)
{
	static const size_t N = LOOKALIKE_CP_MAX;
	uint32_t x[LOOKALIKE_CP_MAX], y[LOOKALIKE_CP_MAX];
	unsigned d[3][LOOKALIKE_CP_MAX + 1];
	size_t n = utf8_cps(a, x, N), m = utf8_cps(b, y, N);

	if ((n > m ? n - m : m - n) > max)
		return max + 1;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		unsigned *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned v = prev[j - 1] + (x[i - 1] != y[j - 1]);
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[n % 3][m] > max ? max + 1 : d[n % 3][m];
}

bool
lookalike_skeleton(const USpoofChecker *sc, const char *s, char *out, size_t outlen)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n;

	n = uspoof_getSkeletonUTF8(sc, 0, s, -1, out, (int32_t)outlen, &st);
	if (U_FAILURE(st) || n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return false;
	}
	out[n] = '\0';
	return true;
}
