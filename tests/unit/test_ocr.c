/* OCR (files/ocr.h) of the generated lure image: the words read, the cost
 * (milliseconds per image, resident memory of the tesseract handles,
 * printed), the size bound, images too small to read, a language that is
 * not installed, and the handle pool shared by several threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <cmocka.h>

#include "core/err.h"
#include "files/ocr.h"
#include "images_fixture.h"

#define THREADS	4

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long
max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Fails unless text holds each of the words (case aside). */
static void
expect_words(const char *what, const char *text, const char *const *words)
{
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcasestr(text, words[i]) == NULL)
			fail_msg("%s: \"%s\" not in the text read: \"%s\"", what, words[i], text);
}

static void
test_ocr_lure(void **state)
{
	static const char *const words[] = { "account", "suspended", "verify", "password", NULL };
	struct ocr_opts o = { .max_pixels = 4000000, .pool = 2 };
	char dir[] = "/tmp/test_ocr.XXXXXX", err[256], *text;
	long rss0 = max_rss_kb(), rss1;
	double t0, t1, t2;
	size_t len = 0;
	uint8_t *png;
	struct ocr *ocr;

	(void)state;
	if (images_fixture_make(dir) < 0)
		skip();
	png = images_fixture_read(dir, "lure.png", &len);
	assert_non_null(png);
	t0 = now_ms();
	if ((ocr = ocr_new(&o, err, sizeof(err))) == NULL)
		fail_msg("ocr_new: %s", err);
	t1 = now_ms();
	rss1 = max_rss_kb();
	assert_int_equal(ocr_image(ocr, png, len, 0, &text), 0);
	t2 = now_ms();
	expect_words("lure.png", text, words);
	printf("ocr: init %.0f ms, +%ld KiB RSS; lure.png (900x160) %.0f ms, max RSS %ld KiB\n"
	    "text: %s", t1 - t0, rss1 - rss0, t2 - t1, max_rss_kb(), text);
	free(text);
	/* a second image on the warm handle */
	t1 = now_ms();
	assert_int_equal(ocr_image(ocr, png, len, 5000, &text), 0);
	printf("ocr: lure.png again, with a deadline: %.0f ms\n", now_ms() - t1);
	expect_words("lure.png again", text, words);
	free(text);
	ocr_free(ocr);
	free(png);
	images_fixture_clean(dir);
}

/* A bound smaller than the image shrinks it first; tiny images are not
 * read; corrupt bytes are refused. */
static void
test_ocr_bounds(void **state)
{
	struct ocr_opts o = { .max_pixels = 10000, .pool = 1 };
	struct image_gray g = { malloc(200 * 200), 200, 200 };
	struct image_gray tiny = { malloc(20 * 10), 20, 10 };
	char err[256], *text;
	struct ocr *ocr;

	(void)state;
	if ((ocr = ocr_new(&o, err, sizeof(err))) == NULL)
		fail_msg("ocr_new: %s", err);
	memset(g.px, 255, 200 * 200);
	assert_int_equal(ocr_gray(ocr, &g, 0, &text), 0);
	if ((uint64_t)g.w * g.h > 10000)
		fail_msg("image of %ux%u, want at most 10000 pixels", g.w, g.h);
	free(text);
	memset(tiny.px, 0, 200);
	assert_int_equal(ocr_gray(ocr, &tiny, 0, &text), 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(ocr_image(ocr, (const uint8_t *)"\x89PNG\r\n\x1a\nxx", 10, 0, &text),
	    -MG_EPROTO);
	assert_null(text);
	ocr_free(ocr);
	free(g.px);
	free(tiny.px);
}

static void
test_ocr_bad_lang(void **state)
{
	struct ocr_opts o = { .lang = "xxx", .max_pixels = 10000, .pool = 1 };
	char err[256] = "";

	(void)state;
	assert_null(ocr_new(&o, err, sizeof(err)));
	if (strstr(err, "cannot load language 'xxx'") == NULL)
		fail_msg("got \"%s\"", err);
}

struct shared {
	struct ocr	*ocr;
	const uint8_t	*png;
	size_t		 len;
	int		 ok;
};

static void *
ocr_thread(void *arg)
{
	struct shared *s = arg;
	char *text = NULL;

	s->ok = ocr_image(s->ocr, s->png, s->len, 0, &text) == 0 &&
	    strcasestr(text, "password") != NULL;
	free(text);
	return NULL;
}

/* More threads than handles: each waits its turn, every one reads. */
static void
test_ocr_threads(void **state)
{
	struct ocr_opts o = { .max_pixels = 4000000, .pool = 2 };
	char dir[] = "/tmp/test_ocr.XXXXXX", err[256];
	struct shared s[THREADS];
	pthread_t th[THREADS];
	struct ocr *ocr;
	size_t len = 0;
	uint8_t *png;
	double t0;

	(void)state;
	if (images_fixture_make(dir) < 0)
		skip();
	png = images_fixture_read(dir, "lure.png", &len);
	assert_non_null(png);
	if ((ocr = ocr_new(&o, err, sizeof(err))) == NULL)
		fail_msg("ocr_new: %s", err);
	t0 = now_ms();
	for (int i = 0; i < THREADS; i++) {
		s[i] = (struct shared){ ocr, png, len, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, ocr_thread, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (!s[i].ok)
			fail_msg("thread %d did not read the lure", i);
	}
	printf("ocr: %d images on 2 handles in %.0f ms, max RSS %ld KiB\n", THREADS,
	    now_ms() - t0, max_rss_kb());
	ocr_free(ocr);
	free(png);
	images_fixture_clean(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocr_lure),
		cmocka_unit_test(test_ocr_bounds),
		cmocka_unit_test(test_ocr_bad_lang),
		cmocka_unit_test(test_ocr_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
