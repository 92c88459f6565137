/* libFuzzer target for stripping parts from a message: the input is a raw
 * message; every leaf part that is not the root (up to the item limit) is
 * replaced by a notice, with the offsets of a few bytes mapped. The copy
 * must parse again, every mapped offset must point inside it at the same
 * byte, and only the documented error (-MG_EINVAL) may come back. */
#include <stdint.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/strip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOFFS	4

static size_t
leaves(const struct mime_msg *m, struct mime_strip_item *items)
{
	size_t n = 0;

	for (size_t i = 1; i < m->nparts && n < MIME_STRIP_MAX_ITEMS; i++)
		if (m->parts[i]->first_child == NULL)
			items[n++] = (struct mime_strip_item){ m->parts[i], "removed\n" };
	return n;
}

static void
check_copy(const uint8_t *data, const struct mg_buf *out, const uint64_t *offs,
    const uint64_t *map)
{
	struct mime_limits lim;
	struct mg_arena *a;

	for (size_t i = 0; i < NOFFS; i++)
		if (map[i] != MIME_STRIP_UNMAPPED &&
		    (map[i] >= out->len || out->data[map[i]] != data[offs[i]]))
			abort();
	mime_limits_default(&lim);
	if ((a = mg_arena_new(16 * 1024, 0)) == NULL)
		abort();
	if (mime_parse(a, out->data, out->len, &lim) == NULL)
		abort();
	mg_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_strip_item items[MIME_STRIP_MAX_ITEMS];
	uint64_t offs[NOFFS], map[NOFFS];
	struct mime_limits lim;
	struct mg_arena *a;
	struct mime_msg *m;
	struct mg_buf out;
	size_t n;
	int rc;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < NOFFS; i++)
		offs[i] = (uint64_t)(i * size / NOFFS);
	mime_limits_default(&lim);
	if ((a = mg_arena_new(16 * 1024, 0)) == NULL || (m = mime_parse(a, data, size, &lim)) == NULL)
		abort();
	mg_buf_init(&out, 0);
	if ((n = leaves(m, items)) > 0) {
		rc = mime_strip(m, items, n, offs, map, NOFFS, &out);
		if (rc == 0)
			check_copy(data, &out, offs, map);
		else if (rc != -MG_EINVAL)
			abort();
	}
	mg_buf_release(&out);
	mg_arena_free(a);
	return 0;
}
