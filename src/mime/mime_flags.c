/* Names of the MIME anomaly flags: the engine turns each into the symbol
 * MIME_<NAME>, and `mailgate parse` prints them. */
#include <stddef.h>

#include "core/bitname.h"
#include "mime/mime.h"

static const char *const flag_names[MIME_F_COUNT] = {
	"HEADER_TOO_LONG", "TOO_MANY_HEADERS", "HEADER_8BIT", "HEADER_BAD_UTF8",
	"BAD_ENCODED_WORD", "HEADER_NO_COLON", "DUPLICATE_HEADER", "MISSING_BOUNDARY",
	"BOUNDARY_NOT_FOUND", "UNTERMINATED_MULTIPART", "BAD_BASE64", "BAD_QP",
	"DEPTH_LIMIT", "PARTS_LIMIT", "DECODED_LIMIT", "TRUNCATED", "NUL_BYTES",
	"UNKNOWN_CHARSET", "WRONG_CHARSET", "UNKNOWN_ENCODING", "8BIT_IN_7BIT",
	"UUENCODE", "BAD_CONTENT_TYPE", "EMPTY_MESSAGE", "NO_HEADERS",
};

const char *
mime_flag_name(uint64_t flag)
{
	return mg_bit_name(flag_names, MIME_F_COUNT, flag);
}
