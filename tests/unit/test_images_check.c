/* The images check (checks/images.h) through the engine, on messages built
 * here around the generated images: a listed phishing image shown through
 * cid: (resized and recompressed) -> IMAGE_KNOWN_PHISH; a listed brand logo
 * from another domain and from the brand's own; image-only mail with one
 * link, with OCR off and on (the lure reaches quarantine); an image-only
 * newsletter with many links and a text mail stay low; a missing list
 * file and a bad line fail the engine with FILE:LINE; the lure phrases;
 * engine.images settings and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "checks/images.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "files/phash.h"
#include "test_util.h"
#include "conf_fixture.h"
#include "images_fixture.h"

#define MSG_MAX		(1u << 20)

static char dir[] = "/tmp/test_images_check.XXXXXX";
static char list_path[1100];

/* Appends the base64 of file name in 76-column lines. */
static void
append_b64(char *out, size_t *n, const char *name)
{
	size_t len = 0;
	uint8_t *p = images_fixture_read(dir, name, &len);
	unsigned char *b64;
	size_t blen;

	assert_non_null(p);
	b64 = malloc(len * 4 / 3 + 8);
	blen = (size_t)EVP_EncodeBlock(b64, p, (int)len);
	for (size_t i = 0; i < blen; i += 76)
		*n += (size_t)snprintf(out + *n, MSG_MAX - *n, "%.*s\r\n",
		    (int)(blen - i < 76 ? blen - i : 76), b64 + i);
	free(b64);
	free(p);
}

/* A multipart/related message: html, then each image as an inline part
 * with Content-ID "img<i>" (and no file name). */
static char *
build(const char *from, const char *html, const char *const *images)
{
	char *m = malloc(MSG_MAX);
	size_t n = 0;

	n += (size_t)snprintf(m + n, MSG_MAX - n, "From: %s\r\nTo: u@corp.example\r\n"
	    "Subject: test\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/related; boundary=\"B\"\r\n\r\n"
	    "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n", from, html);
	for (size_t i = 0; images[i] != NULL; i++) {
		n += (size_t)snprintf(m + n, MSG_MAX - n, "--B\r\nContent-Type: image/png\r\n"
		    "Content-Transfer-Encoding: base64\r\nContent-ID: <img%zu>\r\n"
		    "Content-Disposition: inline\r\n\r\n", i);
		append_b64(m, &n, images[i]);
	}
	snprintf(m + n, MSG_MAX - n, "--B--\r\n");
	return m;
}

static struct mg_engine *
open_engine(bool ocr, const char *hashes, char *err, size_t errlen)
{
	static const struct mg_check *const checks[] = { &check_images };
	struct mg_conf conf = { 0 };
	struct mg_error e;
	struct mg_engine *eng;

	conf_engine_defaults(&conf.engine);
	conf.engine.images.hashes = (char *)hashes;
	conf.engine.images.ocr.enabled = ocr;
	eng = engine_open_checks(&conf, checks, 1, &e);
	snprintf(err, errlen, "%s", eng ? "" : e.text);
	return eng;
}

/* "NAME(score)=opt|opt,... category/action". */
static void
result_text(const struct mg_result *res, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < res->nsymbols && n < outlen; i++) {
		const struct mg_symbol *s = &res->symbols[i];
		n += (size_t)snprintf(out + n, outlen - n, "%s(%.2f)", s->name, s->score);
		for (size_t j = 0; j < s->noptions && n < outlen; j++)
			n += (size_t)snprintf(out + n, outlen - n, "%c%s", j ? '|' : '=',
			    s->options[j]);
		n += (size_t)snprintf(out + n, outlen - n, ",");
	}
	snprintf(out + n, outlen - n, " %s/%s", res->verdict,
	    mg_verdict_action_name(res->verdict_action));
}

static const char *const one_link =
    "<html><body><a href=\"https://secure-login.evil.example/acme\">"
    "<img src=\"cid:img0\"></a></body></html>";
