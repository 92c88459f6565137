/* libFuzzer target for the MIME parser. The input is a raw message; one
 * that starts with byte 0x01 is parsed (without that byte) under tiny
 * limits so that every ceiling is reached, and in an arena with a ceiling
 * of its own, which may make the parse give up (NULL) but never crash.
 * Every result must pass the invariants of tests/mime/mime_check.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "mime/mime.h"
#include "../mime/mime_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct mg_arena *a;
	struct mime_msg *m;
	const char *why;
	int tiny = size > 0 && data[0] == 0x01;

	mime_limits_default(&lim);
	if (tiny) {
		data++;
		size--;
		lim.max_header_len = 256;
		lim.max_headers = 8;
		lim.max_depth = 4;
		lim.max_parts = 8;
		lim.max_decoded = 4096;
	}
	if ((a = mg_arena_new(16 * 1024, tiny ? 256 * 1024 : 0)) == NULL)
		abort();
	m = mime_parse(a, data, size, &lim);
	if (m == NULL && !tiny)
		abort();		/* no ceiling: only a full arena may fail */
	if (m != NULL && (why = mime_check(m, &lim)) != NULL) {
		fprintf(stderr, "mime_check: %s\n", why);
		abort();
	}
	mg_arena_free(a);
	return 0;
}
