/* The hidden_text check on hand-built HTML analyses: one symbol per
 * hiding reason with a printable sample, the ratio symbol's thresholds,
 * and the deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/hidden_text.h"
#include "core/err.h"
#include "mime/html.h"

#define MAXRUNS	3

static void
test_hidden_text(void **state)
{
	static const struct {
		struct { const char *text; unsigned reasons; } runs[MAXRUNS];
		const char	*visible;
		size_t		 hidden_chars;
		const char	*want;
	} cases[] = {
		{ { { 0 } }, "Hello there", 0, "" },
		{ { { "cheap meds", HTML_HID_DISPLAY_NONE } }, "Hello", 9,
		  "HTML_HIDDEN_DISPLAY_NONE=cheap meds" },
		{ { { "white on white", HTML_HID_SAME_COLOR | HTML_HID_FONT_SIZE },
		    { "tiny", HTML_HID_FONT_SIZE } }, "Hello", 16,
		  "HTML_HIDDEN_FONT_SIZE=white on white HTML_HIDDEN_SAME_COLOR=white on white" },
		{ { { "\xe2\x80\x8b\xe2\x80\x8c", HTML_HID_ZERO_WIDTH },
		    { "\xe2\x80\xae" "abc", HTML_HID_BIDI } }, "Pay\xe2\x80\x8bPal", 2,
		  "HTML_HIDDEN_ZERO_WIDTH=<U+200B><U+200C> HTML_HIDDEN_BIDI=<U+202E>abc" },
		{ { { "P<!-- -->ay", HTML_HID_COMMENT } }, "Pay", 0, "HTML_HIDDEN_COMMENT=P<!-- -->ay" },
		/* a long run is quoted up to the sample size, on a character boundary */
		{ { { "0123456789012345678901234567890123456789012345\xc3\xa9xyz",
		      HTML_HID_OFFSCREEN } }, "Hi", 50,
		  "HTML_HIDDEN_OFFSCREEN=0123456789012345678901234567890123456789012345\xc3\xa9" },
		/* the ratio: at least 200 hidden letters and half the visible ones */
		{ { { "x", HTML_HID_OPACITY } }, "short visible text", 300,
		  "HTML_HIDDEN_OPACITY=x HTML_HIDDEN_RATIO=hidden 300 visible 16" },
		{ { { "x", HTML_HID_OPACITY } }, "short", 199, "HTML_HIDDEN_OPACITY=x" },
	};
	struct symbol_table st;

	default_symbols(&st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct html_hidden_run runs[MAXRUNS] = { 0 };
		struct mime_html h = { .visible = cases[i].visible,
			.visible_len = strlen(cases[i].visible), .hidden = runs,
			.hidden_chars = cases[i].hidden_chars };
		struct mime_part root = { .type = "text", .subtype = "html", .html = &h };
		struct mime_part *parts[] = { &root };
		struct mime_msg msg = { .root = &root, .parts = parts, .nparts = 1 };

		for (size_t j = 0; j < MAXRUNS && cases[i].runs[j].text; j++) {
			runs[j].text = cases[i].runs[j].text;
			runs[j].len = strlen(runs[j].text);
			runs[j].reasons = cases[i].runs[j].reasons;
			h.hidden_reasons |= runs[j].reasons;
			h.nhidden++;
		}
		expect_symbols(&check_hidden_text, &st, &msg, i, cases[i].want);
	}
	symbol_table_clear(&st);
}

/* Every hiding reason has a symbol with a positive default; a passed
 * deadline stops the check. */
static void
test_every_reason_scored(void **state)
{
	struct symbol_table st;
	struct mime_html h = { .visible = "", .hidden_reasons = (1u << HTML_HID_COUNT) - 1 };
	struct mime_part root = { .type = "text", .subtype = "html", .html = &h };
	struct mime_part *parts[] = { &root };
	struct mime_msg msg = { .root = &root, .parts = parts, .nparts = 1 };
	struct mg_task t;

	default_symbols(&st);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &msg;
	assert_int_equal(check_hidden_text.scan(NULL, &t), 0);
	assert_int_equal(t.nsymbols, HTML_HID_COUNT);
	for (size_t i = 0; i < t.nsymbols; i++)
		if (symbol_find(&st, t.symbols[i].name) == NULL || t.symbols[i].score <= 0)
			fail_msg("%s: no positive default score", t.symbols[i].name);
	task_clear(&t);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &msg;
	t.check_deadline = task_now();
	assert_int_equal(check_hidden_text.scan(NULL, &t), -MG_ETIMEOUT);
	task_clear(&t);
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_text),
		cmocka_unit_test(test_every_reason_scored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
