/* URLs: normalisation tables (IDN, public suffixes, numeric IPs, userinfo,
 * percent-encoding, ports, defanged forms, mailto/data/javascript, garbage),
 * extraction from text, the set of unique URLs, and the shared URL feeds
 * (../shared/corpus/urls, read at test time when present). Each case prints
 * what it got and what it wanted; all cases run before the test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "mime/url.h"

#define SL	URL_F_SCHEMELESS
#define OB	URL_F_OBFUSCATED

/* "url|host|host_unicode|domain|port|FLAG,FLAG" or "EINVAL". */
static void
render(char *buf, size_t cap, int rc, const struct mime_url *u)
{
	size_t n;
	unsigned i;

	if (rc != 0) {
		snprintf(buf, cap, "%s", rc == -MG_EINVAL ? "EINVAL" : mg_strerror(-rc));
		return;
	}
	snprintf(buf, cap, "%s|%s|%s|%s|%u|", u->url, u->host, u->host_unicode, u->domain,
	    u->port);
	for (i = 0; i < URL_F_COUNT; i++) {
		if (!(u->flags & (1u << i)))
			continue;
		n = strlen(buf);
		snprintf(buf + n, cap - n, "%s%s", buf[n - 1] == '|' ? "" : ",",
		    url_flag_name(1u << i));
	}
}

