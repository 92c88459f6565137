/* libFuzzer target for the DATA/BDAT content filter. Byte 0 picks where to
 * split the input, byte 1 the mode (bit 0 dot mode, bit 1 a 64-byte size
 * ceiling, bit 2 a 16-byte line limit); the rest is content. Fed whole,
 * split once, and byte by byte, the results must be identical, and the
 * output must never hold a bare LF. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "smtp/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	struct mg_buf	 out;
	unsigned	 flags;
	bool		 done;
	size_t		 consumed;
	uint64_t	 size;
};

/* Feeds in pieces of at most step bytes, the first piece first_len long. */
static void
run(const uint8_t *in, size_t len, unsigned mode, size_t first_len, size_t step,
    struct result *r)
{
	struct smtp_data d;
	size_t off = 0, n;
	bool done = false, first = true;
	long got;

	smtp_data_begin(&d, mode & 1, mode & 2 ? 64 : 0, mode & 4 ? 16 : 998);
	mg_buf_init(&r->out, 0);
	while (!done) {
		n = first ? first_len : step;
		first = false;
		if (n > len - off)
			n = len - off;
		if ((got = smtp_data_feed(&d, in + off, n, &r->out, &done)) < 0 ||
		    (size_t)got > n || (!done && (size_t)got != n))
			abort();
		off += (size_t)got;
		if (off == len)
			break;
	}
	if (!(mode & 1) && smtp_data_finish(&d, &r->out) != 0)
		abort();
	r->flags = d.flags;
	r->done = done;
	r->consumed = off;
	r->size = d.size;
}

static void
same(const struct result *a, const struct result *b)
{
	if (a->out.len != b->out.len || a->flags != b->flags || a->done != b->done ||
	    a->consumed != b->consumed || a->size != b->size ||
	    (a->out.len > 0 && memcmp(a->out.data, b->out.data, a->out.len) != 0))
		abort();
}

/* Promises about any single result. */
static void
check(const struct result *r, const uint8_t *in, unsigned mode)
{
	const uint8_t *o = r->out.data;
	size_t i, c = r->consumed;

	if (r->size != r->out.len || ((mode & 2) && r->size > 64))
		abort();
	for (i = 0; i < r->out.len; i++) {
		if (o[i] == '\n' && (i == 0 || o[i - 1] != '\r'))
			abort();
		if (o[i] == '\r' && i + 1 < r->out.len && o[i + 1] != '\n' &&
		    !(r->flags & SMTP_DATA_BARE_CR))
			abort();
	}
	if (r->done && (!(mode & 1) || c < 3 || memcmp(in + c - 3, ".\r\n", 3) != 0 ||
	    (c > 3 && (c < 5 || memcmp(in + c - 5, "\r\n", 2) != 0))))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, split, bytes;
	const uint8_t *in;
	size_t len, cut;
	unsigned mode;

	if (size < 2)
		return 0;
	in = data + 2;
	len = size - 2;
	cut = len * data[0] / 255;
	mode = data[1];
	run(in, len, mode, len, len, &whole);
	check(&whole, in, mode);
	run(in, len, mode, cut, len, &split);
	same(&whole, &split);
	if (len <= 4096) {
		run(in, len, mode, 1, 1, &bytes);
		same(&whole, &bytes);
		mg_buf_release(&bytes.out);
	}
	mg_buf_release(&whole.out);
	mg_buf_release(&split.out);
	return 0;
}
