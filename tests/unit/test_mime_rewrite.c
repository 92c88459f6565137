/* Message rewrites (mime/rewrite.h): subject prefix (plain, folded,
 * encoded, missing, already there, CRLF), banner (7bit, quoted-printable,
 * base64 latin-1, alternative with an attachment, HTML with and without
 * <body>, forwarded message left alone), strip every attachment. Each
 * output is compared byte for byte where it is fixed, then re-parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/rewrite.h"
#include "test_util.h"

/* Re-parses out and returns the part holding type/subtype number nth
 * (pre-order), or NULL. */
static const struct mime_part *
find_part(struct mg_arena *a, const struct mg_buf *out, const char *type,
    const char *sub, unsigned nth, const struct mime_msg **mp)
{
	const struct mime_msg *m = mime_parse(a, out->data, out->len, NULL);

	assert_non_null(m);
	*mp = m;
	for (size_t i = 0; i < m->nparts; i++)
		if (strcmp(m->parts[i]->type, type) == 0 && strcmp(m->parts[i]->subtype, sub) == 0 &&
		    nth-- == 0)
			return m->parts[i];
	return NULL;
}

struct subject_case {
	const char	*name;
	const char	*in;
	const char	*prefix;
	const char	*want;		/* output bytes */
	const char	*decoded;	/* the re-parsed Subject value */
};

static const struct subject_case subject_cases[] = {
	{ "plain", "From: a@b\nSubject: hello\n\nbody\n", "[SPAM]",
	  "From: a@b\nSubject: [SPAM] hello\n\nbody\n", "[SPAM] hello" },
	{ "folded", "Subject:\n  long\n  subject\nTo: c@d\n\nx\n", "[SPAM]",
	  "Subject:\n  [SPAM] long\n  subject\nTo: c@d\n\nx\n", "[SPAM] long  subject" },
	{ "encoded", "Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\n\nx\n", "[SPAM]",
	  "Subject: [SPAM] =?utf-8?q?gr=C3=BC=C3=9Fe?=\n\nx\n", "[SPAM] gr\xc3\xbc\xc3\x9f" "e" },
	{ "encoded, non-ASCII prefix", "Subject: =?utf-8?q?hi?=\n\nx\n", "[Verd\xc3\xa4" "chtig]",
	  "Subject: =?UTF-8?B?W1ZlcmTDpGNodGlnXSA=?= =?utf-8?q?hi?=\n\nx\n",
	  "[Verd\xc3\xa4" "chtig] hi" },
	{ "non-ASCII prefix, plain subject", "Subject: hi\n\nx\n", "\xc3\xa4",
	  "Subject: =?UTF-8?B?w6Q=?= hi\n\nx\n", "\xc3\xa4 hi" },
	{ "missing", "From: a@b\nTo: c@d\n\nbody\n", " [SPAM] ",
	  "From: a@b\nTo: c@d\nSubject: [SPAM]\n\nbody\n", "[SPAM]" },
	{ "empty value", "Subject:\nFrom: a@b\n\nbody\n", "[SPAM]",
	  "Subject: [SPAM]\nFrom: a@b\n\nbody\n", "[SPAM]" },
	{ "already prefixed", "Subject: =?utf-8?q?=5BSPAM=5D_hi?=\n\nx\n", "[SPAM]",
	  "Subject: =?utf-8?q?=5BSPAM=5D_hi?=\n\nx\n", "[SPAM] hi" },
	{ "CRLF", "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", "[SPAM]",
	  "From: a@b\r\nSubject: [SPAM] hi\r\n\r\nbody\r\n", "[SPAM] hi" },
	{ "CRLF, missing", "From: a@b\r\n\r\nbody\r\n", "[SPAM]",
	  "From: a@b\r\nSubject: [SPAM]\r\n\r\nbody\r\n", "[SPAM]" },
	{ "no header section", "\nbody\n", "[SPAM]", "Subject: [SPAM]\n\nbody\n", "[SPAM]" },
};

static void
test_subject(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]); i++) {
		const struct subject_case *c = &subject_cases[i];
		struct mg_arena *a = mg_arena_new(16 * 1024, 0);
		const struct mime_msg *m;
		const struct mime_header *h;
		struct mg_buf out;
		char what[128];
		int rc;

		mg_buf_init(&out, 1 << 20);
		rc = mime_rewrite_subject((const uint8_t *)c->in, strlen(c->in), c->prefix, &out);
		snprintf(what, sizeof(what), "subject %s: rc %d", c->name, rc);
		check_str(what, rc == 0 ? "0" : "error", "0");
		if (rc == 0) {
			snprintf(what, sizeof(what), "subject %s: output", c->name);
			check_str(what, esc(out.data, out.len), esc(c->want, strlen(c->want)));
			m = mime_parse(a, out.data, out.len, NULL);
			h = mime_header_find(m->root, "subject");
			snprintf(what, sizeof(what), "subject %s: decoded", c->name);
			check_str(what, h ? h->value : "(none)", c->decoded);
		}
		mg_buf_release(&out);
		mg_arena_free(a);
	}
	check_failures();
}

