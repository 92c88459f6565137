/* The MIME tree: multipart, nested message/rfc822, digest defaults,
 * broken and shared boundaries, header syntax old and broken, uuencode in
 * text, and every limit, each message rendered in one line (pre-order
 * "depth:type/subtype fn=... att[len] FLAGS "text"") and compared with the
 * wanted rendering. Every parse must also pass tests/mime/mime_check.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/arena.h"
#include "mime/mime.h"
#include "../mime/mime_check.h"

/* Appends s[0..n) escaped to buf. */
static void
put_esc(char *buf, size_t cap, const char *s, size_t n)
{
	size_t i, o = strlen(buf);

	for (i = 0; i < n && o + 5 < cap; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

static void
put(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
put(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static void
render(const struct mime_msg *m, char *buf, size_t cap)
{
	const struct mime_part *p;
	size_t i;
	unsigned b;

	buf[0] = '\0';
	for (i = 0; i < m->nparts; i++) {
		p = m->parts[i];
		put(buf, cap, "%s%u:%s/%s", i ? " | " : "", p->depth, p->type, p->subtype);
		if (p->filename)
			put(buf, cap, " fn=%s", p->filename);
		if (p->is_attachment)
			put(buf, cap, " att[%zu]", p->body.len);
		for (b = 0; b < MIME_F_COUNT; b++)
			if (p->flags & (1ull << b))
				put(buf, cap, " %s", mime_flag_name(1ull << b));
		if (p->text) {
			put(buf, cap, " \"");
			put_esc(buf, cap, p->text, p->text_len > 40 ? 40 : p->text_len);
			put(buf, cap, "\"");
		}
	}
}

/* Parses msg, checks the invariants, returns the result (arena *a). */
static struct mime_msg *
parse(struct mg_arena **a, const char *msg, size_t len, const struct mime_limits *lim)
{
	struct mime_limits def;
	struct mime_msg *m;
	const char *why;

	mime_limits_default(&def);
	*a = mg_arena_new(64 * 1024, 0);
	assert_non_null(*a);
	m = mime_parse(*a, (const uint8_t *)msg, len, lim ? lim : &def);
	assert_non_null(m);
	if ((why = mime_check(m, lim ? lim : &def)) != NULL)
		fail_msg("invariant broken: %s", why);
	return m;
}

static const struct {
	const char	*name;
	const char	*msg;
	const char	*want;
} tree_cases[] = {
	{ "simple", "Subject: hi\n\nHello\n", "0:text/plain \"Hello\\x0a\"" },
	{ "crlf", "Subject: hi\r\n\r\nHello\r\n", "0:text/plain \"Hello\\x0d\\x0a\"" },
	{ "mbox From_ line", "From a@b Mon Jan  1 00:00:00 2007\nSubject: x\n\nbody",
	    "0:text/plain \"body\"" },
	{ "multipart",
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--b1\n"
	    "Content-Type: application/pdf; name=\"x.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--b1--\nepilogue\n",
	    "0:multipart/mixed | 1:text/plain \"caf\\xc3\\xa9\" | 1:application/pdf fn=x.pdf att[5]" },
	{ "nested rfc822",
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nouter\n"
	    "--o\nContent-Type: message/rfc822\n\nSubject: inner\n"
	    "Content-Type: multipart/alternative; boundary=i\n\n--i\nContent-Type: text/plain\n\n"
	    "inner text\n--i\nContent-Type: text/html\n\n<p>inner</p>\n--i--\n--o--\n",
	    "0:multipart/mixed | 1:text/plain \"outer\" | 1:message/rfc822 | 2:multipart/alternative"
	    " | 3:text/plain \"inner text\" | 3:text/html \"<p>inner</p>\"" },
	{ "rfc822 in base64",
	    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	    "U3ViamVjdDogaW4KCmhpCg==\n",
	    "0:message/rfc822 | 1:text/plain \"hi\\x0a\"" },
	{ "digest",
	    "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n"
	    "--d\nContent-Type: text/plain\n\nnot a message\n--d--\n",
	    "0:multipart/digest | 1:message/rfc822 | 2:text/plain \"first\" | "
	    "1:text/plain \"not a message\"" },
	{ "empty part", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b--\n",
	    "0:multipart/mixed | 1:text/plain \"\"" },
	{ "boundary prefix of the inner one",
	    "Content-Type: multipart/mixed; boundary=abc\n\n--abc\n"
	    "Content-Type: multipart/alternative; boundary=abcd\n\n--abcd\n"
	    "Content-Type: text/plain\n\none\n--abcd--\n--abc\nContent-Type: text/plain\n\ntwo\n"
	    "--abc--\n",
	    "0:multipart/mixed | 1:multipart/alternative | 2:text/plain \"one\" | "
	    "1:text/plain \"two\"" },
	{ "delimiter with blanks, close at the end without line break",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nx\n--b--",
	    "0:multipart/mixed | 1:text/plain \"x\"" },
	{ "parts after the close delimiter",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b--\nepilogue\n"
	    "--b\nContent-Type: image/gif\n\nGIF\n--b--\n",
	    "0:multipart/mixed | 1:text/plain \"one\" | 1:image/gif att[3]" },
	{ "missing boundary", "Content-Type: multipart/mixed\n\n--x\nhello\n",
	    "0:multipart/mixed MISSING_BOUNDARY | 1:text/plain \"--x\\x0ahello\\x0a\"" },
	{ "boundary not found", "Content-Type: multipart/mixed; boundary=zzz\n\n--x\nhello\n",
	    "0:multipart/mixed BOUNDARY_NOT_FOUND | 1:text/plain \"--x\\x0ahello\\x0a\"" },
	{ "unterminated",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\nthree\n",
	    "0:multipart/mixed UNTERMINATED_MULTIPART | 1:text/plain \"one\" | "
	    "1:text/plain \"two\\x0athree\\x0a\"" },
	{ "delimiter at the very end", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b",
	    "0:multipart/mixed UNTERMINATED_MULTIPART | 1:text/plain \"one\"" },
	{ "same boundary nested",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nx\n--b--\n",
	    "0:multipart/mixed | 1:multipart/alternative BOUNDARY_NOT_FOUND TRUNCATED | "
	    "2:text/plain \"\" | 1:text/plain \"x\"" },
	{ "no headers", "just a body\n", "0:text/plain NO_HEADERS \"just a body\\x0a\"" },
	{ "empty", "", "0:text/plain EMPTY_MESSAGE NO_HEADERS \"\"" },
	{ "truncated in the header", "Subject: x\nFrom: y",
	    "0:text/plain TRUNCATED EMPTY_MESSAGE \"\"" },
	{ "blank body", "Subject: x\n\n \r\n\t\n", "0:text/plain EMPTY_MESSAGE \" \\x0d\\x0a\\x09\\x0a\"" },
	{ "obsolete syntax", "Subject : obs\nX-Empty:\nFrom: a\n\nbody", "0:text/plain \"body\"" },
	{ "NUL bytes", "Subject: a\0b\n\nbo\0dy", "0:text/plain NUL_BYTES \"bo\\x00dy\"" },
	{ "8-bit header", "Subject: caf\xe9\n\nx", "0:text/plain HEADER_8BIT HEADER_BAD_UTF8 \"x\"" },
	{ "UTF-8 header", "Subject: caf\xc3\xa9\n\nx", "0:text/plain HEADER_8BIT \"x\"" },
	{ "bad encoded word", "Subject: =?utf-8?q?a b?=\n\nx", "0:text/plain BAD_ENCODED_WORD \"x\"" },
	{ "duplicate", "Subject: a\nSubject: b\n\nx", "0:text/plain DUPLICATE_HEADER \"x\"" },
	{ "junk line between fields", "Subject: a\nthis is junk\n  more junk\nFrom: b\n\nbody",
	    "0:text/plain HEADER_NO_COLON \"body\"" },
	{ "junk line starting the body", "Subject: a\nnot a header\nmore text\n",
	    "0:text/plain HEADER_NO_COLON \"not a header\\x0amore text\\x0a\"" },
	{ "part without a blank line", "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "text at once\n--b--\n", "0:multipart/mixed | 1:text/plain HEADER_NO_COLON \"text at once\"" },
	{ "uuencode",
	    "Subject: uu\n\nHere it is:\nbegin 644 cat.txt\n#0V%T\n`\nend\nBye\n",
	    "0:text/plain UUENCODE \"Here it is:\\x0aBye\\x0a\" | "
	    "1:application/octet-stream fn=cat.txt att[3]" },
	{ "x-uuencode body",
	    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\n"
	    "begin 644 cat.txt\n#0V%T\n`\nend\n",
	    "0:application/octet-stream att[3]" },
	{ "8-bit in 7bit", "Content-Transfer-Encoding: 7bit\n\ncaf\xc3\xa9",
	    "0:text/plain 8BIT_IN_7BIT \"caf\\xc3\\xa9\"" },
	{ "8bit declared", "Content-Transfer-Encoding: 8BIT\n\ncaf\xc3\xa9", "0:text/plain \"caf\\xc3\\xa9\"" },
	{ "unknown encoding", "Content-Transfer-Encoding: x-gzip\n\nabc", "0:text/plain UNKNOWN_ENCODING \"abc\"" },
	{ "bad base64", "Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\n%IMG_HERE\n",
	    "0:image/gif att[5] BAD_BASE64" },
	{ "bad quoted-printable", "Content-Transfer-Encoding: quoted-printable\n\n50% =ZZ off",
	    "0:text/plain BAD_QP \"50% =ZZ off\"" },
	{ "bad content type", "Content-Type: text\n\nx", "0:text/plain BAD_CONTENT_TYPE \"x\"" },
	{ "bad content type params", "Content-Type: text/html;iso-8859-1\n\n<b>x</b>",
	    "0:text/html BAD_CONTENT_TYPE \"<b>x</b>\"" },
	{ "unknown charset", "Content-Type: text/plain; charset=x-bogus\n\nabc",
	    "0:text/plain UNKNOWN_CHARSET \"abc\"" },
	{ "wrong charset", "Content-Type: text/plain; charset=us-ascii\n\ncaf\xe9",
	    "0:text/plain WRONG_CHARSET 8BIT_IN_7BIT \"caf\\xc3\\xa9\"" },
	{ "charset from a parameter in RFC 2231 form",
	    "Content-Type: text/plain; charset*=koi8-r''\n\n\xf0\xd2\xc9",
	    "0:text/plain 8BIT_IN_7BIT \"\\xd0\\x9f\\xd1\\x80\\xd0\\xb8\"" },
	{ "attachment rules",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\n\nPNG\n"
	    "--b\nContent-Disposition: attachment\n\nnotes\n--b\nContent-Disposition: inline\n\nhi\n"
	    "--b\nContent-Type: text/plain; name=\"a.txt\"\n\nfile\n--b--\n",
	    "0:multipart/mixed | 1:image/png att[3] | 1:text/plain att[5] \"notes\" | "
	    "1:text/plain \"hi\" | 1:text/plain fn=a.txt att[4] \"file\"" },
	{ "RFC 2231 and 2047 file names",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Disposition: attachment; filename*0*=utf-8''%C3%A9t%C3%A9;\n filename*1=\".pdf\"\n"
	    "Content-Type: application/pdf\n\nx\n--b\nContent-Type: application/pdf;\n"
	    " name=\"=?iso-8859-1?q?caf=E9?=.pdf\"\n\ny\n--b--\n",
	    "0:multipart/mixed | 1:application/pdf fn=\xc3\xa9t\xc3\xa9.pdf att[1] | "
	    "1:application/pdf fn=caf\xc3\xa9.pdf att[1]" },
	{ "html", "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	    "\xef\xbb\xbf<p>x</p>",
	    "0:text/html \"<p>x</p>\"" },
};

static void
test_tree(void **state)
{
	struct mg_arena *a;
	struct mime_msg *m;
	char got[2048];
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(tree_cases) / sizeof(tree_cases[0]); i++) {
		/* tree_cases[i].msg may hold NUL bytes: its length is its size */
		const char *msg = tree_cases[i].msg;
		size_t len = strlen(msg);

		if (strcmp(tree_cases[i].name, "NUL bytes") == 0)
			len = sizeof("Subject: a\0b\n\nbo\0dy") - 1;
		m = parse(&a, msg, len, NULL);
		render(m, got, sizeof(got));
		if (strcmp(got, tree_cases[i].want) != 0) {
			print_error("%s:\n  got  %s\n  want %s\n", tree_cases[i].name, got,
			    tree_cases[i].want);
			failed++;
		}
		mg_arena_free(a);
	}
	assert_int_equal(failed, 0);
}

/* Header fields as parsed: names as written, decoded values, lookups. */
static void
test_fields(void **state)
{
	static const char msg[] = "Subject : obs\nX-Empty:\nTo: a,\n\tb\n"
	    "Subject: =?utf-8?q?second?=\nContent-ID: <id@x>\n\nbody";
	const struct mime_header *h;
	struct mg_arena *a;
	struct mime_msg *m;

	(void)state;
	m = parse(&a, msg, sizeof(msg) - 1, NULL);
	assert_int_equal(m->root->nheaders, 5);
	assert_int_equal(m->root->headers[0].name.len, 7);
	assert_string_equal(m->root->headers[0].value, "obs");
	assert_string_equal(m->root->headers[1].value, "");
	assert_string_equal(m->root->headers[2].value, "a,\tb");
	assert_int_equal(m->root->headers[2].raw.len, sizeof(" a,\n\tb") - 1);
	assert_string_equal(m->root->headers[3].value, "second");
	assert_non_null(h = mime_header_find(m->root, "SUBJECT"));
	assert_string_equal(h->value, "obs");
	assert_null(mime_header_find(m->root, "From"));
	assert_string_equal(m->root->content_id, "id@x");
	assert_true(m->flags & MIME_F_DUPLICATE_HEADER);
	mg_arena_free(a);
}

/* The embedded message's header belongs to its own part. */
static void
test_nested_headers(void **state)
{
	static const char msg[] = "Subject: outer\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nFrom: x@y\n\nhello";
	struct mg_arena *a;
	struct mime_msg *m;

	(void)state;
	m = parse(&a, msg, sizeof(msg) - 1, NULL);
	assert_int_equal(m->nparts, 2);
	assert_string_equal(mime_header_find(m->parts[0], "subject")->value, "outer");
	assert_string_equal(mime_header_find(m->parts[1], "subject")->value, "inner");
	assert_ptr_equal(m->parts[1]->parent, m->root);
	assert_false(m->parts[0]->is_attachment);
	mg_arena_free(a);
}

/* A growable message for the limit tests. */
struct text {
	char	*p;
	size_t	 len, cap;
};

static void
add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap ? t->cap * 2 + (size_t)n : 4096;
		assert_non_null(t->p = realloc(t->p, t->cap));
	}
	t->len += (size_t)n;
}

static unsigned
max_depth(const struct mime_msg *m)
{
	unsigned d = 0;
	size_t i;

	for (i = 0; i < m->nparts; i++)
		if (m->parts[i]->depth > d)
			d = m->parts[i]->depth;
	return d;
}

static void
test_depth_limit(void **state)
{
	struct text t = { NULL, 0, 0 };
	struct mg_arena *a;
	struct mime_msg *m;
	unsigned i;

	(void)state;
	add(&t, "Subject: deep\n");
	for (i = 0; i < 40; i++)
		add(&t, "Content-Type: multipart/mixed; boundary=b%u\n\n--b%u\n", i, i);
	add(&t, "Content-Type: text/plain\n\nbottom\n");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_DEPTH_LIMIT);
	assert_int_equal(max_depth(m), 32);
	assert_true(m->parts[m->nparts - 1]->flags & MIME_F_DEPTH_LIMIT);
	mg_arena_free(a);
	free(t.p);
}

