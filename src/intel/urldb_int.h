/* The layout of the URL reputation file (urldb.h), shared by its writer
 * and its reader. All integers little-endian (the host's: the file is
 * built where it is used), every section 8-byte aligned:
 *   header | h1[n] u64 | h2[n] u64 | meta[n] u32 | buckets[2^bits + 1] u32 |
 *   sources[nsources] u32 (offsets in strings) | strings (NUL-terminated names)
 * Entries are sorted by h1 (then h2); buckets[b] is the first entry whose
 * top bits of h1 are >= b. */
#ifndef MG_INTEL_URLDB_INT_H
#define MG_INTEL_URLDB_INT_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#define URLDB_MAGIC	"MGURLDB"	/* 8 bytes with the NUL */
#define URLDB_VERSION	1
#define URLDB_SEED	0x6d61696c67617465ull	/* "mailgate" */

/* The key spaces, added to the seed: one key hashes differently in each. */
enum urldb_space { SPACE_EXACT = 1, SPACE_PREFIX, SPACE_HOST, SPACE_SHARED, SPACE_PATHS };

/* The kind of the marker entries of SPACE_PATHS: host[:port] has exact or
 * prefix entries (URLs of other hosts skip those probes). */
#define KIND_PATHS	5

/* meta: kind (0 = shared platform, KIND_PATHS) | category << 4 | source << 8 */
#define META(kind, cat, src)	((uint32_t)(kind) | (uint32_t)(cat) << 4 | (uint32_t)(src) << 8)
#define META_KIND(m)		((m) & 0xfu)
#define META_CAT(m)		(((m) >> 4) & 0xfu)
#define META_SOURCE(m)		((m) >> 8)

struct urldb_hdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 hdr_size;
	uint64_t	 file_size;
	uint64_t	 seed;
	int64_t		 built;		/* time(NULL) at build */
	uint64_t	 nentries;
	uint32_t	 bucket_bits;
	uint32_t	 nsources;
	uint64_t	 off_h1, off_h2, off_meta, off_buckets, off_sources, off_strings;
	uint64_t	 strings_len;
	uint64_t	 kinds[6];	/* entries per kind, [0] = shared platforms */
	uint64_t	 checksum;	/* urldb_checksum */
};

/* XXH3-64 of the sections, seeded with the hash of the header up to
 * the checksum field. */
static inline uint64_t
urldb_checksum(const struct urldb_hdr *h, const void *body, size_t len)
{
	return XXH3_64bits_withSeed(body, len, XXH3_64bits(h, offsetof(struct urldb_hdr,
	    checksum)));
}

static inline uint64_t
urldb_align8(uint64_t x)
{
	return (x + 7) & ~(uint64_t)7;
}

/* Bucket bits for n entries: about 4 entries per bucket. */
static inline uint32_t
urldb_bucket_bits(uint64_t n)
{
	uint32_t b = 0;

	while (b < 28 && (4ull << b) < n)
		b++;
	return b;
}

#endif
