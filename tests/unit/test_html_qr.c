/* QR codes drawn as HTML tables (files/html_qr.h) and the QR check on an
 * HTML part: the QR fixture's matrix written as tables in several styles
 * (bgcolor, style colours, colspan runs, nested in a layout table), a
 * random table, a layout table, oversized and broken HTML, and colours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/qr.h"
#include "core/err.h"
#include "files/html_qr.h"
#include "files/qr.h"
#include "mime/html.h"
#include "qr_fixture.h"

enum style { ST_BGCOLOR, ST_STYLE, ST_COLSPAN, ST_NESTED, ST_RANDOM, ST_WIDE, ST_COUNT };

/* The fixture as an HTML table in one style (malloc'd). */
static char *
table_html(enum style st)
{
	size_t cap = 1 << 20, n = 0;
	char *h = malloc(cap);
	uint32_t seed = 7;
	unsigned cols = st == ST_WIDE ? HTML_QR_MAX_SIDE + 1 : QR_FIXTURE_N;

	assert_non_null(h);
#define OUT(...) (n += (size_t)snprintf(h + n, cap - n, __VA_ARGS__))
	OUT("<html><body><!-- a <table> in a comment --><p>Scan a < b</p>");
	if (st == ST_NESTED)
		OUT("<table width=600><tr><td>News</td><td>");
	OUT("<table cellspacing=0 cellpadding=0 %s>",
	    st == ST_STYLE ? "style=\"background-color: #fff\"" : "bgcolor=white");
	for (unsigned y = 0; y < QR_FIXTURE_N; y++) {
		OUT("<tr%s>", st == ST_STYLE ? " style='height:4px'" : "");
		for (unsigned x = 0; x < cols; x++) {
			int dark = x < QR_FIXTURE_N ? qr_fixture_rows[y][x] == '1' : 0;
			unsigned run = 1;

			seed = seed * 1103515245 + 12345;
			if (st == ST_RANDOM)
				dark = seed >> 16 & 1;
			if (st == ST_COLSPAN)
				while (x + run < QR_FIXTURE_N && (qr_fixture_rows[y][x + run] == '1') == dark)
					run++;
			if (st == ST_STYLE)
				OUT("<td style=\"width:4px;background:%s\"></td>", dark ? "rgb(0, 0, 0)" : "none");
			else if (st == ST_COLSPAN)
				OUT("<td colspan=\"%u\" style=\"background-color:%s\">&nbsp;</td>", run,
				    dark ? "#111" : "#EEEEEE");
			else
				OUT("<TD BGCOLOR=\"%s\" width=4></TD>", dark ? "#000000" : "#ffffff");
			x += run - 1;
		}
		OUT("</tr>\n");
	}
	OUT("</table>");
	if (st == ST_NESTED)
		OUT("</td></tr></table>");
	OUT("</body></html>");
#undef OUT
	return h;
}

struct found {
	unsigned	 tables;
	char		 text[QR_MAX_TEXT + 1];
};

static int
found_table(const struct image_gray *img, void *arg)
{
	struct found *f = arg;
	struct qr_result *r = malloc(sizeof(*r));

	assert_non_null(r);
	f->tables++;
	assert_int_equal(qr_scan_gray(img, r), 0);
	if (r->n > 0 && f->text[0] == '\0')
		memcpy(f->text, r->codes[0].text, r->codes[0].len + 1);
	free(r);
	return 0;
}

static void
test_tables(void **state)
{
	static const struct {
		enum style	 st;
		unsigned	 tables;
		const char	*want;
	} cases[] = {
		{ ST_BGCOLOR, 1, QR_FIXTURE_URL },
		{ ST_STYLE, 1, QR_FIXTURE_URL },
		{ ST_COLSPAN, 1, QR_FIXTURE_URL },
		{ ST_NESTED, 1, QR_FIXTURE_URL },
		{ ST_RANDOM, 1, "" },	/* handed on, no code in it */
		{ ST_WIDE, 0, "" },	/* more than HTML_QR_MAX_SIDE cells */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct found f = { 0 };
		char *h = table_html(cases[i].st);

		assert_int_equal(html_qr_tables(h, strlen(h), found_table, &f), 0);
		printf("case %zu: tables=%u text=\"%s\"\n", i, f.tables, f.text);
		if (f.tables != cases[i].tables || strcmp(f.text, cases[i].want) != 0)
			fail_msg("case %zu: got %u table(s) \"%s\", want %u \"%s\"", i, f.tables,
			    f.text, cases[i].tables, cases[i].want);
		free(h);
	}
}

