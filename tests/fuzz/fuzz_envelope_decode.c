/* libFuzzer target: envelope records as a damaged or tampered spool file
 * would hold them. Decode must refuse or accept without crashing or
 * leaking; whatever it accepts must encode, and re-decode to the same
 * bytes (encode and decode agree on every field). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "spool/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope e, d;
	struct mg_buf a, b;

	if (envelope_decode(data, size, &e) != 0) {
		if (e.rcpts != NULL || e.nrcpts != 0 || e.mail_from != NULL)
			abort();	/* must be left empty */
		return 0;
	}
	mg_buf_init(&a, 0);
	mg_buf_init(&b, 0);
	if (envelope_encode(&e, &a) != 0 || envelope_decode(a.data, a.len, &d) != 0)
		abort();
	if (envelope_encode(&d, &b) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	envelope_clear(&d);
	envelope_clear(&e);
	mg_buf_release(&a);
	mg_buf_release(&b);
	return 0;
}
