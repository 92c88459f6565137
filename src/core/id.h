/* 64-bit identifiers for sessions and queued messages, printed as 16 hex
 * digits. Queue ids start with the second of creation so they sort by age. */
#ifndef MG_CORE_ID_H
#define MG_CORE_ID_H

#include <stdint.h>

#define MG_ID_STRLEN	16

uint64_t mg_id_random(void);
uint64_t mg_id_queue(void);
/* Writes 16 hex digits and a NUL into out[MG_ID_STRLEN + 1]. */
void	 mg_id_format(uint64_t id, char out[MG_ID_STRLEN + 1]);
/* 0 when s is exactly 16 hex digits, else -MG_EINVAL. */
int	 mg_id_parse(const char *s, uint64_t *out);

#endif
