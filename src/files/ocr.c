/* OCR with tesseract (ocr.h). Handles are expensive to create (the model
 * is loaded, ~0.1 s) and not thread-safe, so they are kept in a pool and
 * lent to one thread at a time; a thread finding none idle creates one up
 * to the pool size, else waits. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "core/err.h"
#include "files/ocr.h"

struct ocr {
	pthread_mutex_t	 lock;
	pthread_cond_t	 idle_cv;
	TessBaseAPI	*idle[OCR_POOL_MAX];
	unsigned	 nidle;
	unsigned	 created;
	unsigned	 max;
	char		*lang, *datapath;
	uint32_t	 max_pixels;
};

static pthread_once_t ocr_once = PTHREAD_ONCE_INIT;
static void (*ocr_omp_set_max_active_levels)(int);

/* Once per process: leptonica's messages about odd images ("Error in
 * pixScanForForeground") on stderr silenced (hostile images are expected
 * here), and libgomp's setter looked up. */
static void
ocr_process_init(void)
{
	setMsgSeverity(L_SEVERITY_NONE);
	ocr_omp_set_max_active_levels =
	    (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
}

/* Debian's tesseract runs its loops on OpenMP threads: on a busy machine
 * they cost far more than they save (measured 100-130 ms serial against
 * 500-1100 ms per image on two loaded cores), and the scanning threads
 * already use every core. Serialised through libgomp, looked up at run
 * time (ocr_process_init) so that nothing links OpenMP for it; a no-op
 * without it. */
static void
ocr_serial(void)
{
	if (ocr_omp_set_max_active_levels != NULL)
		ocr_omp_set_max_active_levels(0);
}

/* A new initialised handle, or NULL. */
static TessBaseAPI *
ocr_handle_new(const struct ocr *o)
{
	TessBaseAPI *api;

	if ((api = TessBaseAPICreate()) == NULL)
		return NULL;
	if (TessBaseAPIInit3(api, o->datapath, o->lang) != 0) {
		TessBaseAPIDelete(api);
		return NULL;
	}
	/* our own logs say what failed; tesseract's chatter goes nowhere */
	TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	TessBaseAPISetPageSegMode(api, PSM_AUTO);
	return api;
}

static void
ocr_handle_free(TessBaseAPI *api)
{
	TessBaseAPIEnd(api);
	TessBaseAPIDelete(api);
}

/* An idle handle, a new one, or NULL (out of memory) after waiting for one
 * to be returned when the pool is full. */
static TessBaseAPI *
ocr_take(struct ocr *o)
{
	TessBaseAPI *api = NULL;

	pthread_mutex_lock(&o->lock);
	while (o->nidle == 0 && o->created >= o->max)
		pthread_cond_wait(&o->idle_cv, &o->lock);
	if (o->nidle > 0) {
		api = o->idle[--o->nidle];
		pthread_mutex_unlock(&o->lock);
		return api;
	}
	o->created++;
	pthread_mutex_unlock(&o->lock);
	if ((api = ocr_handle_new(o)) == NULL) {
		pthread_mutex_lock(&o->lock);
		o->created--;
		pthread_cond_signal(&o->idle_cv);
		pthread_mutex_unlock(&o->lock);
	}
	return api;
}

static void
ocr_give(struct ocr *o, TessBaseAPI *api)
{
	TessBaseAPIClear(api);
	pthread_mutex_lock(&o->lock);
	o->idle[o->nidle++] = api;
	pthread_cond_signal(&o->idle_cv);
	pthread_mutex_unlock(&o->lock);
}

struct ocr *
ocr_new(const struct ocr_opts *opts, char *err, size_t errlen)
{
	struct ocr *o;
	TessBaseAPI *api;

	pthread_once(&ocr_once, ocr_process_init);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto nomem;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->idle_cv, NULL);
	o->max = opts->pool < 1 ? 1 : opts->pool > OCR_POOL_MAX ? OCR_POOL_MAX : opts->pool;
	o->max_pixels = opts->max_pixels;
	if ((o->lang = strdup(opts->lang ? opts->lang : "eng")) == NULL ||
	    (opts->datapath && (o->datapath = strdup(opts->datapath)) == NULL))
		goto nomem;
	if ((api = ocr_take(o)) == NULL) {
		snprintf(err, errlen, "tesseract: cannot load language '%s' from %s", o->lang,
		    o->datapath ? o->datapath : "the default tessdata directory");
		return ocr_free(o);
	}
	ocr_give(o, api);
	return o;
nomem:
	snprintf(err, errlen, "out of memory");
	return ocr_free(o);
}

/* Halves img until it holds at most max pixels. 0 or -MG_ENOMEM. */
static int
ocr_bound(struct image_gray *img, uint32_t max)
{
	while ((uint64_t)img->w * img->h > max) {
		unsigned side = img->w > img->h ? img->w : img->h;
		if (image_shrink(img, side / 2) < 0)
			return -MG_ENOMEM;
	}
	return 0;
}

/* Copies at most OCR_TEXT_MAX bytes of s (cut at a UTF-8 boundary). */
static char *
ocr_keep(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *out;

	if (n > OCR_TEXT_MAX) {
		n = OCR_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

int
ocr_gray(struct ocr *o, struct image_gray *img, unsigned timeout_ms, char **text)
{
	ETEXT_DESC *mon = NULL;
	TessBaseAPI *api;
	char *t;
	int rc = 0;

	*text = NULL;
	if (img->w < OCR_MIN_W || img->h < OCR_MIN_H)
		return (*text = ocr_keep("")) ? 0 : -MG_ENOMEM;
	if (ocr_bound(img, o->max_pixels) < 0)
		return -MG_ENOMEM;
	if (timeout_ms > 0 && (mon = TessMonitorCreate()) == NULL)
		return -MG_ENOMEM;
	if (mon != NULL)
		TessMonitorSetDeadlineMSecs(mon, (int)timeout_ms);
	if ((api = ocr_take(o)) == NULL) {
		if (mon != NULL)
			TessMonitorDelete(mon);
		return -MG_ENOMEM;
	}
	TessBaseAPISetImage(api, img->px, (int)img->w, (int)img->h, 1, (int)img->w);
	TessBaseAPISetSourceResolution(api, 96);	/* screen images: no guessing */
	ocr_serial();
	if (TessBaseAPIRecognize(api, mon) != 0)
		rc = mon != NULL ? -MG_ETIMEOUT : -MG_EIO;
	t = TessBaseAPIGetUTF8Text(api);
	if ((*text = ocr_keep(t)) == NULL)
		rc = -MG_ENOMEM;
	if (t != NULL)
		TessDeleteText(t);
	ocr_give(o, api);
	if (mon != NULL)
		TessMonitorDelete(mon);
	return rc;
}

int
ocr_image(struct ocr *o, const uint8_t *data, size_t len, unsigned timeout_ms, char **text)
{
	struct image_gray img;
	int rc;

	*text = NULL;
	if ((rc = image_decode(data, len, &img)) < 0)
		return rc;
	rc = ocr_gray(o, &img, timeout_ms, text);
	image_gray_free(&img);
	return rc;
}

struct ocr *
ocr_free(struct ocr *o)
{
	if (o == NULL)
		return NULL;
	for (unsigned i = 0; i < o->nidle; i++)
		ocr_handle_free(o->idle[i]);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->idle_cv);
	free(o->lang);
	free(o->datapath);
	free(o);
	return NULL;
}
