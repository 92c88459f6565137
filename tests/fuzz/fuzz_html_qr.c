/* libFuzzer target for QR codes drawn as HTML tables (files/html_qr.h):
 * arbitrary bytes as HTML must never crash the table scanner, every grid
 * handed on must keep the size limits, and zbar scans it (seeds: the
 * tables of tests/files/gen_qr_pdf.py). */
#include <stdint.h>
#include <stdlib.h>

#include "files/html_qr.h"
#include "files/qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PX	((HTML_QR_MAX_SIDE + 2 * HTML_QR_QUIET) * HTML_QR_MODULE_PX)

static int
fuzz_table(const struct image_gray *img, void *arg)
{
	struct qr_result *r;

	if (img->w < (HTML_QR_MIN_SIDE + 2 * HTML_QR_QUIET) * HTML_QR_MODULE_PX ||
	    img->w > FUZZ_MAX_PX || img->h > FUZZ_MAX_PX || img->px == NULL)
		abort();
	(*(unsigned *)arg)++;
	if ((r = malloc(sizeof(*r))) == NULL)
		return 0;
	if (qr_scan_gray(img, r) == 0 && r->n > QR_MAX_CODES)
		abort();
	free(r);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned tables = 0;

	if (html_qr_tables((const char *)data, size, fuzz_table, &tables) != 0 ||
	    tables > HTML_QR_MAX_TABLES)
		abort();
	return 0;
}
