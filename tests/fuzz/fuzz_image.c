/* libFuzzer target for image decoding and QR scanning (files/image.h,
 * files/qr.h): arbitrary bytes must never crash the decoders or zbar, and
 * a decoded image must keep the dimension limits. The first byte picks a
 * magic prefix so that every decoder sees mutated input (seeds: the images
 * of tests/files/gen_qr.py, corrupted ones, and fixed crashers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files/image.h"
#include "files/qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char	*magic;
	size_t		 len;
} prefixes[] = {
	{ "", 0 },
	{ "\x89PNG\r\n\x1a\n", 8 },
	{ "\xff\xd8\xff", 3 },
	{ "GIF89a", 6 },
	{ "BM", 2 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qr_result *r;
	struct image_gray img;
	size_t pick, n;
	uint8_t *buf;

	if (size == 0)
		return 0;
	pick = data[0] % (sizeof(prefixes) / sizeof(prefixes[0]));
	n = prefixes[pick].len + size - 1;
	if ((buf = malloc(n)) == NULL || (r = malloc(sizeof(*r))) == NULL) {
		free(buf);
		return 0;
	}
	memcpy(buf, prefixes[pick].magic, prefixes[pick].len);
	memcpy(buf + prefixes[pick].len, data + 1, size - 1);
	/* a seed stored as a whole file (first byte 0x89, 0xff, 'G', 'B'
	 * picks some prefix): also decode the input itself */
	if (image_decode(data, size, &img) == 0) {
		if (img.w == 0 || img.h == 0 || img.w > IMAGE_MAX_SIDE ||
		    img.h > IMAGE_MAX_SIDE || (uint64_t)img.w * img.h > IMAGE_MAX_PIXELS)
			abort();
		image_gray_free(&img);
	}
	if (qr_scan_image(buf, n, r) == 0 && r->n > QR_MAX_CODES)
		abort();
	free(r);
	free(buf);
	return 0;
}
