/* QR code scanning with zbar (qr.h). One zbar scanner per call: they are
 * cheap, and nothing is shared between the scanning threads. */
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

#include "core/err.h"
#include "files/qr.h"

/* Adds each QR symbol of a scanned image to r, skipping texts already
 * there. */
static void
qr_collect(const zbar_image_t *zi, struct qr_result *r)
{
	const zbar_symbol_t *sym;

	for (sym = zbar_image_first_symbol(zi); sym != NULL && r->n < QR_MAX_CODES;
	    sym = zbar_symbol_next(sym)) {
		const char *d = zbar_symbol_get_data(sym);
		size_t len = zbar_symbol_get_data_length(sym), keep;
		struct qr_code *c = &r->codes[r->n];
		unsigned i;

		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE || d == NULL)
			continue;
		keep = len > QR_MAX_TEXT ? QR_MAX_TEXT : len;
		for (i = 0; i < r->n; i++)
			if (r->codes[i].len == keep && memcmp(r->codes[i].text, d, keep) == 0)
				break;
		if (i < r->n)
			continue;
		memcpy(c->text, d, keep);
		c->text[keep] = '\0';
		c->len = keep;
		c->truncated = len > keep;
		r->n++;
	}
}

/* One zbar pass over w x h gray pixels. */
static int
qr_pass(const uint8_t *px, unsigned w, unsigned h, struct qr_result *r)
{
	zbar_image_scanner_t *sc;
	zbar_image_t *zi;
	int rc = 0;

	if ((sc = zbar_image_scanner_create()) == NULL)
		return -MG_ENOMEM;
	if ((zi = zbar_image_create()) == NULL) {
		zbar_image_scanner_destroy(sc);
		return -MG_ENOMEM;
	}
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, w, h);
	zbar_image_set_data(zi, px, (unsigned long)w * h, NULL);
	if (zbar_scan_image(sc, zi) < 0)
		rc = -MG_ENOMEM;
	else
		qr_collect(zi, r);
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(sc);
	return rc;
}

/* img enlarged twice (each pixel to 2 x 2), scanned. */
static int
qr_pass_enlarged(const struct image_gray *img, struct qr_result *r)
{
	unsigned w = img->w * 2, h = img->h * 2;
	uint8_t *px;
	int rc;

	if ((px = malloc((size_t)w * h)) == NULL)
		return -MG_ENOMEM;
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			px[(size_t)y * w + x] = img->px[(size_t)(y / 2) * img->w + x / 2];
	rc = qr_pass(px, w, h, r);
	free(px);
	return rc;
}

int
qr_scan_gray(const struct image_gray *img, struct qr_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if (img->px == NULL || img->w == 0 || img->h == 0)
		return 0;
	if ((rc = qr_pass(img->px, img->w, img->h, r)) < 0)
		return rc;
	if (r->n == 0 && img->w <= QR_SMALL_SIDE && img->h <= QR_SMALL_SIDE)
		rc = qr_pass_enlarged(img, r);
	return rc;
}

int
qr_scan_image(const uint8_t *data, size_t len, struct qr_result *r)
{
	struct image_gray img;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = image_decode(data, len, &img)) < 0)
		return rc;
	if ((rc = image_shrink(&img, QR_SCAN_SIDE)) == 0)
		rc = qr_scan_gray(&img, r);
	image_gray_free(&img);
	return rc;
}
