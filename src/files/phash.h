/* Perceptual image hashes (64 bits each) from decoded grayscale images
 * (image.h): dHash (sign of horizontal gradients on a 9 x 8 area-averaged
 * thumbnail) and pHash (signs of the 8 x 8 lowest DCT frequencies of a
 * 32 x 32 thumbnail against their median). Near-identical images (resized,
 * recompressed) are a few bits apart; unrelated ones about 32. Also the
 * administrator's list of known images these hashes are matched against. */
#ifndef MG_FILES_PHASH_H
#define MG_FILES_PHASH_H

#include <stddef.h>
#include <stdint.h>

#include "files/image.h"

#define PHASH_LIST_MAX		100000	/* entries of one list file */
#define PHASH_LABEL_MAX		128	/* bytes of an entry's label */
#define PHASH_DOMAIN_MAX	253

struct image_hashes {
	uint64_t	 dhash, phash;
};

/* Both hashes of img (w, h >= 1). 0 or -MG_ENOMEM. */
int	phash_gray(const struct image_gray *, struct image_hashes *out);
/* Decodes data (image_decode, its limits and errors) and hashes it. */
int	phash_image(const uint8_t *data, size_t len, struct image_hashes *out);
/* Bits that differ. */
unsigned phash_distance(uint64_t a, uint64_t b);

enum phash_category {
	PHASH_PHISHING,		/* a known phishing image */
	PHASH_LOGO,		/* a brand's logo; domain is the brand's */
};

struct phash_entry {
	struct image_hashes h;
	enum phash_category category;
	char		 domain[PHASH_DOMAIN_MAX + 1];	/* lower case; "" for phishing */
	char		 label[PHASH_LABEL_MAX + 1];
};

struct phash_list {
	struct phash_entry *entries;
	size_t		 n;
};

/* Reads a list file: lines "DHASH PHASH phishing LABEL" or
 * "DHASH PHASH logo DOMAIN LABEL" (hashes as 16 hex digits, LABEL the
 * rest of the line), blank lines and # comments. NULL with
 * "FILE:LINE: reason" in err. */
struct phash_list *phash_list_load(const char *path, char *err, size_t errlen);
/* Parses one line (not NUL-terminated) into e: 1 for an entry, 0 for a
 * blank or comment line, -1 with the reason in err. */
int	phash_list_parse_line(const char *line, size_t len, struct phash_entry *e,
	    char *err, size_t errlen);
/* The entry nearest to h with both hashes within max_distance (the first
 * listed among equals), or NULL. A linear scan: microseconds for
 * thousands of entries. */
const struct phash_entry *phash_list_match(const struct phash_list *,
	    const struct image_hashes *h, unsigned max_distance);
struct phash_list *phash_list_free(struct phash_list *);	/* NULL */

#endif
