/* libFuzzer target for the header decoders and the transfer decoders.
 * Byte 0 picks the target (low 3 bits: 0-1 value, 2 parameters, 3-7 a
 * transfer decoder) and an output ceiling (high bits);
 * the rest is the input. Decoded values must be NUL-terminated valid
 * UTF-8 of the length reported and within the ceiling; parameter lists
 * must keep their bounds; transfer decoders must never write past cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const char *s, size_t len)
{
	if (s == NULL || s[len] != '\0' || strlen(s) != len ||
	    mime_utf8_valid_span((const uint8_t *)s, len) != len)
		abort();
}

static void
fuzz_decode(struct mg_arena *a, const uint8_t *in, size_t len, size_t max)
{
	uint64_t flags = 0;
	size_t n = 0;
	char *v;

	if ((v = mime_hdr_decode(a, in, len, max, &n, &flags)) == NULL)
		abort();
	check_utf8(v, n);
	if (n > max || (flags & ~(uint64_t)(MIME_F_HEADER_8BIT | MIME_F_HEADER_BAD_UTF8 |
	    MIME_F_BAD_ENCODED_WORD | MIME_F_UNKNOWN_CHARSET | MIME_F_WRONG_CHARSET |
	    MIME_F_DECODED_LIMIT)))
		abort();
}

static void
fuzz_params(struct mg_arena *a, const uint8_t *in, size_t len)
{
	struct mime_hvalue hv;
	uint64_t flags = 0;
	size_t i;

	if (mime_hdr_params(a, in, len, &hv, &flags) != 0 || hv.nparams > MIME_MAX_PARAMS)
		abort();
	check_utf8(hv.token, strlen(hv.token));
	for (i = 0; i < hv.nparams; i++) {
		if (hv.params[i].name == NULL || hv.params[i].raw == NULL ||
		    mime_hvalue_param(&hv, hv.params[i].name) == NULL)
			abort();
		check_utf8(hv.params[i].value, strlen(hv.params[i].value));
	}
}

/* A transfer decoder into a buffer exactly cap bytes long (ASan sees
 * any write past it). */
static void
fuzz_transfer(unsigned which, const uint8_t *in, size_t len, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	struct mime_uu_block b;
	unsigned d = 0;
	size_t n;

	if (out == NULL)
		abort();
	if (which == 0)
		n = mime_base64_decode(in, len, out, cap, &d);
	else if (which == 1)
		n = mime_qp_decode(in, len, cap & 1, out, cap, &d);
	else
		n = mime_uu_decode(in, len, out, cap, &d);
	if (n > cap || ((d & MIME_DEC_FULL) && n != cap && which != 1))
		abort();
	if (which == 2 && mime_uu_find(in, len, 0, &b) &&
	    (b.start > b.data || b.data > b.data_end || b.data_end > b.end || b.end > len ||
	    b.name_off + b.name_len > b.data))
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_arena *a;
	size_t max;

	if (size == 0)
		return 0;
	max = (size_t)(data[0] >> 3) * 8;	/* 0..248 */
	if ((a = mg_arena_new(16 * 1024, 0)) == NULL)
		abort();
	switch (data[0] & 7) {
	case 0:
		fuzz_decode(a, data + 1, size - 1, SIZE_MAX);
		break;
	case 1:
		fuzz_decode(a, data + 1, size - 1, max);
		break;
	case 2:
		fuzz_params(a, data + 1, size - 1);
		break;
	default:
		fuzz_transfer(((unsigned)data[0] & 7) % 3, data + 1, size - 1, max);
		break;
	}
	mg_arena_free(a);
	return 0;
}
