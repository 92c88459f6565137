/* Perceptual hashes (files/phash.h): the same picture resized, recompressed
 * as JPEG and re-encoded as GIF/BMP stays within a few bits on both
 * hashes, unrelated pictures are far apart; tiny and flat images hash
 * without trouble; the list file's lines and its FILE:LINE errors; the
 * nearest-entry match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/err.h"
#include "files/phash.h"
#include "images_fixture.h"

#define NEAR	6	/* engine.images.max_distance's default */
#define FAR	16

static void
hash_file(const char *dir, const char *name, struct image_hashes *h)
{
	size_t len = 0;
	uint8_t *p = images_fixture_read(dir, name, &len);
	int rc;

	if (p == NULL)
		fail_msg("%s/%s: cannot read", dir, name);
	if ((rc = phash_image(p, len, h)) != 0)
		fail_msg("%s: phash_image: got %d, want 0", name, rc);
	free(p);
}

static void
test_phash_variants(void **state)
{
	static const struct { const char *name; int near; } cases[] = {
		{ "logo.png", 1 }, { "logo_small.png", 1 }, { "logo_big.jpg", 1 },
		{ "logo.gif", 1 }, { "logo.bmp", 1 },
		{ "other.png", 0 }, { "other2.jpg", 0 }, { "lure.png", 0 },
	};
	char dir[] = "/tmp/test_phash.XXXXXX";
	struct image_hashes base, h;

	(void)state;
	if (images_fixture_make(dir) < 0)
		skip();
	hash_file(dir, "logo.png", &base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned dd, pd;

		hash_file(dir, cases[i].name, &h);
		dd = phash_distance(base.dhash, h.dhash);
		pd = phash_distance(base.phash, h.phash);
		printf("%-15s dhash %016llx (%2u)  phash %016llx (%2u)\n", cases[i].name,
		    (unsigned long long)h.dhash, dd, (unsigned long long)h.phash, pd);
		if (cases[i].near && (dd > NEAR || pd > NEAR))
			fail_msg("%s: distances %u/%u, want both <= %d", cases[i].name, dd, pd, NEAR);
		if (!cases[i].near && dd + pd < 2 * FAR)
			fail_msg("%s: distances %u+%u, want at least %d", cases[i].name, dd, pd,
			    2 * FAR);
	}
	images_fixture_clean(dir);
}

