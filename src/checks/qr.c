/* The QR code check (qr.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/qr.h"
#include "core/err.h"
#include "files/html_qr.h"
#include "files/pdf.h"
#include "files/pdf_render.h"
#include "files/qr.h"
#include "mime/files.h"
#include "mime/html.h"
#include "mime/mime_decode.h"
#include "mime/url.h"


#define QR_MAX_IMAGES	32	/* images scanned per message */
#define QR_URLS_MAX	16	/* URLs looked for in one code's text */
#define QR_TEXT_SHOWN	80	/* bytes of a non-URL text shown in the option */
#define QR_MAX_PDFS	4	/* PDFs rendered per message (PDF_RENDER_PAGES each) */

static const struct symbol_def qr_symbols[] = {
	CHECK_SYMBOL("QR_URL", 3.0, PHISHING, ACCEPT,
	    "an image of the message holds a QR code with a URL (a link mail filters do not see)"),
	CHECK_SYMBOL("QR_TEXT", 0.1, PHISHING, ACCEPT,
	    "an image of the message holds a QR code without a URL"),
	CHECK_SYMBOL("QR_IN_PDF", 0.5, PHISHING, ACCEPT,
	    "a QR code is drawn on one of the first pages of a PDF attachment"),
	CHECK_SYMBOL("QR_HTML_TABLE", 1.0, PHISHING, ACCEPT,
	    "a QR code is drawn as an HTML table (cells as modules), unseen by image scanners"),
};

CHECK_SYMBOLS_HOOK(qr_defs, qr_symbols)

struct qr_walk {
	struct mg_task		*t;
	const struct mime_part	*part;	/* the image's part (NULL: inside HTML) */
	const char		*name;	/* the image's file name, for options */
	const char		*source;	/* QR_IN_PDF, QR_HTML_TABLE or NULL */
	unsigned		 images;	/* scanned so far */
	unsigned		 pdfs;		/* rendered so far */
	unsigned		 urls;		/* URLs of the current code */
};

/* One URL candidate of a code's text (url_extract_text). */
static int
qr_url(const char *raw, size_t len, unsigned flags, void *arg)
{
	struct qr_walk *w = arg;
	struct mime_url u;
	char option[TASK_MAX_OPTION_LEN];
	int rc;

	if (url_normalize(w->t->arena, raw, len, flags, &u) < 0)
		return 0;
	if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
		return 0;
	w->urls++;
	u.flags |= URL_F_FROM_QR;
	if ((rc = mg_task_add_url(w->t, &u)) < 0 && rc != -MG_ELIMIT)
		return rc;
	snprintf(option, sizeof(option), "%s: %s", w->name, u.url);
	return mg_task_symbol_part(w->t, "QR_URL", option, w->part);
}

/* QR_TEXT with the text's printable start. */
static int
qr_text(struct qr_walk *w, const struct qr_code *c)
{
	char shown[QR_TEXT_SHOWN + 1], option[TASK_MAX_OPTION_LEN];
	size_t i;

	for (i = 0; i < c->len && i < QR_TEXT_SHOWN; i++)
		shown[i] = (uint8_t)c->text[i] < 0x20 || c->text[i] == 0x7f ? '?' : c->text[i];
	shown[i] = '\0';
	snprintf(option, sizeof(option), "%s: %s", w->name, shown);
	return mg_task_symbol_part(w->t, "QR_TEXT", option, w->part);
}

/* Reports the codes of r: their URLs or texts, and the symbol of where
 * they were drawn. */
static int
qr_report(struct qr_walk *w, const struct qr_result *r)
{
	char option[TASK_MAX_OPTION_LEN];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < r->n; i++) {
		w->urls = 0;
		rc = url_extract_text(r->codes[i].text, r->codes[i].len, QR_URLS_MAX, qr_url, w);
		if (rc == -MG_ELIMIT)
			rc = 0;
		if (rc == 0 && w->urls == 0)
			rc = qr_text(w, &r->codes[i]);
	}
	if (rc == 0 && r->n > 0 && w->source != NULL) {
		snprintf(option, sizeof(option), "%s", w->name);
		rc = mg_task_symbol_part(w->t, w->source, option, w->part);
	}
	return rc;
}

/* Scans one candidate image's bytes and reports its codes. */
static int
qr_image(struct qr_walk *w, const uint8_t *data, size_t len)
{
	struct qr_result *r;
	int rc;

	if (image_detect(data, len) == IMAGE_NONE || w->images >= QR_MAX_IMAGES)
		return 0;
	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	w->images++;
	if ((r = malloc(sizeof(*r))) == NULL)
		return -MG_ENOMEM;
	rc = qr_scan_image(data, len, r);
	if (rc != -MG_ENOMEM)
		rc = qr_report(w, r);	/* a corrupt or oversized image is no QR code */
	free(r);
	return rc;
}

