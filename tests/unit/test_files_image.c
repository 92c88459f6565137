/* Image decoding (files/image.h): PNG (gray, interlaced, RGBA over white),
 * JPEG and GIF written here with the libraries' encoders, BMP written by
 * hand (24, 8 and 1 bit, top-down), each compared with the pixels drawn;
 * then corrupt input: every truncation of each image, declared dimensions
 * over the limits (refused before decoding), JPEG garbage, BMP rows past
 * the data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "core/err.h"
#include "files/image.h"
#include "qr_fixture.h"

struct membuf {
	uint8_t	*p;
	size_t	 len;
};

static void
png_write_mem(png_structp png, png_bytep d, size_t n)
{
	struct membuf *m = png_get_io_ptr(png);

	m->p = realloc(m->p, m->len + n);
	memcpy(m->p + m->len, d, n);
	m->len += n;
}

static void
png_flush_mem(png_structp png)
{
	(void)png;
}

/* g as PNG: gray, or RGBA with dark pixels opaque black and light ones
 * transparent black (must decode as white). */
static struct membuf
write_png(const struct image_gray *g, int rgba, int interlace)
{
	struct membuf m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	uint8_t *row = malloc((size_t)g->w * 4);

	png_set_write_fn(png, &m, png_write_mem, png_flush_mem);
	png_set_IHDR(png, info, g->w, g->h, 8, rgba ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_GRAY,
	    interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int pass = png_set_interlace_handling(png); pass > 0; pass--) {
		for (unsigned y = 0; y < g->h; y++) {
			for (unsigned x = 0; x < g->w; x++) {
				uint8_t v = g->px[(size_t)y * g->w + x];

				if (!rgba)
					row[x] = v;
				else {
					memset(row + 4 * x, 0, 3);
					row[4 * x + 3] = v < 128 ? 255 : 0;
				}
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	return m;
}

static struct membuf
write_jpeg(const struct image_gray *g)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	unsigned long len = 0;
	struct membuf m;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &len);
	c.image_width = g->w;
	c.image_height = g->h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 95, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW r = g->px + (size_t)c.next_scanline * g->w;

		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	m.p = malloc(len);
	memcpy(m.p, out, len);
	m.len = len;
	free(out);
	return m;
}

static int
gif_write_mem(GifFileType *gf, const GifByteType *d, int n)
{
	struct membuf *m = gf->UserData;

	m->p = realloc(m->p, m->len + (size_t)n);
	memcpy(m->p + m->len, d, (size_t)n);
	m->len += (size_t)n;
	return n;
}

/* g (black and white) as a 2-colour GIF, optionally interlaced. */
static struct membuf
write_gif(const struct image_gray *g, int interlace)
{
	static const unsigned start[] = { 0, 4, 2, 1 }, step[] = { 8, 8, 4, 2 };
	GifColorType colors[2] = { { 0, 0, 0 }, { 255, 255, 255 } };
	struct membuf m = { 0 };
	ColorMapObject *cm = GifMakeMapObject(2, colors);
	GifFileType *gf = EGifOpen(&m, gif_write_mem, NULL);
	GifPixelType *line = malloc(g->w);

	EGifPutScreenDesc(gf, (int)g->w, (int)g->h, 1, 1, cm);
	EGifPutImageDesc(gf, 0, 0, (int)g->w, (int)g->h, interlace, NULL);
	for (unsigned p = 0; p < (interlace ? 4u : 1u); p++) {
		for (unsigned y = interlace ? start[p] : 0; y < g->h; y += interlace ? step[p] : 1) {
			for (unsigned x = 0; x < g->w; x++)
				line[x] = g->px[(size_t)y * g->w + x] >= 128;
			EGifPutLine(gf, line, (int)g->w);
		}
	}
	EGifCloseFile(gf, NULL);
	GifFreeMapObject(cm);
	free(line);
	return m;
}

/* g as a BMP of bpp 1 or 8 (palette) with rows top-down or not. */
static struct membuf
write_bmp_pal(const struct image_gray *g, unsigned bpp, int top_down)
{
	unsigned ncol = 1u << bpp;
	size_t stride = ((size_t)g->w * bpp + 31) / 32 * 4, off = 54 + 4 * (size_t)ncol;
	struct membuf m = { calloc(1, off + stride * g->h), off + stride * g->h };

	m.p[0] = 'B';
	m.p[1] = 'M';
	qr_fixture_le32(m.p + 10, (uint32_t)off);
	qr_fixture_le32(m.p + 14, 40);
	qr_fixture_le32(m.p + 18, g->w);
	qr_fixture_le32(m.p + 22, top_down ? (uint32_t)-(int32_t)g->h : g->h);
	m.p[26] = 1;
	m.p[28] = (uint8_t)bpp;
	for (unsigned i = 0; i < ncol; i++)
		memset(m.p + 54 + 4 * i, (int)(i * 255 / (ncol - 1)), 3);
	for (unsigned y = 0; y < g->h; y++) {
		uint8_t *row = m.p + off + stride * (top_down ? y : g->h - 1 - y);

		for (unsigned x = 0; x < g->w; x++) {
			uint8_t v = g->px[(size_t)y * g->w + x];

			if (bpp == 8)
				row[x] = v;
			else if (v >= 128)
				row[x / 8] |= (uint8_t)(0x80 >> (x & 7));
		}
	}
	return m;
}

/* The fixture's code: black and white, 3 px per module (99 x 99). */
static struct image_gray
fixture(void)
{
	return qr_fixture_gray(3);
}

/* The encodings of the fixture, with how far a pixel may differ (JPEG). */
static struct membuf
encode(unsigned i, int *tolerance, const char **name)
{
	struct image_gray g = fixture();
	struct membuf m = { 0 };
	size_t len;

	*tolerance = 0;
	switch (i) {
	case 0: *name = "png gray"; m = write_png(&g, 0, 0); break;
	case 1: *name = "png interlaced"; m = write_png(&g, 0, 1); break;
	case 2: *name = "png rgba over white"; m = write_png(&g, 1, 0); break;
	case 3: *name = "jpeg"; m = write_jpeg(&g); *tolerance = 60; break;
	case 4: *name = "gif"; m = write_gif(&g, 0); break;
	case 5: *name = "gif interlaced"; m = write_gif(&g, 1); break;
	case 6: *name = "bmp 24"; m.p = qr_fixture_bmp24(&g, &len); m.len = len; break;
	case 7: *name = "bmp 8 top-down"; m = write_bmp_pal(&g, 8, 1); break;
	case 8: *name = "bmp 1"; m = write_bmp_pal(&g, 1, 0); break;
	default: *name = NULL; break;
	}
	image_gray_free(&g);
	return m;
}

static void
test_decode_kinds(void **state)
{
	struct image_gray want = fixture();
	const char *name;
	int tol;

	for (unsigned i = 0;; i++) {
		struct membuf m = encode(i, &tol, &name);
		struct image_gray got;
		int rc;

		if (name == NULL)
			break;
		if ((rc = image_decode(m.p, m.len, &got)) != 0)
			fail_msg("%s: got rc %d, want 0", name, rc);
		if (got.w != want.w || got.h != want.h)
			fail_msg("%s: got %ux%u, want %ux%u", name, got.w, got.h, want.w, want.h);
		for (size_t k = 0; k < (size_t)want.w * want.h; k++)
			if (abs(got.px[k] - want.px[k]) > tol)
				fail_msg("%s: pixel %zu got %u, want %u", name, k, got.px[k],
				    want.px[k]);
		image_gray_free(&got);
		free(m.p);
	}
	image_gray_free(&want);
}

/* Every prefix of every encoding: an error or an image, never a crash
 * (ASan), and never an image past the limits. */
static void
test_truncated(void **state)
{
	const char *name;
	int tol;

	for (unsigned i = 0;; i++) {
		struct membuf m = encode(i, &tol, &name);

		if (name == NULL)
			break;
		for (size_t n = 0; n < m.len; n += 1 + n / 64) {
			struct image_gray got;
			uint8_t *copy = malloc(n ? n : 1);

			memcpy(copy, m.p, n);
			if (image_decode(copy, n, &got) == 0) {
				if (got.w * got.h == 0 || got.w > IMAGE_MAX_SIDE)
					fail_msg("%s cut at %zu: %ux%u", name, n, got.w, got.h);
				image_gray_free(&got);
			} else if (got.px != NULL)
				fail_msg("%s cut at %zu: pixels left after an error", name, n);
			free(copy);
		}
		free(m.p);
	}
}

/* Sets the PNG's IHDR width and height and fixes its CRC. */
static void
png_dims(uint8_t *p, uint32_t w, uint32_t h)
{
	uLong crc;

	for (int i = 0; i < 4; i++) {
		p[16 + i] = (uint8_t)(w >> (24 - 8 * i));
		p[20 + i] = (uint8_t)(h >> (24 - 8 * i));
	}
	crc = crc32(0, p + 12, 17);
	for (int i = 0; i < 4; i++)
		p[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

static void
test_bad_input(void **state)
{
	struct image_gray g = fixture(), got;
	struct membuf png = write_png(&g, 0, 0), gif = write_gif(&g, 0);
	struct membuf bmp = write_bmp_pal(&g, 8, 0), jpg = write_jpeg(&g);
	static const uint8_t junk_jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I',
	    'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct {
		const char	*what;
		const uint8_t	*p;
		size_t		 len;
		int		 want;
	} cases[] = {
		{ "empty", (const uint8_t *)"", 0, -MG_EINVAL },
		{ "text", (const uint8_t *)"hello world, no image here", 26, -MG_EINVAL },
		{ "png 100000 x 100000", NULL, 0, -MG_ELIMIT },
		{ "png 8193 x 1", NULL, 0, -MG_ELIMIT },
		{ "png 5000 x 5000 (25 M pixels)", NULL, 0, -MG_ELIMIT },
		{ "gif screen 65535 x 65535", NULL, 0, -MG_ELIMIT },
		{ "bmp 100000 x 100000", NULL, 0, -MG_ELIMIT },
		{ "bmp rows past the data", NULL, 0, -MG_EPROTO },
		{ "jpeg junk frame", junk_jpeg, sizeof(junk_jpeg), -MG_EPROTO },
		{ "jpeg 60000 x 60000", NULL, 0, -MG_ELIMIT },
	};
	uint8_t *p100k = malloc(png.len), *p8193 = malloc(png.len), *p5k = malloc(png.len);
	uint8_t *gbig = malloc(gif.len), *bbig = malloc(bmp.len), *jbig = malloc(jpg.len);

	memcpy(p100k, png.p, png.len);
	png_dims(p100k, 100000, 100000);
	memcpy(p8193, png.p, png.len);
	png_dims(p8193, 8193, 1);
	memcpy(p5k, png.p, png.len);
	png_dims(p5k, 5000, 5000);
	memcpy(gbig, gif.p, gif.len);
	gbig[6] = gbig[7] = gbig[8] = gbig[9] = 0xff;
	memcpy(bbig, bmp.p, bmp.len);
	qr_fixture_le32(bbig + 18, 100000);
	qr_fixture_le32(bbig + 22, 100000);
	memcpy(jbig, jpg.p, jpg.len);
	for (size_t i = 0; i + 8 < jpg.len; i++)
		if (jbig[i] == 0xff && jbig[i + 1] == 0xc0) {	/* SOF0: height, width */
			jbig[i + 5] = jbig[i + 7] = 0xea;
			jbig[i + 6] = jbig[i + 8] = 0x60;
			break;
		}
	cases[2].p = p100k, cases[2].len = png.len;
	cases[3].p = p8193, cases[3].len = png.len;
	cases[4].p = p5k, cases[4].len = png.len;
	cases[5].p = gbig, cases[5].len = gif.len;
	cases[6].p = bbig, cases[6].len = bmp.len;
	cases[7].p = bmp.p, cases[7].len = bmp.len - 100;
	cases[9].p = jbig, cases[9].len = jpg.len;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = image_decode(cases[i].p, cases[i].len, &got);

		if (rc != cases[i].want)
			fail_msg("%s: got rc %d, want %d", cases[i].what, rc, cases[i].want);
		if (got.px != NULL)
			fail_msg("%s: pixels left after an error", cases[i].what);
	}
	free(p100k), free(p8193), free(p5k), free(gbig), free(bbig), free(jbig);
	free(png.p), free(gif.p), free(bmp.p), free(jpg.p);
	image_gray_free(&g);
}

static void
test_detect(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		enum image_kind	 want;
	} cases[] = {
		{ "\x89PNG\r\n\x1a\n", 8, IMAGE_PNG },
		{ "\x89PNG\r\n", 6, IMAGE_NONE },
		{ "\xff\xd8\xff\xe0", 4, IMAGE_JPEG },
		{ "GIF87a", 6, IMAGE_GIF },
		{ "GIF89a", 6, IMAGE_GIF },
		{ "GIF90a", 6, IMAGE_NONE },
		{ "BM" "xxxxxxxxxxxxxxxxxxxxxxxx", 26, IMAGE_BMP },
		{ "BM", 2, IMAGE_NONE },
		{ "%PDF-1.7", 8, IMAGE_NONE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum image_kind got = image_detect((const uint8_t *)cases[i].bytes, cases[i].len);

		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i, image_kind_name(got),
			    image_kind_name(cases[i].want));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_decode_kinds),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