/* Images smaller than the thumbnails, flat ones, and a one-pixel line. */
static void
test_phash_small(void **state)
{
	static const struct { unsigned w, h; uint8_t fill; } cases[] = {
		{ 1, 1, 0 }, { 1, 1, 255 }, { 3, 2, 128 }, { 1, 500, 7 }, { 500, 1, 9 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_gray g = { malloc((size_t)cases[i].w * cases[i].h), cases[i].w,
			cases[i].h };
		struct image_hashes h;

		memset(g.px, cases[i].fill, (size_t)g.w * g.h);
		assert_int_equal(phash_gray(&g, &h), 0);
		/* a flat image has no edges */
		if (h.dhash != 0)
			fail_msg("case %zu: dhash %016llx, want 0", i, (unsigned long long)h.dhash);
		free(g.px);
	}
	assert_int_equal(phash_image((const uint8_t *)"not an image", 12, &(struct image_hashes){ 0 }),
	    -MG_EINVAL);
}

static void
test_phash_list_lines(void **state)
{
	static const struct { const char *line; int rc; const char *want; } cases[] = {
		{ "", 0, "" },
		{ "   # comment", 0, "" },
		{ "c0c080262280c0c0 99C1DE62E199C13E phishing fake bank login page", 1,
		  "c0c080262280c0c0 99c1de62e199c13e 0 - fake bank login page" },
		{ "0000000000000001 ffffffffffffffff logo PayPal.COM paypal logo\r", 1,
		  "0000000000000001 ffffffffffffffff 1 paypal.com paypal logo" },
		{ "c0c08026 99c1de62e199c13e phishing x", -1, "dHash 'c0c08026' is not 16 hex digits" },
		{ "c0c080262280c0cg 99c1de62e199c13e phishing x", -1,
		  "dHash 'c0c080262280c0cg' is not 16 hex digits" },
		{ "c0c080262280c0c0", -1, "pHash missing or not 16 hex digits" },
		{ "c0c080262280c0c0 99c1de62e199c13e", -1, "category missing (phishing or logo)" },
		{ "c0c080262280c0c0 99c1de62e199c13e spam x", -1,
		  "category 'spam' is neither phishing nor logo" },
		{ "c0c080262280c0c0 99c1de62e199c13e phishing", -1, "label missing" },
		{ "c0c080262280c0c0 99c1de62e199c13e logo", -1, "a logo needs its brand's domain name" },
		{ "c0c080262280c0c0 99c1de62e199c13e logo nodot label", -1,
		  "a logo needs its brand's domain name" },
		{ "c0c080262280c0c0 99c1de62e199c13e logo bank.example", -1, "label missing" },
		{ "c0c080262280c0c0 99c1de62e199c13e phishing a\001b", -1,
		  "control character in the label" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct phash_entry e;
		char err[160] = "", got[400];
		int rc = phash_list_parse_line(cases[i].line, strlen(cases[i].line), &e, err,
		    sizeof(err));

		if (rc == 1)
			snprintf(got, sizeof(got), "%016llx %016llx %d %s %s",
			    (unsigned long long)e.h.dhash, (unsigned long long)e.h.phash,
			    (int)e.category, e.domain[0] ? e.domain : "-", e.label);
		else
			snprintf(got, sizeof(got), "%s", rc < 0 ? err : "");
		if (rc != cases[i].rc || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, rc, got,
			    cases[i].rc, cases[i].want);
	}
}

/* path gets text; the list loaded, or the error text in err. */
static struct phash_list *
load_text(const char *text, char *path, char *err, size_t errlen)
{
	int fd = mkstemp(path);
	struct phash_list *l;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	l = phash_list_load(path, err, errlen);
	unlink(path);
	return l;
}

static void
test_phash_list_file(void **state)
{
	static const char good[] =
	    "# known images\n"
	    "ffff000000000000 ffff000000000000 phishing first\n"
	    "\n"
	    "fff0000000000000 fff0000000000000 phishing second, nearer\n"
	    "0000ffff00000000 0000ffff00000000 logo bank.example bank logo\n";
	char path[] = "/tmp/test_phash_list.XXXXXX", path2[] = "/tmp/test_phash_list.XXXXXX";
	char err[256] = "", want[300];
	struct phash_list *l;
	const struct phash_entry *e;
	struct image_hashes probe = { 0xfff1000000000000ull, 0xfff0000000000000ull };

	(void)state;
	if ((l = load_text(good, path, err, sizeof(err))) == NULL)
		fail_msg("load: %s", err);
	assert_int_equal(l->n, 3);
	e = phash_list_match(l, &probe, 6);
	if (e == NULL || strcmp(e->label, "second, nearer") != 0)
		fail_msg("match: got %s, want \"second, nearer\"", e ? e->label : "none");
	probe.dhash = 0x00000000ffff0000ull;
	assert_null(phash_list_match(l, &probe, 6));
	probe = (struct image_hashes){ 0x0000fffe00000000ull, 0x0000ffff00000001ull };
	e = phash_list_match(l, &probe, 1);
	assert_true(e != NULL && e->category == PHASH_LOGO && strcmp(e->domain, "bank.example") == 0);
	assert_null(phash_list_match(l, &probe, 0));
	phash_list_free(l);

	assert_null(load_text("# x\n\nffff000000000000 zz phishing a\n", path2, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:3: pHash missing or not 16 hex digits", path2);
	if (strcmp(err, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", err, want);
	assert_null(phash_list_load("/nonexistent/list", err, sizeof(err)));
	if (strcmp(err, "/nonexistent/list: No such file or directory") != 0)
		fail_msg("got \"%s\"", err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phash_variants),
		cmocka_unit_test(test_phash_small),
		cmocka_unit_test(test_phash_list_lines),
		cmocka_unit_test(test_phash_list_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