static void
test_subject_errors(void **state)
{
	struct mg_buf out;

	(void)state;
	mg_buf_init(&out, 8);
	assert_int_equal(mime_rewrite_subject((const uint8_t *)"Subject: x\n\n", 12, "[S]", &out),
	    -MG_ELIMIT);
	mg_buf_init(&out, 0);
	assert_int_equal(mime_rewrite_subject((const uint8_t *)"a", 1, "  ", &out), -MG_EINVAL);
	assert_int_equal(mime_rewrite_subject((const uint8_t *)"a", 1, "a\nb", &out), -MG_EINVAL);
	assert_int_equal(mime_rewrite_subject((const uint8_t *)"a", 1, "\xff", &out), -MG_EINVAL);
	mg_buf_release(&out);
}

#define BANNER	"Caution: external sender.\nDo not click <links>.\n"
#define BPLAIN	"Caution: external sender.\nDo not click <links>.\n\n"
#define BHTML	"Caution: external sender.<br>Do not click &#60;links&#62;.</div>"

struct banner_case {
	const char	*name;
	const char	*in;
	const char	*want;		/* whole output, or NULL */
	/* re-parsed: the text of the nth part of each type must start with
	 * (or, NULL type, no part of the type may contain) the banner */
	const char	*plain, *html;	/* expected start of the text, or NULL */
	const char	*untouched;	/* subtype of a text part without banner */
};

static const struct banner_case banner_cases[] = {
	{ "plain 7bit", "Subject: x\nContent-Type: text/plain\n\nhello\n",
	  "Subject: x\nContent-Type: text/plain\n\n" BPLAIN "hello\n", BPLAIN "hello", NULL, NULL },
	{ "plain CRLF, no Content-Type", "Subject: x\r\n\r\nhello\r\n",
	  "Subject: x\r\n\r\nCaution: external sender.\r\nDo not click <links>.\r\n\r\nhello\r\n",
	  NULL, NULL, NULL },
	{ "quoted-printable latin-1",
	  "Content-Type: text/plain; charset=iso-8859-1; format=flowed\n"
	  "Content-Transfer-Encoding: quoted-printable\nX-A: b\n\nGr=FC=DFe =3D 1\n",
	  "X-A: b\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8; format=flowed\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  BPLAIN "Gr=C3=BC=C3=9Fe =3D 1\n",
	  BPLAIN "Gr\xc3\xbc\xc3\x9f" "e = 1\n", NULL, NULL },
	{ "base64 iso-8859-1",
	  "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"iso-8859-1\"\n"
	  "Content-Transfer-Encoding: base64\n\nR3L832UNCg==\n",	/* "Gr\xfc\xdfe\r\n" */
	  NULL, "Caution: external sender.\r\nDo not click <links>.\r\n\r\n"
	  "Gr\xc3\xbc\xc3\x9f" "e\r\n", NULL, NULL },
	{ "alternative with attachment",
	  "Content-Type: multipart/mixed; boundary=M\n\n--M\n"
	  "Content-Type: multipart/alternative; boundary=A\n\n"
	  "--A\nContent-Type: text/plain\n\nplain\n"
	  "--A\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
	  "PGh0bWw+PGJvZHkgY2xhc3M9IngiPmhpPC9ib2R5PjwvaHRtbD4=\n--A--\n"
	  "--M\nContent-Type: text/plain; name=a.txt\nContent-Disposition: attachment\n\nfile\n--M--\n",
	  NULL, BPLAIN "plain", "<html><body class=\"x\"><div", "file" },
	{ "html without body tag", "Content-Type: text/html\n\n<p>hi</p>\n", NULL,
	  NULL, "<div style=", NULL },
	{ "html, in place",
	  "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
	  "<html><BODY>\xe9t\xe9</body></html>\n",
	  "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
	  "<html><BODY><div style=\"border:2px solid #c00;padding:8px;margin:0 0 8px 0;"
	  "background:#fff3cd;color:#000\">" BHTML "\xe9t\xe9</body></html>\n", NULL, "<html><BODY><div", NULL },
	{ "forwarded message untouched",
	  "Content-Type: multipart/mixed; boundary=M\n\n"
	  "--M\nContent-Type: text/plain\n\nouter\n"
	  "--M\nContent-Type: message/rfc822\n\nSubject: in\nContent-Type: text/html\n\n<b>inner</b>\n"
	  "--M--\n", NULL, BPLAIN "outer", NULL, "html" },
};

