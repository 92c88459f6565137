/* The RTF scanner on hand-written RTF: objects with and without \objdata,
 * OLE1 class names, \objupdate and friends, the Equation Editor class and
 * CLSID, padding inside \objdata, \bin, oversized control words, deep
 * nesting, truncation and the \objdata ceiling; and the RTF check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/rtf.h"
#include "core/err.h"
#include "files/rtf.h"
#include "mime/attach.h"

/* OLE1 header: version 0x0501, format 2, class "Package\0" (8), topic, item. */
#define OLE_PACKAGE	"0105000002000000080000005061636b61676500" "0000000000000000"
#define OLE_EQUATION	"01050000" "02000000" "0b000000" "4571756174696f6e2e3300" "00000000"
#define EQN_CLSID	"02ce020000000000c000000000000046"

/* "objects=N [class:flags:len]... depth=D long=L limit" */
static void
rtf_summary(const struct rtf_report *r, char *out, size_t outlen)
{
	static const char fl[] = "uexlqd";	/* update embed ocx link eQuation data */
	size_t n = (size_t)snprintf(out, outlen, "objects=%u", r->total_objects);

	for (size_t i = 0; i < r->nobjects && n < outlen; i++) {
		const struct rtf_object *o = &r->objects[i];
		n += (size_t)snprintf(out + n, outlen - n, " [%s:", o->class_name);
		for (unsigned b = 0; b < 6 && n < outlen; b++)
			if (o->flags & (1u << b))
				out[n++] = fl[b];
		n += (size_t)snprintf(out + n, outlen - n, ":%zu]", o->data_len);
	}
	if (n < outlen)
		snprintf(out + n, outlen - n, " depth=%u long=%u%s", r->max_depth,
		    r->long_words, r->limit ? " limit" : "");
}

static void
test_rtf_scan(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "{\\rtf1\\ansi Hello\\par}", "objects=0 depth=1 long=0" },
		{ "{\\rtf1{\\object\\objemb\\objupdate{\\*\\objclass Package}{\\*\\objdata "
		  OLE_PACKAGE "}}}", "objects=1 [Package:ued:28] depth=3 long=0" },
		/* the class from \objclass when the data has no header */
		{ "{\\rtf1{\\object\\objocx{\\*\\objclass Forms.HTML:Image.1}{\\*\\objdata 0102}}}",
		  "objects=1 [Forms.HTML:Image.1:xd:2] depth=3 long=0" },
		{ "{\\rtf1{\\object\\objautlink{\\*\\objclass Word.Document.8}}}",
		  "objects=1 [Word.Document.8:l:0] depth=3 long=0" },
		/* padding: control words, groups and blanks inside the hex */
		{ "{\\rtf1{\\object{\\*\\objdata 01\\par 05{\\*\\junk} 00 00\r\n02000000 "
		  "0b000000{\\'41}4571756174696f6e2e3300 00000000}}}",
		  "objects=1 [Equation.3:qd:27] depth=4 long=0" },
		{ "{\\rtf1{\\object{\\*\\objdata " OLE_EQUATION "d0cf11e0" EQN_CLSID "}}}",
		  "objects=1 [Equation.3:qd:47] depth=3 long=0" },
		/* the CLSID under another class name */
		{ "{\\rtf1{\\object{\\*\\objdata 00" EQN_CLSID "}}}",
		  "objects=1 [:qd:17] depth=3 long=0" },
		/* \objdata without \object, twice: two objects */
		{ "{\\rtf1{\\*\\objdata 41}{\\*\\objdata 4142}}",
		  "objects=2 [:d:1] [:d:2] depth=2 long=0" },
		/* \bin skips raw bytes: the braces inside do not count */
		{ "{\\rtf1{\\object{\\*\\objdata 41\\bin4 {{{{42}}}",
		  "objects=1 [:d:2] depth=3 long=0" },
		{ "{\\rtf1\\bin99999999999 }", "objects=0 depth=1 long=1" },
		{ "{\\rtf1\\aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 x}",
		  "objects=0 depth=1 long=1" },
		{ "{\\rtf1\\fs123456789012345 x}", "objects=0 depth=1 long=1" },
		/* truncated everywhere */
		{ "{\\rtf1{\\object{\\*\\objdata 0105000002", "objects=1 [:d:5] depth=3 long=0" },
		{ "{\\rtf1\\", "objects=0 depth=1 long=0" },
		{ "{\\rtf1\\'", "objects=0 depth=1 long=0" },
		{ "}}}}{", "objects=0 depth=1 long=0" },
		{ "", "objects=0 depth=0 long=0" },
	};
	struct rtf_limits lim;
	struct rtf_report r;
	char got[512];

	rtf_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rtf_scan((const uint8_t *)cases[i].in, strlen(cases[i].in), &lim,
		    &r), 0);
		rtf_summary(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
	}
}

