/* Names of single-bit flags, for symbols, logs and JSON: every module
 * keeps a table whose entry i names the flag 1 << i. */
#ifndef MG_CORE_BITNAME_H
#define MG_CORE_BITNAME_H

#include <stddef.h>
#include <stdint.h>

/* names[i] for bit == 1 << i with i < n; NULL when bit is not exactly one
 * such bit. */
const char *mg_bit_name(const char *const *names, size_t n, uint64_t bit);

#endif
