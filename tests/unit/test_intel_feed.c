/* The feed parsers on table inputs: text lists (URLs, hosts, host/path,
 * hosts files, adblock lines, comments), CSV (PhishTank, URLhaus, splunk
 * host+path), JSON (OpenPhish archive map, PhishTank array, URLhaus
 * object), malformed lines counted and quoted as FILE:LINE, the category
 * guessed from the file name, and the normalisation of the keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "intel/feed.h"

struct collect {
	char	 text[4096];
	size_t	 n;
};

/* "kind:key" entries separated by spaces; category and source once per run. */
static int
collect(const struct feed_entry *e, void *arg)
{
	struct collect *c = arg;

	c->n += (size_t)snprintf(c->text + c->n, sizeof(c->text) - c->n, "%s%s:%.*s",
	    c->n ? " " : "", intel_kind_name(e->kind), (int)e->keylen, e->key);
	return 0;
}

static void
test_formats(void **state)
{
	static const struct {
		const char	*path, *data, *want;
		size_t		 bad;
		const char	*first_bad;
	} cases[] = {
		{ "phish_urls.txt",
		  "# comment\nhttp://Evil.Example.COM/login.php?x=1\n\nhttps://a.b.example/\n"
		  "http://dhdhfh1.wixsite.com/my-site/\n",
		  "url:evil.example.com/login.php?x=1 host:a.b.example "
		  "prefix:dhdhfh1.wixsite.com/my-site", 0, NULL },
		/* hosts vs registrable domains, IPs, host/path prefixes */
		{ "domains.txt", "0022a601.pphost.net\n1.2.3.4\nevil.co.uk\n"
		  "2024.sci-hub.se/2294/x.pdf\nWWW.Example.ORG.\n",
		  "host:0022a601.pphost.net host:1.2.3.4 domain:evil.co.uk "
		  "prefix:2024.sci-hub.se/2294/x.pdf host:www.example.org", 0, NULL },
		{ "hosts", "# Title\n0.0.0.0 bad.example.net\n127.0.0.1 localhost\n"
		  "0.0.0.0 other.example.net # trailing\n",
		  "host:bad.example.net host:other.example.net", 0, NULL },
		{ "filters.txt", "[Adblock Plus]\n! Title\n||mail45.wixsite.com^$document\n"
		  "||pub-1.r2.dev^\n||x.example.com/path^\n",
		  "domain:mail45.wixsite.com domain:pub-1.r2.dev prefix:x.example.com/path", 0, NULL },
		{ "bad.txt", "good.example.com\nnot a host at all\n! comment\nhttp://\nlocalhost\n",
		  "host:good.example.com", 3, "bad.txt:2: not a URL or host" },
		/* CSV: PhishTank header, URLhaus commented header, splunk host+path */
		{ "verified_online.csv",
		  "phish_id,url,phish_detail_url,submission_time,verified\n"
		  "1,https://login.evil.test/a?b=c,https://phishtank/1,2025,yes\n"
		  "2,\"http://q.evil.test/x,y\",d,2025,yes\n",
		  "url:login.evil.test/a?b=c prefix:q.evil.test/x,y", 0, NULL },
		{ "urlhaus.csv", "# comment\n# id,dateadded,url,url_status,threat\n"
		  "\"3\",\"2025\",\"http://1.2.3.4:8080/bins/x.sh\",\"online\",\"malware\"\n",
		  "prefix:1.2.3.4:8080/bins/x.sh", 0, NULL },
		{ "urlhaus-filter-splunk-online.csv", "\"host\",\"path\",\"message\"\n"
		  "\"a.example.com\",\"\",\"m\"\n\"b.example.com\",\"dl/file.exe\",\"m\"\n",
		  "host:a.example.com prefix:b.example.com/dl/file.exe", 0, NULL },
		{ "nourl.csv", "id,name\n1,foo\n", "", 2, "nourl.csv:1: no url field" },
		/* JSON */
		{ "archive_2025.json", "{ \"http://x.vercel.app/\": \"2025-01-18\","
		  " \"https://y.example/p/q.html\": \"2025\" }",
		  "domain:x.vercel.app prefix:y.example/p/q.html", 0, NULL },
		{ "online-valid.json", "[ { \"phish_id\": 1, \"url\": \"http://p.example/x?y\" },"
		  " { \"url\": 5 }, { \"url\": \"nope nope\" } ]",
		  "url:p.example/x?y", 1, "online-valid.json:2: not a URL or host" },
		{ "recent.json", "{ \"urls\": { \"7\": [ { \"url\": \"http://m.example/a.exe\","
		  " \"host\": \"m.example\" } ] } }",
		  "prefix:m.example/a.exe domain:m.example", 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_spec spec = { .path = cases[i].path };
		struct feed_stats st = { 0 };
		struct collect c = { .n = 0 };
		char err[256] = "";
		int rc;

		rc = feed_parse(&spec, cases[i].data, strlen(cases[i].data), collect, &c, &st, err,
		    sizeof(err));
		if (rc != 0 || strcmp(c.text, cases[i].want) != 0 || st.bad != cases[i].bad ||
		    (cases[i].first_bad && strcmp(st.first_bad[0], cases[i].first_bad) != 0))
			fail_msg("case %zu (%s): rc %d err \"%s\"\n got  \"%s\" bad %zu \"%s\"\n"
			    " want \"%s\" bad %zu \"%s\"", i, cases[i].path, rc, err, c.text, st.bad,
			    st.first_bad[0], cases[i].want, cases[i].bad,
			    cases[i].first_bad ? cases[i].first_bad : "");
	}
}

static int
first_meta(const struct feed_entry *e, void *arg)
{
	snprintf(arg, 128, "%s/%s", intel_cat_name(e->category), e->source);
	return 1;	/* stops the parse after one */
}

/* Category guessed from the path unless given; source = file name. */
static void
test_category_source(void **state)
{
	static const struct {
		const char	*path, *source;
		unsigned	 category;
		const char	*want;
	} cases[] = {
		{ "/x/openphish/phish_urls.txt", NULL, 0, "phishing/phish_urls" },
		{ "/x/urlhaus_via_curbengh/urlhaus-filter-hosts.txt", NULL, 0,
		  "malware/urlhaus-filter-hosts" },
		{ "/x/spamlist", NULL, 0, "spam/spamlist" },
		{ "/x/list.txt", "mine", INTEL_CAT_MALWARE, "malware/mine" },
		{ "other.txt", NULL, 0, "phishing/other" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_spec spec = { .path = cases[i].path, .source = cases[i].source,
			.category = cases[i].category };
		struct feed_stats st = { 0 };
		char got[128] = "", err[64];

		assert_int_equal(feed_parse(&spec, "evil.example\n", 13, first_meta, got, &st, err,
		    sizeof(err)), 1);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got %s want %s", i, got, cases[i].want);
	}
}

/* Spellings of one URL give one key. */
static void
test_normalised_keys(void **state)
{
	static const struct { const char *a, *b; } cases[] = {
		{ "HTTP://EVIL.Example.COM/Login", "http://evil.example.com/Login" },
		{ "http://evil.example.com./a", "http://evil.example.com/a" },
		{ "http://evil.example.com:80/a", "http://evil.example.com/a" },
		{ "https://evil.example.com:443/a?q", "http://evil.example.com/a?q" },
		{ "http://evil.example.com/%7Euser/%61", "http://evil.example.com/~user/a" },
		{ "http://b\xc3\xbc" "cher.example/x", "http://xn--bcher-kva.example/x" },
		{ "http://user:pw@evil.example.com/x#frag", "evil.example.com/x" },
		{ "evil.example.com/a/b/", "http://evil.example.com/a/b" },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_entry x, y;

		assert_int_equal(feed_entry_of(a, cases[i].a, strlen(cases[i].a), &x), 0);
		assert_int_equal(feed_entry_of(a, cases[i].b, strlen(cases[i].b), &y), 0);
		if (x.kind != y.kind || x.keylen != y.keylen || memcmp(x.key, y.key, x.keylen) != 0)
			fail_msg("case %zu: %s -> %s:%.*s, %s -> %s:%.*s", i, cases[i].a,
			    intel_kind_name(x.kind), (int)x.keylen, x.key, cases[i].b,
			    intel_kind_name(y.kind), (int)y.keylen, y.key);
	}
	mg_arena_free(a);
}

static void
test_bad_json(void **state)
{
	struct feed_spec spec = { .path = "broken.json" };
	struct feed_stats st = { 0 };
	struct collect c = { .n = 0 };
	char err[256] = "";

	assert_int_equal(feed_parse(&spec, "{ \"a\": \n", 8, collect, &c, &st, err, sizeof(err)),
	    -MG_EPROTO);
	if (strncmp(err, "broken.json:", 12) != 0)
		fail_msg("got \"%s\", want broken.json:LINE: ...", err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_category_source),
		cmocka_unit_test(test_normalised_keys),
		cmocka_unit_test(test_bad_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
