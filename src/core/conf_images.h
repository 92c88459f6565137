/* engine.images: image-only heuristics, perceptual hashes of images against
 * an administrator's list of known phishing images and brand logos, and the
 * optional OCR of images (docs/images.md). */
#ifndef MG_CORE_CONF_IMAGES_H
#define MG_CORE_CONF_IMAGES_H

#include <stdbool.h>
#include <stdint.h>

struct conf_ctx;
struct config_setting_t;

#define CONF_IMAGES_LANG_MAX	64	/* bytes of ocr.lang ("eng+deu") */

struct conf_images_ocr {
	bool		 enabled;	/* false: tesseract never runs */
	char		*lang;		/* NULL = "eng" */
	char		*datapath;	/* tessdata directory; NULL = tesseract's default */
	uint32_t	 max_pixels;	/* larger images are shrunk to this first: 4000000 */
	uint32_t	 max_images;	/* images read per message: 4 */
};

struct conf_images {
	bool		 enabled;	/* true: hashing and the image-only heuristics */
	char		*hashes;	/* list file (absolute), NULL = no list */
	uint32_t	 max_distance;	/* Hamming distance of a match, both hashes: 6 */
	uint32_t	 max_text;	/* visible letters of an "image-only" message: 50 */
	uint32_t	 max_images;	/* images decoded and hashed per message: 16 */
	struct conf_images_ocr ocr;
};

/* Allocates nothing. */
void	conf_images_defaults(struct conf_images *);
/* g is the engine.images setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_images(struct conf_ctx *, const struct config_setting_t *g, struct conf_images *);
void	conf_images_free(struct conf_images *);

#endif
