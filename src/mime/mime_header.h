/* Header field values as a reader sees them: unfolded, RFC 2047 encoded
 * words decoded (adjacent words joined before charset conversion, so a
 * character split across words survives), raw 8-bit text taken as UTF-8
 * or else windows-1252; and parameter lists (Content-Type,
 * Content-Disposition) with RFC 2231 continuations and charset'lang'value.
 * Used by mime_parse and exported for the fuzzer. */
#ifndef MG_MIME_MIME_HEADER_H
#define MG_MIME_MIME_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Parameters kept per value; more are ignored and the value is bad. */
#define MIME_MAX_PARAMS		128

/* Unfolds raw into out, which has room for len + 1 bytes: CR and LF
 * removed (a fold keeps its blank), blanks at both ends trimmed,
 * NUL-terminated. Returns the length. */
size_t	mime_hdr_unfold(const uint8_t *raw, size_t len, char *out);

/* The decoded value of raw: unfolded, RFC 2047 words decoded (malformed
 * ones kept as written), 8-bit text read as UTF-8 or windows-1252, NUL
 * bytes turned into spaces; valid UTF-8, NUL-terminated, in the arena, at
 * most max_out bytes. Or-s into *flags: MIME_F_HEADER_8BIT,
 * HEADER_BAD_UTF8, BAD_ENCODED_WORD, UNKNOWN_CHARSET, WRONG_CHARSET,
 * DECODED_LIMIT. *outlen (if not NULL) gets the length. NULL only when the
 * arena is exhausted. */
char	*mime_hdr_decode(struct mg_arena *, const uint8_t *raw, size_t len, size_t max_out,
	    size_t *outlen, uint64_t *flags);

struct mime_param {
	const char	*name;		/* lower case, RFC 2231 "*N*" removed */
	const char	*value;		/* UTF-8: RFC 2231 assembled, or RFC 2047 decoded */
	const char	*raw;		/* as written, unquoted (boundaries need the bytes) */
};

struct mime_hvalue {
	const char	*token;		/* before the parameters, lower case; "" if none */
	struct mime_param *params;
	size_t		 nparams;
	bool		 bad;		/* unterminated quote or comment, a parameter
					 * without '=', too many parameters */
};

/* Parses "token; name=value; ..." (comments skipped, quoted strings
 * unquoted, lenient about what real mail does: unquoted values with
 * tspecials, missing ';'). The first parameter of a name wins; RFC 2231
 * sections win over a plain parameter of the same name. Or-s charset and
 * header flags into *flags. 0 or -MG_ENOMEM. */
int	mime_hdr_params(struct mg_arena *, const uint8_t *raw, size_t len,
	    struct mime_hvalue *, uint64_t *flags);

/* The value of parameter name (lower case), or NULL. */
const struct mime_param *mime_hvalue_param(const struct mime_hvalue *, const char *name);

#endif
