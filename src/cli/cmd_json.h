/* JSON helpers of the engine commands (mailgate parse, mailgate scan):
 * strings from untrusted bytes, with invalid UTF-8 replaced, and lists of
 * flag names. */
#ifndef MG_CLI_CMD_JSON_H
#define MG_CLI_CMD_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A JSON string of len bytes (invalid UTF-8 becomes U+FFFD); s NULL gives
 * JSON null. NULL only when out of memory. */
json_t	*cli_json_strn(const char *s, size_t len);
json_t	*cli_json_str(const char *s);
/* The names of the bits set in flags (name(bit) returns NULL for unknown
 * bits, which are shown as numbers). */
json_t	*cli_json_flags(uint64_t flags, unsigned nbits, const char *(*name)(uint64_t));
/* obj[key] = value, stealing value; a NULL value is ignored. */
void	cli_json_set(json_t *obj, const char *key, json_t *value);

#endif
