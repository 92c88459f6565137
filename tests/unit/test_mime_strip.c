/* Stripping parts (mime/strip.h): table cases of MIME trees (the only part,
 * nested multiparts, a forwarded message/rfc822 plain and base64-encoded,
 * base64 and quoted-printable bodies, a notice needing base64), each run
 * with LF and CRLF line ends; the output is compared byte for byte, then
 * re-parsed; offsets mapped; errors. */
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
#include "mime/strip.h"
#include "test_util.h"

#define NEWF	"Content-Type: text/plain; charset=utf-8\n" \
		"Content-Transfer-Encoding: 7bit\nContent-Disposition: inline\n"
#define NEWF64	"Content-Type: text/plain; charset=utf-8\n" \
		"Content-Transfer-Encoding: base64\nContent-Disposition: inline\n"

struct strip_case {
	const char	*name;
	const char	*in;
	const char	*sel[3];	/* file names of the parts to strip */
	const char	*notice;
	const char	*want;
	const char	*marker;	/* a string kept: its offset must map to it */
};

static const struct strip_case cases[] = {
	{ "only part, base64",
	  "From: a@b\nSubject: hi\nMIME-Version: 1.0\n"
	  "Content-Type: application/msword; name=\"a.doc\"\n"
	  "Content-Transfer-Encoding: base64\n"
	  "Content-Disposition: attachment;\n filename=\"a.doc\"\nX-Tail: t\n\nAAAA\nBBBB\n",
	  { "a.doc" }, "removed a.doc\n",
	  "From: a@b\nSubject: hi\nMIME-Version: 1.0\nX-Tail: t\n" NEWF "\nremoved a.doc\n",
	  "X-Tail" },
	{ "only part, no MIME-Version",
	  "From: a@b\nContent-Type: application/pdf; name=x.pdf\n\n%PDF-1.4\n",
	  { "x.pdf" }, "gone\n",
	  "From: a@b\nMIME-Version: 1.0\n" NEWF "\ngone\n", "From" },
	{ "mixed inside alternative",
	  "Content-Type: multipart/alternative; boundary=\"A\"\n\n"
	  "--A\nContent-Type: text/plain\n\nplain\n"
	  "--A\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
	  "--M\nContent-Type: text/html\n\n<p>x</p>\n"
	  "--M\nContent-Type: application/vnd.ms-word.document.macroEnabled.12; name=\"m.docm\"\n"
	  "Content-Transfer-Encoding: base64\n\nUEsDBA==\n--M--\n--A--\n",
	  { "m.docm" }, "removed m.docm\n",
	  "Content-Type: multipart/alternative; boundary=\"A\"\n\n"
	  "--A\nContent-Type: text/plain\n\nplain\n"
	  "--A\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
	  "--M\nContent-Type: text/html\n\n<p>x</p>\n"
	  "--M\n" NEWF "\nremoved m.docm\n\n--M--\n--A--\n", "--A--" },
	{ "attachment in a forwarded message, quoted-printable",
	  "Content-Type: multipart/mixed; boundary=\"X\"\n\n"
	  "--X\nContent-Type: text/plain\n\nsee below\n"
	  "--X\nContent-Type: message/rfc822\n\n"
	  "From: e@f\nSubject: fw\nContent-Type: multipart/mixed; boundary=\"Y\"\n\n"
	  "--Y\nContent-Type: text/plain\n\ninner\n"
	  "--Y\nContent-Type: application/pdf; name=\"p.pdf\"\n"
	  "Content-Transfer-Encoding: quoted-printable\nX-Extra: keep\n\n%PDF-1.4=0A\n"
	  "--Y--\n--X--\n",
	  { "p.pdf" }, "removed\n",
	  "Content-Type: multipart/mixed; boundary=\"X\"\n\n"
	  "--X\nContent-Type: text/plain\n\nsee below\n"
	  "--X\nContent-Type: message/rfc822\n\n"
	  "From: e@f\nSubject: fw\nContent-Type: multipart/mixed; boundary=\"Y\"\n\n"
	  "--Y\nContent-Type: text/plain\n\ninner\n"
	  "--Y\nX-Extra: keep\n" NEWF "\nremoved\n\n--Y--\n--X--\n", "inner" },
	{ "encoded message/rfc822: the whole forwarded message",
	  "Content-Type: multipart/mixed; boundary=\"X\"\n\n"
	  "--X\nContent-Type: text/plain\n\nhello\n"
	  "--X\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  /* "Content-Type: application/msword; name=in.doc\n\nDOC\n" */
	  "Q29udGVudC1UeXBlOiBhcHBsaWNhdGlvbi9tc3dvcmQ7IG5hbWU9aW4uZG9jCgpET0MK\n"
	  "--X--\n",
	  { "in.doc" }, "removed\n",
	  "Content-Type: multipart/mixed; boundary=\"X\"\n\n"
	  "--X\nContent-Type: text/plain\n\nhello\n"
	  "--X\n" NEWF "\nremoved\n\n--X--\n", "hello" },
	{ "two parts, a UTF-8 notice in base64, a headerless part kept",
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\nno headers\n"
	  "--b\nContent-Type: application/zip; name=z.zip\n\nZIP\n"
	  "--b\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n"
	  "--b\nContent-Type: application/rtf; name=r.rtf\n\n{\\rtf1}\n--b--\n",
	  { "r.rtf", "z.zip" }, "\xc3\xa9\n",
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\nno headers\n"
	  "--b\n" NEWF64 "\nw6kNCg==\n\n"
	  "--b\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n"
	  "--b\n" NEWF64 "\nw6kNCg==\n\n--b--\n", "caf=C3" },
	{ "a notice line that could close the multipart goes in base64",
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: application/pdf; name=\"--b--\"\n\nPDF\n--b--\n",
	  { "--b--" }, "--b--\n",
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n" NEWF64 "\nLS1iLS0NCg==\n\n--b--\n", "boundary=b" },
};

/* s with every LF as CRLF (caller frees). */
static char *
crlf(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *r = malloc(2 * n + 1);

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			r[k++] = '\r';
		r[k++] = s[i];
	}
	r[k] = '\0';
	return r;
}

