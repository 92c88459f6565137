/* Image decoding to grayscale (image.h). Each decoder checks the declared
 * dimensions against the limits before it allocates pixels. libpng and
 * libjpeg report errors by longjmp: the setjmp lives in a function of its
 * own whose state is all in a struct of the caller, so nothing it changed
 * is lost on the jump, and the caller frees what was allocated. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>

#include "core/err.h"
#include "files/image.h"

#define PNG_CHUNK_MAX	(8u << 20)	/* bytes of one ancillary chunk (iCCP, zTXt) */
#define JPEG_MEM_MAX	(96L << 20)	/* libjpeg's working memory */
#define JPEG_SCANS_MAX	200		/* progressive scans (a scan bomb takes minutes) */
#define JPEG_SHRINK_SIDE 2048		/* larger JPEGs are decoded at 1/2, 1/4 or 1/8 */

/* Luma of an RGB pixel (BT.601 weights, 8-bit fixed point). */
static uint8_t
luma(unsigned r, unsigned g, unsigned b)
{
	return (uint8_t)((r * 77 + g * 150 + b * 29) >> 8);
}

/* Gray of a pixel with alpha, composed over white (a transparent QR
 * background must not turn black). */
static uint8_t
over_white(uint8_t y, unsigned a)
{
	return (uint8_t)((y * a + 255 * (255 - a)) / 255);
}

