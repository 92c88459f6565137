/* Single-bit flag names (see bitname.h). */
#include "core/bitname.h"

const char *
mg_bit_name(const char *const *names, size_t n, uint64_t bit)
{
	unsigned i;

	if (bit == 0 || (bit & (bit - 1)) != 0)
		return NULL;
	i = (unsigned)__builtin_ctzll(bit);
	return i < n ? names[i] : NULL;
}
