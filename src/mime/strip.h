/* Stripping files from a message: a copy of the raw message in which each
 * chosen part keeps its place in the MIME tree but becomes a text/plain
 * part (inline, no file name) carrying a notice. Every other byte is
 * copied as it is. Pure: works on the parsed tree and the raw bytes. */
#ifndef MG_MIME_STRIP_H
#define MG_MIME_STRIP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mime/mime.h"

#define MIME_STRIP_MAX_ITEMS	64	/* parts replaced in one message */
#define MIME_STRIP_NOTICE_MAX	(16 * 1024)	/* bytes of one notice */
#define MIME_STRIP_UNMAPPED	UINT64_MAX

struct mime_strip_item {
	const struct mime_part *part;	/* a part of the msg given to mime_strip */
	const char	*notice;	/* UTF-8 text, lines ending in LF */
};

/* The part that replacing p replaces: p itself, or its nearest ancestor
 * when p's bytes are not in the raw message (inside an encoded
 * message/rfc822), p is a uuencoded block of a text part, or p's header
 * section was cut. NULL when no part can be replaced. */
const struct mime_part *mime_strip_target(const struct mime_msg *, const struct mime_part *p);

/* Where p's body lies in msg->raw: *body its first byte and *end the
 * byte after it (always set), *ins the empty line ending p's header
 * section (where new fields go) and *eol that line's end ("\r\n" or
 * "\n"). -MG_EINVAL when that empty line is not there whole. */
int	mime_body_span(const struct mime_msg *, const struct mime_part *p, size_t *ins,
	    size_t *body, size_t *end, const char **eol);

/* Appends to out msg->raw with each item's target part replaced: its
 * Content-* fields give way to Content-Type text/plain; charset=utf-8,
 * Content-Transfer-Encoding (7bit, or base64 when the notice needs it)
 * and Content-Disposition: inline; its body (children included) becomes
 * the notice, with the message's own line ends (CRLF or LF); its other
 * fields stay. An item whose target lies inside another's is dropped, and
 * so is a repeated target. map[i] receives the offset in out of the byte
 * at offs[i] in the raw message, MIME_STRIP_UNMAPPED when that byte was not
 * copied (offs and map may be NULL when noffs is 0). 0, -MG_EINVAL (no
 * item, too many, a notice too long, a part that cannot be located),
 * -MG_ELIMIT (out's max) or -MG_ENOMEM; out is reset on error. */
int	mime_strip(const struct mime_msg *, const struct mime_strip_item *items, size_t n,
	    const uint64_t *offs, uint64_t *map, size_t noffs, struct mg_buf *out);

#endif
