/* Inside the Bayes classifier: the token store's file layout, the mapped
 * view readers share, and the functions of bayes_store.c (the file),
 * bayes_features.c (a message's features) used by bayes.c. */
#ifndef MG_LEARN_BAYES_INT_H
#define MG_LEARN_BAYES_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/conf.h"
#include "learn/bayes.h"
#include "mime/mime.h"

#define BAYES_MAGIC		"MGBAYES"	/* 8 bytes with the NUL */
#define BAYES_VERSION		1
#define BAYES_ENDIAN		0x0102030405060708ull
#define BAYES_HEADER_SIZE	4096
#define BAYES_INITIAL_SLOTS	65536
#define BAYES_INITIAL_DEDUP	8192
#define BAYES_MAX_DEDUP		(1u << 20)	/* messages remembered, 8 MiB */
#define BAYES_LOAD_NUM		3		/* tables are kept at most 3/4 full */
#define BAYES_LOAD_DEN		4
#define BAYES_PRUNE_TO		60		/* % of max_tokens kept after pruning */
#define BAYES_EXPIRE_TINY	3		/* spam + ham at most, to expire */
#define BAYES_COUNT_MAX		0xffffu
#define BAYES_DAY_EPOCH		10957		/* days from 1970-01-01 to 2000-01-01 */

/* The file starts with this header (BAYES_HEADER_SIZE bytes), then
 * capacity token slots, then dedup_capacity message digests. Counters
 * readers look at are 32-bit atomics. Native byte order (endian says). */
struct bayes_header {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 header_size;
	uint64_t	 endian;
	uint32_t	 slot_size;
	uint32_t	 capacity;		/* token slots, a multiple of 64 */
	uint32_t	 dedup_capacity;	/* digest slots, a power of two */
	uint32_t	 created_day;
	_Atomic uint32_t nspam, nham;		/* messages learned */
	_Atomic uint32_t ntokens;		/* slots in use */
	_Atomic uint32_t ndedup;		/* digests in use */
	/* set in a file once a grown copy has replaced it: readers reopen */
	_Atomic uint32_t moved;
	uint32_t	 expired_day;		/* last pass that dropped rare tokens */
};

/* A token: 48 bits of its 64-bit hash (bits 16..63), the two counts and
 * the day it was last learned. key_lo != 0 marks a used slot; a writer
 * publishes it last, and slots are never emptied in place. */
struct bayes_slot {
	_Atomic uint32_t key_lo;	/* hash bits 16..47, never 0 */
	_Atomic uint32_t counts;	/* spam << 16 | ham */
	_Atomic uint32_t hi_day;	/* hash bits 48..63 << 16 | day */
};

/* A learned message: digest bits 16..63, the class, the day (15 bits). */
#define DEDUP_SPAM	0x8000u
#define DEDUP_DAY	0x7fffu

/* One mapping of the store file. */
struct bayes_map {
	uint8_t		*base;
	size_t		 size;
	struct bayes_header *h;
	struct bayes_slot *slots;
	uint64_t	*dedup;
	dev_t		 dev;
	ino_t		 ino;
	unsigned	 refs;		/* readers using it; under bayes.lock */
};

struct bayes {
	char		*path;
	bool		 writable;
	uint32_t	 min_learns, expire_days, max_tokens;
	pthread_mutex_t	 lock;		/* map switches and refs */
	struct bayes_map *map;		/* NULL while there is no store file */
	uint64_t	 next_stat;	/* monotonic ns: time to look at the path again */
	int		 fd;		/* writer: the file it holds the lock of, or -1 */
};

/* The slot index a 64-bit hash starts probing at. */
static inline uint32_t
bayes_home(uint64_t hash, uint32_t capacity)
{
	return (uint32_t)(((hash >> 32) * capacity) >> 32);
}

/* bayes_store.c */
uint32_t bayes_day_now(void);
/* Maps the file at path; -MG_ENOENT when absent, -MG_EPROTO with err set
 * when it is not a valid store, -MG_EIO. */
int	bayes_map_open(const char *path, bool writable, struct bayes_map **out, int *fd,
	    char *err, size_t errlen);
struct bayes_map *bayes_map_close(struct bayes_map *);
/* Creates an empty store at path unless one exists; 0 or -MG_EIO. */
int	bayes_store_create(const char *path, char *err, size_t errlen);
/* Readers: the current mapping with a reference, reopened when the file
 * was replaced or has appeared; NULL when there is none. */
struct bayes_map *bayes_map_acquire(struct bayes *);
void	bayes_map_release(struct bayes *, struct bayes_map *);
/* Writer: takes the file lock (following a replaced file); 0 or -MG_E*. */
int	bayes_writer_begin(struct bayes *, char *err, size_t errlen);
void	bayes_writer_end(struct bayes *);
/* Writer, under the lock: rehashes into a new file (grown when room is
 * short, pruned at max_tokens, rare old tokens expired) and renames it
 * over the store. need = slots about to be filled. */
int	bayes_rehash(struct bayes *, uint32_t need_tokens, uint32_t need_dedup, uint32_t today,
	    bool expire);
/* Counts of hash, 0 when absent. */
uint32_t bayes_slot_counts(const struct bayes_map *, uint64_t hash);
/* Prefetches the slot hash starts probing at. */
void	bayes_slot_prefetch(const struct bayes_map *, uint64_t hash);
/* Writer: adds (or subtracts, sign < 0) one message to hash's counts;
 * inserts the token when adding. */
void	bayes_slot_update(struct bayes_map *, uint64_t hash, bool spam, int sign, uint32_t day);
/* Writer: the dedup entry of digest, or 0. */
uint64_t bayes_dedup_find(const struct bayes_map *, uint64_t digest);
void	bayes_dedup_put(struct bayes_map *, uint64_t digest, bool spam, uint32_t day);
void	bayes_dedup_del(struct bayes_map *, uint64_t digest);

/* bayes_features.c: the distinct feature hashes of a message. */
struct bayes_features {
	uint64_t	*v;		/* open-addressing set, 0 = empty */
	size_t		 cap, n;
};
int	bayes_features_get(const struct mime_msg *, struct bayes_features *);
void	bayes_features_clear(struct bayes_features *);
uint64_t bayes_digest(const struct mime_msg *);

#endif
