/* Attachments: declared name and type against the real type from the
 * bytes (libmagic), size and SHA-256, name tricks (double extensions, RTLO
 * and other bidi characters, dangerous extensions), and the members of
 * archives (libarchive: zip, rar, 7z, tar, gz, bz2, xz, iso, cab) listed
 * recursively within depth, size and expansion-ratio limits: a bomb is
 * flagged, never expanded. Members' bytes are kept (within max_kept) for
 * the checks that look inside files. */
#ifndef MG_MIME_ATTACH_H
#define MG_MIME_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum attach_flag {
	ATT_F_TYPE_MISMATCH	= 1u << 0,	/* real type does not fit the extension */
	ATT_F_DOUBLE_EXT	= 1u << 1,	/* invoice.pdf.exe */
	ATT_F_RTLO		= 1u << 2,	/* bidi control in the name */
	ATT_F_DANGEROUS_EXT	= 1u << 3,	/* exe, scr, js, vbs, hta, lnk, ... */
	ATT_F_EXECUTABLE	= 1u << 4,	/* real type is PE/ELF/Mach-O/script */
	ATT_F_ARCHIVE		= 1u << 5,
	ATT_F_ENCRYPTED		= 1u << 6,	/* encrypted archive (or member) */
	ATT_F_BOMB		= 1u << 7,	/* expansion ratio or total size limit hit */
	ATT_F_DEPTH_LIMIT	= 1u << 8,	/* nested archives deeper than the limit */
	ATT_F_CORRUPT_ARCHIVE	= 1u << 9,	/* archive could not be read to its end */
	ATT_F_NO_NAME		= 1u << 10,
	/* encrypted archive and a password candidate in the message's text
	 * (passwords.h): opened with it (members read, ENCRYPTED cleared) or
	 * not (ENCRYPTED stays) */
	ATT_F_PASSWORD_IN_BODY	= 1u << 11,
};

struct attach_limits {
	unsigned	 max_depth;		/* nested archives: 4 */
	unsigned	 max_members;		/* listed per message: 10000 */
	uint64_t	 max_expanded;		/* bytes decompressed per message: 256 MiB */
	unsigned	 max_ratio;		/* member size / compressed size: 100 */
	uint64_t	 max_kept;		/* member bytes kept for the checks
						 * per message: 32 MiB */
	/* Password candidates tried, in order, on each encrypted archive
	 * (at most ATTACH_PASSWORDS_MAX; none by default). */
	const char *const *passwords;
	size_t		 npasswords;
};

#define ATTACH_PASSWORDS_MAX	8	/* candidates tried per archive */
#define ATTACH_PASSWORD_TRIES	64	/* archive openings with a password per attachment */

struct attach_member {
	const char	*path;		/* inside the archive, UTF-8 */
	unsigned	 depth;		/* 1 = directly in the attachment */
	uint64_t	 size;		/* uncompressed, as declared or read */
	const char	*real_type;	/* libmagic MIME type of its first bytes, or NULL */
	unsigned	 flags;		/* enum attach_flag (name tricks, encrypted, executable) */
	const char	*visual_path;	/* as displayed when ATT_F_RTLO, else NULL */
	/* The member's decoded bytes (arena) for the checks that read files;
	 * NULL when not kept: encrypted, unreadable, a limit hit, or past
	 * max_kept. Nested archives are kept too (a .docx in a .zip). */
	const uint8_t	*data;
	size_t		 len;
};

struct mime_attachment {
	const char	*name;		/* declared file name (UTF-8) or "" */
	const char	*declared_type;	/* "application/pdf" */
	const char	*real_type;	/* libmagic MIME type */
	const char	*extension;	/* last extension, lower case, or "" */
	uint64_t	 size;
	char		 sha256[65];	/* hex */
	unsigned	 flags;		/* enum attach_flag, members' flags included */
	struct attach_member *members;
	size_t		 nmembers;
	const char	*visual_name;	/* as displayed when ATT_F_RTLO, else NULL */
	uint64_t	 expanded;	/* members' sizes (declared or read), all depths,
					 * and bytes read by wrong passwords */
	const char	*password;	/* the candidate that opened it (the
					 * outermost such archive), or NULL */
};

struct attach_ctx;	/* libmagic handle; one per thread (magic_t is not thread-safe) */

void	attach_limits_default(struct attach_limits *);
struct attach_ctx *attach_ctx_new(char *err, size_t errlen);
struct attach_ctx *attach_ctx_free(struct attach_ctx *);	/* returns NULL */

/* Analyses one attachment's decoded bytes; NULL only when the arena is
 * exhausted. name/declared_type may be NULL. */
struct mime_attachment *attach_analyze(struct attach_ctx *, struct mg_arena *,
	    const char *name, const char *declared_type, const uint8_t *data, size_t len,
	    const struct attach_limits *);

/* Name checks alone (for archive members too): ATT_F_DOUBLE_EXT, RTLO,
 * DANGEROUS_EXT, NO_NAME. */
unsigned attach_name_flags(const char *name);

/* name as a left-to-right display shows it once bidi controls have
 * reordered it (invoice_<RLO>fdp.exe -> invoice_exe.pdf), controls
 * removed; NULL when the arena is exhausted. */
const char *attach_visual_name(struct mg_arena *, const char *name);

/* "TYPE_MISMATCH", ...; NULL for an unknown bit. */
const char *attach_flag_name(unsigned flag);

#endif