static const struct mime_part *
find_part(const struct mime_msg *m, const char *filename)
{
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i]->filename && strcmp(m->parts[i]->filename, filename) == 0)
			return m->parts[i];
	return NULL;
}

/* One case in one line-end form; true when it passed. */
static bool
run_case(const struct strip_case *c, const char *in, const char *want, const char *form)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_strip_item items[3];
	struct mg_buf out;
	uint64_t off, map = 0;
	size_t n = 0;
	bool ok = true;
	int rc;

	assert_non_null(a);
	mg_buf_init(&out, 1 << 20);
	const struct mime_msg *m = mime_parse(a, (const uint8_t *)in, strlen(in), NULL);
	assert_non_null(m);
	for (; n < 3 && c->sel[n] != NULL; n++) {
		items[n].part = find_part(m, c->sel[n]);
		items[n].notice = c->notice;
		if (items[n].part == NULL)
			fail_msg("%s: no part named %s", c->name, c->sel[n]);
	}
	off = (uint64_t)(strstr(in, c->marker) - in);
	rc = mime_strip(m, items, n, &off, &map, 1, &out);
	if (rc != 0 || out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) {
		print_error("%s (%s): rc %d\n  got:  %s\n  want: %s\n", c->name, form, rc,
		    esc(out.data, out.len), esc(want, strlen(want)));
		ok = false;
	} else if (map == MIME_STRIP_UNMAPPED ||
	    memcmp(out.data + map, c->marker, strlen(c->marker)) != 0) {
		print_error("%s (%s): offset %llu mapped to %llu, not to \"%s\"\n", c->name,
		    form, (unsigned long long)off, (unsigned long long)map, c->marker);
		ok = false;
	}
	mg_buf_release(&out);
	mg_arena_free(a);
	return ok;
}

static void
test_strip_cases(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *in = crlf(cases[i].in), *want = crlf(cases[i].want);
		failed += !run_case(&cases[i], cases[i].in, cases[i].want, "LF");
		failed += !run_case(&cases[i], in, want, "CRLF");
		free(in);
		free(want);
	}
	if (failed)
		fail_msg("%u case(s) failed", failed);
}

