/* libFuzzer target for the RTF scanner. Each input is scanned with the
 * default limits and with tiny ones; the report must keep its bounds:
 * objects within RTF_MAX_OBJECTS, class names terminated, decoded data
 * within max_objdata, flags from the known set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files/rtf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct rtf_report *r, const struct rtf_limits *lim)
{
	const unsigned known = RTF_O_UPDATE | RTF_O_EMBED | RTF_O_OCX | RTF_O_LINK |
	    RTF_O_EQUATION | RTF_O_DATA;
	unsigned all = 0;

	if (r->nobjects > RTF_MAX_OBJECTS || r->nobjects > r->total_objects ||
	    (r->flags & ~known) != 0)
		abort();
	for (size_t i = 0; i < r->nobjects; i++) {
		const struct rtf_object *o = &r->objects[i];
		if (memchr(o->class_name, '\0', sizeof(o->class_name)) == NULL ||
		    o->data_len > lim->max_objdata)
			abort();
		all |= o->flags;
	}
	if ((all & ~r->flags) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtf_limits lim[2];
	struct rtf_report r;

	rtf_limits_default(&lim[0]);
	lim[1] = (struct rtf_limits){ .max_input = 4096, .max_objdata = 16, .deep_groups = 4,
	    .long_word = 4 };
	for (int i = 0; i < 2; i++)
		if (rtf_scan(data, size, &lim[i], &r) == 0)
			check(&r, &lim[i]);
	(void)rtf_detect(data, size);
	return 0;
}
