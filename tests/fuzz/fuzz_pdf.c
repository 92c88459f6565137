/* libFuzzer target for the PDF scanner. Each input is scanned with the
 * default limits and with tiny ones; the report must keep its bounds:
 * URIs within max_uris and NUL-terminated, inflated bytes within the
 * per-file ceiling, references within their arrays. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "files/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct pdf_report *r, const struct pdf_limits *lim)
{
	if (r->nuris > lim->max_uris || r->inflated_bytes > lim->max_total_out ||
	    r->inflated > lim->max_streams || r->nactions > PDF_MAX_REFS ||
	    r->njs > PDF_MAX_JSOBJ || r->inflated > r->streams)
		abort();
	for (size_t i = 0; i < r->nuris; i++)
		if (r->uris[i] == NULL || strlen(r->uris[i]) > 2048)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_limits lim[2];
	struct pdf_report r;
	struct mg_arena *a;

	pdf_limits_default(&lim[0]);
	lim[1] = (struct pdf_limits){ .max_input = 4096, .max_stream_out = 256,
	    .max_total_out = 1024, .max_streams = 3, .max_uris = 2, .max_depth = 1 };
	for (int i = 0; i < 2; i++) {
		if ((a = mg_arena_new(16 * 1024, 0)) == NULL)
			abort();
		if (pdf_scan(a, data, size, &lim[i], &r) == 0)
			check(&r, &lim[i]);
		mg_arena_free(a);
	}
	(void)pdf_detect(data, size);
	return 0;
}
