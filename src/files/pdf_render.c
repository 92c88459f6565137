/* PDF pages rendered to grayscale with poppler-glib and cairo
 * (pdf_render.h). */
#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>
#include <poppler.h>

#include "core/err.h"
#include "core/log.h"
#include "files/pdf.h"
#include "files/pdf_render.h"

/*
 * poppler's core prints its errors to stderr unless a callback is set
 * with setErrorCallback(), a C++ function poppler-glib does not wrap: it
 * is looked up once by its mangled name (libpoppler is loaded with
 * poppler-glib); when it is missing the messages stay on stderr.
 * Documents are opened under a lock: poppler-glib creates its global
 * parameters lazily on the first open, unguarded.
 */
#define POPPLER_SET_ERROR_CB	"_Z16setErrorCallbackPFv13ErrorCategoryxPKcE"

typedef void (*poppler_error_cb)(int category, long long pos, const char *msg);

static pthread_once_t	 pdf_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 pdf_open_lock = PTHREAD_MUTEX_INITIALIZER;

static void
pdf_poppler_error(int category, long long pos, const char *msg)
{
	log_debug("pdf poppler category=%d pos=%lld msg=\"%s\"", category, pos,
	    msg != NULL ? msg : "");
}

static void
pdf_init(void)
{
	void (*set_cb)(poppler_error_cb);

	*(void **)&set_cb = dlsym(RTLD_DEFAULT, POPPLER_SET_ERROR_CB);
	if (set_cb != NULL)
		set_cb(pdf_poppler_error);
	else
		log_debug("pdf poppler error callback not found: messages go to stderr");
}

static uint64_t
pdf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The page's size in pixels at PDF_RENDER_DPI; -MG_ELIMIT when a side is
 * over PDF_RENDER_MAX_SIDE (or the size is nonsense). */
static int
pdf_page_pixels(PopplerPage *page, unsigned *w, unsigned *h)
{
	double pw = 0, ph = 0, scale = PDF_RENDER_DPI / 72.0;

	poppler_page_get_size(page, &pw, &ph);
	if (!isfinite(pw) || !isfinite(ph) || pw <= 0 || ph <= 0)
		return -MG_ELIMIT;
	pw = ceil(pw * scale);
	ph = ceil(ph * scale);
	if (pw > PDF_RENDER_MAX_SIDE || ph > PDF_RENDER_MAX_SIDE)
		return -MG_ELIMIT;
	*w = (unsigned)pw;
	*h = (unsigned)ph;
	return 0;
}

/* An RGB24 cairo surface converted to gray (ITU-R 601 luma). */
static int
pdf_surface_gray(cairo_surface_t *s, unsigned w, unsigned h, struct image_gray *out)
{
	const unsigned char *row = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);

	if (row == NULL || (out->px = malloc((size_t)w * h)) == NULL)
		return -MG_ENOMEM;
	out->w = w;
	out->h = h;
	for (unsigned y = 0; y < h; y++, row += stride) {
		const uint32_t *p = (const uint32_t *)(const void *)row;

		for (unsigned x = 0; x < w; x++) {
			uint32_t r = p[x] >> 16 & 0xff, g = p[x] >> 8 & 0xff, b = p[x] & 0xff;

			out->px[(size_t)y * w + x] = (uint8_t)((r * 299 + g * 587 + b * 114) / 1000);
		}
	}
	return 0;
}

/* One page on white at PDF_RENDER_DPI into out (zeroed first). */
static int
pdf_render_page(PopplerPage *page, struct image_gray *out)
{
	cairo_surface_t *s;
	cairo_t *cr;
	unsigned w, h;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pdf_page_pixels(page, &w, &h)) < 0)
		return rc;
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -MG_ENOMEM;
	}
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, PDF_RENDER_DPI / 72.0, PDF_RENDER_DPI / 72.0);
	poppler_page_render(page, cr);
	rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -MG_ENOMEM;
	cairo_destroy(cr);
	cairo_surface_flush(s);
	if (rc == 0)
		rc = pdf_surface_gray(s, w, h, out);
	cairo_surface_destroy(s);
	return rc;
}

/* Opens data as a document without a password; NULL when poppler cannot
 * (corrupt, or encrypted with a user password). */
static PopplerDocument *
pdf_open(GBytes *bytes)
{
	PopplerDocument *doc;
	GError *err = NULL;

	pthread_mutex_lock(&pdf_open_lock);
	doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	pthread_mutex_unlock(&pdf_open_lock);
	if (doc == NULL) {
		log_debug("pdf render open=failed encrypted=%s reason=\"%s\"",
		    err != NULL && err->code == POPPLER_ERROR_ENCRYPTED ? "yes" : "no",
		    err != NULL ? err->message : "unknown");
		if (err != NULL)
			g_error_free(err);
	}
	return doc;
}

int
pdf_render_pages(const uint8_t *data, size_t len, unsigned max_pages, pdf_page_fn fn,
    void *arg)
{
	PopplerDocument *doc;
	GBytes *bytes;
	int rc = 0, npages;

	if (!pdf_detect(data, len))
		return -MG_EINVAL;
	if (len > PDF_RENDER_MAX_INPUT)
		return -MG_ELIMIT;
	pthread_once(&pdf_once, pdf_init);
	if ((bytes = g_bytes_new_static(data, len)) == NULL)
		return -MG_ENOMEM;
	if ((doc = pdf_open(bytes)) == NULL) {
		g_bytes_unref(bytes);
		return -MG_EPROTO;
	}
	npages = poppler_document_get_n_pages(doc);
	if (max_pages > PDF_RENDER_PAGES)
		max_pages = PDF_RENDER_PAGES;
	for (int i = 0; rc == 0 && i < npages && (unsigned)i < max_pages; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		struct image_gray img;
		uint64_t t0 = pdf_now_us();

		if (page == NULL)
			continue;
		rc = pdf_render_page(page, &img);
		g_object_unref(page);
		log_debug("pdf render page=%d pages=%d size=%ux%u rc=%d us=%" PRIu64, i, npages,
		    img.w, img.h, rc, pdf_now_us() - t0);
		if (rc == -MG_ELIMIT) {
			rc = 0;		/* an oversized page is skipped */
			continue;
		}
		if (rc == 0)
			rc = fn(&img, (unsigned)i, arg);
		image_gray_free(&img);
	}
	g_object_unref(doc);
	g_bytes_unref(bytes);
	return rc;
}
