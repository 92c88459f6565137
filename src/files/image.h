/* Raster images from memory as 8-bit grayscale, for the QR code decoder:
 * PNG (libpng), JPEG (libjpeg), GIF (giflib, first frame) and BMP (our own
 * reader), recognised by their magic bytes, never by name or declared
 * type. Dimensions are checked against the limits before any pixel is
 * decoded; corrupt input is refused, never crashes; no temporary files. */
#ifndef MG_FILES_IMAGE_H
#define MG_FILES_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_SIDE		8192		/* pixels, either dimension */
#define IMAGE_MAX_PIXELS	(16u << 20)	/* width x height */
#define IMAGE_MAX_INPUT		(32u << 20)	/* bytes of encoded image looked at */

enum image_kind {
	IMAGE_NONE,
	IMAGE_PNG,
	IMAGE_JPEG,
	IMAGE_GIF,
	IMAGE_BMP,
};

/* One grayscale image: w x h bytes, row after row (malloc'd). */
struct image_gray {
	uint8_t		*px;
	unsigned	 w, h;
};

/* The kind of image data starts with (its magic bytes), or IMAGE_NONE. */
enum image_kind image_detect(const uint8_t *data, size_t len);
/* "png", "jpeg", "gif", "bmp"; "none". */
const char *image_kind_name(enum image_kind);

/* Decodes data into out (zeroed first). 0, -MG_EINVAL (not an image of a
 * known kind), -MG_EPROTO (corrupt), -MG_ELIMIT (dimensions or input over
 * the limits) or -MG_ENOMEM. On error out holds nothing to free. */
int	image_decode(const uint8_t *data, size_t len, struct image_gray *out);
/* Shrinks img in place by an integer factor (box average) until neither
 * side exceeds max_side. 0 or -MG_ENOMEM (img unchanged). */
int	image_shrink(struct image_gray *, unsigned max_side);
/* Frees the pixels and zeroes img. */
void	image_gray_free(struct image_gray *);

#endif
