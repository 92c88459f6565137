/* Shared by the message rewrites (rewrite.c, rewrite_banner.c): argument
 * checks, the message's line end, parsing into a private arena, copying
 * raw ranges. Not for other modules. */
#ifndef MG_MIME_REWRITE_INT_H
#define MG_MIME_REWRITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mime/mime.h"

/* Resets out; -MG_EINVAL when msg is NULL with len > 0, -MG_ELIMIT when
 * len exceeds out->max. */
int	mime__rw_begin(const uint8_t *msg, size_t len, struct mg_buf *out);
/* Whether s is valid UTF-8 of at most max bytes, without NUL (C string). */
bool	mime__rw_text_ok(const char *s, size_t max);
/* "\r\n" when the first line of p ends in CRLF, else "\n". */
const char *mime__rw_eol(const uint8_t *p, size_t len);
/* mime_parse with the default limits (top_only: no children, for the top
 * header section); *a gets the arena to free, even on failure. NULL:
 * -MG_ENOMEM. */
struct mime_msg *mime__rw_parse(struct mg_arena **a, const uint8_t *msg, size_t len,
	    bool top_only);
/* Appends each line of s (lines end in LF; a CR before it is dropped) to
 * out with eol as line end; a last line without LF gets none. */
int	mime__rw_lines(struct mg_buf *out, const char *s, size_t len, const char *eol);

#endif
