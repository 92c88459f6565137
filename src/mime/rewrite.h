/* Message rewrites applied by policy actions: a subject prefix, a warning
 * banner at the top of the visible body, every attachment replaced by a
 * notice. Pure functions from raw message bytes to a new copy in out.
 *
 * Common rules: the input must not be larger than out->max (when set;
 * else -MG_ELIMIT), nor is the output; out is reset first and left empty
 * on error. Malformed input is never refused for its content alone: it is
 * rewritten as far as its structure can be located. A message that needs
 * no change is copied byte for byte. The message's own line ends (CRLF or
 * LF, as its first line) are used for everything added. Errors: -MG_EINVAL
 * (bad argument), -MG_ELIMIT (out->max), -MG_ENOMEM, and those listed. */
#ifndef MG_MIME_REWRITE_H
#define MG_MIME_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MIME_REWRITE_PREFIX_MAX	256		/* bytes of a subject prefix */
#define MIME_REWRITE_TEXT_MAX	(16 * 1024)	/* bytes of a banner or notice */

/* Puts prefix (UTF-8, one line, blanks at its ends ignored, e.g. "[SPAM]")
 * and a space before the first Subject field's value, folds and RFC 2047
 * words kept as written; a non-ASCII prefix goes in as its own UTF-8
 * encoded word. A message without Subject gets "Subject: PREFIX" after its
 * last header field. Unchanged when the decoded subject already starts
 * with the prefix. -MG_EPROTO when there is no Subject and the header
 * section was cut (too long, too many fields): there is no safe place. */
int	mime_rewrite_subject(const uint8_t *msg, size_t len, const char *prefix,
	    struct mg_buf *out);

/* "Deliver but warn": puts text (UTF-8, lines ending in LF) at the top of
 * the first text/plain and the first text/html part of the body (so both
 * alternatives of a multipart/alternative), never in attachments nor in
 * parts of an attached message/rfc822. HTML gets the text escaped in a
 * bordered <div> right after the <body ...> tag, or at the start when there
 * is none. A part in 7bit/8bit whose charset is ASCII-compatible gets the
 * text inserted in place when it is ASCII (HTML: non-ASCII as character
 * references); any other part is decoded, converted to UTF-8, given the
 * text, and re-encoded (base64 stays base64, else quoted-printable) with
 * its Content-Type charset=utf-8 and Content-Transfer-Encoding replaced.
 * Parts whose body was cut by the decoding limit or has an unknown
 * transfer encoding are left alone. -MG_ENOENT (out empty) when no part
 * could take the banner: the caller adds a header instead. */
int	mime_rewrite_banner(const uint8_t *msg, size_t len, const char *text,
	    struct mg_buf *out);

/* Policy action "strip attachments": every attachment (mime_part's
 * is_attachment: a file name, disposition attachment, or a leaf that is
 * neither text nor container; nested multiparts and forwarded messages
 * included; an attached message/rfc822 goes whole) is replaced by notice
 * (UTF-8, lines ending in LF) through mime_strip. *nstripped gets the
 * number of parts replaced; none: the message is copied and 0. -MG_ELIMIT
 * when more than MIME_STRIP_MAX_ITEMS parts would be replaced, -MG_EPROTO
 * when an attachment cannot be located in the raw bytes: the caller must
 * not deliver the message as if stripped. */
int	mime_rewrite_strip_all(const uint8_t *msg, size_t len, const char *notice,
	    struct mg_buf *out, size_t *nstripped);

#endif
