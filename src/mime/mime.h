/* The MIME layer's model of one message (DESIGN.md section 3): header
 * fields, the tree of parts, decoded bodies and text, and the anomalies met
 * on the way. mime_parse builds the structure without copying the input:
 * raw values are slices of it; what is decoded lives in the task's arena.
 * Malformed input is parsed as far as it is meaningful and flagged, never
 * refused. mime_analyze (analyze.c) then adds HTML, URLs, attachments and
 * the Received chain. */
#ifndef MG_MIME_MIME_H
#define MG_MIME_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"

struct mime_limits {
	size_t		 max_header_len;	/* one header section, bytes: 64 KiB */
	unsigned	 max_headers;		/* fields per section: 1024 */
	unsigned	 max_depth;		/* nesting of multipart/message: 32 */
	unsigned	 max_parts;		/* parts in the whole tree: 1024 */
	uint64_t	 max_decoded;		/* bytes decoded from one message: 64 MiB */
};

void	mime_limits_default(struct mime_limits *);
/* The limits of the configuration's engine.mime. */
void	mime_limits_conf(struct mime_limits *, const struct conf_mime *);

/* Anomalies (mime_part.flags; mime_msg.flags is the union). Each becomes a
 * MIME_<NAME> symbol in the engine (names: mime_flag_name). */
enum mime_flag {
	MIME_F_HEADER_TOO_LONG		= 1ull << 0,	/* section cut at max_header_len */
	MIME_F_TOO_MANY_HEADERS		= 1ull << 1,
	MIME_F_HEADER_8BIT		= 1ull << 2,	/* raw 8-bit bytes in a header */
	MIME_F_HEADER_BAD_UTF8		= 1ull << 3,	/* 8-bit header that is not UTF-8 */
	MIME_F_BAD_ENCODED_WORD		= 1ull << 4,	/* malformed RFC 2047 word */
	MIME_F_HEADER_NO_COLON		= 1ull << 5,	/* a line in the header section without ':' */
	MIME_F_DUPLICATE_HEADER		= 1ull << 6,	/* From, To, Subject, Date... twice */
	MIME_F_MISSING_BOUNDARY		= 1ull << 7,	/* multipart without boundary param */
	MIME_F_BOUNDARY_NOT_FOUND	= 1ull << 8,	/* declared boundary never appears */
	MIME_F_UNTERMINATED_MULTIPART	= 1ull << 9,	/* closing delimiter missing */
	MIME_F_BAD_BASE64		= 1ull << 10,	/* invalid characters or length */
	MIME_F_BAD_QP			= 1ull << 11,	/* invalid quoted-printable escape */
	MIME_F_DEPTH_LIMIT		= 1ull << 12,
	MIME_F_PARTS_LIMIT		= 1ull << 13,
	MIME_F_DECODED_LIMIT		= 1ull << 14,
	MIME_F_TRUNCATED		= 1ull << 15,	/* ends inside a header section */
	MIME_F_NUL_BYTES		= 1ull << 16,
	MIME_F_UNKNOWN_CHARSET		= 1ull << 17,	/* declared charset not known */
	MIME_F_WRONG_CHARSET		= 1ull << 18,	/* declared charset does not fit the bytes */
	MIME_F_UNKNOWN_ENCODING		= 1ull << 19,	/* unknown Content-Transfer-Encoding */
	MIME_F_8BIT_IN_7BIT		= 1ull << 20,	/* 8-bit body declared 7bit */
	MIME_F_UUENCODE			= 1ull << 21,	/* uuencoded block in a text body */
	MIME_F_BAD_CONTENT_TYPE		= 1ull << 22,	/* unparsable Content-Type */
	MIME_F_EMPTY_MESSAGE		= 1ull << 23,
	MIME_F_NO_HEADERS		= 1ull << 24,
};
#define MIME_F_COUNT	25

/* "HEADER_TOO_LONG", ...; NULL for an unknown bit. */
const char *mime_flag_name(uint64_t flag);

struct mime_header {
	struct mg_slice	 name;		/* as written, without the colon */
	struct mg_slice	 raw;		/* raw value, folds included, slice of input */
	const char	*value;		/* unfolded, RFC 2047 decoded, UTF-8 (arena) */
};

struct mime_html;		/* html.h */
struct mime_attachment;		/* attach.h */

struct mime_part {
	/* children: the parts of a multipart, the message inside a
	 * message/rfc822, the uuencoded blocks of a text part */
	struct mime_part *parent, *first_child, *next_sibling;
	unsigned	 depth;		/* root = 0 */
	unsigned	 index;		/* position in mime_msg.parts */
	struct mime_header *headers;
	size_t		 nheaders;
	/* Content-Type and friends, lower case (arena); defaults applied:
	 * text/plain (message/rfc822 under multipart/digest), 7bit. */
	const char	*type;		/* "text" */
	const char	*subtype;	/* "plain" */
	const char	*charset;	/* declared, or NULL */
	const char	*boundary;	/* multipart only, as written */
	const char	*encoding;	/* content-transfer-encoding */
	const char	*disposition;	/* "inline", "attachment" or NULL */
	const char	*filename;	/* filename (RFC 2231/2047 decoded) or name= */
	const char	*content_id;	/* without < > */
	struct mg_slice	 raw_body;	/* undecoded body, slice of input */
	struct mg_slice	 body;		/* transfer-decoded (slice of input or arena) */
	const char	*text;		/* text/ types only: body converted to UTF-8 (arena) */
	size_t		 text_len;
	const char	*text_charset;	/* charset actually used for text */
	uint64_t	 flags;		/* enum mime_flag */
	bool		 is_attachment;	/* disposition attachment, a file name, or non-text leaf */
	struct mime_html *html;		/* text/html, filled by mime_analyze */
	struct mime_attachment *att;	/* attachments, filled by mime_analyze */
};

struct mime_url;		/* url.h */
struct mime_received;		/* received.h */

struct mime_msg {
	struct mg_slice	 raw;
	struct mime_part *root;
	struct mime_part **parts;	/* pre-order, parts[0] == root */
	size_t		 nparts;
	uint64_t	 flags;		/* union of every part's flags */
	uint64_t	 decoded_total;	/* bytes decoded, bounded by max_decoded */
	/* filled by mime_analyze: */
	struct mime_url	*urls;		/* unique normalised URLs */
	size_t		 nurls;
	struct mime_received *received;
};

/* Parses msg (which must outlive the result); NULL only when the arena is
 * exhausted. Never fails on content. */
struct mime_msg *mime_parse(struct mg_arena *, const uint8_t *msg, size_t len,
	    const struct mime_limits *);

/* First field named name (case-insensitive) of part, or NULL. */
const struct mime_header *mime_header_find(const struct mime_part *, const char *name);

#endif
