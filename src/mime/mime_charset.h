/* Text to UTF-8: the declared charset first (common aliases mapped to the
 * superset mail clients really use: latin1 -> windows-1252, gb2312 ->
 * GB18030, ks_c_5601-1987 -> windows-949), then ICU detection when the
 * charset is unknown, missing or does not fit the bytes. US-ASCII and
 * UTF-8 take fast paths without ICU. Thread-safe: ICU converters are
 * cached per thread. */
#ifndef MG_MIME_MIME_CHARSET_H
#define MG_MIME_MIME_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum mime_cs_opt {
	MIME_CS_HTML	= 1u << 0,	/* detection ignores markup */
};

#define MIME_CS_NAME_MAX	48

struct mime_conv {
	char		 charset[MIME_CS_NAME_MAX];	/* read as, lower case */
	/* MIME_F_UNKNOWN_CHARSET, MIME_F_WRONG_CHARSET, MIME_F_DECODED_LIMIT
	 * (out->max reached: the text is cut at a character boundary) */
	uint64_t	 flags;
};

/* Appends in[0..len), declared as charset (NULL or "" when none), to out
 * as UTF-8 (no NUL added). Invalid input becomes U+FFFD. A missing
 * charset is not an anomaly: pure ASCII is read as US-ASCII, valid UTF-8
 * as UTF-8, anything else as detected. 0 or -MG_ENOMEM. */
int	mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len,
	    unsigned opts, struct mg_buf *out, struct mime_conv *);

/* Offset of the first byte >= 0x80, or len. */
size_t	mime_ascii_span(const uint8_t *, size_t len);
/* Offset of the first byte of an invalid or truncated UTF-8 sequence, or len. */
size_t	mime_utf8_valid_span(const uint8_t *, size_t len);
/* Appends p[0..len) to out with each invalid UTF-8 sequence replaced by
 * U+FFFD; 0, -MG_ELIMIT (cut at a character boundary), -MG_ENOMEM. */
int	mime_utf8_sanitize(const uint8_t *, size_t len, struct mg_buf *out);
/* Largest n <= len such that s[0..n) does not end inside a UTF-8 sequence. */
size_t	mime_utf8_boundary(const uint8_t *s, size_t len);

#endif