static void
banner_check(const struct banner_case *c, const struct mg_buf *out)
{
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	const struct mime_msg *m;
	const struct mime_part *p;
	char what[128];

	if (c->plain) {
		p = find_part(a, out, "text", "plain", 0, &m);
		snprintf(what, sizeof(what), "banner %s: plain text", c->name);
		check_str(what, p && p->text ? esc(p->text, strlen(c->plain)) : "(none)",
		    esc(c->plain, strlen(c->plain)));
	}
	if (c->html) {
		p = find_part(a, out, "text", "html", 0, &m);
		snprintf(what, sizeof(what), "banner %s: html text", c->name);
		check_str(what, p && p->text ? esc(p->text, strlen(c->html)) : "(none)",
		    esc(c->html, strlen(c->html)));
		check_str(what, p && p->text && strstr(p->text, BHTML) ? "banner" : "no banner",
		    "banner");
	}
	if (c->untouched) {
		unsigned k = strcmp(c->untouched, "file") == 0 ? 1 : 0;
		p = find_part(a, out, "text", strcmp(c->untouched, "html") == 0 ? "html" : "plain",
		    k, &m);
		snprintf(what, sizeof(what), "banner %s: untouched part", c->name);
		check_str(what, p && p->text && strstr(p->text, "Caution") == NULL ? "clean" : "touched",
		    "clean");
	}
	mg_arena_free(a);
}

static void
test_banner(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(banner_cases) / sizeof(banner_cases[0]); i++) {
		const struct banner_case *c = &banner_cases[i];
		struct mg_buf out;
		char what[128];
		int rc;

		mg_buf_init(&out, 1 << 20);
		rc = mime_rewrite_banner((const uint8_t *)c->in, strlen(c->in), BANNER, &out);
		snprintf(what, sizeof(what), "banner %s: rc %d", c->name, rc);
		check_str(what, rc == 0 ? "0" : "error", "0");
		if (rc == 0 && c->want) {
			snprintf(what, sizeof(what), "banner %s: output", c->name);
			check_str(what, esc(out.data, out.len), esc(c->want, strlen(c->want)));
		}
		if (rc == 0)
			banner_check(c, &out);
		mg_buf_release(&out);
	}
	check_failures();
}

/* A non-ASCII banner cannot go in place into a 7bit part: recoded. */
static void
test_banner_utf8(void **state)
{
	static const char in[] = "Subject: x\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n-- \r\nhi =\r\n";
	static const char want[] = "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Achtung: =C3=A4u=C3=9Fere Mail=20\r\n\r\n=2D-=20\r\nhi =3D\r\n";
	struct mg_buf out;

	(void)state;
	mg_buf_init(&out, 0);
	assert_int_equal(mime_rewrite_banner((const uint8_t *)in, strlen(in),
	    "Achtung: \xc3\xa4u\xc3\x9f" "ere Mail \n", &out), 0);
	check_str("utf-8 banner", esc(out.data, out.len), esc(want, strlen(want)));
	mg_buf_release(&out);
	check_failures();
}

static void
test_banner_no_text(void **state)
{
	static const char in[] = "Content-Type: application/pdf\n\n%PDF\n";
	struct mg_buf out;

	(void)state;
	mg_buf_init(&out, 0);
	assert_int_equal(mime_rewrite_banner((const uint8_t *)in, strlen(in), "warn", &out),
	    -MG_ENOENT);
	assert_int_equal(out.len, 0);
	mg_buf_release(&out);
}

static const char strip_in[] =
	"Subject: s\nContent-Type: multipart/mixed; boundary=M\n\n"
	"--M\nContent-Type: text/plain\n\nbody\n"
	"--M\nContent-Type: multipart/mixed; boundary=N\n\n"
	"--N\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERg==\n"
	"--N\nContent-Type: image/png\nContent-Disposition: attachment; filename=b.png\n\niVBO\n"
	"--N--\n--M--\n";

static void
test_strip_all(void **state)
{
	static const char none[] = "Content-Type: multipart/alternative; boundary=A\n\n"
	    "--A\nContent-Type: text/plain\n\nx\n--A\nContent-Type: text/html\n\n<p>x</p>\n--A--\n";
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	const struct mime_msg *m;
	struct mg_buf out;
	size_t n = 99;

	(void)state;
	mg_buf_init(&out, 0);
	assert_int_equal(mime_rewrite_strip_all((const uint8_t *)strip_in, strlen(strip_in),
	    "removed\n", &out, &n), 0);
	if (n != 2)
		fail_msg("stripped: got %zu, want 2", n);
	assert_non_null(find_part(a, &out, "text", "plain", 0, &m));
	if (m->nparts != 5 || m->parts[3]->is_attachment || m->parts[4]->is_attachment ||
	    strcmp(m->parts[3]->text, "removed\n") != 0 || strcmp(m->parts[4]->text, "removed\n") != 0)
		fail_msg("got %s", esc(out.data, out.len));
	assert_int_equal(mime_rewrite_strip_all((const uint8_t *)none, strlen(none),
	    "removed\n", &out, &n), 0);
	if (n != 0 || out.len != strlen(none) || memcmp(out.data, none, out.len) != 0)
		fail_msg("none: got %zu %s", n, esc(out.data, out.len));
	assert_int_equal(mime_rewrite_strip_all((const uint8_t *)none, strlen(none), "", &out, &n),
	    -MG_EINVAL);
	mg_buf_release(&out);
	mg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_subject_errors),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_banner_utf8),
		cmocka_unit_test(test_banner_no_text),
		cmocka_unit_test(test_strip_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