enum image_kind
image_detect(const uint8_t *d, size_t len)
{
	if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return IMAGE_PNG;
	if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return IMAGE_JPEG;
	if (len >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return IMAGE_GIF;
	if (len >= 26 && d[0] == 'B' && d[1] == 'M')
		return IMAGE_BMP;
	return IMAGE_NONE;
}

const char *
image_kind_name(enum image_kind k)
{
	static const char *const names[] = { "none", "png", "jpeg", "gif", "bmp" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "none";
}

/* 0 when w x h fits the limits. */
static int
dims_ok(uint64_t w, uint64_t h)
{
	if (w == 0 || h == 0)
		return -MG_EPROTO;
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || w * h > IMAGE_MAX_PIXELS)
		return -MG_ELIMIT;
	return 0;
}

/* Allocates out's pixels for w x h (already within the limits). */
static int
gray_alloc(struct image_gray *out, unsigned w, unsigned h)
{
	if ((out->px = malloc((size_t)w * h)) == NULL)
		return -MG_ENOMEM;
	out->w = w;
	out->h = h;
	return 0;
}

void
image_gray_free(struct image_gray *img)
{
	free(img->px);
	memset(img, 0, sizeof(*img));
}

/* PNG ---------------------------------------------------------------- */

struct png_state {
	const uint8_t	*data;
	size_t		 len, off;
	uint8_t		*rows;		/* one row, or the whole image when interlaced */
	struct image_gray *out;
	int		 rc;		/* the error a longjmp reports */
};

static void
png_read_mem(png_structp png, png_bytep to, size_t n)
{
	struct png_state *s = png_get_io_ptr(png);

	if (n > s->len - s->off) {
		s->rc = -MG_EPROTO;
		png_error(png, "truncated");
	}
	memcpy(to, s->data + s->off, n);
	s->off += n;
}

static void
png_fail(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void
png_quiet(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Expands every PNG to 8-bit RGBA and reads it; the setjmp frame. */
static int
png_run(png_structp png, png_infop info, struct png_state *s)
{
	png_uint_32 w, h, y;
	size_t rowbytes;
	int passes, pass, inter, rc;

	if (setjmp(png_jmpbuf(png)))
		return s->rc < 0 ? s->rc : -MG_EPROTO;
	png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
	png_set_read_fn(png, s, png_read_mem);
	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	if ((rc = dims_ok(w, h)) < 0)
		return rc;
	png_set_expand(png);
	png_set_strip_16(png);
	png_set_gray_to_rgb(png);
	png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (rowbytes != (size_t)w * 4)
		return -MG_EPROTO;
	inter = passes > 1;
	if ((s->rows = malloc(rowbytes * (inter ? h : 1))) == NULL ||
	    (rc = gray_alloc(s->out, w, h)) < 0)
		return -MG_ENOMEM;
	for (pass = 0; pass < passes; pass++) {
		for (y = 0; y < h; y++) {
			uint8_t *rp = s->rows + (inter ? rowbytes * y : 0);

			png_read_row(png, rp, NULL);
			if (pass < passes - 1)
				continue;
			for (png_uint_32 x = 0; x < w; x++, rp += 4)
				s->out->px[(size_t)y * w + x] = over_white(luma(rp[0], rp[1], rp[2]), rp[3]);
		}
	}
	return 0;
}

static int
png_decode_gray(const uint8_t *data, size_t len, struct image_gray *out)
{
	struct png_state s = { .data = data, .len = len, .out = out };
	png_structp png;
	png_infop info = NULL;
	int rc;

	if ((png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail,
	    png_quiet)) == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
		return -MG_ENOMEM;
	}
	rc = png_run(png, info, &s);
	png_destroy_read_struct(&png, &info, NULL);
	free(s.rows);
	return rc;
}

/* JPEG --------------------------------------------------------------- */

struct jpeg_state {
	struct jpeg_error_mgr	 err;	/* first: libjpeg hands back its address */
	struct jpeg_progress_mgr progress;
	jmp_buf			 jump;
	int			 rc;
	struct image_gray	*out;
};

static void
jpeg_fail(j_common_ptr c)
{
	struct jpeg_state *s = (struct jpeg_state *)c->err;

	longjmp(s->jump, 1);
}

static void
jpeg_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* Stops a progressive JPEG with an absurd number of scans. */
static void
jpeg_progress(j_common_ptr c)
{
	struct jpeg_state *s = (struct jpeg_state *)c->err;
	j_decompress_ptr d = (j_decompress_ptr)c;

	if (!c->is_decompressor || d->input_scan_number <= JPEG_SCANS_MAX)
		return;
	s->rc = -MG_ELIMIT;
	longjmp(s->jump, 1);
}

/* libjpeg's own downscale (1/2, 1/4, 1/8) that brings a side under
 * JPEG_SHRINK_SIDE. */
static unsigned
jpeg_denom(unsigned width, unsigned height)
{
	unsigned denom = 1;

	while (denom < 8 && (width / denom > JPEG_SHRINK_SIDE || height / denom > JPEG_SHRINK_SIDE))
		denom *= 2;
	return denom;
}

/* The setjmp frame: header, dimension check, decoding to grayscale. No
 * local variable changes after setjmp (longjmp would clobber it). */
static int
jpeg_run(struct jpeg_decompress_struct *c, struct jpeg_state *s, const uint8_t *data,
    size_t len)
{
	int rc;

	if (setjmp(s->jump))
		return s->rc < 0 ? s->rc : -MG_EPROTO;
	jpeg_create_decompress(c);
	c->mem->max_memory_to_use = JPEG_MEM_MAX;
	c->progress = &s->progress;
	jpeg_mem_src(c, data, (unsigned long)len);
	if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK)
		return -MG_EPROTO;
	if ((rc = dims_ok(c->image_width, c->image_height)) < 0)
		return rc;
	if (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK)
		return -MG_EINVAL;
	c->scale_num = 1;
	c->scale_denom = jpeg_denom(c->image_width, c->image_height);
	c->out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(c);
	if (c->output_components != 1 || (rc = dims_ok(c->output_width, c->output_height)) < 0)
		return rc < 0 ? rc : -MG_EPROTO;
	if (gray_alloc(s->out, c->output_width, c->output_height) < 0)
		return -MG_ENOMEM;
	while (c->output_scanline < c->output_height) {
		JSAMPROW row = s->out->px + (size_t)c->output_scanline * c->output_width;

		jpeg_read_scanlines(c, &row, 1);
	}
	jpeg_finish_decompress(c);
	return 0;
}

static int
jpeg_decode_gray(const uint8_t *data, size_t len, struct image_gray *out)
{
	struct jpeg_decompress_struct c;
	struct jpeg_state s = { .out = out };
	int rc;

	memset(&c, 0, sizeof(c));
	c.err = jpeg_std_error(&s.err);
	s.err.error_exit = jpeg_fail;
	s.err.emit_message = jpeg_quiet;
	s.progress.progress_monitor = jpeg_progress;
	rc = jpeg_run(&c, &s, data, len);
	jpeg_destroy_decompress(&c);
	return rc;
}

/* GIF ---------------------------------------------------------------- */

struct gif_src {
	const uint8_t	*data;
	size_t		 len, off;
};

static int
gif_read_mem(GifFileType *g, GifByteType *to, int n)
{
	struct gif_src *s = g->UserData;
	size_t k = n < 0 ? 0 : (size_t)n;

	if (k > s->len - s->off)
		k = s->len - s->off;
	memcpy(to, s->data + s->off, k);
	s->off += k;
	return (int)k;
}

/* The transparent colour index of a Graphic Control Extension, or -1. */
static int
gif_transparent(int code, const GifByteType *ext, int prev)
{
	if (code != GRAPHICS_EXT_FUNC_CODE || ext == NULL || ext[0] < 4)
		return prev;
	return (ext[1] & 1) ? ext[4] : -1;
}

/* Reads the first frame's rows (interlaced ones in GIF's pass order). */
static int
gif_frame(GifFileType *g, int transparent, struct image_gray *out)
{
	static const unsigned start[] = { 0, 4, 2, 1 }, step[] = { 8, 8, 4, 2 };
	const ColorMapObject *cm = g->Image.ColorMap ? g->Image.ColorMap : g->SColorMap;
	unsigned w = (unsigned)g->Image.Width, h = (unsigned)g->Image.Height, y, x, p;
	GifPixelType *line;
	int rc;

	if (cm == NULL || cm->Colors == NULL || cm->ColorCount <= 0)
		return -MG_EPROTO;
	if ((rc = dims_ok(w, h)) < 0)
		return rc;
	if ((line = malloc(w)) == NULL || gray_alloc(out, w, h) < 0) {
		free(line);
		return -MG_ENOMEM;
	}
	for (p = 0; p < (g->Image.Interlace ? 4u : 1u); p++) {
		unsigned y0 = g->Image.Interlace ? start[p] : 0, dy = g->Image.Interlace ? step[p] : 1;

		for (y = y0; y < h; y += dy) {
			if (DGifGetLine(g, line, (int)w) != GIF_OK) {
				free(line);
				return -MG_EPROTO;
			}
			for (x = 0; x < w; x++) {
				int i = line[x] < cm->ColorCount ? line[x] : 0;
				const GifColorType *c = &cm->Colors[i];

				out->px[(size_t)y * w + x] = i == transparent ? 255 :
				    luma(c->Red, c->Green, c->Blue);
			}
		}
	}
	free(line);
	return 0;
}

/* Walks the records up to the first image. */
static int
gif_walk(GifFileType *g, struct image_gray *out)
{
	GifRecordType type;
	GifByteType *ext;
	int code, transparent = -1;

	if (dims_ok((unsigned)g->SWidth, (unsigned)g->SHeight) == -MG_ELIMIT)
		return -MG_ELIMIT;
	for (;;) {
		if (DGifGetRecordType(g, &type) != GIF_OK)
			return -MG_EPROTO;
		switch (type) {
		case IMAGE_DESC_RECORD_TYPE:
			if (DGifGetImageDesc(g) != GIF_OK)
				return -MG_EPROTO;
			return gif_frame(g, transparent, out);
		case EXTENSION_RECORD_TYPE:
			if (DGifGetExtension(g, &code, &ext) != GIF_OK)
				return -MG_EPROTO;
			transparent = gif_transparent(code, ext, transparent);
			while (ext != NULL)
				if (DGifGetExtensionNext(g, &ext) != GIF_OK)
					return -MG_EPROTO;
			break;
		default:	/* the end, or junk, before any image */
			return -MG_EPROTO;
		}
	}
}

static int
gif_decode_gray(const uint8_t *data, size_t len, struct image_gray *out)
{
	struct gif_src src = { .data = data, .len = len };
	GifFileType *g;
	int err, rc;

	if ((g = DGifOpen(&src, gif_read_mem, &err)) == NULL)
		return err == D_GIF_ERR_NOT_ENOUGH_MEM ? -MG_ENOMEM : -MG_EPROTO;
	rc = gif_walk(g, out);
	DGifCloseFile(g, &err);
	return rc;
}

/* BMP ---------------------------------------------------------------- */

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

struct bmp_info {
	uint64_t	 w, h;
	bool		 top_down;
	unsigned	 bpp;
	const uint8_t	*pal;		/* palette entries, or NULL */
	unsigned	 npal, palsz;	/* entries, bytes per entry (3 or 4) */
	const uint8_t	*pixels;
	size_t		 stride;
};

/* Reads the headers of an uncompressed BMP and checks that the pixel
 * rows and the palette lie inside the data. */
static int
bmp_header(const uint8_t *d, size_t len, struct bmp_info *b)
{
	uint32_t off = le32(d + 10), dib = le32(d + 14), comp = 0, used = 0;
	int32_t sh;
	int rc;

	if (dib == 12) {
		b->w = le16(d + 18);
		b->h = le16(d + 20);
		b->bpp = le16(d + 24);
		b->palsz = 3;
	} else if (dib >= 40 && dib <= 256 && len >= 14 + (size_t)dib) {
		b->w = (uint32_t)(int32_t)le32(d + 18);
		sh = (int32_t)le32(d + 22);
		b->top_down = sh < 0;
		b->h = sh < 0 ? (uint64_t)-(int64_t)sh : (uint64_t)sh;
		b->bpp = le16(d + 28);
		comp = le32(d + 30);
		used = le32(d + 46);
		b->palsz = 4;
	} else
		return -MG_EPROTO;
	if ((int32_t)b->w < 0)
		return -MG_EPROTO;
	if ((rc = dims_ok(b->w, b->h)) < 0)
		return rc;
	if (!(comp == 0 || (comp == 3 && b->bpp == 32)))
		return -MG_EINVAL;	/* RLE, JPEG/PNG inside BMP: not read */
	if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 24 && b->bpp != 32)
		return -MG_EINVAL;
	b->stride = (size_t)((b->w * b->bpp + 31) / 32) * 4;
	if (off > len || b->stride * b->h > len - off)
		return -MG_EPROTO;
	b->pixels = d + off;
	if (b->bpp <= 8) {
		size_t pal_at = 14 + (size_t)dib;

		b->npal = used != 0 && used < (1u << b->bpp) ? used : 1u << b->bpp;
		if (pal_at > off || (off - pal_at) / b->palsz < b->npal)
			b->npal = pal_at > off ? 0 : (unsigned)((off - pal_at) / b->palsz);
		if (b->npal == 0)
			return -MG_EPROTO;
		b->pal = d + pal_at;
	}
	return 0;
}

