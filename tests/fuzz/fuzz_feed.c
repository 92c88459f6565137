/* libFuzzer target for the URL feed parsers (feeds come from the
 * Internet): the first byte chooses the format (auto by content, text,
 * CSV, JSON), the rest is the feed file. Every entry handed to the
 * callback must have a key inside its bounds and a known kind; only the
 * documented error may come back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "intel/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
entry(const struct feed_entry *e, void *arg)
{
	size_t *n = arg;

	if (e->key == NULL || e->keylen == 0 || e->keylen > FEED_MAX_LINE * 4)
		abort();
	(void)memchr(e->key, 0, e->keylen);	/* every byte readable (ASan) */
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum feed_format formats[] = { FEED_AUTO, FEED_TEXT, FEED_CSV, FEED_JSON };
	struct feed_spec spec = { .path = "fuzz.txt", .source = "fuzz" };
	struct feed_stats st;
	char err[256];
	size_t n = 0;
	int rc;

	if (size < 1)
		return 0;
	spec.format = formats[data[0] % 4];
	memset(&st, 0, sizeof(st));
	rc = feed_parse(&spec, (const char *)data + 1, size - 1, entry, &n, &st, err, sizeof(err));
	if ((rc != 0 && rc != -MG_EPROTO && rc != -MG_ENOMEM) || n != st.entries)
		abort();
	return 0;
}
