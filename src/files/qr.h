/* QR codes in images (zbar): the texts of the codes found in a grayscale
 * image or in encoded image bytes (image.h), within bounded counts and
 * lengths. Images larger than QR_SCAN_SIDE are shrunk first; small ones
 * with nothing found are scanned again enlarged (codes of tiny modules). */
#ifndef MG_FILES_QR_H
#define MG_FILES_QR_H

#include <stddef.h>
#include <stdint.h>

#include "files/image.h"

#define QR_MAX_CODES	8	/* codes kept per image */
#define QR_MAX_TEXT	1024	/* bytes kept of one code's text */
#define QR_SCAN_SIDE	1600	/* larger images are shrunk to this before scanning */
#define QR_SMALL_SIDE	400	/* images up to this are retried at twice the size */

struct qr_code {
	char		 text[QR_MAX_TEXT + 1];	/* NUL-terminated; may hold NULs (len) */
	size_t		 len;
	int		 truncated;		/* the code held more than QR_MAX_TEXT */
};

struct qr_result {
	struct qr_code	 codes[QR_MAX_CODES];
	unsigned	 n;
};

/* Scans img for QR codes into r (zeroed first). 0 or -MG_ENOMEM. */
int	qr_scan_gray(const struct image_gray *, struct qr_result *);
/* Decodes data (image_decode), shrinks and scans it. 0, or image_decode's
 * errors (-MG_EINVAL when data is no image of a known kind). */
int	qr_scan_image(const uint8_t *data, size_t len, struct qr_result *);

#endif