/* The gray of pixel x of a BMP row. */
static uint8_t
bmp_pixel(const struct bmp_info *b, const uint8_t *row, size_t x)
{
	unsigned i;

	switch (b->bpp) {
	case 24:
		return luma(row[x * 3 + 2], row[x * 3 + 1], row[x * 3]);
	case 32:
		return luma(row[x * 4 + 2], row[x * 4 + 1], row[x * 4]);
	case 8:
		i = row[x];
		break;
	case 4:
		i = (row[x / 2] >> ((x & 1) ? 0 : 4)) & 0xf;
		break;
	default:
		i = (row[x / 8] >> (7 - (x & 7))) & 1;
		break;
	}
	if (i >= b->npal)
		i = 0;
	return luma(b->pal[i * b->palsz + 2], b->pal[i * b->palsz + 1], b->pal[i * b->palsz]);
}

static int
bmp_decode_gray(const uint8_t *data, size_t len, struct image_gray *out)
{
	struct bmp_info b;
	int rc;

	memset(&b, 0, sizeof(b));
	if ((rc = bmp_header(data, len, &b)) < 0)
		return rc;
	if (gray_alloc(out, (unsigned)b.w, (unsigned)b.h) < 0)
		return -MG_ENOMEM;
	for (size_t y = 0; y < b.h; y++) {
		const uint8_t *row = b.pixels + b.stride * (b.top_down ? y : b.h - 1 - y);

		for (size_t x = 0; x < b.w; x++)
			out->px[y * b.w + x] = bmp_pixel(&b, row, x);
	}
	return 0;
}