static const struct norm_case {
	const char	*raw;
	unsigned	 flags;
	const char	*want;
} norm_cases[] = {
	/* case, trailing dot, default ports, empty path, dot segments */
	{ "HTTP://WWW.Example.COM", 0,
	  "http://www.example.com/|www.example.com|www.example.com|example.com|0|" },
	{ "http://example.com./a", 0, "http://example.com/a|example.com|example.com|example.com|0|" },
	{ "https://example.com:443/x", 0, "https://example.com/x|example.com|example.com|example.com|0|" },
	{ "ftp://ftp.example.org:21/pub/", 0,
	  "ftp://ftp.example.org/pub/|ftp.example.org|ftp.example.org|example.org|0|" },
	{ "http://example.com:8080", 0,
	  "http://example.com:8080/|example.com|example.com|example.com|8080|NONSTANDARD_PORT" },
	{ "https://example.com:80/", 0,
	  "https://example.com:80/|example.com|example.com|example.com|80|NONSTANDARD_PORT" },
	{ "http://example.com:/", 0, "http://example.com/|example.com|example.com|example.com|0|" },
	{ "http://a.example/b/./c/../../d/..", 0, "http://a.example/|a.example|a.example|a.example|0|" },
	{ "http://a.example/%2e%2E/x/%2E", 0, "http://a.example/x/|a.example|a.example|a.example|0|" },
	/* percent-encoding: unreserved decoded, others upper case, bad ones escaped */
	{ "http://a.example/%7e%41%2f%3a?q=%7E%2b#%61", 0,
	  "http://a.example/~A%2F%3A?q=~%2B#a|a.example|a.example|a.example|0|" },
	{ "http://a.example/%zz%4", 0, "http://a.example/%25zz%254|a.example|a.example|a.example|0|" },
	{ "http://a.example/a b\"<>`{}|?x=\\y", 0,
	  "http://a.example/a%20b%22%3C%3E%60%7B%7D|?x=%5Cy|a.example|a.example|a.example|0|" },
	{ "http://a.example/caf\xc3\xa9", 0, "http://a.example/caf%C3%A9|a.example|a.example|a.example|0|" },
	{ "http://%65xample.com/", 0, "http://example.com/|example.com|example.com|example.com|0|" },
	{ "http://%45X%41MPLE.com/", 0, "http://example.com/|example.com|example.com|example.com|0|" },
	/* backslashes, slashes, whitespace */
	{ "http:\\\\example.com\\a\\b", 0, "http://example.com/a/b|example.com|example.com|example.com|0|" },
	{ "http:////example.com", 0, "http://example.com/|example.com|example.com|example.com|0|" },
	{ "  http://exa\nmple.com/a\tb\r\n ", 0,
	  "http://example.com/ab|example.com|example.com|example.com|0|" },
	/* IDN */
	{ "http://b\xc3\xbc" "cher.de/", 0,
	  "http://xn--bcher-kva.de/|xn--bcher-kva.de|b\xc3\xbc" "cher.de|xn--bcher-kva.de|0|IDN" },
	{ "http://B\xc3\x9c" "CHER.DE/", 0,
	  "http://xn--bcher-kva.de/|xn--bcher-kva.de|b\xc3\xbc" "cher.de|xn--bcher-kva.de|0|IDN" },
	{ "http://xn--bcher-kva.de/", 0,
	  "http://xn--bcher-kva.de/|xn--bcher-kva.de|b\xc3\xbc" "cher.de|xn--bcher-kva.de|0|PUNYCODE" },
	{ "http://XN--BCHER-KVA.de/", 0,
	  "http://xn--bcher-kva.de/|xn--bcher-kva.de|b\xc3\xbc" "cher.de|xn--bcher-kva.de|0|PUNYCODE" },
	{ "http://fa\xc3\x9f.de/", 0,		/* non-transitional: ß stays */
	  "http://xn--fa-hia.de/|xn--fa-hia.de|fa\xc3\x9f.de|xn--fa-hia.de|0|IDN" },
	{ "https://\xd0\xb0pple.com/", 0,	/* Cyrillic а: just normalised */
	  "https://xn--pple-43d.com/|xn--pple-43d.com|\xd0\xb0pple.com|xn--pple-43d.com|0|IDN" },
	{ "https://www.\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84/", 0,
	  "https://www.xn--e1afmkfd.xn--p1ai/|www.xn--e1afmkfd.xn--p1ai|"
	  "www.\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84|"
	  "xn--e1afmkfd.xn--p1ai|0|IDN" },
	{ "http://example\xe3\x80\x82" "com/", 0,	/* ideographic full stop */
	  "http://example.com/|example.com|example.com|example.com|0|IDN" },
	{ "http://%62%c3%bc" "cher.de/", 0,
	  "http://xn--bcher-kva.de/|xn--bcher-kva.de|b\xc3\xbc" "cher.de|xn--bcher-kva.de|0|IDN" },
	{ "http://xn--abc.com/", 0, "http://xn--abc.com/|xn--abc.com|xn--abc.com|xn--abc.com|0|PUNYCODE,BAD_HOST" },
	{ "http://b\xc3\xbc" "cher.de%00.evil.example/", 0,
	  "http://b%C3%BCcher.de%00.evil.example/|b%C3%BCcher.de%00.evil.example|"
	  "b%C3%BCcher.de%00.evil.example|b%C3%BCcher.de%00.evil.example|0|IDN,BAD_HOST" },
	/* public suffixes */
	{ "http://www.example.co.uk/", 0,
	  "http://www.example.co.uk/|www.example.co.uk|www.example.co.uk|example.co.uk|0|" },
	{ "https://foo.github.io/x", 0, "https://foo.github.io/x|foo.github.io|foo.github.io|foo.github.io|0|" },
	{ "https://a.b.s3.amazonaws.com/k", 0,
	  "https://a.b.s3.amazonaws.com/k|a.b.s3.amazonaws.com|a.b.s3.amazonaws.com|b.s3.amazonaws.com|0|" },
	{ "http://x.y.blogspot.com/", 0,
	  "http://x.y.blogspot.com/|x.y.blogspot.com|x.y.blogspot.com|y.blogspot.com|0|" },
	{ "http://co.uk/", 0, "http://co.uk/|co.uk|co.uk|co.uk|0|" },
	{ "http://localhost:8080/", 0,
	  "http://localhost:8080/|localhost|localhost|localhost|8080|NONSTANDARD_PORT" },
	/* IPs */
	{ "http://3232235777/", 0,
	  "http://192.168.1.1/|192.168.1.1|192.168.1.1|192.168.1.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://0xC0.0xA8.0x1.0x1/", 0,
	  "http://192.168.1.1/|192.168.1.1|192.168.1.1|192.168.1.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://0xc0a80101/", 0,
	  "http://192.168.1.1/|192.168.1.1|192.168.1.1|192.168.1.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://0300.0250.01.01/", 0,
	  "http://192.168.1.1/|192.168.1.1|192.168.1.1|192.168.1.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://192.168.257/", 0,
	  "http://192.168.1.1/|192.168.1.1|192.168.1.1|192.168.1.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://127.1/", 0, "http://127.0.0.1/|127.0.0.1|127.0.0.1|127.0.0.1|0|IP_LITERAL,NUMERIC_IP" },
	{ "http://10.0.0.1./x", 0, "http://10.0.0.1/x|10.0.0.1|10.0.0.1|10.0.0.1|0|IP_LITERAL" },
	{ "http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/", 0,	/* fullwidth digits */
	  "http://127.0.0.1/|127.0.0.1|127.0.0.1|127.0.0.1|0|IP_LITERAL,IDN" },
	{ "http://256.1.1.1/", 0, "http://256.1.1.1/|256.1.1.1|256.1.1.1|256.1.1.1|0|BAD_HOST" },
	{ "http://1.2.3.4.5/", 0, "http://1.2.3.4.5/|1.2.3.4.5|1.2.3.4.5|1.2.3.4.5|0|BAD_HOST" },
	{ "http://4294967296/", 0, "http://4294967296/|4294967296|4294967296|4294967296|0|BAD_HOST" },
	{ "http://[2001:DB8:0:0:0:0:0:1]:8443/x", 0,
	  "http://[2001:db8::1]:8443/x|[2001:db8::1]|[2001:db8::1]|[2001:db8::1]|8443|"
	  "IP_LITERAL,NONSTANDARD_PORT" },
	{ "http://[::ffff:192.168.1.1]/", 0,
	  "http://[::ffff:192.168.1.1]/|[::ffff:192.168.1.1]|[::ffff:192.168.1.1]|"
	  "[::ffff:192.168.1.1]|0|IP_LITERAL" },
	{ "http://[fe80::1%25eth0]/", 0,
	  "http://%5Bfe80%3A%3A1%25eth0%5D/|%5Bfe80%3A%3A1%25eth0%5D|%5Bfe80%3A%3A1%25eth0%5D|"
	  "%5Bfe80%3A%3A1%25eth0%5D|0|BAD_HOST" },
	/* userinfo */
	{ "https://bank.com@evil.example/login", 0,
	  "https://evil.example/login|evil.example|evil.example|evil.example|0|USERINFO" },
	{ "https://www.bank.com:secure@10.0.0.1/", 0,
	  "https://10.0.0.1/|10.0.0.1|10.0.0.1|10.0.0.1|0|IP_LITERAL,USERINFO" },
	{ "http://a@b@evil.example/", 0, "http://evil.example/|evil.example|evil.example|evil.example|0|USERINFO" },
	{ "http://evil.example\\@bank.com/", 0,
	  "http://evil.example/@bank.com/|evil.example|evil.example|evil.example|0|" },
	/* defanged */
	{ "hxxp://evil[.]example/x", 0, "http://evil.example/x|evil.example|evil.example|evil.example|0|OBFUSCATED" },
	{ "HXXPS://evil(dot)example{.}com", 0,
	  "https://evil.example.com/|evil.example.com|evil.example.com|example.com|0|OBFUSCATED" },
	{ "h**p://evil.example/", 0, "http://evil.example/|evil.example|evil.example|evil.example|0|OBFUSCATED" },
	{ "http[:]//evil.example/", 0, "http://evil.example/|evil.example|evil.example|evil.example|0|OBFUSCATED" },
	{ "https[://]evil.example/", 0, "https://evil.example/|evil.example|evil.example|evil.example|0|OBFUSCATED" },
	{ "ttp://evil.example/", 0, "http://evil.example/|evil.example|evil.example|evil.example|0|OBFUSCATED" },
	{ "evil [.] example [DOT] com/p", SL | OB,
	  "http://evil.example.com/p|evil.example.com|evil.example.com|example.com|0|OBFUSCATED,SCHEMELESS" },
	/* schemeless */
	{ "www.example.com/login", 0,
	  "http://www.example.com/login|www.example.com|www.example.com|example.com|0|SCHEMELESS" },
	{ "//cdn.example.net/x.js", 0,
	  "http://cdn.example.net/x.js|cdn.example.net|cdn.example.net|example.net|0|SCHEMELESS" },
	{ "example.com:8080/login", SL,
	  "http://example.com:8080/login|example.com|example.com|example.com|8080|NONSTANDARD_PORT,SCHEMELESS" },
	{ "example.com/login", 0, "EINVAL" },	/* a relative link without the flag */
	/* mailto, data, javascript, others */
	{ "mailto:John.Doe@Example.COM?subject=Hi%21", 0,
	  "mailto:John.Doe@example.com?subject=Hi%21|example.com|example.com|example.com|0|" },
	{ "MAILTO:a@b\xc3\xbc" "cher.de,c@d.example", 0,
	  "mailto:a@xn--bcher-kva.de,c@d.example|xn--bcher-kva.de|b\xc3\xbc" "cher.de|"
	  "xn--bcher-kva.de|0|IDN" },
	{ "mailto:nobody", 0, "EINVAL" },
	{ "mailto:a@", 0, "EINVAL" },
	{ "data:text/html;base64,PHNjcmlwdD4=", 0,
	  "data:text/html;base64,PHNjcmlwdD4=||||0|DATA" },
	{ "JavaScript:alert(document.cookie)", 0,
	  "javascript:alert(document.cookie)||||0|JAVASCRIPT" },
	{ "java\tscript://%0aalert(1)", 0, "javascript://%0Aalert(1)||||0|JAVASCRIPT" },
	{ "tel:+1 555 0100", 0, "tel:+1%20555%200100||||0|" },
	{ "file:///etc/passwd", 0, "file:///etc/passwd||||0|" },
	{ "file://fileserver/share/x.exe", 0,
	  "file://fileserver/share/x.exe|fileserver|fileserver|fileserver|0|" },
	{ "foo://Host.Example:99/p", 0,
	  "foo://host.example:99/p|host.example|host.example|host.example|99|NONSTANDARD_PORT" },
	/* bad hosts kept, garbage rejected */
	{ "http://exa mple.com/", 0,
	  "http://exa%20mple.com/|exa%20mple.com|exa%20mple.com|exa%20mple.com|0|BAD_HOST" },
	{ "http://a..example/", 0, "http://a..example/|a..example|a..example|a..example|0|BAD_HOST" },
	{ "http://example.com:99999/", 0, "EINVAL" },
	{ "http://example.com:8o/", 0, "EINVAL" },
	{ "http://example.com:%38%30/", 0, "http://example.com/|example.com|example.com|example.com|0|" },
	{ "http:///", 0, "EINVAL" },
	{ "http://user@/", 0, "EINVAL" },
	{ "http://.../", 0, "EINVAL" },
	{ "", 0, "EINVAL" },
	{ "   ", 0, "EINVAL" },
	{ "not a url", 0, "EINVAL" },
	{ "/relative/path", 0, "EINVAL" },
	{ "C:\\Windows\\evil.exe", 0, "EINVAL" },
	{ "1http://x.example/", 0, "EINVAL" },
	{ "javascript:", 0, "EINVAL" },
	{ "h*tp://x.example/", 0, "EINVAL" },
};