/* HTML that must hand on no table, and must not crash. */
static void
test_no_tables(void **state)
{
	static const char *const cases[] = {
		"",
		"<table><tr><td bgcolor=black>a</td><td>b</td></tr></table>",
		"<table><tr><td bgcolor=\"black",
		"<table><!-- <tr><td>",
		"<table><tr><td style='background:#000'>" "</table></table></tr>",
		"<<<<>>>>< / = = ='\"'><td colspan=999999999999><tr><td>",
		"</td></tr></table><td><td><tr>",
	};
	char *full = malloc(HTML_QR_MAX_INPUT + 64);
	size_t n = 0;
	struct found f = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		assert_int_equal(html_qr_tables(cases[i], strlen(cases[i]), found_table, &f), 0);
		if (f.tables != 0)
			fail_msg("case %zu \"%s\": %u table(s) handed on", i, cases[i], f.tables);
	}
	/* 30x30 dark-and-light cells starting past HTML_QR_MAX_INPUT */
	assert_non_null(full);
	memset(full, ' ', HTML_QR_MAX_INPUT - 10);
	n = HTML_QR_MAX_INPUT - 10;
	memcpy(full + n, "<table><tr><td bgcolor=black><td>", 33);
	memset(&f, 0, sizeof(f));
	assert_int_equal(html_qr_tables(full, n + 33, found_table, &f), 0);
	assert_int_equal(f.tables, 0);
	free(full);
}

static void
test_colors(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 luma;
	} cases[] = {
		{ "#000", 0, 0 }, { "#ffffff", 0, 255 }, { " #FFF ", 0, 255 },
		{ "000000", 0, 0 }, { "#ff0000", 0, 76 }, { "rgb(0,0,0)", 0, 0 },
		{ "rgba(255, 255, 255, 0.5)", 0, 255 }, { "Black", 0, 0 },
		{ "#12", -MG_EINVAL, 0 }, { "rgb(", -MG_EINVAL, 0 }, { "bluish", -MG_EINVAL, 0 },
		{ "", -MG_EINVAL, 0 }, { "#0000000", -MG_EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned luma = 999;
		int rc = html_qr_color_luma(cases[i].in, strlen(cases[i].in), &luma);

		if (rc != cases[i].rc || (rc == 0 && luma != cases[i].luma))
			fail_msg("\"%s\": got rc=%d luma=%u, want rc=%d luma=%u", cases[i].in, rc,
			    luma, cases[i].rc, cases[i].luma);
	}
}

/* The QR check on a message whose HTML part draws the code as a table:
 * the URL joins the message's URLs. */
static void
test_check(void **state)
{
	struct symbol_table st;
	struct mime_html html = { 0 };
	struct mime_part p = { .type = "text", .subtype = "html", .html = &html };
	struct mime_part *parts[1] = { &p };
	struct mime_msg m = { .root = &p, .parts = parts, .nparts = 1 };
	struct mg_task t;
	char got[2048], *h = table_html(ST_NESTED);

	p.text = h;
	p.text_len = strlen(h);
	check_symbols(&st, &check_qr, NULL);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = &m;
	assert_int_equal(check_qr.scan(NULL, &t), 0);
	symbols_text(&t, got, sizeof(got));
	printf("got \"%s\", %zu URL(s)\n", got, m.nurls);
	if (strcmp(got, "QR_URL=HTML table: " QR_FIXTURE_URL " QR_HTML_TABLE=HTML table") != 0)
		fail_msg("got \"%s\"", got);
	if (m.nurls != 1 || strcmp(m.urls[0].url, QR_FIXTURE_URL) != 0)
		fail_msg("the message's URLs: %zu", m.nurls);
	task_clear(&t);
	symbol_table_clear(&st);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_no_tables),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
