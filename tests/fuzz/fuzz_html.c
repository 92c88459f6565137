/* libFuzzer target for the HTML analyzer. Each input is analysed twice,
 * with the default limits and with tiny ones, and every result must keep
 * the invariants: bounded sizes, valid UTF-8 everywhere, every hidden run
 * with a known non-zero reason, link texts on one line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "mime/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
valid_utf8(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k, len;

	while (i < n) {
		uint8_t c = p[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
		    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (len == 0 || i + len > n)
			return false;
		for (k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] > 0x9f) ||
		    (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] > 0x8f))
			return false;
		i += len;
	}
	return true;
}

static bool
valid_str(const char *s)
{
	return s != NULL && valid_utf8(s, strlen(s));
}

static void
check(const struct mime_html *h, const struct html_limits *lim)
{
	const unsigned known = (1u << HTML_HID_COUNT) - 1;
	unsigned all = 0;
	size_t i, hidden_bytes = 0;

	if (h == NULL || h->visible == NULL || strlen(h->visible) != h->visible_len ||
	    h->visible_len > lim->max_text || !valid_utf8(h->visible, h->visible_len))
		abort();
	if (h->nhidden > lim->max_items || h->nlinks > lim->max_items ||
	    h->nimages > lim->max_items || h->nforms > lim->max_items ||
	    h->ncss_urls > lim->max_items || (h->hidden_reasons & ~known) != 0)
		abort();
	for (i = 0; i < h->nhidden; i++) {
		const struct html_hidden_run *r = &h->hidden[i];

		if (r->reasons == 0 || (r->reasons & ~known) != 0 || r->text[r->len] != '\0' ||
		    !valid_utf8(r->text, r->len))
			abort();
		all |= r->reasons;
		hidden_bytes += r->len;
	}
	if ((all & ~h->hidden_reasons) != 0 || hidden_bytes > lim->max_text)
		abort();
	for (i = 0; i < h->nlinks; i++)
		if (!valid_str(h->links[i].href) || !valid_str(h->links[i].text) ||
		    strchr(h->links[i].text, '\n') != NULL)
			abort();
	for (i = 0; i < h->nimages; i++)
		if (!valid_str(h->images[i].src) || h->images[i].src[0] == '\0' ||
		    !valid_str(h->images[i].alt))
			abort();
	for (i = 0; i < h->nforms; i++)
		if (!valid_str(h->forms[i].action) || !valid_str(h->forms[i].method))
			abort();
	for (i = 0; i < h->ncss_urls; i++)
		if (!valid_str(h->css_urls[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_limits lim[2];
	struct mg_arena *a;
	int i;

	html_limits_default(&lim[0]);
	lim[1] = (struct html_limits){ .max_input = 4096, .max_text = 64,
	    .max_depth = 6, .max_items = 3 };
	for (i = 0; i < 2; i++) {
		if ((a = mg_arena_new(64 * 1024, 0)) == NULL)
			abort();
		check(html_analyze(a, (const char *)data, size, &lim[i]), &lim[i]);
		mg_arena_free(a);
	}
	return 0;
}