static void
test_normalize(void **state)
{
	char got[2048];
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_url u;
	size_t i;
	int rc, bad = 0;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];

		rc = url_normalize(a, c->raw, strlen(c->raw), c->flags, &u);
		render(got, sizeof(got), rc, &u);
		if (strcmp(got, c->want) != 0) {
			print_message("normalize case %zu \"%s\":\n  got  %s\n  want %s\n", i,
			    c->raw, got, c->want);
			bad++;
		}
		if (rc == 0 && (strcmp(u.raw, c->raw) != 0 || u.count != 1 ||
		    strncmp(u.url, u.scheme, strlen(u.scheme)) != 0)) {
			print_message("normalize case %zu: raw \"%s\" scheme \"%s\" count %u\n",
			    i, u.raw, u.scheme, u.count);
			bad++;
		}
	}
	mg_arena_free(a);
	if (bad)
		fail_msg("%d normalize cases failed", bad);
}

/* Normalising a normalised URL gives it back, with nothing left to undo. */
static int
check_idempotent(struct mg_arena *a, const char *what, const struct mime_url *u)
{
	const unsigned undone = URL_F_OBFUSCATED | URL_F_USERINFO | URL_F_NUMERIC_IP |
	    URL_F_SCHEMELESS | URL_F_TRUNCATED;
	char got[2048], want[2048];
	struct mime_url v;
	int rc;

	rc = url_normalize(a, u->url, strlen(u->url), 0, &v);
	render(got, sizeof(got), rc, &v);
	render(want, sizeof(want), 0, u);
	if (rc == 0 && strcmp(u->url, v.url) == 0 && strcmp(u->host, v.host) == 0 &&
	    strcmp(u->host_unicode, v.host_unicode) == 0 && strcmp(u->domain, v.domain) == 0 &&
	    strcmp(u->path, v.path) == 0 && u->port == v.port && (v.flags & undone) == 0)
		return 0;
	print_message("not idempotent, %s:\n  first  %s\n  second %s\n", what, want, got);
	return 1;
}

