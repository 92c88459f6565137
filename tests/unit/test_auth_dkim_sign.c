/* DKIM signing: engine.dkim loaded from a configuration file with key
 * files written here (the FILE:LINE: reason of each mistake), the signer
 * picking the key by the From domain or its parent, the field it writes
 * (tags, h= with From over-signed, relaxed/relaxed), and its signatures
 * verifying; time per signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/pem.h>

#include "test_util.h"
#include "dkim_fixture.h"
#include "core/conf.h"

#define MINIMAL \
	"spool = \"spool\";\nstore = \"db/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"

static char dir[] = "/tmp/mg-dkim-sign-XXXXXX";
static EVP_PKEY *rsa_key, *ed_key;

static const char msg_text[] =
	"Received: from client by gw; Mon, 2 Mar 2026 09:00:00 +0000\r\n"
	"From: Alice <alice@news.example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: Hello\r\n"
	"List-Id: <news.example.org>\r\n"
	"X-Mailer: test\r\n"
	"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
	"Message-ID: <1@news.example.org>\r\n"
	"\r\n"
	"Body.\r\n";

static const char *
write_file(const char *name, const char *text)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	return p;
}

static void
write_key(const char *name, EVP_PKEY *pk)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static struct mg_conf *
load(const char *engine, char *err, size_t errlen)
{
	char text[2048];

	snprintf(text, sizeof(text), MINIMAL "engine = { dkim = { %s }; };\n", engine);
	return conf_load(write_file("test.conf", text), err, errlen);
}

static void
test_config(void **state)
{
	char err[512] = "", want[512];
	struct mg_conf *c = load("sign = ( { domain = \"Example.ORG\"; selector = \"mg2026\"; "
	    "key = \"keys/../rsa.key\"; }, { domain = \"ed.example\"; selector = \"e1\"; "
	    "key = \"ed.key\"; } );", err, sizeof(err));

	if (c == NULL)
		fail_msg("load: %s", err);
	assert_true(c->engine.dkim.verify);
	assert_int_equal(c->engine.dkim.nsign, 2);
	check_str("domain", c->engine.dkim.sign[0].domain, "example.org");
	check_str("selector", c->engine.dkim.sign[0].selector, "mg2026");
	snprintf(want, sizeof(want), "%s/rsa.key", dir);
	check_str("key path", c->engine.dkim.sign[0].key, want);
	conf_free(c);
	c = load("verify = false;", err, sizeof(err));
	assert_non_null(c);
	assert_false(c->engine.dkim.verify);
	assert_int_equal(c->engine.dkim.nsign, 0);
	conf_free(c);
	check_failures();
}

/* engine.dkim texts refused, and what the error must contain. */
static const struct { const char *engine, *want; } config_errors[] = {
	{ "verify = 1;", "test.conf:5: engine.dkim.verify must be true or false" },
	{ "sign = { domain = \"a.example\"; };", "test.conf:5: engine.dkim.sign must be a list" },
	{ "signing = ();", "test.conf:5: unknown setting 'signing'" },
	{ "sign = ( { domain = \"a.example\"; selector = \"s\"; key = \"rsa.key\"; x = 1; } );",
	  "test.conf:5: unknown setting 'x'" },
	{ "sign = ( { domain = \"a.example\"; key = \"rsa.key\"; } );",
	  "test.conf:5: missing setting 'selector'" },
	{ "sign = ( { domain = \"a example\"; selector = \"s\"; key = \"rsa.key\"; } );",
	  "test.conf:5: engine.dkim.sign: 'a example' is not a domain name" },
	{ "sign = ( { domain = \"a.example\"; selector = \"s/1\"; key = \"rsa.key\"; } );",
	  "'s/1' is not a selector" },
	{ "sign = ( { domain = \"a.example\"; selector = \"s\"; key = \"missing.key\"; } );",
	  "test.conf:5: cannot read DKIM key " },
	{ "sign = ( { domain = \"a.example\"; selector = \"s\"; key = \"junk.key\"; } );",
	  "junk.key is not an unencrypted PEM RSA or Ed25519 private key" },
	{ "sign = ( { domain = \"a.example\"; selector = \"s\"; key = \"small.key\"; } );",
	  "small.key has 512 bits (1024 to 8192 are usable)" },
	{ "sign = ( { domain = \"a.example\"; selector = \"s\"; key = \"rsa.key\"; },\n"
	  "{ domain = \"A.example\"; selector = \"t\"; key = \"ed.key\"; } );",
	  "test.conf:6: engine.dkim.sign: a second key for a.example" },
};

static void
test_config_errors(void **state)
{
	for (size_t i = 0; i < sizeof(config_errors) / sizeof(config_errors[0]); i++) {
		char err[512] = "", what[64];
		struct mg_conf *c = load(config_errors[i].engine, err, sizeof(err));

		snprintf(what, sizeof(what), "config error %zu", i);
		if (c != NULL) {
			conf_free(c);
			snprintf(err, sizeof(err), "(accepted)");
		}
		if (strstr(err, config_errors[i].want) == NULL)
			check_str(what, err, config_errors[i].want);
	}
	check_failures();
}

