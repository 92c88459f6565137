/* The hidden-text check (hidden_text.h). */
#include <stdio.h>
#include <string.h>

#include "checks/hidden_text.h"
#include "core/err.h"
#include "mime/html.h"

#define HIDDEN_SAMPLE		48	/* bytes of hidden text quoted in the option */
#define HIDDEN_RATIO_MIN	200	/* hidden letters before the ratio counts */

/* Length of an invisible format character (zero-width, bidi control, BOM)
 * at p, or 0. */
static size_t
hidden_format_char(const unsigned char *p, size_t len)
{
	if (len < 3)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x8b && p[2] <= 0x8f) ||
	    (p[2] >= 0xaa && p[2] <= 0xae)))
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa0 && p[2] <= 0xa9)
		return 3;
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	return 0;
}

/* A printable sample of a hidden run: invisible characters shown as
 * <U+XXXX>, cut at a character boundary. */
static void
hidden_sample(const struct html_hidden_run *r, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)r->text;
	size_t n = 0, i = 0;

	while (i < r->len && n + 10 < outlen && n < HIDDEN_SAMPLE) {
		size_t f = hidden_format_char(p + i, r->len - i);
		if (f > 0) {
			unsigned cp = ((p[i] & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) |
			    (p[i + 2] & 0x3fu);
			n += (size_t)snprintf(out + n, outlen - n, "<U+%04X>", cp);
			i += f;
			continue;
		}
		do
			out[n++] = (char)p[i++];
		while (i < r->len && (p[i] & 0xc0) == 0x80 && n + 1 < outlen);
	}
	out[n] = '\0';
}

/* Letters (code points other than white space and controls). */
static size_t
hidden_letters(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		n += c > 0x20 && c != 0x7f && (c & 0xc0) != 0x80;
	}
	return n;
}

static int
hidden_reasons(struct mg_task *t, const struct mime_html *h)
{
	char name[64], sample[128];
	int rc;

	for (unsigned bit = 0; bit < HTML_HID_COUNT; bit++) {
		const char *rn = (h->hidden_reasons >> bit) & 1 ? html_hidden_name(1u << bit) : NULL;
		const struct html_hidden_run *run = NULL;
		if (rn == NULL)
			continue;
		for (size_t i = 0; i < h->nhidden && run == NULL; i++)
			if (h->hidden[i].reasons & (1u << bit))
				run = &h->hidden[i];
		snprintf(name, sizeof(name), "HTML_HIDDEN_%s", rn);
		if (run != NULL)
			hidden_sample(run, sample, sizeof(sample));
		if ((rc = mg_task_symbol(t, name, run ? sample : NULL)) < 0)
			return rc;
	}
	return 0;
}

static int
hidden_text_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	size_t hidden = 0, visible = 0;
	char option[64];
	int rc;

	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_html *h = m->parts[i]->html;
		if (h == NULL)
			continue;
		if (mg_task_expired(t))
			return -MG_ETIMEOUT;
		if ((rc = hidden_reasons(t, h)) < 0)
			return rc;
		hidden += h->hidden_chars;
		visible += hidden_letters(h->visible, h->visible_len);
	}
	if (hidden < HIDDEN_RATIO_MIN || hidden * 2 < visible)
		return 0;
	snprintf(option, sizeof(option), "hidden %zu visible %zu", hidden, visible);
	return mg_task_symbol(t, "HTML_HIDDEN_RATIO", option);
}

const struct mg_check check_hidden_text = { .name = "hidden_text", .scan = hidden_text_scan };