static void
test_idempotent(void **state)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_url u;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++)
		if (url_normalize(a, norm_cases[i].raw, strlen(norm_cases[i].raw),
		    norm_cases[i].flags, &u) == 0)
			bad += check_idempotent(a, norm_cases[i].raw, &u);
	mg_arena_free(a);
	if (bad)
		fail_msg("%d cases not idempotent", bad);
}

/* data: and javascript: keep URL_OPAQUE_MAX bytes; other URLs URL_MAX_LEN. */
static void
test_bounds(void **state)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	size_t big = 3 * URL_MAX_LEN, i;
	char *raw = malloc(big + 1);
	struct mime_url u;
	int bad = 0;

	assert_non_null(raw);
	memcpy(raw, "data:text/plain;base64,", 23);
	for (i = 23; i < big; i++)
		raw[i] = 'A' + i % 26;
	assert_int_equal(url_normalize(a, raw, big, 0, &u), 0);
	if (strlen(u.url) != 5 + URL_OPAQUE_MAX || !(u.flags & URL_F_TRUNCATED) ||
	    !(u.flags & URL_F_DATA) || strlen(u.raw) != URL_MAX_LEN) {
		print_message("data: got url %zu bytes, raw %zu, flags %#x\n", strlen(u.url),
		    strlen(u.raw), u.flags);
		bad++;
	}
	bad += check_idempotent(a, "long data:", &u);
	/* an escape is never cut: 5 + 198 bytes, then "%E9" does not fit */
	memcpy(raw, "javascript:", 11);
	memset(raw + 11, 'x', 198);
	memcpy(raw + 11 + 198, "\xe9\xe9", 2);
	assert_int_equal(url_normalize(a, raw, 11 + 200, 0, &u), 0);
	if (strlen(u.url) != 11 + 198 || !(u.flags & URL_F_TRUNCATED)) {
		print_message("javascript: got %zu bytes \"%s\"\n", strlen(u.url), u.url);
		bad++;
	}
	/* a path of non-ASCII bytes grows threefold and is cut at URL_MAX_LEN */
	memcpy(raw, "http://long.example/", 20);
	for (i = 20; i < big; i++)
		raw[i] = i % 97 == 0 ? '/' : (char)0xe9;
	assert_int_equal(url_normalize(a, raw, big, 0, &u), 0);
	if (strlen(u.url) > URL_MAX_LEN || strlen(u.url) < URL_MAX_LEN - 3 ||
	    !(u.flags & URL_F_TRUNCATED) || strcmp(u.host, "long.example") != 0) {
		print_message("long path: got %zu bytes, flags %#x\n", strlen(u.url), u.flags);
		bad++;
	}
	bad += check_idempotent(a, "long path", &u);
	/* a cut that leaves a dot segment */
	memcpy(raw, "http://long.example/", 20);
	for (i = 20; i < big; i++)
		raw[i] = (char)0xe9;
	memcpy(raw + 20 + (URL_MAX_LEN - 20 - 20 - 4) / 3, "/a/..", 5);
	assert_int_equal(url_normalize(a, raw, big, 0, &u), 0);
	bad += check_idempotent(a, "long path with dots", &u);
	/* a host longer than URL_HOST_MAX is not a URL */
	memcpy(raw, "http://", 7);
	memset(raw + 7, 'a', URL_HOST_MAX + 1);
	assert_int_equal(url_normalize(a, raw, 7 + URL_HOST_MAX + 1, 0, &u), -MG_EINVAL);
	free(raw);
	mg_arena_free(a);
	if (bad)
		fail_msg("%d bound checks failed", bad);
}