static void
test_parts_limit(void **state)
{
	struct text t = { NULL, 0, 0 };
	struct mg_arena *a;
	struct mime_msg *m;
	unsigned i;

	(void)state;
	add(&t, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 2000; i++)
		add(&t, "--b\n\npart %u\n", i);
	add(&t, "--b--\n");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->root->flags & MIME_F_PARTS_LIMIT);
	assert_int_equal(m->nparts, 1024);
	assert_string_equal(m->parts[1023]->text, "part 1022");
	mg_arena_free(a);
	free(t.p);
}

static void
test_header_limits(void **state)
{
	static const char long_name[] = "Subject-Long-Name: value\n more\n\nbody";
	struct text t = { NULL, 0, 0 };
	struct mime_limits lim;
	struct mg_arena *a;
	struct mime_msg *m;
	unsigned i;

	(void)state;
	/* one 70 KiB field: cut at 64 KiB; the field after it is lost */
	add(&t, "X-Pad: ");
	for (i = 0; i < 70 * 1024; i++)
		add(&t, "x");
	add(&t, "\nSubject: late\n\nbody");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_HEADER_TOO_LONG);
	assert_null(mime_header_find(m->root, "subject"));
	assert_true(m->root->headers[0].raw.len < 64 * 1024);
	assert_string_equal(m->root->text, "body");
	mg_arena_free(a);

	/* a field whose colon lies past the limit keeps an empty value */
	mime_limits_default(&lim);
	lim.max_header_len = 10;
	m = parse(&a, long_name, sizeof(long_name) - 1, &lim);
	assert_true(m->flags & MIME_F_HEADER_TOO_LONG);
	assert_int_equal(m->root->headers[0].raw.len, 0);
	assert_string_equal(m->root->text, "body");
	mg_arena_free(a);

	t.len = 0;
	for (i = 0; i < 1100; i++)
		add(&t, "X-N: %u\n", i);
	add(&t, "\nbody");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_TOO_MANY_HEADERS);
	assert_int_equal(m->root->nheaders, 1024);
	assert_string_equal(m->root->text, "body");
	mg_arena_free(a);
	free(t.p);
}