/* A rendered PDF page or an HTML table: scanned and reported. */
static int
qr_gray(struct qr_walk *w, const struct image_gray *img)
{
	struct qr_result *r;
	int rc;

	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	if ((r = malloc(sizeof(*r))) == NULL)
		return -MG_ENOMEM;
	if ((rc = qr_scan_gray(img, r)) == 0)
		rc = qr_report(w, r);
	free(r);
	return rc;
}

/* One rendered page (pdf_render_pages), named "FILE page N". */
static int
qr_pdf_page(const struct image_gray *img, unsigned page, void *arg)
{
	struct qr_walk *w = arg;
	const char *file = w->name;
	char name[MIME_FILE_NAME_MAX + 16];
	int rc;

	snprintf(name, sizeof(name), "%s page %u", file, page + 1);
	w->name = name;
	rc = qr_gray(w, img);
	w->name = file;
	return rc;
}

/* The first pages of a PDF (a corrupt, encrypted or oversized one is
 * skipped). */
static int
qr_pdf(struct qr_walk *w, const uint8_t *data, size_t len)
{
	int rc;

	if (w->pdfs >= QR_MAX_PDFS || len > PDF_RENDER_MAX_INPUT)
		return 0;
	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	w->pdfs++;
	w->source = "QR_IN_PDF";
	rc = pdf_render_pages(data, len, PDF_RENDER_PAGES, qr_pdf_page, w);
	w->source = NULL;
	return rc == -MG_EPROTO || rc == -MG_EINVAL || rc == -MG_ELIMIT ? 0 : rc;
}

/* One attachment or archive member (mime_files_each); an image part
 * without a file name is named by its Content-ID ("cid:ID"). */
static int
qr_file(const struct mime_file *f, void *arg)
{
	struct qr_walk *w = arg;
	char cid[MIME_FILE_NAME_MAX];

	w->part = f->part;
	w->name = f->name;
	if (f->depth == 0 && f->part->filename == NULL && f->part->content_id != NULL) {
		snprintf(cid, sizeof(cid), "cid:%s", f->part->content_id);
		w->name = cid;
	}
	if (pdf_detect(f->data, f->len))
		return qr_pdf(w, f->data, f->len);
	return qr_image(w, f->data, f->len);
}

/* One data: URL of an HTML part: base64 image bytes decoded and scanned. */
static int
qr_data_url(struct qr_walk *w, const char *src)
{
	const char *comma, *b64;
	size_t len, cap;
	uint8_t *bytes;
	unsigned dflags = 0;
	int rc;

	if (strncasecmp(src, "data:image/", 11) != 0 || (comma = strchr(src, ',')) == NULL)
		return 0;
	b64 = strstr(src, ";base64");
	if (b64 == NULL || b64 > comma)
		return 0;
	len = strlen(comma + 1);
	if (len > IMAGE_MAX_INPUT / 3 * 4)
		return 0;
	cap = MIME_DEC_MAXOUT(len);
	if ((bytes = malloc(cap ? cap : 1)) == NULL)
		return -MG_ENOMEM;
	len = mime_base64_decode((const uint8_t *)comma + 1, len, bytes, cap, &dflags);
	rc = qr_image(w, bytes, len);
	free(bytes);
	return rc;
}

/* The data: images of every HTML part (img src and CSS url()). */
static int
qr_html_images(struct qr_walk *w)
{
	const struct mime_msg *m = w->t->msg;
	int rc = 0;

	w->name = "data: image in HTML";
	for (size_t i = 0; rc == 0 && i < m->nparts; i++) {
		const struct mime_html *h = m->parts[i]->html;

		if (h == NULL)
			continue;
		w->part = NULL;
		for (size_t k = 0; rc == 0 && k < h->nimages; k++)
			rc = qr_data_url(w, h->images[k].src);
		for (size_t k = 0; rc == 0 && k < h->ncss_urls; k++)
			rc = qr_data_url(w, h->css_urls[k]);
	}
	return rc;
}

/* One HTML table drawn as a grid (html_qr_tables). */
static int
qr_table(const struct image_gray *img, void *arg)
{
	return qr_gray(arg, img);
}

/* The tables of every HTML part that may be QR codes. */
static int
qr_html_tables(struct qr_walk *w)
{
	const struct mime_msg *m = w->t->msg;
	int rc = 0;

	w->name = "HTML table";
	w->source = "QR_HTML_TABLE";
	for (size_t i = 0; rc == 0 && i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];

		if (p->html == NULL || p->text == NULL)
			continue;
		w->part = NULL;
		rc = html_qr_tables(p->text, p->text_len, qr_table, w);
	}
	w->source = NULL;
	return rc;
}

static int
qr_check_scan(void *state, struct mg_task *t)
{
	struct qr_walk w = { .t = t };
	int rc;

	(void)state;
	if (t->msg == NULL)
		return 0;
	if ((rc = mime_files_each(t->msg, qr_file, &w)) != 0)
		return rc;
	if ((rc = qr_html_images(&w)) != 0)
		return rc;
	return qr_html_tables(&w);
}

const struct mg_check check_qr = {
	.name = "qr",
	.scan = qr_check_scan,
	.symbols = qr_defs,
};
