/* libFuzzer target for the message rewrites (rewrite.h): the input is a
 * raw message given to all three. Only the documented errors may come
 * back; every output must parse again; a subject rewrite applied twice
 * changes nothing the second time; a message with nothing to strip is
 * copied as it is, and a stripped one has nothing left to strip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reparse(const struct mg_buf *out)
{
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);

	if (a == NULL || mime_parse(a, out->len ? out->data : (const uint8_t *)"", out->len,
	    NULL) == NULL)
		abort();
	mg_arena_free(a);
}

static void
fuzz_subject(const uint8_t *data, size_t size, const char *prefix)
{
	struct mg_buf out, again;
	int rc;

	mg_buf_init(&out, 0);
	mg_buf_init(&again, 0);
	rc = mime_rewrite_subject(data, size, prefix, &out);
	if (rc == 0) {
		reparse(&out);
		if (mime_rewrite_subject(out.data, out.len, prefix, &again) != 0 ||
		    again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
	} else if (rc != -MG_EPROTO) {
		abort();
	}
	mg_buf_release(&out);
	mg_buf_release(&again);
}

static void
fuzz_strip(const uint8_t *data, size_t size)
{
	struct mg_buf out, again;
	size_t n;
	int rc;

	mg_buf_init(&out, 0);
	mg_buf_init(&again, 0);
	rc = mime_rewrite_strip_all(data, size, "removed\n", &out, &n);
	if (rc == 0) {
		reparse(&out);
		if (n == 0 && (out.len != size || memcmp(out.data, data, size) != 0))
			abort();
		if (n > 0 && (mime_rewrite_strip_all(out.data, out.len, "removed\n", &again,
		    &n) != 0 || n != 0))
			abort();
	} else if (rc != -MG_EPROTO && rc != -MG_ELIMIT) {
		abort();
	}
	mg_buf_release(&out);
	mg_buf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_buf out;
	int rc;

	fuzz_subject(data, size, "[SPAM]");
	fuzz_subject(data, size, "[Verd\xc3\xa4" "chtig]");
	fuzz_strip(data, size);
	mg_buf_init(&out, 0);
	rc = mime_rewrite_banner(data, size, "Caution: \xc3\xa9xternal\nsecond <line>\n", &out);
	if (rc == 0)
		reparse(&out);
	else if (rc != -MG_ENOENT)
		abort();
	mg_buf_release(&out);
	return 0;
}
