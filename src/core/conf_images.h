/* engine.images: perceptual image hashes and OCR (docs/phishing.md "Images"). Placeholder: being written. */
#ifndef MG_CORE_CONF_IMAGES_H
#define MG_CORE_CONF_IMAGES_H

#include <stdbool.h>

struct conf_ctx;
struct config_setting_t;

struct conf_images {
	bool		 enabled;
};

/* Allocates nothing. */
void	conf_images_defaults(struct conf_images *);
/* g is the engine.images setting, or NULL when absent. 0, or -1 with "FILE:LINE: reason". */
int	conf_load_images(struct conf_ctx *, const struct config_setting_t *g, struct conf_images *);
void	conf_images_free(struct conf_images *);

#endif
