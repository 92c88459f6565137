/* QR scanning (files/qr.h) on a code drawn here at several module sizes
 * (one pixel per module needs the enlarged retry), on blank and noisy
 * images, and through image bytes (a BMP written here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "files/qr.h"
#include "qr_fixture.h"

static void
expect_codes(const char *what, const struct qr_result *r, const char *want)
{
	const char *got = r->n > 0 ? r->codes[0].text : "(none)";

	if (r->n > 1 || strcmp(got, want) != 0)
		fail_msg("%s: got %u code(s), first \"%s\", want \"%s\"", what, r->n, got, want);
}

static void
test_module_sizes(void **state)
{
	static const unsigned modules[] = { 1, 2, 3, 4, 8, 16 };

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		struct image_gray g = qr_fixture_gray(modules[i]);
		struct qr_result r;
		char what[64];

		assert_int_equal(qr_scan_gray(&g, &r), 0);
		snprintf(what, sizeof(what), "module %u px", modules[i]);
		expect_codes(what, &r, QR_FIXTURE_URL);
		image_gray_free(&g);
	}
}

/* Images without a code: white, black, stripes, pseudo-random noise. */
static void
test_no_code(void **state)
{
	for (unsigned kind = 0; kind < 4; kind++) {
		struct image_gray g = { malloc(300 * 200), 300, 200 };
		struct qr_result r;
		uint32_t seed = 12345;
		char what[32];

		for (size_t i = 0; i < 300 * 200; i++) {
			seed = seed * 1103515245 + 12345;
			g.px[i] = kind == 0 ? 255 : kind == 1 ? 0 : kind == 2 ?
			    ((i % 300) / 7 % 2) * 255 : (uint8_t)(seed >> 16);
		}
		assert_int_equal(qr_scan_gray(&g, &r), 0);
		snprintf(what, sizeof(what), "blank kind %u", kind);
		expect_codes(what, &r, "(none)");
		image_gray_free(&g);
	}
}

static void
test_scan_bytes(void **state)
{
	struct image_gray g = qr_fixture_gray(4);
	struct qr_result r;
	size_t len;
	uint8_t *bmp = qr_fixture_bmp24(&g, &len);

	assert_int_equal(qr_scan_image(bmp, len, &r), 0);
	expect_codes("BMP bytes", &r, QR_FIXTURE_URL);
	assert_int_equal(qr_scan_image((const uint8_t *)"hello", 5, &r), -MG_EINVAL);
	assert_int_equal(r.n, 0);
	free(bmp);
	image_gray_free(&g);
}

/* A large image is shrunk before scanning and the code still read. */
static void
test_large_image(void **state)
{
	struct image_gray g = qr_fixture_gray(100), big;
	struct qr_result r;

	assert_int_equal(g.w, 3300);
	big = g;
	assert_int_equal(image_shrink(&big, QR_SCAN_SIDE), 0);
	if (big.w > QR_SCAN_SIDE || big.h > QR_SCAN_SIDE)
		fail_msg("shrunk to %ux%u, want at most %u", big.w, big.h, QR_SCAN_SIDE);
	assert_int_equal(qr_scan_gray(&big, &r), 0);
	expect_codes("3300 px shrunk", &r, QR_FIXTURE_URL);
	image_gray_free(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_sizes),
		cmocka_unit_test(test_no_code),
		cmocka_unit_test(test_scan_bytes),
		cmocka_unit_test(test_large_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