struct found {
	char		 text[4096];
	unsigned	 n, stop_at;
};

/* Renders each candidate as "[raw]" plus S (schemeless) and O (defanged). */
static int
collect(const char *raw, size_t len, unsigned flags, void *arg)
{
	struct found *f = arg;
	size_t n = strlen(f->text);

	snprintf(f->text + n, sizeof(f->text) - n, "%s[%.*s]%s%s", n ? " " : "", (int)len, raw,
	    flags & URL_F_SCHEMELESS ? "S" : "", flags & URL_F_OBFUSCATED ? "O" : "");
	if (!(flags & URL_F_FROM_TEXT))
		snprintf(f->text + strlen(f->text), sizeof(f->text) - strlen(f->text), "!TEXT");
	return ++f->n == f->stop_at ? 42 : 0;
}

static const struct extract_case {
	const char	*text;
	const char	*want;
} extract_cases[] = {
	{ "Visit http://example.com/path. Now!", "[http://example.com/path]" },
	{ "(see http://en.wikipedia.org/wiki/Foo_(bar)).", "[http://en.wikipedia.org/wiki/Foo_(bar)]" },
	{ "[t](http://md.example/a_(b)) and **https://bold.example/x**",
	  "[http://md.example/a_(b)] [https://bold.example/x]" },
	{ "a http://x.example/a... b http://y.example/?! c http://z.example/;",
	  "[http://x.example/a] [http://y.example/] [http://z.example/]" },
	{ "<http://example.com/in/angle> \"http://q.example/x\" 'http://s.example/y'",
	  "[http://example.com/in/angle] [http://q.example/x] [http://s.example/y]" },
	{ "<URL:http://rfc1738.example/> Note:https://n.example", "[http://rfc1738.example/] [https://n.example]" },
	{ "ftp://ftp.example.org/pub svn+ssh://svn.example/repo", "[ftp://ftp.example.org/pub] [svn+ssh://svn.example/repo]" },
	{ "http://www.example.com, https://example.org:", "[http://www.example.com] [https://example.org]" },
	{ "http://a.example/x,http://b.example/y", "[http://a.example/x,http://b.example/y]" },
	{ "http://example.com,http://b.example/", "[http://example.com] [http://b.example/]" },
	{ "http://example.com';return false", "[http://example.com]" },
	{ "http://[::1]:8080/y http://user:pw@bank.com@evil.example/",
	  "[http://[::1]:8080/y] [http://user:pw@bank.com@evil.example/]" },
	/* schemeless */
	{ "Go to www.Example.com! or WWW.example.org/x.", "[www.Example.com]S [WWW.example.org/x]S" },
	{ "example.com/login and shop.example.co.uk:8443/cart?x=1", "[example.com/login]S [shop.example.co.uk:8443/cart?x=1]S" },
	{ "foo.txt/bar e.g./i.e. 1.5/2 and/or v1.2/x www.example", "" },
	{ "/usr/share/foo.com/bar user@host.com/path abc.def/ghi", "" },
	{ "wwwexample.com/ thewww.example.com", "[wwwexample.com/]S" },
	/* defanged */
	{ "hxxp://evil[.]com/x and HXXPS://x.example", "[hxxp://evil[.]com/x]O [HXXPS://x.example]O" },
	{ "evil[.]example[.]org; bad (dot) example (dot) com/path",
	  "[evil[.]example[.]org]SO [bad (dot) example (dot) com/path]SO" },
	{ "evil [.] com/path or evil{.}net.", "[evil [.] com/path]SO [evil{.}net]SO" },
	{ "hxxps[:]//test.example/p h**p://x.example http[://]y.example/",
	  "[hxxps[:]//test.example/p]O [h**p://x.example]O [http[://]y.example/]O" },
	{ "see note(.)txt and file[.]exe and a[.]b[.]c", "" },
	/* mailto, data, javascript */
	{ "Mail mailto:John@Example.com? or mailto:noaddress here",
	  "[mailto:John@Example.com]" },
	{ "data:text/html;base64,PHNjcmlwdD4= data: none", "[data:text/html;base64,PHNjcmlwdD4=]" },
	{ "javascript:alert(1) javascript: no", "[javascript:alert(1)]" },
	/* CJK text, IDN, ideographic dots */
	{ "请访问http://example.cn/login谢谢，或者www.例子.中国/x。",
	  "[http://example.cn/login谢谢] [www.例子.中国/x]S" },
	{ "网址：example.com/中文 访问example.net/x", "[example.com/中文]S [example.net/x]S" },
	{ "«http://fr.example/page» “http://q.example/”", "[http://fr.example/page] [http://q.example/]" },
	{ "http://bücher.de/katalog http://example。com/x", "[http://bücher.de/katalog] [http://example。com/x]" },
	/* a wrapped URL is not joined */
	{ "http://example.com/very/long/\npath/continues", "[http://example.com/very/long/]" },
	{ "http:// example.com and ://x and http:", "" },
};

