/* The gtube check on hand-built messages: the string in a 7bit body or in
 * a decoded text part fires GTUBE; in a header only, cut, or absent, not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/gtube.h"
#include "core/err.h"

#define GTUBE	"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

static void
test_gtube(void **state)
{
	static const struct {
		const char	*raw;		/* header, blank line, body */
		const char	*text;		/* decoded text of part 1, or NULL */
		bool		 want;
	} cases[] = {
		{ "Subject: test\r\n\r\nHello\r\n" GTUBE "\r\n", NULL, true },
		{ "Subject: " GTUBE "\r\n\r\nHello\r\n", NULL, false },
		{ "Subject: test\r\n\r\nWEpTKkM0SkRCUUFETjEuTlNCTjMqMklETkVOKkdUVUJF\r\n",
		  "spam " GTUBE " spam", true },
		{ "Subject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD\r\n"
		  "-ANTI-UBE-TEST-EMAIL*C.34X\r\n", "nothing here", false },
		{ "Subject: test\r\n\r\n", NULL, false },
	};
	struct symbol_table st;

	default_symbols(&st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *raw = cases[i].raw, *body = strstr(raw, "\r\n\r\n") + 4;
		struct mime_part p[2] = {
			{ .type = "multipart", .subtype = "mixed" },
			{ .index = 1, .type = "text", .subtype = "plain", .text = cases[i].text,
			  .text_len = cases[i].text ? strlen(cases[i].text) : 0 },
		};
		struct mime_part *parts[] = { &p[0], &p[1] };
		struct mime_msg msg = { .root = &p[0], .parts = parts, .nparts = 2 };
		struct mg_task t;
		const struct task_symbol *s;

		p[0].raw_body = mg_slice_make(body, strlen(body));
		assert_int_equal(task_init(&t, &st, (const uint8_t *)raw, strlen(raw), NULL,
		    1 << 20), 0);
		t.msg = &msg;
		assert_int_equal(check_gtube.scan(NULL, &t), 0);
		s = mg_task_symbol_get(&t, "GTUBE");
		if ((s != NULL) != cases[i].want)
			fail_msg("case %zu: got GTUBE %d, want %d", i, s != NULL, cases[i].want);
		if (s != NULL && (s->score != 1000.0 || s->category != MG_CAT_SPAM))
			fail_msg("case %zu: GTUBE scored %.2f category %d", i, s->score, s->category);
		task_clear(&t);
	}
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gtube),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
