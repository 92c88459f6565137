/* The url_heur check on parsed messages: each heuristic firing on its
 * trick and silent on the legitimate form (brand domains, the protected
 * domain, the sender's own links, plain newsletters), Cyrillic homoglyph
 * hosts, and engine.phish parsed and rejected with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/url_heur.h"
#include "core/err.h"
#include "mime/analyze.h"
#include "mime/mime.h"

static struct mime_analyze_ctx *actx;

/* A message from sender with body (text/html when it starts with '<'). */
static struct mime_msg *
message(struct mg_arena *a, const char *sender, const char *body, char *buf, size_t len)
{
	struct mime_limits lim;
	struct mime_msg *m;

	snprintf(buf, len, "From: <%s>\r\nTo: <a@mybank.com>\r\nSubject: t\r\n"
	    "Content-Type: text/%s; charset=utf-8\r\n\r\n%s\r\n", sender,
	    body[0] == '<' ? "html" : "plain", body);
	mime_limits_default(&lim);
	assert_non_null(m = mime_parse(a, (const uint8_t *)buf, strlen(buf), &lim));
	assert_int_equal(mime_analyze(actx, a, m), 0);
	return m;
}

static void
load_conf(struct mg_conf *conf, const char *redirectors)
{
	static char *prot[] = { "mybank.com" };

	memset(conf, 0, sizeof(*conf));
	conf_engine_defaults(&conf->engine);
	conf->engine.phish.protected = prot;
	conf->engine.phish.nprotected = 1;
	conf->engine.phish.redirectors = (char *)redirectors;
}

static void
test_cases(void **state)
{
	static const struct { const char *from, *body, *want; } cases[] = {
		/* 0: IP hosts */
		{ "x@shop.com", "see http://192.0.2.7/a and http://3232235777/b",
		  "URL_IP_LITERAL=192.0.2.7 URL_NUMERIC_IP=192.168.1.1" },
		/* userinfo that looks like a domain; a plain user name is fine */
		{ "x@shop.com", "https://mybank.com@evil.example.net/x",
		  "URL_USERINFO_TRICK=mybank.com -> evil.example.net" },
		{ "x@shop.com", "ftp://anonymous@files.example.org/pub", "" },
		/* data: and javascript: links */
		{ "x@shop.com", "<a href=\"data:text/html;base64,PGgxPg==\">open</a>",
		  "URL_DATA=data:text/html;base64,PGgxPg==" },
		{ "x@shop.com", "<a href=\"javascript:alert(1)\">open</a>",
		  "URL_JAVASCRIPT=javascript:alert(1)" },
		/* 5: text showing another domain than the href */
		{ "x@shop.com", "<a href=\"https://evil-site.net/x\">https://www.mybank.com/</a>",
		  "URL_TEXT_MISMATCH=mybank.com -> evil-site.net" },
		{ "x@shop.com", "<a href=\"https://www.mybank.com/a\">mybank.com</a>", "" },
		{ "x@shop.com", "<a href=\"https://shop.com/a\">click here</a>", "" },
		/* the sender's own links are not a mismatch, nor its login path */
		{ "news@shop.com", "<a href=\"https://shop.com/account/login\">www.other.org</a>",
		  "" },
		/* look-alikes: edit distance, confusables, Cyrillic homoglyphs */
		{ "x@shop.com", "https://paypa1.com/x", "URL_LOOKALIKE=paypa1.com ~ paypal" },
		/* 10 */
		{ "x@shop.com", "https://rnybank.com/x", "URL_LOOKALIKE=rnybank.com ~ mybank.com" },
		{ "x@shop.com", "https://mybnak.com/", "URL_LOOKALIKE=mybnak.com ~ mybank.com" },
		{ "x@shop.com", "https://\xd1\x80\xd0\xb0\xd1\x83\xd1\x80\xd0\xb0l.com/",
		  "URL_LOOKALIKE=\xd1\x80\xd0\xb0\xd1\x83\xd1\x80\xd0\xb0l.com ~ paypal" },
		{ "x@shop.com", "https://secure-\xd1\x80\xd0\xb0\xd1\x83\xd1\x80\xd0\xb0l-help.com/",
		  "URL_PUNYCODE_BRAND=secure-\xd1\x80\xd0\xb0\xd1\x83\xd1\x80\xd0\xb0l-help.com"
		  " ~ paypal" },
		/* the brands and the protected domain themselves */
		{ "x@shop.com", "https://www.paypal.com/signin https://mybank.com/login "
		  "https://paypal.de/ https://www.microsoft.com/account", "" },
		/* 15: brands as subdomains, deep subdomains */
		{ "x@shop.com", "https://paypal.com.secure-check.net/",
		  "URL_BRAND_SUBDOMAIN=paypal.com.secure-check.net" },
		{ "x@shop.com", "https://mybank-verify.host.example.org/",
		  "URL_BRAND_SUBDOMAIN=mybank-verify.host.example.org" },
		{ "x@shop.com", "https://a.b.c.d.example.org/",
		  "URL_DEEP_SUBDOMAIN=a.b.c.d.example.org" },
		{ "x@shop.com", "https://purchase.example.org/ https://mail.google.com/x "
		  "https://apple.slashdot.org/", "" },
		/* login words in the path */
		{ "x@shop.com", "https://example.org/secure/Verify.php",
		  "URL_LOGIN_PATH=example.org" },
		/* 20 */
		{ "x@shop.com", "https://example.org/verifying/blog", "" },
		/* shorteners, redirectors (path-prefixed entries), free hosting */
		{ "x@shop.com", "https://bit.ly/3abc https://www.google.com/url?q=x "
		  "https://www.google.com/search?q=x",
		  "URL_SHORTENER=bit.ly URL_REDIRECTOR=www.google.com" },
		{ "x@shop.com", "https://pub-123.r2.dev/x https://r2.dev.example.org/",
		  "URL_FREE_HOSTING=pub-123.r2.dev" },
		/* a link through a redirector is not a text mismatch */
		{ "x@shop.com", "<a href=\"https://bit.ly/x\">www.mybank.com</a>",
		  "URL_SHORTENER=bit.ly" },
	};
	struct mg_conf conf;
	struct symbol_table st;
	char err[256], buf[2048];
	void *h;

	load_conf(&conf, MG_SOURCE_DIR "/rules/urls/redirectors.txt");
	if (check_url_heur.init(&conf, &h, err, sizeof(err)) != 0)
		fail_msg("init: %s", err);
	check_symbols(&st, &check_url_heur, h);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_arena *a = mg_arena_new(1 << 16, 0);
		struct mime_msg *m = message(a, cases[i].from, cases[i].body, buf, sizeof(buf));
		struct mg_task t;
		char got[2048];

		assert_int_equal(task_init(&t, &st, (const uint8_t *)buf, strlen(buf), NULL,
		    1 << 20), 0);
		t.msg = m;
		assert_int_equal(check_url_heur.scan(h, &t), 0);
		symbols_text(&t, got, sizeof(got));
		printf("case %zu: got \"%s\"\n", i, got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		task_clear(&t);
		mg_arena_free(a);
	}
	symbol_table_clear(&st);
	check_url_heur.fini(h);
	conf.engine.phish.protected = NULL;
	conf.engine.phish.nprotected = 0;
	conf.engine.phish.redirectors = NULL;
	conf_engine_free(&conf.engine);
}