static void
test_extract(void **state)
{
	struct found f;
	size_t i;
	int rc, bad = 0;

	for (i = 0; i < sizeof(extract_cases) / sizeof(extract_cases[0]); i++) {
		const struct extract_case *c = &extract_cases[i];

		memset(&f, 0, sizeof(f));
		rc = url_extract_text(c->text, strlen(c->text), 100, collect, &f);
		if (rc != 0 || strcmp(f.text, c->want) != 0) {
			print_message("extract case %zu \"%s\":\n  got  %s (rc %d)\n  want %s\n",
			    i, c->text, f.text, rc, c->want);
			bad++;
		}
	}
	if (bad)
		fail_msg("%d extract cases failed", bad);
}

static void
test_extract_limits(void **state)
{
	const char *text = "http://a.example/ http://b.example/ http://c.example/";
	struct found f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(url_extract_text(text, strlen(text), 2, collect, &f), -MG_ELIMIT);
	assert_string_equal(f.text, "[http://a.example/] [http://b.example/]");
	memset(&f, 0, sizeof(f));
	assert_int_equal(url_extract_text(text, strlen(text), 3, collect, &f), 0);
	assert_int_equal(f.n, 3);
	memset(&f, 0, sizeof(f));
	f.stop_at = 2;
	assert_int_equal(url_extract_text(text, strlen(text), 100, collect, &f), 42);
	assert_int_equal(f.n, 2);
	memset(&f, 0, sizeof(f));
	assert_int_equal(url_extract_text(text, 0, 100, collect, &f), 0);
	assert_int_equal(f.n, 0);
}

