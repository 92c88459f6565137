/* The attach_type check on hand-built attachments: which flags become
 * ATT_* symbols, and the file (or archive member) each one names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/attach_type.h"
#include "core/err.h"
#include "mime/attach.h"

#define MAXM	4

struct att_case {
	const char	*name;
	const char	*visual;
	unsigned	 flags;
	struct { const char *path; unsigned flags; } members[MAXM];
	const char	*want;		/* "SYMBOL=option|option SYMBOL=..." in table order */
};

static void
test_attach_type(void **state)
{
	static const struct att_case cases[] = {
		{ "report.pdf", NULL, 0, { { 0 } }, "" },
		{ "report.pdf", NULL, ATT_F_NO_NAME | ATT_F_ARCHIVE, { { 0 } }, "" },
		{ "invoice.pdf.exe", NULL, ATT_F_DOUBLE_EXT | ATT_F_DANGEROUS_EXT | ATT_F_EXECUTABLE,
		  { { 0 } }, "ATT_DOUBLE_EXT=invoice.pdf.exe ATT_DANGEROUS_EXT=invoice.pdf.exe "
		  "ATT_EXECUTABLE=invoice.pdf.exe" },
		{ "", NULL, ATT_F_TYPE_MISMATCH | ATT_F_NO_NAME, { { 0 } },
		  "ATT_TYPE_MISMATCH=(no name)" },
		{ "invoice_\xe2\x80\xae" "fdp.exe", "invoice_exe.pdf", ATT_F_RTLO, { { 0 } },
		  "ATT_RTLO=invoice_\xe2\x80\xae" "fdp.exe shown as invoice_exe.pdf" },
		{ "docs.zip", NULL, ATT_F_ARCHIVE | ATT_F_ENCRYPTED | ATT_F_DANGEROUS_EXT,
		  { { "a/run.js", ATT_F_DANGEROUS_EXT }, { "b.txt", ATT_F_ENCRYPTED },
		    { "c.txt", ATT_F_ENCRYPTED } },
		  "ATT_DANGEROUS_EXT=docs.zip/a/run.js ATT_ENCRYPTED=docs.zip/b.txt|docs.zip/c.txt" },
		{ "bomb.zip", NULL, ATT_F_ARCHIVE | ATT_F_BOMB | ATT_F_DEPTH_LIMIT |
		  ATT_F_CORRUPT_ARCHIVE, { { 0 } },
		  "ATT_BOMB=bomb.zip ATT_DEPTH_LIMIT=bomb.zip ATT_CORRUPT_ARCHIVE=bomb.zip" },
	};
	struct symbol_table st;

	default_symbols(&st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct attach_member members[MAXM] = { 0 };
		struct mime_attachment att = { .name = cases[i].name,
			.visual_name = cases[i].visual, .flags = cases[i].flags, .members = members };
		struct mime_part root = { .type = "application", .subtype = "octet-stream",
			.is_attachment = true, .att = &att };
		struct mime_part *parts[] = { &root };
		struct mime_msg msg = { .root = &root, .parts = parts, .nparts = 1 };

		for (size_t j = 0; j < MAXM && cases[i].members[j].path; j++) {
			members[j].path = cases[i].members[j].path;
			members[j].flags = cases[i].members[j].flags;
			att.nmembers++;
		}
		expect_symbols(&check_attach_type, &st, &msg, i, cases[i].want);
	}
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
