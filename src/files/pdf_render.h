/* The first pages of a PDF held in memory rendered as 8-bit grayscale
 * bitmaps (poppler-glib + cairo), for the QR code decoder. poppler cannot
 * be interrupted, so work is bounded up front: input size, page count,
 * resolution and page size; encrypted documents are not opened. */
#ifndef MG_FILES_PDF_RENDER_H
#define MG_FILES_PDF_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "files/image.h"

#define PDF_RENDER_MAX_INPUT	(10u << 20)	/* larger PDFs are not opened */
#define PDF_RENDER_PAGES	2		/* pages rendered, from the first */
#define PDF_RENDER_DPI		100		/* A4 is 827 x 1169 pixels */
#define PDF_RENDER_MAX_SIDE	2000		/* pages larger at PDF_RENDER_DPI are skipped */

/* Called with each rendered page (page: 0 for the first); img belongs to
 * the caller of pdf_render_pages. A non-zero return stops rendering and is
 * returned. */
typedef int (*pdf_page_fn)(const struct image_gray *img, unsigned page, void *arg);

/* Renders the first min(max_pages, PDF_RENDER_PAGES) pages of data and
 * calls fn for each one rendered. 0, -MG_EINVAL (no PDF), -MG_ELIMIT (len
 * over PDF_RENDER_MAX_INPUT), -MG_EPROTO (corrupt or encrypted: poppler
 * cannot open it), -MG_ENOMEM, or fn's return. Thread-safe: one poppler
 * document per call; poppler's messages go to log_debug. */
int	pdf_render_pages(const uint8_t *data, size_t len, unsigned max_pages, pdf_page_fn fn,
	    void *arg);

#endif