static void
test_set(void **state)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct url_set *s = url_set_new(a, 3);
	struct mime_url *it;
	size_t n;

	assert_non_null(s);
	assert_int_equal(url_set_add(s, "http://B.example/x", 18, URL_F_FROM_TEXT), 0);
	assert_int_equal(url_set_add(s, "http://a.example/", 17, 0), 0);
	assert_int_equal(url_set_add(s, "hxxp://b[.]example/x", 20, URL_F_FROM_HTML), 0);
	assert_int_equal(url_set_add(s, "not a url", 9, 0), -MG_EINVAL);
	assert_int_equal(url_set_add(s, "http://c.example", 16, 0), 0);
	assert_int_equal(url_set_add(s, "http://d.example", 16, 0), -MG_ELIMIT);
	assert_int_equal(url_set_add(s, "HTTP://c.example:80/", 20, 0), 0);	/* repeat: counted */
	it = url_set_items(s, &n);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].url, "http://b.example/x");
	assert_string_equal(it[0].raw, "http://B.example/x");	/* first seen */
	assert_int_equal(it[0].count, 2);
	assert_int_equal(it[0].flags, URL_F_FROM_TEXT | URL_F_FROM_HTML | URL_F_OBFUSCATED);
	assert_string_equal(it[1].url, "http://a.example/");
	assert_int_equal(it[1].count, 1);
	assert_string_equal(it[2].url, "http://c.example/");
	assert_int_equal(it[2].count, 2);
	mg_arena_free(a);
}

/* 100k distinct URLs, each added twice: linear time, first-seen order. */
static void
test_set_many(void **state)
{
	struct mg_arena *a = mg_arena_new(1024 * 1024, 0);
	struct url_set *s = url_set_new(a, 200000);
	struct mime_url *it;
	char raw[64], want[64];
	size_t n, i;
	int len;

	for (i = 0; i < 200000; i++) {
		len = snprintf(raw, sizeof(raw), "http://h%zu.example/p%zu", i % 100000, i % 100000 % 7);
		assert_int_equal(url_set_add(s, raw, (size_t)len, 0), 0);
	}
	it = url_set_items(s, &n);
	assert_int_equal(n, 100000);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "http://h%zu.example/p%zu", i, i % 7);
		if (strcmp(it[i].url, want) != 0 || it[i].count != 2)
			fail_msg("item %zu: got %s count %u, want %s", i, it[i].url, it[i].count, want);
	}
	mg_arena_free(a);
}

