/* The PDF scanner on hand-written PDFs (plain, #xx-escaped, compressed
 * object streams, broken lengths, truncated input) and its ceilings (zlib
 * bombs stop at the per-stream and per-file bounds), and the PDF check on
 * a message with a PDF attachment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/pdf.h"
#include "core/err.h"
#include "files/pdf.h"
#include "mime/attach.h"

/* "KEY=N ..." for each key seen, then the flags. */
static void
pdf_summary(const struct pdf_report *r, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned k = 0; k < PDF_K_COUNT; k++)
		if (r->counts[k] > 0)
			n += (size_t)snprintf(out + n, outlen - n, "%s=%u ", pdf_key_name(k),
			    r->counts[k]);
	n += (size_t)snprintf(out + n, outlen - n, "%s%s%s", r->openaction_js ? "oajs " : "",
	    r->escaped_names ? "escaped " : "", r->limit ? "limit " : "");
	for (size_t i = 0; i < r->nuris && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "uri:%s ", r->uris[i]);
	if (n > 0 && out[n - 1] == ' ')
		out[n - 1] = '\0';
}

/* "<< DICT /Filter /FlateDecode /Length N >>stream\n" deflate(data) "\nendstream". */
static size_t
pdf_flate_object(char *out, size_t outlen, const char *head, const char *dict,
    const void *data, size_t len, const char *tail)
{
	uLongf clen = compressBound(len);
	uint8_t *c = malloc(clen);
	size_t n;

	assert_non_null(c);
	assert_int_equal(compress2(c, &clen, data, len, 9), Z_OK);
	n = (size_t)snprintf(out, outlen, "%s<< %s /Filter /FlateDecode /Length %lu >>stream\n",
	    head, dict, (unsigned long)clen);
	assert_true(n + clen + strlen(tail) + 16 < outlen);
	memcpy(out + n, c, clen);
	n += clen;
	n += (size_t)snprintf(out + n, outlen - n, "\nendstream endobj %s", tail);
	free(c);
	return n;
}

static void
expect_pdf(size_t i, const void *data, size_t len, const struct pdf_limits *lim,
    const char *want)
{
	struct mg_arena *a = mg_arena_new(16 * 1024, 1 << 20);
	struct pdf_report r;
	char got[1024];

	assert_non_null(a);
	assert_int_equal(pdf_scan(a, data, len, lim, &r), 0);
	pdf_summary(&r, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, want);
	mg_arena_free(a);
}

static void
test_pdf_plain(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n", "" },
		{ "%PDF-1.4\n1 0 obj << /OpenAction 2 0 R >> endobj\n"
		  "2 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj",
		  "JavaScript=1 JS=1 OpenAction=1 oajs" },
		{ "%PDF-1.4\n1 0 obj << /Open#41ction << /S /J#61vaScript /JS 3 0 R >> >> endobj",
		  "JavaScript=1 JS=1 OpenAction=1 oajs escaped" },
		/* the action names another object than the script: no oajs */
		{ "%PDF-1.4\n1 0 obj << /OpenAction 5 0 R >> endobj\n"
		  "2 0 obj << /S /JavaScript /JS (x) >> endobj",
		  "JavaScript=1 JS=1 OpenAction=1" },
		{ "%PDF-1.4\n1 0 obj << /AA << /O 2 0 R >> >> endobj 2 0 obj << /JS (x) >> endobj",
		  "JS=1 AA=1 oajs" },
		{ "%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj",
		  "OpenAction=1 Launch=1" },
		{ "%PDF-1.4\ntrailer << /Encrypt 5 0 R /Root 1 0 R >>", "Encrypt=1" },
		{ "%PDF-1.4\n1 0 obj << /A << /S /URI /URI (https://a.example/x\\)y) >> >> endobj"
		  " 2 0 obj << /URI <68747470733a2f2f622e6578616d706c65> >> endobj",
		  "URI=2 uri:https://a.example/x)y uri:https://b.example" },
		{ "%PDF-1.7\n<< /AcroForm << /XFA 3 0 R >> /A << /S /SubmitForm >> "
		  "/EmbeddedFile 4 0 R /RichMedia 5 0 R >>",
		  "EmbeddedFile=1 AcroForm=1 SubmitForm=1 RichMedia=1 XFA=1" },
		/* names inside strings and comments are not keys */
		{ "%PDF-1.4\n% /JavaScript\n1 0 obj ( /JavaScript ) endobj", "" },
		/* truncated everywhere */
		{ "%PDF-1.4\n1 0 obj << /OpenAction 2 0", "OpenAction=1" },
		{ "%PDF-1.4\n1 0 obj << /JS (unterminated", "JS=1" },
		{ "%PDF-1.4\n1 0 obj << /Length 99999999999 >> stream\nabc", "" },
		{ "%PDF-1.4\n1 0 obj <</Filter/FlateDecode/Length -5>>stream\nxyz\nendstream", "" },
		{ "/", "" },
		{ "", "" },
	};
	struct pdf_limits lim;

	pdf_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_pdf(i, cases[i].in, strlen(cases[i].in), &lim, cases[i].want);
}