static const char *const newsletter =
    "<html><body><a href=\"https://shop.example/a\"><img src=\"cid:img0\"></a>"
    "<a href=\"https://shop.example/b\"><img src=\"https://cdn.shop.example/b.png\"></a>"
    "<a href=\"https://shop.example/unsubscribe\">Unsubscribe</a></body></html>";
static const char *const wordy =
    "<html><body><p>Dear customer, please find our latest catalogue and the price list "
    "for the coming season below. Kind regards, the sales team.</p>"
    "<img src=\"cid:img0\"></body></html>";

static void
test_images_scan(void **state)
{
	static const struct {
		bool		 ocr;
		const char	*from, *html;
		const char	*images[3];
		const char	*want;
	} cases[] = {
		{ false, "shop@shop.example", "<p>Hello, this is a plain message with "
		  "enough words to read and no image at all.</p>", { NULL }, " clean/accept" },
		{ false, "sales@shop.example", wordy, { "logo_big.jpg" },
		  "IMAGE_KNOWN_PHISH(10.00)=cid:img0: fake ACME login, phishing/quarantine" },
		{ false, "news@bank-alerts.example", wordy, { "other.png" },
		  "IMAGE_BRAND_LOGO(4.00)=cid:img0: other bank logo, clean/accept" },
		{ false, "news@mail.other.example", wordy, { "other.png" }, " clean/accept" },
		{ false, "x@evil.example", one_link, { "lure.png" },
		  "IMAGE_SINGLE_LINK(3.00)=https://secure-login.evil.example/acme,"
		  "IMAGE_ONLY(1.50)=images 1 letters 0, clean/accept" },
		{ true, "x@evil.example", one_link, { "lure.png" },
		  "IMAGE_OCR_LURE(5.50)=cid:img0: password, verify, suspended, bank,"
		  "IMAGE_SINGLE_LINK(3.00)=https://secure-login.evil.example/acme,"
		  "IMAGE_ONLY(1.50)=images 1 letters 0, phishing/quarantine" },
		{ true, "news@shop.example", newsletter, { "other2.jpg" },
		  "IMAGE_ONLY(1.50)=images 2 letters 11, clean/accept" },
	};
	char err[512], got[2048];
	struct mg_engine *e[2];

	(void)state;
	for (int o = 0; o < 2; o++)
		if ((e[o] = open_engine(o, list_path, err, sizeof(err))) == NULL)
			fail_msg("open (ocr %d): %s", o, err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = build(cases[i].from, cases[i].html, cases[i].images);
		struct mg_result res;

		assert_int_equal(mg_scan(e[cases[i].ocr], NULL, (const uint8_t *)m, strlen(m),
		    &res), 0);
		result_text(&res, got, sizeof(got));
		printf("case %zu: %s\n", i, got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		mg_result_clear(&res);
		free(m);
	}
	mg_engine_close(e[0]);
	mg_engine_close(e[1]);
}

static void
test_images_list_errors(void **state)
{
	char path[1200], want[1300], err[512];
	FILE *f;

	(void)state;
	assert_null(open_engine(false, "/nonexistent/images.list", err, sizeof(err)));
	if (strstr(err, "/nonexistent/images.list: No such file or directory") == NULL)
		fail_msg("got \"%s\"", err);
	snprintf(path, sizeof(path), "%s/bad.list", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "# ok\n0000000000000000 0000000000000000 logo x.example x\nnonsense\n");
	fclose(f);
	assert_null(open_engine(false, path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:3: dHash 'nonsense' is not 16 hex digits", path);
	if (strstr(err, want) == NULL)
		fail_msg("got \"%s\", want it to hold \"%s\"", err, want);
}

static void
test_images_lure_phrases(void **state)
{
	static const struct { const char *text; unsigned n; const char *want; } cases[] = {
		{ "Your ACCOUNT is Suspended!\nVerify your pass-\nword", 2, "verify, suspended" },
		{ "Scan the QR code to update your payment details", 4,
		  "payment, scan the qr, qr code, update your" },
		{ "Summer sale: 20% off shoes", 0, "" },
		{ "passwords expired", 2, "password, expire" },
		{ "abank", 0, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		unsigned n = images_lure_phrases(cases[i].text, out, sizeof(out));

		if (n != cases[i].n || strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got %u \"%s\", want %u \"%s\"", i, n, out, cases[i].n,
			    cases[i].want);
	}
}

static void
test_images_conf(void **state)
{
#define IMG(s) CONF_BASE "engine = { images = {\n" s "\n}; };\n"
	static const struct conf_error_case errors[] = {
		{ IMG("colour = 1;"), "test.conf:6: unknown setting 'colour' in engine.images" },
		{ IMG("max_distance = 33;"), "test.conf:6: engine.images.max_distance = 33 is out "
		  "of range [0, 32]" },
		{ IMG("hashes = 5;"), "test.conf:6: 'hashes' must be a string in double quotes" },
		{ IMG("ocr = 1;"), "test.conf:6: 'engine.images.ocr' must be a group "
		  "{ enabled = ...; }" },
		{ IMG("ocr = { lang = \"eng++deu\"; };"), "test.conf:6: engine.images.ocr.lang "
		  "'eng++deu' is not a tesseract language list (eng, eng+deu)" },
		{ IMG("ocr = { max_pixels = 5; };"), "test.conf:6: engine.images.ocr.max_pixels "
		  "= 5 is out of range [10000, 16777216]" },
		{ IMG("ocr = { fast = true; };"), "test.conf:6: unknown setting 'fast' in "
		  "engine.images.ocr" },
	};
	char err[512], ok_text[1024];
	struct mg_conf *c;

	(void)state;
	conf_fixture_expect_errors(dir, errors, sizeof(errors) / sizeof(errors[0]));
	snprintf(ok_text, sizeof(ok_text), IMG("hashes = \"%s\"; max_distance = 4;\n"
	    "ocr = { enabled = true; lang = \"eng+osd\"; max_pixels = 200000; };"), list_path);
	if ((c = conf_fixture_load(dir, ok_text, err, sizeof(err))) == NULL)
		fail_msg("valid images settings refused: %s", err);
	if (strcmp(c->engine.images.hashes, list_path) != 0 || c->engine.images.max_distance != 4 ||
	    !c->engine.images.enabled || !c->engine.images.ocr.enabled ||
	    strcmp(c->engine.images.ocr.lang, "eng+osd") != 0 ||
	    c->engine.images.ocr.max_pixels != 200000 || c->engine.images.ocr.max_images != 4 ||
	    c->engine.images.max_text != 50)
		fail_msg("settings not as written");
	conf_free(c);
	check_failures();
#undef IMG
}

/* The list: logo.png as a phishing image, other.png as a brand's logo. */
static int
setup(void **state)
{
	static const struct { const char *file, *rest; } rows[] = {
		{ "logo.png", "phishing fake ACME login" },
		{ "other.png", "logo other.example other bank logo" },
	};
	FILE *f;

	(void)state;
	if (images_fixture_make(dir) < 0)
		return -1;
	snprintf(list_path, sizeof(list_path), "%s/images.list", dir);
	if ((f = fopen(list_path, "w")) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct image_hashes h;
		size_t len = 0;
		uint8_t *p = images_fixture_read(dir, rows[i].file, &len);

		if (p == NULL || phash_image(p, len, &h) != 0)
			return -1;
		fprintf(f, "%016llx %016llx %s\n", (unsigned long long)h.dhash,
		    (unsigned long long)h.phash, rows[i].rest);
		free(p);
	}
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	images_fixture_clean(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_images_scan),
		cmocka_unit_test(test_images_list_errors),
		cmocka_unit_test(test_images_lure_phrases),
		cmocka_unit_test(test_images_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