static void
test_helpers(void **state)
{
	static const struct { const char *in; size_t want; } dots[] = {
		{ "[.]com", 3 }, { "(dot)com", 5 }, { "{DOT}com", 5 }, { "   [.]   com", 9 },
		{ "    [.]com", 0 }, { "[.] ", 3 }, { "[.)com", 0 }, { "(do)", 0 }, { ".", 0 },
		{ "", 0 }, { " (.) x", 5 },
	};
	static const struct { const char *in; bool want; } tlds[] = {
		{ "com", true }, { "UK", true }, { "xn--p1ai", true }, { "\xd1\x80\xd1\x84", true },
		{ "md", true }, { "txt", false }, { "php", false }, { "g", false }, { "1", false },
		{ "co.uk", false }, { "local", false }, { "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(dots) / sizeof(dots[0]); i++)
		if (url_obfuscated_dot(dots[i].in, strlen(dots[i].in)) != dots[i].want)
			fail_msg("url_obfuscated_dot(\"%s\"): got %zu, want %zu", dots[i].in,
			    url_obfuscated_dot(dots[i].in, strlen(dots[i].in)), dots[i].want);
	for (i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (url_known_tld(tlds[i].in, strlen(tlds[i].in)) != tlds[i].want)
			fail_msg("url_known_tld(\"%s\"): got %d", tlds[i].in, !tlds[i].want);
	assert_string_equal(url_flag_name(URL_F_OBFUSCATED), "OBFUSCATED");
	assert_string_equal(url_flag_name(URL_F_TRUNCATED), "TRUNCATED");
	assert_null(url_flag_name(1u << URL_F_COUNT));
	assert_null(url_flag_name(URL_F_DATA | URL_F_IDN));
}

/* Whether the extractor must find line whole: a URL with a scheme, or a
 * schemeless one with a path and a known top-level domain, and nothing at
 * the end that is trimmed as punctuation. */
static bool
expect_found(const char *line, size_t len, unsigned flags)
{
	const char *slash, *dot, *colon;

	if (strchr(".,;:!?')]}*", line[len - 1]) != NULL || strchr(line, ' ') != NULL)
		return false;
	if (!(flags & URL_F_SCHEMELESS))
		return true;
	if ((slash = strchr(line, '/')) == NULL)
		return false;
	if ((colon = memchr(line, ':', (size_t)(slash - line))) != NULL)
		slash = colon;
	for (dot = slash; dot > line && dot[-1] != '.'; dot--)
		;
	return dot > line && url_known_tld(dot, (size_t)(slash - dot));
}

/* Every line of a feed file: normalised (flags) and idempotent, and found
 * whole by the extractor when it should be. */
static int
check_feed(struct mg_arena *a, const char *path, unsigned flags, unsigned *lines, unsigned *fail)
{
	char line[8192], what[8300];
	struct mime_url u;
	struct found f;
	FILE *fp;
	size_t len;
	int bad = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((len = strcspn(line, "\r\n")) == 0 || line[0] == '#')
			continue;
		line[len] = '\0';
		(*lines)++;
		if (url_normalize(a, line, len, flags, &u) != 0) {
			if (++*fail <= 10)
				print_message("feed %s: not a URL: %s\n", path, line);
			continue;
		}
		snprintf(what, sizeof(what), "%s", line);
		bad += check_idempotent(a, what, &u);
		memset(&f, 0, sizeof(f));
		if (expect_found(line, len, flags) &&
		    url_extract_text(line, len, 10, collect, &f) == 0 &&
		    (f.n != 1 || strncmp(f.text + 1, line, len) != 0 || f.text[len + 1] != ']')) {
			if (++*fail <= 10)
				print_message("feed %s: extracted %s from %s\n", path, f.text, line);
		}
	}
	fclose(fp);
	return bad;
}

static void
test_feeds(void **state)
{
	static const struct { const char *file; unsigned flags; } feeds[] = {
		{ "openphish_via_stephenhawk8054/phish_urls.txt", 0 },
		{ "urlhaus_via_curbengh/urlhaus_online_host_paths.txt", URL_F_SCHEMELESS },
		{ "urlhaus_via_curbengh/urlhaus-filter-domains.txt", URL_F_SCHEMELESS },
		{ "benign/moz_top500_domains.txt", URL_F_SCHEMELESS },
		{ "benign/rspamd_redirectors.txt", URL_F_SCHEMELESS },
	};
	char dir[4096], path[4200];
	struct mg_arena *a;
	unsigned lines = 0, fail = 0;
	size_t i;
	int bad = 0, rc, found = 0;

	snprintf(dir, sizeof(dir), "%s/../shared/corpus/urls", MG_SOURCE_DIR);
	if ((a = mg_arena_new(1024 * 1024, 0)) == NULL)
		fail();
	for (i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, feeds[i].file);
		if ((rc = check_feed(a, path, feeds[i].flags, &lines, &fail)) < 0)
			continue;
		found++;
		bad += rc;
	}
	mg_arena_free(a);
	if (found == 0)
		skip();
	print_message("feeds: %u URLs, %u not normalised or not extracted whole, %d not idempotent\n",
	    lines, fail, bad);
	if (bad > 0 || fail > lines / 1000)
		fail_msg("feeds: %d not idempotent, %u failures in %u lines", bad, fail, lines);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_extract_limits),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_many),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_feeds),
	};
	char err[256];

	if (url_init(err, sizeof(err)) != 0)
		print_message("url_init: %s\n", err);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
