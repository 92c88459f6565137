/* Identifier generation from the kernel's random source. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/err.h"
#include "core/id.h"

uint64_t
mg_id_random(void)
{
	uint64_t v = 0;

	while (getrandom(&v, sizeof(v), 0) != sizeof(v))
		;
	return v;
}

uint64_t
mg_id_queue(void)
{
	return ((uint64_t)time(NULL) << 32) | (mg_id_random() & 0xffffffffu);
}

void
mg_id_format(uint64_t id, char out[MG_ID_STRLEN + 1])
{
	snprintf(out, MG_ID_STRLEN + 1, "%016" PRIx64, id);
}

int
mg_id_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (strlen(s) != MG_ID_STRLEN)
		return -MG_EINVAL;
	for (int i = 0; i < MG_ID_STRLEN; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -MG_EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}
