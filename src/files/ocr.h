/* Text in images by OCR (tesseract's C API) for the images check: a small
 * pool of tesseract handles shared by the scanning threads, created on
 * first use (the first one at ocr_new, so that a wrong language or data
 * path fails at engine open). Images are shrunk to max_pixels first: the
 * cost of OCR grows with the pixels, so the size is the bound; a deadline
 * per image (tesseract's monitor) stops what is still too slow. */
#ifndef MG_FILES_OCR_H
#define MG_FILES_OCR_H

#include <stddef.h>
#include <stdint.h>

#include "files/image.h"

#define OCR_POOL_MAX	8	/* tesseract handles, each ~20-40 MB with "eng" */
#define OCR_TEXT_MAX	8192	/* bytes of text kept per image */
#define OCR_MIN_W	32	/* smaller images hold no readable line */
#define OCR_MIN_H	12

struct ocr_opts {
	const char	*lang;		/* NULL = "eng" */
	const char	*datapath;	/* NULL = tesseract's default tessdata */
	uint32_t	 max_pixels;	/* images are shrunk to at most this */
	unsigned	 pool;		/* handles at most, 1..OCR_POOL_MAX */
};

struct ocr;

/* NULL with the reason in err (language data not found). */
struct ocr *ocr_new(const struct ocr_opts *, char *err, size_t errlen);
/* The text of img (which may be shrunk in place) into *text (malloc'd,
 * NUL-terminated, at most OCR_TEXT_MAX bytes; "" for images too small to
 * read). timeout_ms 0 = none. 0, -MG_ETIMEOUT (the text found so far is
 * still returned), -MG_ENOMEM or -MG_EIO (tesseract failed). */
int	ocr_gray(struct ocr *, struct image_gray *img, unsigned timeout_ms, char **text);
/* As ocr_gray on encoded image bytes (image_decode and its errors). */
int	ocr_image(struct ocr *, const uint8_t *data, size_t len, unsigned timeout_ms,
	    char **text);
struct ocr *ocr_free(struct ocr *);	/* NULL; no call may be running */

#endif
