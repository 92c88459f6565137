/* Internals shared by attach.c (analysis and real types), attach_name.c
 * (name and extension rules, the type-mismatch table) and attach_archive.c
 * (libarchive walking); not for use outside src/mime/attach*.c. */
#ifndef MG_MIME_ATTACH_INT_H
#define MG_MIME_ATTACH_INT_H

#include <locale.h>
#include <magic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "mime/attach.h"

/* A member must expand past this before its ratio can make it a bomb:
 * small, very repetitive files compress far beyond any ratio. */
#define ATTACH_BOMB_FLOOR	(1024 * 1024)
/* Bytes of a member read for its real type. */
#define ATTACH_HEAD_LEN		4096
/* Extensions longer than this are not extensions; buffer size with NUL. */
#define ATTACH_EXT_MAX		16
#define ATTACH_EXT_BUF		(ATTACH_EXT_MAX + 1)
/* Longest member path kept (bytes, before the NUL). */
#define ATTACH_PATH_MAX		4096

struct attach_ctx {
	magic_t		 magic;
	locale_t	 utf8;		/* C.UTF-8 for libarchive's name conversions, or 0 */
	unsigned	 filters;	/* usable in-process decompressors (attach_archive.c) */
};

/* attach.c */
/* libmagic's MIME type of data (with the signatures it lacks), interned
 * in cache; NULL only when the arena is exhausted. */
struct attach_types {
	const char	*v[32];
	size_t		 n;
};
const char *attach__real_type(struct attach_ctx *, struct mg_arena *, struct attach_types *,
	    const uint8_t *, size_t);
bool	attach__type_is_archive(const char *real);
bool	attach__type_is_executable(const char *real);

/* attach_name.c */
/* True when word is one of the space-separated words of list. */
bool	attach__word_in(const char *list, const char *word);
/* Lower-cased last extension of name's base name (Windows rules: trailing
 * dots and spaces dropped) into out (cap bytes), "" when none. */
void	attach__extension(const char *name, char *out, size_t cap);
/* ATT_F_TYPE_MISMATCH when real does not fit the extension or a specific
 * declared type (declared may be NULL or ""). */
unsigned attach__mismatch(const char *ext, const char *declared, const char *real);
/* Copy of s[0..len) with invalid UTF-8 replaced by U+FFFD, cut at max
 * bytes on a character boundary; NULL when the arena is exhausted. */
char	*attach__utf8_clean(struct mg_arena *, const char *s, size_t len, size_t max);

/* attach_archive.c */
unsigned attach__filters_probe(void);
/* Lists the members of the archive data (the attachment att) into att,
 * OR-ing their flags into att->flags; -MG_ENOMEM when the arena is
 * exhausted, else 0 whatever the content. */
int	attach__archive_walk(struct attach_ctx *, struct mg_arena *, struct mime_attachment *,
	    struct attach_types *, const uint8_t *, size_t, const struct attach_limits *);

#endif
