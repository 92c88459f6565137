/* Look-alike names: how far apart two names are (optimal string
 * alignment distance over code points: one insertion, deletion,
 * substitution or swap of neighbours each count 1) and the confusable
 * skeleton of ICU's spoof checker (UTS #39), under which "раураl" (Cyrillic)
 * and "paypal" are equal. */
#ifndef MG_INTEL_LOOKALIKE_H
#define MG_INTEL_LOOKALIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <unicode/uspoof.h>

#define LOOKALIKE_CP_MAX	256	/* code points of a name compared */

/* The distance of a and b (UTF-8), or max + 1 when it is above max. */
unsigned lookalike_distance(const char *a, const char *b, unsigned max);
/* The skeleton of s (UTF-8) into out; false (out "") when ICU fails or it
 * does not fit. */
bool	lookalike_skeleton(const USpoofChecker *, const char *s, char *out, size_t outlen);

#endif