/* Object streams and compressed streams, with right and wrong /Length. */
static void
test_pdf_streams(void **state)
{
	static const char member[] = "<< /S /JavaScript /JS (this.print\\(\\)) >>";
	static const struct {
		bool		 objstm;
		unsigned	 num;		/* member's object number */
		long		 n;		/* /N */
		size_t		 first_extra;	/* added to the right /First */
		const char	*want;
	} cases[] = {
		{ true, 7, 1, 0, "JavaScript=1 JS=1 OpenAction=1 ObjStm=1 oajs" },
		/* the action names 7, the script is 8 */
		{ true, 8, 1, 0, "JavaScript=1 JS=1 OpenAction=1 ObjStm=1" },
		/* /N larger than the header, /First past the end */
		{ true, 7, 99999999, 0, "JavaScript=1 JS=1 OpenAction=1 ObjStm=1 oajs" },
		{ true, 7, 1, 9990, "JavaScript=1 JS=1 OpenAction=1 ObjStm=1" },
		/* a compressed stream that is not an object stream is read too */
		{ false, 7, 1, 0, "JavaScript=1 JS=1 OpenAction=1" },
	};
	struct pdf_limits lim;
	char dict[128], payload[256], buf[4096];

	pdf_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t first = (size_t)snprintf(payload, sizeof(payload), "%u 0 ", cases[i].num);
		snprintf(payload + first, sizeof(payload) - first, "%s", member);
		snprintf(dict, sizeof(dict), "%s /N %ld /First %zu",
		    cases[i].objstm ? "/Type /ObjStm" : "", cases[i].n,
		    first + cases[i].first_extra);
		size_t n = pdf_flate_object(buf, sizeof(buf),
		    "%PDF-1.5\n1 0 obj <</OpenAction 7 0 R>> endobj 9 0 obj ", dict,
		    payload, strlen(payload), "trailer");
		expect_pdf(i, buf, n, &lim, cases[i].want);
	}
}

/* A zlib bomb stops at the per-stream bound, many of them at the per-file
 * one; corrupt data and other filters are counted, not decoded. */
static void
test_pdf_bounds(void **state)
{
	const size_t big = 32u << 20;
	uint8_t *zeros = calloc(1, big);
	char *buf = malloc(1 << 20);
	struct mg_arena *a = mg_arena_new(16 * 1024, 1 << 20);
	struct pdf_limits lim;
	struct pdf_report r;
	size_t n = 0;

	assert_non_null(zeros);
	assert_non_null(buf);
	assert_non_null(a);
	pdf_limits_default(&lim);
	lim.max_stream_out = 1u << 20;
	lim.max_total_out = 3u << 20;
	for (int k = 0; k < 5; k++)
		n += pdf_flate_object(buf + n, (1 << 20) - n, "1 0 obj ", "", zeros, big, "");
	assert_int_equal(pdf_scan(a, (uint8_t *)buf, n, &lim, &r), 0);
	if (r.streams != 5 || r.inflated != 3 || r.inflated_bytes != lim.max_total_out ||
	    !r.limit)
		fail_msg("bomb: got streams %u inflated %u bytes %llu limit %d, want 5 3 %zu 1",
		    r.streams, r.inflated, (unsigned long long)r.inflated_bytes, r.limit,
		    (size_t)lim.max_total_out);

	static const char other[] = "%PDF-1.4\n1 0 obj << /Filter [/ASCIIHexDecode /FlateDecode]"
	    " /Length 4 >>stream\n4142\nendstream endobj 2 0 obj << /Filter /FlateDecode"
	    " /Length 5 >>stream\nxxxxx\nendstream endobj";
	assert_int_equal(pdf_scan(a, (const uint8_t *)other, strlen(other), &lim, &r), 0);
	if (r.streams != 2 || r.other_filters != 1 || r.inflate_errors != 1 || r.limit)
		fail_msg("filters: got streams %u other %u errors %u limit %d, want 2 1 1 0",
		    r.streams, r.other_filters, r.inflate_errors, r.limit);

	/* max_input cuts the file */
	lim.max_input = 10;
	assert_int_equal(pdf_scan(a, (const uint8_t *)other, strlen(other), &lim, &r), 0);
	assert_true(r.limit && r.streams == 0);
	mg_arena_free(a);
	free(buf);
	free(zeros);
}

static void
test_pdf_detect(void **state)
{
	static const struct {
		const char	*in;
		size_t		 pad;
		bool		 want;
	} cases[] = {
		{ "%PDF-1.7\n", 0, true }, { "%PDF-1.7\n", 1000, true },
		{ "%PDF-1.7\n", 1020, false }, { "%PDF", 0, false }, { "PDF-1.7", 0, false },
	};
	char buf[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, ' ', cases[i].pad);
		memcpy(buf + cases[i].pad, cases[i].in, strlen(cases[i].in));
		if (pdf_detect((uint8_t *)buf, cases[i].pad + strlen(cases[i].in)) != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, !cases[i].want, cases[i].want);
	}
}

/* The check names the attachment and forces quarantine on open actions. */
static void
test_check_pdf(void **state)
{
	static const char doc[] = "%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript "
	    "/JS (app.alert\\(1\\)) >> /Launch 3 0 R >> endobj";
	struct one_attachment o;
	struct symbol_table st;

	check_symbols(&st, &check_pdf, NULL);
	expect_symbols(&check_pdf, &st, one_attachment(&o, "invoice.pdf", doc), 0,
	    "PDF_JAVASCRIPT=invoice.pdf: 2 /JavaScript or /JS "
	    "PDF_OPENACTION_JS=invoice.pdf: 1 /OpenAction or /AA "
	    "PDF_LAUNCH=invoice.pdf: 1 /Launch");
	assert_int_equal(symbol_find(&st, "PDF_OPENACTION_JS")->force, MG_VERDICT_QUARANTINE);
	assert_int_equal(symbol_find(&st, "PDF_LAUNCH")->category, MG_CAT_DANGEROUS);
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf_plain),
		cmocka_unit_test(test_pdf_streams),
		cmocka_unit_test(test_pdf_bounds),
		cmocka_unit_test(test_pdf_detect),
		cmocka_unit_test(test_check_pdf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
