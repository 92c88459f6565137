/* PDF page rendering (files/pdf_render.h) and the QR check on PDF
 * attachments: PDFs built here with the QR fixture as an image on a chosen
 * page (page 3 is past the page limit), encrypted, corrupt, oversized and
 * huge-page ones, four threads at once, and the cost per page. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/qr.h"
#include "core/err.h"
#include "files/pdf_render.h"
#include "files/qr.h"
#include "engine/verdict.h"
#include "mime/html.h"
#include "mime/url.h"
#include "qr_fixture.h"

/* A PDF being written: bytes and object offsets. */
struct pdfb {
	char	*buf;
	size_t	 len, cap;
	size_t	 off[32];
	unsigned nobj;
};

static void
pdfb_put(struct pdfb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		assert_non_null(b->buf = realloc(b->buf, b->cap));
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void __attribute__((format(printf, 2, 3)))
pdfb_printf(struct pdfb *b, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	pdfb_put(b, s, (size_t)n);
}

static void
pdfb_obj(struct pdfb *b)
{
	b->off[++b->nobj] = b->len;
	pdfb_printf(b, "%u 0 obj\n", b->nobj);
}

/* npages pages of side x side points; the QR fixture (4 px per module)
 * drawn 200 pt wide on page qr_page (1-based; 0: none). encrypted adds a
 * standard security handler whose user password is not empty. */
static char *
pdf_build(unsigned npages, unsigned qr_page, unsigned side, int encrypted, size_t *len)
{
	struct image_gray g = qr_fixture_gray(4);
	struct pdfb b = { 0 };
	size_t xref;

	assert_true(npages <= 8);
	pdfb_printf(&b, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	pdfb_obj(&b);
	pdfb_printf(&b, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	pdfb_obj(&b);
	pdfb_printf(&b, "<< /Type /Pages /Count %u /Kids [", npages);
	for (unsigned i = 0; i < npages; i++)
		pdfb_printf(&b, " %u 0 R", 5 + 2 * i);
	pdfb_printf(&b, " ] >>\nendobj\n");
	pdfb_obj(&b);
	pdfb_printf(&b, "<< /Type /XObject /Subtype /Image /Width %u /Height %u "
	    "/ColorSpace /DeviceGray /BitsPerComponent 8 /Length %zu >>\nstream\n",
	    g.w, g.h, (size_t)g.w * g.h);
	pdfb_put(&b, g.px, (size_t)g.w * g.h);
	pdfb_printf(&b, "\nendstream\nendobj\n");
	pdfb_obj(&b);
	pdfb_printf(&b, "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 "
	    "/O <%064d> /U <%064d> >>\nendobj\n", 1, 2);
	for (unsigned i = 0; i < npages; i++) {
		char content[128];
		int n = i + 1 == qr_page ? snprintf(content, sizeof(content),
		    "q 200 0 0 200 50 %u cm /Im0 Do Q\n", side > 300 ? side - 300 : 0) : 0;

		pdfb_obj(&b);
		pdfb_printf(&b, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %u %u] "
		    "/Resources << /XObject << /Im0 3 0 R >> >> /Contents %u 0 R >>\nendobj\n",
		    side, side, 6 + 2 * i);
		pdfb_obj(&b);
		pdfb_printf(&b, "<< /Length %d >>\nstream\n%.*s\nendstream\nendobj\n", n, n, content);
	}
	xref = b.len;
	pdfb_printf(&b, "xref\n0 %u\n0000000000 65535 f \n", b.nobj + 1);
	for (unsigned i = 1; i <= b.nobj; i++)
		pdfb_printf(&b, "%010zu 00000 n \n", b.off[i]);
	pdfb_printf(&b, "trailer\n<< /Size %u /Root 1 0 R%s >>\nstartxref\n%zu\n%%%%EOF\n",
	    b.nobj + 1, encrypted ? " /Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef>"
	    " <0123456789abcdef0123456789abcdef>]" : "", xref);
	image_gray_free(&g);
	*len = b.len;
	return b.buf;
}

/* What the pages of one PDF held. */
struct seen {
	unsigned	 pages;		/* callbacks */
	unsigned	 found_on;	/* 1-based page of the fixture's code, 0: none */
	unsigned	 w, h;
};

static int
seen_page(const struct image_gray *img, unsigned page, void *arg)
{
	struct seen *s = arg;
	struct qr_result *r = malloc(sizeof(*r));

	assert_non_null(r);
	s->pages++;
	s->w = img->w;
	s->h = img->h;
	assert_int_equal(qr_scan_gray(img, r), 0);
	if (r->n > 0 && strcmp(r->codes[0].text, QR_FIXTURE_URL) == 0 && s->found_on == 0)
		s->found_on = page + 1;
	free(r);
	return 0;
}

static void
test_pages(void **state)
{
	static const struct {
		unsigned npages, qr_page, side;
		int	 encrypted, rc;
		unsigned pages, found_on;
	} cases[] = {
		{ 1, 1, 595, 0, 0, 1, 1 },	/* the code on page 1 */
		{ 3, 2, 595, 0, 0, 2, 2 },	/* page 2: the last one rendered */
		{ 3, 3, 595, 0, 0, 2, 0 },	/* page 3: past PDF_RENDER_PAGES */
		{ 2, 0, 595, 0, 0, 2, 0 },	/* no code */
		{ 1, 1, 595, 1, -MG_EPROTO, 0, 0 },	/* user password: skipped */
		{ 2, 1, 3000, 0, 0, 0, 0 },	/* 4167 px pages: skipped */
		{ 1, 1, 1400, 0, 0, 1, 1 },	/* 1945 px: just under the limit */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seen s = { 0 };
		size_t len;
		char *pdf = pdf_build(cases[i].npages, cases[i].qr_page, cases[i].side,
		    cases[i].encrypted, &len);
		int rc = pdf_render_pages((uint8_t *)pdf, len, 99, seen_page, &s);

		printf("case %zu: rc=%d pages=%u found_on=%u size=%ux%u\n", i, rc, s.pages,
		    s.found_on, s.w, s.h);
		if (rc != cases[i].rc || s.pages != cases[i].pages || s.found_on != cases[i].found_on)
			fail_msg("case %zu: got rc=%d pages=%u found_on=%u, want rc=%d pages=%u "
			    "found_on=%u", i, rc, s.pages, s.found_on, cases[i].rc,
			    cases[i].pages, cases[i].found_on);
		free(pdf);
	}
}

/* Truncations, a flipped byte every 97, garbage after the header: no
 * crash, and either rendered or refused as corrupt. */
static void
test_corrupt(void **state)
{
	size_t len;
	char *pdf = pdf_build(1, 1, 595, 0, &len);
	char *bad = malloc(len);
	static const char junk[] = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n"
	    "trailer << /Root 1 0 R /Size -5 >>\nstartxref\n99999999\n%%EOF";
	struct seen s = { 0 };
	int rc;

	assert_non_null(bad);
	for (size_t cut = 8; cut < len; cut += len / 13) {
		memset(&s, 0, sizeof(s));
		rc = pdf_render_pages((uint8_t *)pdf, cut, 2, seen_page, &s);
		if (rc != 0 && rc != -MG_EPROTO)
			fail_msg("cut at %zu: rc=%d", cut, rc);
	}
	for (unsigned seed = 1; seed <= 5; seed++) {
		memcpy(bad, pdf, len);
		for (size_t i = 16 + seed; i < len; i += 97)
			bad[i] ^= (char)(0x5a + seed);
		memset(&s, 0, sizeof(s));
		rc = pdf_render_pages((uint8_t *)bad, len, 2, seen_page, &s);
		printf("flipped seed %u: rc=%d pages=%u\n", seed, rc, s.pages);
		if (rc != 0 && rc != -MG_EPROTO)
			fail_msg("flipped seed %u: rc=%d", seed, rc);
	}
	memset(&s, 0, sizeof(s));
	rc = pdf_render_pages((const uint8_t *)junk, sizeof(junk) - 1, 2, seen_page, &s);
	if ((rc != 0 && rc != -MG_EPROTO) || s.found_on != 0)
		fail_msg("junk: rc=%d found_on=%u", rc, s.found_on);
	free(bad);
	free(pdf);
}

static int
never_called(const struct image_gray *img, unsigned page, void *arg)
{
	fail_msg("page %u rendered", page);
	return 0;
}

static void
test_refused(void **state)
{
	size_t big = PDF_RENDER_MAX_INPUT + 1;
	uint8_t *huge = calloc(1, big);

	assert_non_null(huge);
	memcpy(huge, "%PDF-1.4\n", 9);
	assert_int_equal(pdf_render_pages((const uint8_t *)"GIF89a", 6, 2, never_called, NULL),
	    -MG_EINVAL);
	assert_int_equal(pdf_render_pages(huge, big, 2, never_called, NULL), -MG_ELIMIT);
	assert_int_equal(pdf_render_pages(huge, 9, 2, never_called, NULL), -MG_EPROTO);
	free(huge);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct job {
	const char	*pdf;
	size_t		 len;
	unsigned	 found;
};

static void *
render_thread(void *arg)
{
	struct job *j = arg;

	for (int k = 0; k < 5; k++) {
		struct seen s = { 0 };

		if (pdf_render_pages((const uint8_t *)j->pdf, j->len, 2, seen_page, &s) == 0 &&
		    s.found_on == 1)
			j->found++;
	}
	return NULL;
}

/* Four threads render and scan the same document five times each. */
static void
test_threads(void **state)
{
	pthread_t th[4];
	struct job jobs[4];
	size_t len;
	char *pdf = pdf_build(2, 1, 595, 0, &len);

	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){ pdf, len, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, render_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (jobs[i].found != 5)
			fail_msg("thread %d: found the code %u times, want 5", i, jobs[i].found);
	}
	free(pdf);
}

static int
count_page(const struct image_gray *img, unsigned page, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

/* The cost of one A4-sized page (rendering only, and with the QR scan). */
static void
test_cost(void **state)
{
	size_t len;
	char *pdf = pdf_build(2, 1, 842, 0, &len);
	unsigned pages = 0;
	struct seen s = { 0 };
	uint64_t t0 = now_us(), t1;

	for (int k = 0; k < 10; k++)
		assert_int_equal(pdf_render_pages((uint8_t *)pdf, len, 2, count_page, &pages), 0);
	t1 = now_us();
	for (int k = 0; k < 10; k++)
		assert_int_equal(pdf_render_pages((uint8_t *)pdf, len, 2, seen_page, &s), 0);
	printf("cost: %u pages of 842x842 pt at %u dpi: render %.2f ms/page, render+scan "
	    "%.2f ms/page\n", pages, PDF_RENDER_DPI, (double)(t1 - t0) / 1000 / pages,
	    (double)(now_us() - t1) / 1000 / s.pages);
	free(pdf);
}

/* Runs the QR check on m: its symbols must be want, and the message's
 * URLs the fixture's URL when want is not empty. */
static void
run_check(const struct symbol_table *st, struct mime_msg *m, size_t i, const char *want)
{
	struct mg_task t;
	char got[2048];

	assert_int_equal(task_init(&t, st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = m;
	assert_int_equal(check_qr.scan(NULL, &t), 0);
	symbols_text(&t, got, sizeof(got));
	printf("case %zu: %s; %zu URL(s), first %s\n", i, got, m->nurls,
	    m->nurls ? m->urls[0].url : "-");
	if (strcmp(got, want) != 0)
		fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, want);
	if (m->nurls != (want[0] ? 1u : 0u) ||
	    (m->nurls && strcmp(m->urls[0].url, QR_FIXTURE_URL) != 0))
		fail_msg("case %zu: the message's URLs are wrong", i);
	task_clear(&t);
}

/* The QR check on a message with the PDF attached: the URL joins the
 * message's URLs; on page 3 nothing is found. */
static void
test_check(void **state)
{
	static const struct {
		unsigned npages, qr_page;
		const char *want;
	} cases[] = {
		{ 1, 1, "QR_URL=report.pdf page 1: " QR_FIXTURE_URL
		    " QR_IN_PDF=report.pdf page 1" },
		{ 3, 3, "" },
	};
	struct symbol_table st;

	check_symbols(&st, &check_qr, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct one_attachment o;
		struct mime_msg *m = one_attachment(&o, "report.pdf", "");
		size_t len;
		char *pdf = pdf_build(cases[i].npages, cases[i].qr_page, 595, 0, &len);

		o.p[1].body = mg_slice_make(pdf, len);
		run_check(&st, m, i, cases[i].want);
		free(pdf);
	}
	symbol_table_clear(&st);
}

/* A clean look-alike: a newsletter whose HTML draws the code as a table
 * inside its layout and whose PDF programme carries it too. The QR check's
 * symbols alone (every one of them at once) stay under the default tag
 * threshold: the URL's own checks decide. */
static void
test_clean_newsletter(void **state)
{
	static const struct verdict_thresholds th = { 5.0, 10.0, 20.0 };
	struct symbol_table st;
	struct one_attachment o;
	struct mime_msg *m = one_attachment(&o, "programme.pdf", "");
	struct mime_html html = { 0 };
	struct mime_part hp = { .index = 2, .type = "text", .subtype = "html", .html = &html };
	struct mime_part *parts[3] = { &o.p[0], &o.p[1], &hp };
	struct pdfb h = { 0 };
	struct mg_task t;
	struct verdict v;
	size_t len;
	char *pdf = pdf_build(2, 1, 595, 0, &len);

	pdfb_printf(&h, "<table width=600><tr><td><h1>Autumn events</h1><p>Scan to see "
	    "the programme on our site.</p></td><td><table bgcolor=#ffffff>");
	for (unsigned y = 0; y < QR_FIXTURE_N; y++) {
		pdfb_printf(&h, "<tr>");
		for (unsigned x = 0; x < QR_FIXTURE_N; x++)
			pdfb_printf(&h, "<td bgcolor=\"%s\"></td>",
			    qr_fixture_rows[y][x] == '1' ? "#000" : "#fff");
		pdfb_printf(&h, "</tr>\n");
	}
	pdfb_printf(&h, "</table></td></tr></table>%c", '\0');
	hp.text = h.buf;
	hp.text_len = h.len - 1;
	o.p[1].body = mg_slice_make(pdf, len);
	m->parts = parts;
	m->nparts = 3;
	check_symbols(&st, &check_qr, NULL);
	assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = m;
	assert_int_equal(check_qr.scan(NULL, &t), 0);
	verdict_compute(&th, t.symbols, t.nsymbols, &v);
	printf("newsletter: %zu symbols, score %.2f, action %d, category %d\n", t.nsymbols,
	    v.score, (int)v.action, (int)v.category);
	if (t.nsymbols != 3 || v.action != MG_VERDICT_ACCEPT || v.category != MG_CAT_CLEAN)
		fail_msg("newsletter: %zu symbols, score %.2f: want QR_URL, QR_IN_PDF and "
		    "QR_HTML_TABLE under the tag threshold", t.nsymbols, v.score);
	task_clear(&t);
	symbol_table_clear(&st);
	free(h.buf);
	free(pdf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_clean_newsletter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
