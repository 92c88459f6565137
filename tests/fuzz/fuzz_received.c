/* libFuzzer target: Received fields as any relay on the way (or the sender
 * itself) may write them, parsed from a message's header section. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mime/mime.h"
#include "mime/received.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 64u << 20);
	struct mime_limits lim;
	struct mime_msg *msg;
	struct mime_received *r;

	if (a == NULL)
		return 0;
	mime_limits_default(&lim);
	if ((msg = mime_parse(a, data, size, &lim)) != NULL &&
	    (r = received_parse(a, msg->root)) != NULL) {
		if (r->first_external != NULL &&
		    (r->first_external < r->hops || r->first_external >= r->hops + r->nhops))
			abort();
		if (r->max_skew < 0)
			abort();
	}
	mg_arena_free(a);
	return 0;
}