static void
test_decoded_limit(void **state)
{
	struct text t = { NULL, 0, 0 };
	struct mime_limits lim;
	struct mg_arena *a;
	struct mime_msg *m;
	unsigned i;

	(void)state;
	mime_limits_default(&lim);
	lim.max_decoded = 1000;
	add(&t, "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
	for (i = 0; i < 100; i++)
		add(&t, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n");
	add(&t, "--b\nContent-Type: text/plain\n\nnever read\n--b--\n");
	m = parse(&a, t.p, t.len, &lim);
	assert_true(m->parts[1]->flags & MIME_F_DECODED_LIMIT);
	assert_true(m->parts[2]->flags & MIME_F_DECODED_LIMIT);
	assert_true(m->decoded_total <= 1000);
	assert_int_equal(m->parts[2]->text_len, 0);
	mg_arena_free(a);
	free(t.p);
}

/* An arena ceiling too low for the message: NULL, no crash. */
static void
test_arena_exhausted(void **state)
{
	struct text t = { NULL, 0, 0 };
	struct mg_arena *a = mg_arena_new(1024, 8 * 1024);
	unsigned i;

	(void)state;
	add(&t, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 200; i++)
		add(&t, "--b\nSubject: %u\n\ntext %u\n", i, i);
	assert_null(mime_parse(a, (const uint8_t *)t.p, t.len, NULL));
	mg_arena_free(a);
	free(t.p);
}

/* Hostile shapes finish in linear time: 100k tiny parts (with and
 * without the part limit), a 1 MB header line, 10k nested multiparts
 * sharing one boundary, 10k nested with distinct ones, 1 MB of
 * delimiters that are not quite. */
static void
test_hostile(void **state)
{
	struct text t = { NULL, 0, 0 };
	struct mime_limits lim;
	struct mg_arena *a;
	struct mime_msg *m;
	clock_t t0 = clock();
	unsigned i;

	(void)state;
	mime_limits_default(&lim);
	lim.max_parts = 200000;
	add(&t, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 100000; i++)
		add(&t, "--b\n\nx\n");
	m = parse(&a, t.p, t.len, NULL);
	assert_int_equal(m->nparts, 1024);
	mg_arena_free(a);
	m = parse(&a, t.p, t.len, &lim);
	assert_int_equal(m->nparts, 100001);
	mg_arena_free(a);

	t.len = 0;
	add(&t, "Subject: ");
	for (i = 0; i < 1024 * 1024 / 8; i++)
		add(&t, "=?a?q?x ");
	add(&t, "\n\nbody");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_HEADER_TOO_LONG);
	mg_arena_free(a);

	t.len = 0;
	for (i = 0; i < 10000; i++)
		add(&t, "Content-Type: multipart/mixed; boundary=b\n\n--b\n");
	m = parse(&a, t.p, t.len, NULL);
	mg_arena_free(a);

	t.len = 0;
	for (i = 0; i < 10000; i++)
		add(&t, "Content-Type: multipart/mixed; boundary=b%u\n\n--b%u\n", i, i);
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_DEPTH_LIMIT);
	mg_arena_free(a);

	t.len = 0;
	add(&t, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 1024 * 1024 / 5; i++)
		add(&t, "\n--bx");
	m = parse(&a, t.p, t.len, NULL);
	assert_true(m->flags & MIME_F_BOUNDARY_NOT_FOUND);
	mg_arena_free(a);
	free(t.p);
	/* quadratic behaviour would take minutes, even without sanitizers */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 30.0);
}

static void
test_flag_names(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < MIME_F_COUNT; i++)
		assert_non_null(mime_flag_name(1ull << i));
	assert_string_equal(mime_flag_name(MIME_F_8BIT_IN_7BIT), "8BIT_IN_7BIT");
	assert_string_equal(mime_flag_name(MIME_F_NO_HEADERS), "NO_HEADERS");
	assert_null(mime_flag_name(1ull << MIME_F_COUNT));
	assert_null(mime_flag_name(0));
	assert_null(mime_flag_name(3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_nested_headers),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_parts_limit),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_decoded_limit),
		cmocka_unit_test(test_arena_exhausted),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_flag_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
