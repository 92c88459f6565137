/* A bounded reader of [MS-CFB] compound files (OLE: .doc, .xls, .ppt,
 * .msg, vbaProject.bin) over a byte buffer: header, FAT, miniFAT and
 * DIFAT chains checked for loops and range, the directory, and streams. */
#ifndef MG_FILES_OLE_H
#define MG_FILES_OLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OLE_MAX_ENTRIES		65536		/* directory entries read */
#define OLE_MAX_STREAM		(64u << 20)	/* bytes of one stream */
#define OLE_NONE		UINT32_MAX	/* no sibling, child or parent */

enum ole_type { OLE_EMPTY = 0, OLE_STORAGE = 1, OLE_STREAM = 2, OLE_ROOT = 5 };

struct ole_entry {
	char		 name[96];	/* UTF-8 (UTF-16 name converted) */
	uint8_t		 type;		/* enum ole_type */
	uint32_t	 left, right, child;
	uint32_t	 start;		/* first sector */
	uint64_t	 size;
	uint32_t	 parent;	/* storage holding it, OLE_NONE for the root */
};

struct ole_file {
	const uint8_t	*data;		/* borrowed */
	size_t		 len;
	unsigned	 sector_shift;	/* 9 (v3) or 12 (v4) */
	uint32_t	*fat, *minifat;
	size_t		 nfat, nminifat;
	struct ole_entry *entries;
	size_t		 nentries;
	uint8_t		*ministream;	/* the root entry's stream */
	size_t		 ministream_len;
};

/* True when data starts with the compound file signature. */
bool	ole_magic(const uint8_t *, size_t);
/* Reads header, FAT, miniFAT, directory and mini stream of data (which
 * must outlive f). 0, -MG_EPROTO (not a valid compound file), -MG_ELIMIT
 * or -MG_ENOMEM. Allocates at most a few times len. */
int	ole_open(struct ole_file *, const uint8_t *data, size_t len);
void	ole_close(struct ole_file *);
/* The entry named name (case-insensitive) directly inside storage
 * (0 = root), or -MG_ENOENT. */
int	ole_child(const struct ole_file *, uint32_t storage, const char *name);
/* The entry at path "Macros/VBA/dir" from the root, or -MG_ENOENT. */
int	ole_find(const struct ole_file *, const char *path);
/* UTF-16LE p[0..len) as UTF-8 into out (cut to fit, at a NUL, surrogates
 * as '?'); entry names use it. */
void	ole_utf16(const uint8_t *p, size_t len, char *out, size_t outlen);
/* Copies stream entry's bytes (at most max) into a new buffer *out of
 * *outlen bytes (free it). 0, -MG_EPROTO (broken chain, short file),
 * -MG_ELIMIT (larger than max) or -MG_ENOMEM. */
int	ole_read(const struct ole_file *, uint32_t entry, size_t max, uint8_t **out,
	    size_t *outlen);

#endif
