/* QR codes drawn as HTML tables: each cell one module, its colour from
 * bgcolor or a style background(-color) (else its row's, else its
 * table's, else white), dark below a luma threshold. Tables are rebuilt as
 * grayscale bitmaps for the QR decoder (files/qr.h). Bounded: bytes of
 * HTML looked at, cells per side, tables kept; <div> grids are not read. */
#ifndef MG_FILES_HTML_QR_H
#define MG_FILES_HTML_QR_H

#include <stddef.h>

#include "files/image.h"

#define HTML_QR_MAX_INPUT	(2u << 20)	/* bytes of HTML looked at */
#define HTML_QR_MAX_SIDE	200		/* cells per row, rows per table */
#define HTML_QR_MIN_SIDE	21		/* a version 1 code (no quiet zone) */
#define HTML_QR_MAX_TABLES	4		/* grids handed on per HTML text */
#define HTML_QR_MODULE_PX	4		/* pixels per cell in the bitmap */
#define HTML_QR_QUIET		4		/* white cells added around the grid */
#define HTML_QR_DARK		128		/* luma below this is a dark module */

/* Called with each table of at least HTML_QR_MIN_SIDE x HTML_QR_MIN_SIDE
 * cells holding dark and light cells; a non-zero return stops the walk
 * and is returned. img is freed after the call. */
typedef int (*html_qr_fn)(const struct image_gray *img, void *arg);

/* Walks the innermost tables of html (the first HTML_QR_MAX_INPUT bytes).
 * 0, -MG_ENOMEM, or fn's return. */
int	html_qr_tables(const char *html, size_t len, html_qr_fn fn, void *arg);

/* The colour in s[0..len) (#rgb, #rrggbb, rgb(r,g,b), a few names) as
 * luma 0..255 into *luma. 0, or -MG_EINVAL when none is recognised. */
int	html_qr_color_luma(const char *s, size_t len, unsigned *luma);

#endif