static struct dkim_signer *
open_signer(void)
{
	char err[512] = "";
	struct mg_conf *c = load("sign = ( { domain = \"example.org\"; selector = \"mg2026\"; "
	    "key = \"rsa.key\"; }, { domain = \"ed.example\"; selector = \"e1\"; "
	    "key = \"ed.key\"; } );", err, sizeof(err));
	struct dkim_signer *s;

	if (c == NULL)
		fail_msg("load: %s", err);
	if ((s = dkim_signer_open(&c->engine.dkim, err, sizeof(err))) == NULL)
		fail_msg("dkim_signer_open: %s", err);
	conf_free(c);
	return s;
}

/* The value of tag in the field f (a copy without blanks), "" if absent. */
static const char *
tag_value(const char *f, const char *tag)
{
	static char v[1024];
	char pat[16];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", tag);
	for (p = f; (p = strstr(p, pat + 1)) != NULL; p++)
		if (p > f && (p[-1] == ' ' || p[-1] == '\t'))
			break;
	v[0] = '\0';
	for (p = p ? p + strlen(tag) + 1 : ""; *p && *p != ';' && n + 1 < sizeof(v); p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			v[n++] = *p;
	v[n] = '\0';
	return v;
}

static char *
sign_with(const struct dkim_signer *s, const char *domain, const char *msg, int *rc)
{
	struct mg_buf out;
	char *res;

	mg_buf_init(&out, 0);
	*rc = dkim_sign(s, domain, (const uint8_t *)msg, strlen(msg), &out);
	if (*rc == 0)
		assert_int_equal(mg_buf_append(&out, msg, strlen(msg)), 0);
	assert_int_equal(mg_buf_cstr(&out), 0);
	res = strdup(out.data ? (char *)out.data : "");
	mg_buf_release(&out);
	return res;
}

static void
test_signer_field(void **state)
{
	struct dkim_signer *s = open_signer();
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_result *r;
	char *rec = key_record(rsa_key, ""), *m, got[128];
	long long t;
	int rc;

	m = sign_with(s, "news.example.org", msg_text, &rc);
	assert_int_equal(rc, 0);
	check_str("start", strstr(m, "DKIM-Signature: v=1;") == m ? "ok" : m, "ok");
	check_str("a=", tag_value(m, "a"), "rsa-sha256");
	check_str("c=", tag_value(m, "c"), "relaxed/relaxed");
	check_str("d=", tag_value(m, "d"), "example.org");
	check_str("s=", tag_value(m, "s"), "mg2026");
	check_str("h=", tag_value(m, "h"),
	    "from:to:subject:list-id:date:message-id:from");
	t = atoll(tag_value(m, "t"));
	if (llabs(t - (long long)time(NULL)) > 5)
		check_str("t= near now", tag_value(m, "t"), "now");
	fake_add(&d, "mg2026._domainkey.example.org", "TXT", rec);
	assert_int_equal(verify_message(m, &dns, a, &r), 1);
	result_text(r, got, sizeof(got));
	check_str("verified", got, "pass");
	free(m);
	m = sign_with(s, "ED.example", msg_text, &rc);
	assert_int_equal(rc, 0);
	check_str("ed25519 a=", tag_value(m, "a"), "ed25519-sha256");
	check_str("ed25519 d=", tag_value(m, "d"), "ed.example");
	free(m);
	free(sign_with(s, "example.net", msg_text, &rc));
	assert_int_equal(rc, -MG_ENOENT);
	free(sign_with(s, "notexample.org", msg_text, &rc));
	assert_int_equal(rc, -MG_ENOENT);
	free(sign_with(s, "example.org", "no header section\r\n", &rc));
	assert_int_equal(rc, -MG_EPROTO);
	free(sign_with(NULL, "example.org", msg_text, &rc));
	assert_int_equal(rc, -MG_ENOENT);
	free(rec);
	fake_clear(&d);
	mg_arena_free(a);
	dkim_signer_close(s);
	check_failures();
}

/* Our body hash of the RFC 8463 A.3 message is the published one. */
static void
test_rfc8463_body_hash(void **state)
{
	static const char body[] = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned char b64[128];
	size_t hl;
	uint64_t n;

	assert_int_equal(dkim_body_hash((const uint8_t *)body, strlen(body), true, EVP_sha256(),
	    false, 0, h, &hl, &n), 0);
	EVP_EncodeBlock(b64, h, (int)hl);
	check_str("bh", (char *)b64, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	check_failures();
}

static void
test_sign_speed(void **state)
{
	struct dkim_signer *s = open_signer();
	static const char *const domains[] = { "example.org", "ed.example" };
	const int rounds = 200;

	for (size_t k = 0; k < 2; k++) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < rounds; i++) {
			struct mg_buf out;

			mg_buf_init(&out, 0);
			assert_int_equal(dkim_sign(s, domains[k], (const uint8_t *)msg_text,
			    strlen(msg_text), &out), 0);
			mg_buf_release(&out);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("dkim sign (%s): %.1f us/message\n", k ? "ed25519" : "rsa-2048",
		    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		    1e3 / rounds);
	}
	dkim_signer_close(s);
}

static int
setup(void **state)
{
	EVP_PKEY *small;

	if (mkdtemp(dir) == NULL)
		return -1;
	rsa_key = gen_key("RSA", 2048);
	ed_key = gen_key("ED25519", 0);
	small = gen_key("RSA", 512);
	write_key("rsa.key", rsa_key);
	write_key("ed.key", ed_key);
	write_key("small.key", small);
	EVP_PKEY_free(small);
	write_file("junk.key", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_signer_field),
		cmocka_unit_test(test_rfc8463_body_hash),
		cmocka_unit_test(test_sign_speed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
