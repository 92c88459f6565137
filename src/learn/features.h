/* The trained model's view of a parsed message: a sparse vector of hashed
 * features (XXH3, signed hashing trick) from the shared tokens (word
 * unigrams and bigrams per source, character 4-grams of the subject and of
 * the first char_bytes of text) and from the message's structure (header names,
 * body shape, URL, image and attachment counts, Date and sender
 * anomalies). docs/accuracy.md lists them. */
#ifndef MG_LEARN_FEATURES_H
#define MG_LEARN_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "mime/mime.h"

#define FEAT_BITS_MIN	16	/* 2^bits buckets */
#define FEAT_BITS_MAX	24
#define FEAT_CHAR_MAX	8192	/* bytes of text whose 4-grams are taken, at most */

/* The feature space; stored in the model file so that scanning hashes
 * exactly as training did. */
struct feat_params {
	uint32_t	 bits;		/* FEAT_BITS_MIN..FEAT_BITS_MAX */
	uint32_t	 char_bytes;	/* text bytes for 4-grams (0 = none) */
	uint64_t	 seed;		/* of every hash */
};

/* One non-zero coordinate. Indices are not sorted and may repeat (two
 * features hashed into one bucket): a dot product does not care. */
struct feat {
	uint32_t	 idx;
	float		 val;
};

struct feat_vec {
	struct feat	*f;
	size_t		 n;
};

void	feat_params_default(struct feat_params *);
/* 0, or -MG_EINVAL when a value is out of range. */
int	feat_params_check(const struct feat_params *);

/* m's features into out, allocated (with the scratch space) in a. The word
 * and character groups are log(1 + tf) scaled and L2-normalised each, so
 * that long messages do not dominate; structure features are 0/1.
 * 0, or -MG_ENOMEM when the arena is exhausted. Deterministic. */
int	features_extract(const struct feat_params *, const struct mime_msg *m,
	    struct mg_arena *a, struct feat_vec *out);

/* The coordinate (value +-1) of the structure feature named s, such as
 * "body:html-only" (the names: docs/accuracy.md), to look a weight up. */
struct feat features_meta(const struct feat_params *, const char *s);

#endif
