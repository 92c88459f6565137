/* The mime_anomaly check on hand-built trees: each parser flag becomes
 * MIME_<FLAG> naming the parts it was raised on; flags of the message as a
 * whole name no part; every flag has a default score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/mime_anomaly.h"
#include "core/err.h"

static void
test_mime_anomaly(void **state)
{
	static const struct {
		uint64_t	 part_flags[3];
		uint64_t	 msg_only;
		const char	*want;
	} cases[] = {
		{ { 0, 0, 0 }, 0, "" },
		{ { 0, MIME_F_BAD_BASE64, MIME_F_BAD_BASE64 }, 0,
		  "MIME_BAD_BASE64=part 1 text/plain|part 2 application/pdf" },
		{ { MIME_F_MISSING_BOUNDARY | MIME_F_DUPLICATE_HEADER, MIME_F_BAD_QP, 0 }, 0,
		  "MIME_DUPLICATE_HEADER=part 0 multipart/mixed "
		  "MIME_MISSING_BOUNDARY=part 0 multipart/mixed MIME_BAD_QP=part 1 text/plain" },
		{ { 0, 0, 0 }, MIME_F_PARTS_LIMIT, "MIME_PARTS_LIMIT" },
		{ { MIME_F_NUL_BYTES, 0, 0 }, MIME_F_NUL_BYTES, "MIME_NUL_BYTES=part 0 multipart/mixed" },
	};
	struct symbol_table st;

	default_symbols(&st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mime_part p[3] = {
			{ .index = 0, .type = "multipart", .subtype = "mixed" },
			{ .index = 1, .type = "text", .subtype = "plain" },
			{ .index = 2, .type = "application", .subtype = "pdf" },
		};
		struct mime_part *parts[] = { &p[0], &p[1], &p[2] };
		struct mime_msg msg = { .root = &p[0], .parts = parts, .nparts = 3,
			.flags = cases[i].msg_only };

		for (int j = 0; j < 3; j++) {
			p[j].flags = cases[i].part_flags[j];
			msg.flags |= p[j].flags;
		}
		expect_symbols(&check_mime_anomaly, &st, &msg, i, cases[i].want);
	}
	symbol_table_clear(&st);
}

/* Every flag the parser can raise has a symbol with a positive default. */
static void
test_every_flag_scored(void **state)
{
	struct symbol_table st;
	struct mime_part root = { .type = "text", .subtype = "plain" };
	struct mime_part *parts[] = { &root };
	struct mime_msg msg = { .root = &root, .parts = parts, .nparts = 1 };
	struct mg_task t;

	default_symbols(&st);
	root.flags = msg.flags = (1ull << MIME_F_COUNT) - 1;
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &msg;
	assert_int_equal(check_mime_anomaly.scan(NULL, &t), 0);
	assert_int_equal(t.nsymbols, MIME_F_COUNT);
	for (size_t i = 0; i < t.nsymbols; i++)
		if (symbol_find(&st, t.symbols[i].name) == NULL || t.symbols[i].score <= 0)
			fail_msg("%s: no positive default score", t.symbols[i].name);
	task_clear(&t);
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_anomaly),
		cmocka_unit_test(test_every_flag_scored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
