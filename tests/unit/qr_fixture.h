/* Test fixture of the image and QR tests: a QR code (qrencode's matrix for
 * QR_FIXTURE_URL, no quiet zone) drawn as grayscale pixels and written as
 * an uncompressed BMP in memory. */
#ifndef MG_TEST_QR_FIXTURE_H
#define MG_TEST_QR_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files/image.h"

#define QR_FIXTURE_URL	"https://unit.example.net/a"
#define QR_FIXTURE_N	25	/* modules per side */
#define QR_FIXTURE_QUIET 4	/* white modules around it */

static const char *const qr_fixture_rows[QR_FIXTURE_N] = {
	"1111111000100001001111111",
	"1000001001000101101000001",
	"1011101010010010001011101",
	"1011101001001010001011101",
	"1011101001001111001011101",
	"1000001000111111101000001",
	"1111111010101010101111111",
	"0000000010010101000000000",
	"1110111110001100111000100",
	"0111010011011100111000001",
	"1000101010111000110110111",
	"0101000111101111011000010",
	"0000001110111111011101011",
	"0010110110110000111001001",
	"1010011101000100000100111",
	"0100100010110101100010010",
	"1001011110101100111111000",
	"0000000010001001100011011",
	"1111111010100101101011011",
	"1000001010101100100011011",
	"1011101011111100111111000",
	"1011101001000101100111100",
	"1011101010101001010010001",
	"1000001011011111100011010",
	"1111111011000100101100011",
};

/* The code with its quiet zone, module pixels per module (malloc'd). */
static inline struct image_gray
qr_fixture_gray(unsigned module)
{
	unsigned side = (QR_FIXTURE_N + 2 * QR_FIXTURE_QUIET) * module;
	struct image_gray g = { malloc((size_t)side * side), side, side };

	memset(g.px, 255, (size_t)side * side);
	for (unsigned y = 0; y < side; y++) {
		for (unsigned x = 0; x < side; x++) {
			int my = (int)(y / module) - QR_FIXTURE_QUIET;
			int mx = (int)(x / module) - QR_FIXTURE_QUIET;

			if (my >= 0 && mx >= 0 && my < QR_FIXTURE_N && mx < QR_FIXTURE_N &&
			    qr_fixture_rows[my][mx] == '1')
				g.px[(size_t)y * side + x] = 0;
		}
	}
	return g;
}

static inline void
qr_fixture_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* g as a bottom-up 24-bit BMP (malloc'd, *len set). */
static inline uint8_t *
qr_fixture_bmp24(const struct image_gray *g, size_t *len)
{
	size_t stride = ((size_t)g->w * 3 + 3) / 4 * 4, off = 54;
	uint8_t *b;

	*len = off + stride * g->h;
	b = calloc(1, *len);
	b[0] = 'B';
	b[1] = 'M';
	qr_fixture_le32(b + 2, (uint32_t)*len);
	qr_fixture_le32(b + 10, (uint32_t)off);
	qr_fixture_le32(b + 14, 40);
	qr_fixture_le32(b + 18, g->w);
	qr_fixture_le32(b + 22, g->h);
	b[26] = 1;
	b[28] = 24;
	for (unsigned y = 0; y < g->h; y++)
		for (unsigned x = 0; x < g->w; x++)
			memset(b + off + stride * (g->h - 1 - y) + 3 * x,
			    g->px[(size_t)y * g->w + x], 3);
	return b;
}

#endif