/* Decoding and shrinking --------------------------------------------- */

int
image_decode(const uint8_t *data, size_t len, struct image_gray *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > IMAGE_MAX_INPUT)
		return -MG_ELIMIT;
	switch (image_detect(data, len)) {
	case IMAGE_PNG:
		rc = png_decode_gray(data, len, out);
		break;
	case IMAGE_JPEG:
		rc = jpeg_decode_gray(data, len, out);
		break;
	case IMAGE_GIF:
		rc = gif_decode_gray(data, len, out);
		break;
	case IMAGE_BMP:
		rc = bmp_decode_gray(data, len, out);
		break;
	default:
		return -MG_EINVAL;
	}
	if (rc < 0)
		image_gray_free(out);
	return rc;
}

int
image_shrink(struct image_gray *img, unsigned max_side)
{
	unsigned side = img->w > img->h ? img->w : img->h, f, w, h;
	uint8_t *px;

	if (max_side == 0 || side <= max_side)
		return 0;
	f = (side + max_side - 1) / max_side;
	w = img->w / f ? img->w / f : 1;
	h = img->h / f ? img->h / f : 1;
	if ((px = malloc((size_t)w * h)) == NULL)
		return -MG_ENOMEM;
	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			uint64_t sum = 0, n = 0;

			for (unsigned dy = 0; dy < f && y * f + dy < img->h; dy++)
				for (unsigned dx = 0; dx < f && x * f + dx < img->w; dx++, n++)
					sum += img->px[(size_t)(y * f + dy) * img->w + x * f + dx];
			px[(size_t)y * w + x] = (uint8_t)(sum / n);
		}
	}
	free(img->px);
	img->px = px;
	img->w = w;
	img->h = h;
	return 0;
}