/* A bad redirector file is refused with FILE:LINE. */
static void
test_bad_redirectors(void **state)
{
	char path[] = "/tmp/mg-urlheur-XXXXXX", err[256];
	struct mg_conf conf;
	void *h;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "# c\nbit.ly shortener\nx.example sometimes\n", 41), 41);
	close(fd);
	load_conf(&conf, path);
	assert_int_equal(check_url_heur.init(&conf, &h, err, sizeof(err)), -MG_EINVAL);
	printf("got \"%s\"\n", err);
	assert_non_null(strstr(err, ":3: the kind is shortener or redirector"));
	assert_null(h);
	unlink(path);
	conf.engine.phish.protected = NULL;
	conf.engine.phish.nprotected = 0;
	conf.engine.phish.redirectors = NULL;
	conf_engine_free(&conf.engine);
}

/* engine.phish from a file (its group on line 5): values, and errors
 * naming FILE:LINE. */
static void
test_conf(void **state)
{
	static const struct { const char *text, *err; } cases[] = {
		{ "engine = { phish = { brands = [ \"Acme\" ]; lookalike_distance = 2; "
		  "free_hosting = [ ]; protected_domains = [ \"a.com\" ]; }; };", NULL },
		{ "engine = { phish = {\n brands = [ \"a b\" ]; }; };",
		  ":6: engine.phish.brands: 'a b' is not a domain label" },
		{ "engine = { phish = {\n lookalike_distance = 9; }; };", ":6:" },
		{ "engine = { phish = {\n colour = 1; }; };", ":6: unknown setting 'colour'" },
	};
	char dir[] = "/tmp/mg-urlheur-conf-XXXXXX", path[128], err[512];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf *c;
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "spool = \"%s/spool\";\nstore = \"%s/db\";\n"
		    "listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n"
		    "domains = ( { name = \"a.com\"; route = \"127.0.0.1:2526\"; } );\n%s\n",
		    dir, dir, cases[i].text);
		fclose(f);
		c = conf_load(path, err, sizeof(err));
		printf("case %zu: %s\n", i, c != NULL ? "loaded" : err);
		if (cases[i].err == NULL) {
			if (c == NULL)
				fail_msg("case %zu: %s", i, err);
			assert_int_equal(c->engine.phish.nbrands, 1);
			assert_string_equal(c->engine.phish.brands[0], "acme");
			assert_int_equal(c->engine.phish.lookalike_distance, 2);
			assert_non_null(c->engine.phish.free_hosting);
			assert_int_equal(c->engine.phish.nfree_hosting, 0);
			conf_free(c);
		} else if (c != NULL || strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, c ? "loaded" : err,
			    cases[i].err);
	}
	unlink(path);
	rmdir(dir);
}

static int
setup(void **state)
{
	char err[256];

	if ((actx = mime_analyze_ctx_new(err, sizeof(err))) == NULL)
		fail_msg("mime_analyze_ctx_new: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	actx = mime_analyze_ctx_free(actx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bad_redirectors),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