/* Ceilings: decoded \objdata, objects described, nesting, input. */
static void
test_rtf_bounds(void **state)
{
	size_t big = 3000;
	char *buf = malloc(big * 20 + 64);
	struct rtf_limits lim;
	struct rtf_report r;
	size_t n = 0;

	assert_non_null(buf);
	rtf_limits_default(&lim);
	lim.max_objdata = 100;
	n += (size_t)sprintf(buf, "{\\rtf1{\\*\\objdata ");
	for (size_t i = 0; i < 1000; i++)
		n += (size_t)sprintf(buf + n, "41");
	n += (size_t)sprintf(buf + n, "}");
	for (size_t i = 0; i < RTF_MAX_OBJECTS + 4; i++)
		n += (size_t)sprintf(buf + n, "{\\object}");
	for (size_t i = 0; i < big; i++)
		buf[n++] = '{';
	assert_int_equal(rtf_scan((uint8_t *)buf, n, &lim, &r), 0);
	if (r.objects[0].data_len != 100 || r.total_objects != RTF_MAX_OBJECTS + 5 ||
	    r.nobjects != RTF_MAX_OBJECTS || r.max_depth != big + 1 || !r.limit)
		fail_msg("got data %zu objects %u/%zu depth %u limit %d, want 100 %d/%d %zu 1",
		    r.objects[0].data_len, r.total_objects, r.nobjects, r.max_depth, r.limit,
		    RTF_MAX_OBJECTS + 5, RTF_MAX_OBJECTS, big + 1);
	lim.max_input = 8;
	assert_int_equal(rtf_scan((uint8_t *)buf, n, &lim, &r), 0);
	assert_true(r.limit && r.total_objects == 0);
	free(buf);
}

static void
test_rtf_detect(void **state)
{
	assert_true(rtf_detect((const uint8_t *)"{\\rtf1", 6));
	assert_true(rtf_detect((const uint8_t *)"{\\rtxyz", 7));
	assert_false(rtf_detect((const uint8_t *)" {\\rtf1", 7));
	assert_false(rtf_detect((const uint8_t *)"{\\r", 3));
}

/* The check: one RTF_OBJECT per object, the flags' symbols, and the
 * categories that force quarantine. */
static void
test_check_rtf(void **state)
{
	static const char doc[] = "{\\rtf1{\\object\\objupdate{\\*\\objdata " OLE_PACKAGE
	    "}}{\\object{\\*\\objdata " OLE_EQUATION "}}}";
	struct one_attachment o;
	struct symbol_table st;

	check_symbols(&st, &check_rtf, NULL);
	expect_symbols(&check_rtf, &st, one_attachment(&o, "order.doc", doc), 0,
	    "RTF_OBJECT=order.doc: class Package, 28 bytes|order.doc: class Equation.3, 27 bytes "
	    "RTF_EQUATION_EXPLOIT=order.doc: class Equation.3, 27 bytes "
	    "RTF_OBJUPDATE=order.doc");
	assert_int_equal(symbol_find(&st, "RTF_OBJUPDATE")->force, MG_VERDICT_QUARANTINE);
	assert_int_equal(symbol_find(&st, "RTF_EQUATION_EXPLOIT")->category, MG_CAT_MALWARE);
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtf_scan),
		cmocka_unit_test(test_rtf_bounds),
		cmocka_unit_test(test_rtf_detect),
		cmocka_unit_test(test_check_rtf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
