/* The PDF check (pdf.h). */
#include <stdio.h>

#include "checks/pdf.h"
#include "core/err.h"
#include "files/pdf.h"
#include "mime/files.h"


#define PDF_MANY_URIS_MIN	20	/* links in one PDF that make it a link carrier */

static const struct symbol_def pdf_symbols[] = {
	CHECK_SYMBOL("PDF_JAVASCRIPT", 2.5, MALWARE, ACCEPT,
	    "a PDF attachment holds JavaScript"),
	CHECK_SYMBOL("PDF_OPENACTION_JS", 8.0, DANGEROUS, QUARANTINE,
	    "a PDF attachment runs JavaScript when opened (/OpenAction or /AA)"),
	CHECK_SYMBOL("PDF_LAUNCH", 8.0, DANGEROUS, QUARANTINE,
	    "a PDF attachment has a /Launch action (starts a program)"),
	CHECK_SYMBOL("PDF_EMBEDDED_FILE", 2.0, MALWARE, ACCEPT,
	    "a PDF attachment carries an embedded file"),
	CHECK_SYMBOL("PDF_SUBMIT_FORM", 2.0, PHISHING, ACCEPT,
	    "a PDF attachment has a form that submits its fields"),
	CHECK_SYMBOL("PDF_ENCRYPTED", 1.0, MALWARE, ACCEPT,
	    "an encrypted PDF attachment (its content could not be read)"),
	CHECK_SYMBOL("PDF_MANY_URIS", 1.0, PHISHING, ACCEPT,
	    "a PDF attachment with many links"),
	CHECK_SYMBOL("PDF_RICH_MEDIA", 2.0, MALWARE, ACCEPT,
	    "a PDF attachment with /RichMedia (Flash) or /XFA forms"),
	CHECK_SYMBOL("PDF_NAME_OBFUSCATED", 3.0, MALWARE, ACCEPT,
	    "a PDF attachment spells active keys with #xx escapes"),
};

CHECK_SYMBOLS_HOOK(pdf_defs, pdf_symbols)

/* sym with the option "NAME: N /KEY". */
static int
pdf_fire(struct mg_task *t, const char *sym, const struct mime_file *f, unsigned n,
    const char *what)
{
	char option[TASK_MAX_OPTION_LEN];

	snprintf(option, sizeof(option), "%s: %u %s", f->name, n, what);
	return mg_task_symbol_part(t, sym, option, f->part);
}

/* The symbols of one scanned PDF. */
static int
pdf_report_symbols(struct mg_task *t, const struct mime_file *f, const struct pdf_report *r)
{
	const unsigned *k = r->counts;
	unsigned js = k[PDF_K_JAVASCRIPT] + k[PDF_K_JS];
	int rc = 0;

	if (js > 0)
		rc = pdf_fire(t, "PDF_JAVASCRIPT", f, js, "/JavaScript or /JS");
	if (rc == 0 && r->openaction_js)
		rc = pdf_fire(t, "PDF_OPENACTION_JS", f, k[PDF_K_OPENACTION] + k[PDF_K_AA],
		    "/OpenAction or /AA");
	if (rc == 0 && k[PDF_K_LAUNCH] > 0)
		rc = pdf_fire(t, "PDF_LAUNCH", f, k[PDF_K_LAUNCH], "/Launch");
	if (rc == 0 && k[PDF_K_EMBEDDEDFILE] > 0)
		rc = pdf_fire(t, "PDF_EMBEDDED_FILE", f, k[PDF_K_EMBEDDEDFILE], "/EmbeddedFile");
	if (rc == 0 && k[PDF_K_SUBMITFORM] > 0)
		rc = pdf_fire(t, "PDF_SUBMIT_FORM", f, k[PDF_K_SUBMITFORM], "/SubmitForm");
	if (rc == 0 && k[PDF_K_ENCRYPT] > 0)
		rc = pdf_fire(t, "PDF_ENCRYPTED", f, k[PDF_K_ENCRYPT], "/Encrypt");
	if (rc == 0 && k[PDF_K_URI] >= PDF_MANY_URIS_MIN)
		rc = pdf_fire(t, "PDF_MANY_URIS", f, k[PDF_K_URI], "/URI");
	if (rc == 0 && k[PDF_K_RICHMEDIA] + k[PDF_K_XFA] > 0)
		rc = pdf_fire(t, "PDF_RICH_MEDIA", f, k[PDF_K_RICHMEDIA] + k[PDF_K_XFA],
		    "/RichMedia or /XFA");
	if (rc == 0 && r->escaped_names > 0)
		rc = pdf_fire(t, "PDF_NAME_OBFUSCATED", f, r->escaped_names, "escaped names");
	return rc;
}

struct pdf_walk {
	struct mg_task	*t;
	struct pdf_limits lim;
};

/* One attachment or archive member (mime_files_each). */
static int
pdf_file(const struct mime_file *f, void *arg)
{
	struct pdf_walk *w = arg;
	struct pdf_report r;
	int rc;

	if (!pdf_detect(f->data, f->len))
		return 0;
	if (mg_task_expired(w->t))
		return -MG_ETIMEOUT;
	if ((rc = pdf_scan(w->t->arena, f->data, f->len, &w->lim, &r)) < 0)
		return rc;
	return pdf_report_symbols(w->t, f, &r);
}

static int
pdf_check_scan(void *state, struct mg_task *t)
{
	struct pdf_walk w = { .t = t };

	pdf_limits_default(&w.lim);
	return mime_files_each(t->msg, pdf_file, &w);
}

const struct mg_check check_pdf = {
	.name = "pdf",
	.scan = pdf_check_scan,
	.symbols = pdf_defs,
};