/* The output parses to the same tree with the part now the notice. */
static void
test_strip_reparse(void **state)
{
	const struct strip_case *c = &cases[3];
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_strip_item it;
	struct mg_buf out;
	const struct mime_msg *m, *m2;

	(void)state;
	mg_buf_init(&out, 1 << 20);
	m = mime_parse(a, (const uint8_t *)c->in, strlen(c->in), NULL);
	it = (struct mime_strip_item){ find_part(m, "p.pdf"), "notice text\n" };
	assert_int_equal(mime_strip(m, &it, 1, NULL, NULL, 0, &out), 0);
	m2 = mime_parse(a, out.data, out.len, NULL);
	assert_int_equal(m2->nparts, m->nparts);
	const struct mime_part *p = m2->parts[it.part->index];
	if (strcmp(p->type, "text") != 0 || strcmp(p->subtype, "plain") != 0 ||
	    p->filename != NULL || p->is_attachment || p->text == NULL ||
	    strcmp(p->text, "notice text\n") != 0)
		fail_msg("part %u: got %s/%s file %s text \"%s\"", p->index, p->type,
		    p->subtype, p->filename ? p->filename : "-", p->text ? p->text : "-");
	assert_null(find_part(m2, "p.pdf"));
	mg_buf_release(&out);
	mg_arena_free(a);
}

/* Nested and repeated items: the outer one alone is replaced. */
static void
test_strip_nested(void **state)
{
	const char *in = cases[3].in;
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_strip_item it[3];
	struct mg_buf out, once;
	const struct mime_msg *m;

	(void)state;
	mg_buf_init(&out, 1 << 20);
	mg_buf_init(&once, 1 << 20);
	m = mime_parse(a, (const uint8_t *)in, strlen(in), NULL);
	it[0] = (struct mime_strip_item){ find_part(m, "p.pdf"), "x\n" };
	it[1] = (struct mime_strip_item){ m->parts[it[0].part->parent->parent->index], "y\n" };
	it[2] = it[0];
	assert_string_equal(it[1].part->type, "message");
	assert_int_equal(mime_strip(m, it, 3, NULL, NULL, 0, &out), 0);
	assert_int_equal(mime_strip(m, &it[1], 1, NULL, NULL, 0, &once), 0);
	if (out.len != once.len || memcmp(out.data, once.data, out.len) != 0)
		fail_msg("got %s\nwant %s", esc(out.data, out.len), esc(once.data, once.len));
	mg_buf_release(&out);
	mg_buf_release(&once);
	mg_arena_free(a);
}

static void
test_strip_errors(void **state)
{
	static const char trunc[] = "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: application/pdf; name=t.pdf\n";
	static const char ok[] = "Content-Type: application/pdf; name=o.pdf\n\nPDF\n";
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_strip_item it;
	struct mg_buf out;
	const struct mime_msg *m;
	char *big = malloc(MIME_STRIP_NOTICE_MAX + 2);

	(void)state;
	mg_buf_init(&out, 16);
	m = mime_parse(a, (const uint8_t *)ok, strlen(ok), NULL);
	it = (struct mime_strip_item){ find_part(m, "o.pdf"), "n\n" };
	assert_int_equal(mime_strip(m, &it, 0, NULL, NULL, 0, &out), -MG_EINVAL);
	assert_int_equal(mime_strip(m, &it, 1, NULL, NULL, 0, &out), -MG_ELIMIT);
	assert_int_equal(out.len, 0);
	memset(big, 'a', MIME_STRIP_NOTICE_MAX + 1);
	big[MIME_STRIP_NOTICE_MAX + 1] = '\0';
	it.notice = big;
	out.max = 1 << 20;
	assert_int_equal(mime_strip(m, &it, 1, NULL, NULL, 0, &out), -MG_EINVAL);
	m = mime_parse(a, (const uint8_t *)trunc, strlen(trunc), NULL);
	it = (struct mime_strip_item){ find_part(m, "t.pdf"), "n\n" };
	assert_non_null(it.part);
	/* the part's header section is cut: its parent is replaced */
	assert_ptr_equal(mime_strip_target(m, it.part), m->root);
	free(big);
	mg_buf_release(&out);
	mg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_cases),
		cmocka_unit_test(test_strip_reparse),
		cmocka_unit_test(test_strip_nested),
		cmocka_unit_test(test_strip_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
