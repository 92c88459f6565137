/* DKIM verification: messages signed here with keys generated here (RSA
 * 2048, Ed25519) and then tampered with, the keys served by a table
 * resolver in every state a DNS answer can be in; the RFC 8463 A.3 vector
 * and a fixed RSA vector; tag-list, key-record and canonicalisation
 * tables; several signatures with mixed results in one key batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "test_util.h"
#include "dkim_fixture.h"

#define ABSENT	INT64_MIN
#define WHOLE	(-2)	/* l= the whole canonical body */

static EVP_PKEY *rsa_key, *ed_key, *rsa512_key;

static const char base_msg[] =
	"From: Alice <alice@example.org>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: Quarterly report\r\n"
	"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
	"Message-ID: <r1@example.org>\r\n"
	"\r\n"
	"Hello Bob,\r\n"
	"\r\n"
	"the figures are attached.  Regards\r\n";

/* Replaces the first find in s (malloc'ed) by repl. */
static char *
mutate(char *s, const char *find, const char *repl)
{
	char *at = find ? strstr(s, find) : NULL, *out;

	if (find == NULL)
		return s;
	if (at == NULL)
		fail_msg("mutation: \"%s\" not in the message", esc(find, strlen(find)));
	out = malloc(strlen(s) + strlen(repl) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), repl);
	strcat(out, at + strlen(find));
	free(s);
	return out;
}

struct sign_case {
	const char	*label;
	const char	*key;		/* "rsa", "ed", "rsa512" */
	enum dkim_alg	 alg;		/* RSA_SHA1 only when asked; else by key */
	bool		 simple;
	const char	*headers;
	int64_t		 l, t, x;	/* t and x: seconds from now, or ABSENT */
	const char	*identity;
	const char	*record;	/* "extra tags", or REVOKED NX SERVFAIL TIMEOUT RSAKEY NODNS */
	const char	*find, *replace;
	const char	*want;
};

#define DEF	-1, 0, ABSENT	/* l, t, x */

static const struct sign_case sign_cases[] = {
	{ "relaxed", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", NULL, NULL, "pass" },
	{ "simple", "rsa", DKIM_RSA_SHA256, true, NULL, DEF, NULL, "", NULL, NULL, "pass" },
	{ "ed25519", "ed", DKIM_ED25519_SHA256, false, NULL, DEF, NULL, "", NULL, NULL, "pass" },
	{ "rsa-sha1", "rsa", DKIM_RSA_SHA1, false, NULL, DEF, NULL, "", NULL, NULL,
	  "pass weak" },
	{ "body changed", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", "figures",
	  "Figures", "fail body hash mismatch" },
	{ "header changed", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", "Quarterly",
	  "Yearly", "fail signature did not verify" },
	{ "ed25519 header changed", "ed", DKIM_ED25519_SHA256, false, NULL, DEF, NULL, "",
	  "Bob <bob", "Eve <bob", "fail signature did not verify" },
	{ "relaxed header blanks", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "",
	  "Subject: Quarterly report", "SUBJECT :  Quarterly\r\n \t report  ", "pass" },
	{ "simple header blanks", "rsa", DKIM_RSA_SHA256, true, NULL, DEF, NULL, "",
	  "Subject: Quarterly report", "Subject: Quarterly\r\n report",
	  "fail signature did not verify" },
	{ "relaxed body blanks", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "",
	  "attached.  Regards\r\n", "attached. \t Regards \r\n\r\n\r\n", "pass" },
	{ "simple body blanks", "rsa", DKIM_RSA_SHA256, true, NULL, DEF, NULL, "",
	  "attached.  Regards", "attached. Regards", "fail body hash mismatch" },
	{ "simple trailing empty lines", "rsa", DKIM_RSA_SHA256, true, NULL, DEF, NULL, "",
	  "Regards\r\n", "Regards\r\n\r\n\r\n", "pass" },
	{ "l= extended", "rsa", DKIM_RSA_SHA256, false, NULL, WHOLE, 0, ABSENT, NULL, "",
	  "Regards\r\n", "Regards\r\nP.S. click http://evil.test/\r\n", "pass partial" },
	{ "l= past the body", "rsa", DKIM_RSA_SHA256, false, NULL, 10000, 0, ABSENT, NULL, "",
	  NULL, NULL, "permerror l= longer than the body" },
	{ "From added", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", "From: Alice",
	  "From: Mallory <m@evil.test>\r\nFrom: Alice", "fail signature did not verify" },
	{ "From not signed", "rsa", DKIM_RSA_SHA256, false, "to:subject", DEF, NULL, "", NULL,
	  NULL, "permerror From not signed" },
	{ "absent field over-signed", "rsa", DKIM_RSA_SHA256, false, "from:subject:reply-to",
	  DEF, NULL, "", "Subject:", "Reply-To: <x@evil.test>\r\nSubject:",
	  "fail signature did not verify" },
	{ "key revoked", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "REVOKED", NULL, NULL,
	  "permerror key revoked" },
	{ "no key", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "NX", NULL, NULL,
	  "permerror no key" },
	{ "DNS timeout", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "TIMEOUT", NULL, NULL,
	  "temperror key lookup timed out" },
	{ "SERVFAIL", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "SERVFAIL", NULL, NULL,
	  "temperror key lookup failed" },
	{ "no DNS", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "NODNS", NULL, NULL,
	  "neutral no DNS" },
	{ "no DNS, body changed", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "NODNS",
	  "figures", "numbers", "fail body hash mismatch" },
	{ "expired", "rsa", DKIM_RSA_SHA256, false, NULL, -1, -7200, -3600, NULL, "", NULL,
	  NULL, "permerror signature expired" },
	{ "expired within skew", "rsa", DKIM_RSA_SHA256, false, NULL, -1, -7200, -100, NULL,
	  "", NULL, NULL, "pass" },
	{ "signed in the future", "rsa", DKIM_RSA_SHA256, false, NULL, -1, 3600, ABSENT, NULL,
	  "", NULL, NULL, "permerror signed in the future" },
	{ "future within skew", "rsa", DKIM_RSA_SHA256, false, NULL, -1, 120, ABSENT, NULL,
	  "", NULL, NULL, "pass" },
	{ "x= before t=", "rsa", DKIM_RSA_SHA256, false, NULL, -1, 0, -10, NULL, "", NULL,
	  NULL, "permerror x= before t=" },
	{ "512-bit key", "rsa512", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", NULL, NULL,
	  "permerror key under 1024 bits weak" },
	{ "ed25519 signature, rsa key", "ed", DKIM_ED25519_SHA256, false, NULL, DEF, NULL,
	  "RSAKEY", NULL, NULL, "permerror key type does not match a=" },
	{ "testing key", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "t=y", NULL, NULL,
	  "pass testing" },
	{ "t=s, i= in a subdomain", "rsa", DKIM_RSA_SHA256, false, NULL, DEF,
	  "@mail.example.org", "t=s", NULL, NULL, "permerror i= not d= with a t=s key" },
	{ "i= in a subdomain", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, "alice@mail.example.org",
	  "", NULL, NULL, "pass" },
	{ "i= outside d=", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, "@example.net", "", NULL,
	  NULL, "permerror i= not within d=" },
	{ "key allows sha1 only", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "h=sha1",
	  NULL, NULL, "permerror hash not allowed by key" },
	{ "key for another service", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "s=web",
	  NULL, NULL, "permerror key not for email" },
	{ "b= changed", "rsa", DKIM_RSA_SHA256, false, NULL, DEF, NULL, "", "b=", "b=AAAA",
	  "fail signature did not verify" },
};

static EVP_PKEY *
case_key(const char *name)
{
	return strcmp(name, "ed") == 0 ? ed_key : strcmp(name, "rsa512") == 0 ? rsa512_key :
	    rsa_key;
}

/* Length of base_msg's canonical relaxed body. */
static int64_t
whole_body(void)
{
	const char *body = strstr(base_msg, "\r\n\r\n") + 4;
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t hl;
	uint64_t n;

	assert_int_equal(dkim_body_hash((const uint8_t *)body, strlen(body), true, EVP_sha256(),
	    false, 0, h, &hl, &n), 0);
	return (int64_t)n;
}

static void
case_dns(struct fake_dns *d, const struct sign_case *c)
{
	const char *name = "sel._domainkey.example.org";
	char *rec;

	if (strcmp(c->record, "REVOKED") == 0)
		fake_add(d, name, "TXT", "v=DKIM1; k=rsa; p=");
	else if (strcmp(c->record, "NX") == 0)
		fake_add(d, "other._domainkey.example.org", "TXT", "v=DKIM1; p=");
	else if (strcmp(c->record, "SERVFAIL") == 0 || strcmp(c->record, "TIMEOUT") == 0)
		fake_add(d, name, c->record, NULL);	/* "SERVFAIL" or "TIMEOUT" */
	else {
		rec = key_record(strcmp(c->record, "RSAKEY") == 0 ? rsa_key : case_key(c->key),
		    strcmp(c->record, "RSAKEY") == 0 || strcmp(c->record, "NODNS") == 0 ? "" :
		    c->record);
		fake_add(d, name, "TXT", rec);
		free(rec);
	}
}

static void
test_sign_verify_cases(void **state)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < sizeof(sign_cases) / sizeof(sign_cases[0]); i++) {
		const struct sign_case *c = &sign_cases[i];
		struct dkim_sign_spec spec = {
			.kind = DKIM_KIND_SIGNATURE, .key = case_key(c->key), .alg = c->alg,
			.domain = "example.org", .selector = "sel", .identity = c->identity,
			.headers = c->headers, .hrelaxed = !c->simple, .brelaxed = !c->simple,
			.t = c->t == ABSENT ? -1 : now + c->t,
			.x = c->x == ABSENT ? -1 : now + c->x,
			.l = c->l == WHOLE ? whole_body() : c->l,
		};
		struct fake_dns d = { 0 };
		struct dns_resolver dns = fake_resolver(&d);
		struct mg_arena *a = mg_arena_new(16384, 0);
		struct dkim_result *r;
		char *msg = sign_message(&spec, base_msg), got[256], what[128];
		size_t n;

		case_dns(&d, c);
		msg = mutate(msg, c->find, c->replace);
		n = verify_message(msg, strcmp(c->record, "NODNS") == 0 ? NULL : &dns, a, &r);
		snprintf(what, sizeof(what), "case %zu (%s)", i, c->label);
		if (n != 1) {
			print_error("%s: %zu results, want 1\n", what, n);
			test_failures++;
		} else {
			result_text(r, got, sizeof(got));
			check_str(what, got, c->want);
			check_str(what, r->domain, "example.org");
		}
		mg_arena_free(a);
		fake_clear(&d);
		free(msg);
	}
	check_failures();
}

/* RFC 8463 appendix A: the published keys and signed message. */
static const char rfc8463_msg[] =
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
	" date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
	" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
	" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject: Is dinner ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game.  Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n";

static void
test_rfc8463_vector(void **state)
{
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_result *r;
	char got[256];

	fake_add(&d, "brisbane._domainkey.football.example.com", "TXT",
	    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	fake_add(&d, "test._domainkey.football.example.com", "TXT",
	    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
	    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
	    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
	    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
	assert_int_equal(verify_message(rfc8463_msg, &dns, a, &r), 2);
	result_text(&r[0], got, sizeof(got));
	check_str("ed25519 signature", got, "pass");
	check_str("ed25519 algorithm", r[0].algorithm, "ed25519-sha256");
	check_str("ed25519 header.b", r[0].header_b, "/gCrinpc");
	check_str("ed25519 identity", r[0].identity, "@football.example.com");
	result_text(&r[1], got, sizeof(got));
	check_str("rsa signature", got, "pass");
	if (r[1].key_bits != 1024 || r[0].key_bits != 256) {
		print_error("key bits: got %u and %u, want 256 and 1024\n", r[0].key_bits,
		    r[1].key_bits);
		test_failures++;
	}
	if (d.batches != 1 || d.lookups != 2) {
		print_error("DNS: %u calls asking %u, want 1 call asking 2\n", d.batches,
		    d.lookups);
		test_failures++;
	}
	mg_arena_free(a);
	fake_clear(&d);
	check_failures();
}

/* The fixed vector: an own message signed once, c=simple/simple, by a
 * second implementation (Mail::DKIM) with a key made for it and thrown
 * away; see test_fixed_rsa_vector. */
static const char fixed_rsa_record[] =
	"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAliDOLRbL"
	"WpORnNXrMGqoVFIMPuY4ROuvgytXuwEi3rK3oiuaE/ZXPf5DDe4gHtzawO3aC0vmMzJOEj"
	"l+Yq1n+k3xIP65iJkA3HldqdLdgzuQriYgI9jkzTVtGoPkvYaUBpwe3+Cy/FBAhV3oN/06"
	"FeYXG9I/Niq4+FF8FExpo/C0vZT83rZIrI3YyBRzu3mNIIghJmxDfeAK8dHWon9dDCGVKj"
	"VgwajpSx2RwnrTcY9IWZ66hRUYSPKmN+FecBKqDTL6RFHXFo++/kH5yGTYVPcyanYWHtzW"
	"Qkb+EEaHmURXDrReCUpX2gDafDwLAwE7RY4ThDw5pQKsOawOGTExpQIDAQAB";
static const char fixed_rsa_msg[] =
	"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=vector.example; h=\r\n"
	"\treceived:received:from:to:subject:date:message-id:x-trailing; s=\r\n"
	"\tvec2026; t=1772442000; bh=SllHVXbljLKlMWOXhTMNbqS1xm5Tm5pfkd+AEb\r\n"
	"\tZCWUk=; b=TBAo4cTlNHPKEXt+NhFUbOHhiwrCUZYYzpi5U0NhAVMscclrxJDmPq\r\n"
	"\tLmy4T3KBeTws26nQF/xQ12cUUTGvgYfTsCnCyHYoFWhCQzxAD2+ydWZCfvxYAeAg\r\n"
	"\tjeiu+tnl+xigziKbooxcxw5F40AQcqdiCW9mLJh+oJQrDjQ54N2fn0ynF61cIDdJ\r\n"
	"\tM7yewMvp+bYGV5QmpR/4ynFdUZLb7ZcOPp3j5NltpKdPdvVAM5m1R4Eb8+sDddWy\r\n"
	"\tWo0mp5Zb80jVU1a6JozpmYGNu3ObsgznDTnRAjsKTkB2bvysuq17brrR/PzTMn6O\r\n"
	"\tTV9uoa2Yl4mciETykpfhHLadAbcczz0A==\r\n"
	"Received: from a.vector.example by b.vector.example; Mon, 2 Mar 2026 09:00:00 +0000\r\n"
	"Received: from c.vector.example by a.vector.example; Mon, 2 Mar 2026 08:59:00 +0000\r\n"
	"From: \"Vector Sender\" <sender@vector.example>\r\n"
	"To: receiver@example.net\r\n"
	"Subject: A fixed vector,\r\n"
	"\tfolded   over two lines\r\n"
	"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
	"Message-ID: <fixed-vector-1@vector.example>\r\n"
	"X-Trailing:   spaces kept in simple   \r\n"
	"\r\n"
	"Body line with  two  spaces and a tab\there.\r\n"
	"  Indented line.\r\n"
	"\r\n"
	"Trailing empty lines follow.\r\n"
	"\r\n"
	"\r\n";

/* RSA signatures are deterministic: the vector pins simple
 * canonicalisation, repeated fields and folding against change. */
static void
test_fixed_rsa_vector(void **state)
{
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_result *r;
	char got[256];

	fake_add(&d, "vec2026._domainkey.vector.example", "TXT", fixed_rsa_record);
	assert_int_equal(verify_message(fixed_rsa_msg, &dns, a, &r), 1);
	result_text(r, got, sizeof(got));
	check_str("fixed RSA vector", got, "pass");
	mg_arena_free(a);
	fake_clear(&d);
	check_failures();
}

/* Frees old and returns new. */
static char *
swap(char *old, char *new)
{
	free(old);
	return new;
}

/* Four signatures: pass, revoked key, no key, signed over another
 * Subject; results in header order, keys asked in one batch. */
static void
test_multiple_signatures(void **state)
{
	struct dkim_sign_spec spec = {
		.kind = DKIM_KIND_SIGNATURE, .key = rsa_key, .alg = DKIM_RSA_SHA256,
		.domain = "example.org", .selector = "sel", .hrelaxed = true, .brelaxed = true,
		.t = -1, .x = -1, .l = -1,
	};
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	struct mg_arena *a = mg_arena_new(16384, 0);
	static const char *const want[] = {
		"fail signature did not verify", "permerror no key", "permerror key revoked",
		"pass",
	};
	struct dkim_result *r;
	char *msg, *other, *end, got[256], what[32], *rec;

	size_t n;

	msg = sign_message(&spec, base_msg);
	/* a signature over another Subject, same body, moved onto this one */
	other = sign_message(&spec, "From: Alice <alice@example.org>\r\nSubject: other\r\n"
	    "\r\nHello Bob,\r\n\r\nthe figures are attached.  Regards\r\n");
	spec.key = ed_key;
	spec.alg = DKIM_ED25519_SHA256;
	spec.domain = "revoked.example";
	msg = swap(msg, sign_message(&spec, msg));
	spec.domain = "nokey.example";
	msg = swap(msg, sign_message(&spec, msg));
	end = strstr(other, "\r\nFrom:") + 2;
	*end = '\0';
	n = strlen(other) + strlen(msg) + 1;
	end = malloc(n);
	snprintf(end, n, "%s%s", other, msg);
	free(other);
	msg = swap(msg, end);
	rec = key_record(rsa_key, "");
	fake_add(&d, "sel._domainkey.example.org", "TXT", rec);
	free(rec);
	fake_add(&d, "sel._domainkey.revoked.example", "TXT", "v=DKIM1; k=ed25519; p=");
	assert_int_equal((n = verify_message(msg, &dns, a, &r)), 4);
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "signature %zu", i);
		result_text(&r[i], got, sizeof(got));
		check_str(what, got, want[i]);
	}
	if (d.batches != 1 || d.lookups != 3) {
		print_error("DNS: %u calls asking %u, want 1 call asking 3\n", d.batches,
		    d.lookups);
		test_failures++;
	}
	mg_arena_free(a);
	fake_clear(&d);
	free(msg);
	check_failures();
}

/* More than DKIM_MAX_SIGNATURES: the first ones are verified. */
static void
test_signature_limit(void **state)
{
	struct dkim_sign_spec spec = {
		.kind = DKIM_KIND_SIGNATURE, .key = ed_key, .alg = DKIM_ED25519_SHA256,
		.domain = "example.org", .selector = "sel", .hrelaxed = true, .brelaxed = true,
		.t = -1, .x = -1, .l = -1,
	};
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_result *r;
	char *msg = strdup(base_msg);

	for (int i = 0; i < DKIM_MAX_SIGNATURES + 3; i++) {
		char *next = sign_message(&spec, msg);

		free(msg);
		msg = next;
	}
	assert_int_equal(verify_message(msg, NULL, a, &r), DKIM_MAX_SIGNATURES);
	mg_arena_free(a);
	free(msg);
}

/* A selector and domain that make a name past 253 bytes: no lookup. */
static void
test_key_name_too_long(void **state)
{
	char sel[251], what[32];
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_keyq q[2] = {
		{ .selector = sel, .domain = "b.example.org", .alg = DKIM_RSA_SHA256 },
		{ .selector = "sel", .domain = "example.org", .alg = DKIM_RSA_SHA256 },
	};

	memset(sel, 'a', sizeof(sel) - 1);
	sel[sizeof(sel) - 1] = '\0';
	for (size_t i = 60; i < sizeof(sel) - 1; i += 61)
		sel[i] = '.';
	assert_int_equal(dkim_keys_fetch(&dns, UINT64_MAX, a, q, 2), 0);
	snprintf(what, sizeof(what), "%s/%s", dkim_status_name(q[0].status),
	    dkim_status_name(q[1].status));
	check_str("statuses", what, "permerror/permerror");
	check_str("long name", q[0].why, "key name too long");
	check_str("short name", q[1].why, "no key");
	if (d.lookups != 1) {
		print_error("DNS asked %u names, want 1\n", d.lookups);
		test_failures++;
	}
	mg_arena_free(a);
	check_failures();
}

/* DKIM-Signature values: "ok" or the permerror reason. */
static const struct { const char *value, *want; } parse_cases[] = {
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "ok" },
	{ " v = 1 ;\r\n\ta=rsa-sha256;d=example.org;s=sel;h=From : To;bh=AAAA;b=AA\r\n AA;", "ok" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; foo=bar", "ok" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA", "missing b=" },
	{ "a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "missing v=" },
	{ "v=2; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA",
	  "unsupported version" },
	{ "v=1; a=rsa-md5; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "unknown algorithm" },
	{ "v=1; a=rsa-sha256; a=rsa-sha1; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA",
	  "duplicate tag" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AA!A", "bad b=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=; b=AAAA", "bad bh=" },
	{ "v=1; a=rsa-sha256; d=exa mple.org; s=sel; h=from; bh=AAAA; b=AAAA", "bad d=" },
	{ "v=1; a=rsa-sha256; d=example..org; s=sel; h=from; bh=AAAA; b=AAAA", "bad d=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=se/l; h=from; bh=AAAA; b=AAAA", "bad s=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from::to; bh=AAAA; b=AAAA",
	  "empty name in h=" },
	{ "v=1; a=rsa-sha256; c=relaxed/fancy; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA",
	  "unknown canonicalization" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; l=12x; bh=AAAA; b=AAAA", "bad l=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; t=-5; bh=AAAA; b=AAAA", "bad t=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; x=1e9; bh=AAAA; b=AAAA", "bad x=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; i=alice; bh=AAAA; b=AAAA",
	  "bad i=" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; q=http/well-known; bh=AAAA; b=AAAA",
	  "unsupported query method" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; q=foo:dns/txt; bh=AAAA; b=AAAA",
	  "ok" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; q=foo : DNS/TXT ; bh=AAAA; b=AAAA",
	  "ok" },
	{ "v=1; a=rsa-sha256; d=example.org; s=sel; h=from; q=dns/txtx; bh=AAAA; b=AAAA",
	  "unsupported query method" },
	{ "v=1; 9a=x; d=example.org", "bad tag name" },
	{ "v=1; a rsa-sha256", "tag without '='" },
	{ "v=1;; a=rsa-sha256", "bad tag name" },
	{ "v=1; a=rsa\x01sha256", "control character in a tag value" },
	{ "", "missing v=" },
	{ "a=1;b=1;c=1;d=1;e=1;f=1;g=1;h=1;i=1;j=1;k=1;l=1;m=1;n=1;o=1;p=1;q=1;r=1;s=1;"
	  "t=1;u=1;v=1;w=1;x=1;y=1;z=1;aa=1;ab=1;ac=1;ad=1;ae=1;af=1;ag=1", "too many tags" },
};

static void
test_parse_cases(void **state)
{
	struct mg_arena *a = mg_arena_new(16384, 0);
	struct dkim_sig *s = malloc(sizeof(*s));

	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		char field[1024], what[64];
		const char *why = NULL;
		struct dkim_field f;
		int r;

		snprintf(field, sizeof(field), "DKIM-Signature:%s", parse_cases[i].value);
		f.name = mg_slice_make(field, 14);
		f.all = mg_slice_make(field, strlen(field));
		r = dkim_sig_parse(a, DKIM_KIND_SIGNATURE, &f, s, &why);
		snprintf(what, sizeof(what), "parse case %zu", i);
		check_str(what, r == 0 ? "ok" : why ? why : "(no reason)", parse_cases[i].want);
	}
	free(s);
	mg_arena_free(a);
	check_failures();
}

/* Key records against a=rsa-sha256 (or ed25519-sha256 when ed). */
static const struct { bool ed; const char *record, *want; } key_cases[] = {
	{ false, "v=DKIM1; k=rsa; p=RSAKEY", "ok" },
	{ false, "p=RSAKEY", "ok" },
	{ false, "k=rsa; h=sha1:sha256; s=email:*; t=y:s; n=notes; p=RSAKEY", "ok testing strict" },
	{ false, "p=RSAKEY; v=DKIM1", "bad v= in key" },
	{ false, "v=DKIM2; p=RSAKEY", "bad v= in key" },
	{ false, "v=DKIM1; k=rsa; p=", "key revoked" },
	{ false, "v=DKIM1; k=rsa", "no p= in key" },
	{ false, "v=DKIM1; k=dsa; p=RSAKEY", "key type does not match a=" },
	{ false, "v=DKIM1; p=AAAA", "bad key data" },
	{ false, "v=DKIM1; p=AA#A", "bad base64 in p=" },
	{ false, "v=DKIM1; p=EDKEY", "bad key data" },
	{ true, "v=DKIM1; k=ed25519; p=EDKEY", "ok" },
	{ true, "v=DKIM1; p=EDKEY", "key type does not match a=" },
	{ true, "v=DKIM1; k=ed25519; p=RSAKEY", "bad ed25519 key" },
	{ false, "v=DKIM1; p=RSAKEY; v=DKIM1", "duplicate tag" },
	{ false, "v=DKIM1; p=RSAKEY; p=", "duplicate tag" },
	{ false, "v=DKIM1 p=RSAKEY", "bad v= in key" },
	{ false, "v=DKIM1; k = rsa ; h = sha1 : sha256 ; s = email ; t = s ; p=RSAKEY",
	  "ok strict" },
	{ false, "v=DKIM1; h=sha1; p=RSAKEY", "hash not allowed by key" },
	{ false, "v=DKIM1; s=emailx; p=RSAKEY", "key not for email" },
	{ false, "v=DKIM1; t=yes; p=RSAKEY", "ok" },
	{ false, "v=DKIM1; p", "tag without '='" },
};

static void
test_key_records(void **state)
{
	char *rsa = key_record(rsa_key, ""), *ed = key_record(ed_key, "");
	const char *rp = strstr(rsa, "p=") + 2, *ep = strstr(ed, "p=") + 2;

	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		char rec[4096], got[128], what[64];
		const char *src = key_cases[i].record, *why = NULL, *at;
		struct dkim_key key;
		size_t o = 0;

		while (*src && o + 1 < sizeof(rec)) {
			at = strncmp(src, "RSAKEY", 6) == 0 ? rp : strncmp(src, "EDKEY", 5) == 0 ?
			    ep : NULL;
			if (at == NULL) {
				rec[o++] = *src++;
				continue;
			}
			o += (size_t)snprintf(rec + o, sizeof(rec) - o, "%s", at);
			src += *src == 'R' ? 6 : 5;
		}
		rec[o] = '\0';
		if (dkim_key_parse((const uint8_t *)rec, o, key_cases[i].ed ? DKIM_ED25519_SHA256 :
		    DKIM_RSA_SHA256, &key, &why) == 0)
			snprintf(got, sizeof(got), "ok%s%s", key.testing ? " testing" : "",
			    key.strict ? " strict" : "");
		else
			snprintf(got, sizeof(got), "%s", why);
		EVP_PKEY_free(key.pkey);
		snprintf(what, sizeof(what), "key case %zu", i);
		check_str(what, got, key_cases[i].want);
	}
	free(rsa);
	free(ed);
	check_failures();
}

/* RFC 6376 3.4.5 and the edges of both algorithms. */
static const struct { bool relaxed; const char *in, *want; } header_canon[] = {
	{ true, "A: X", "a:X\r\n" },
	{ true, "B : Y\t\r\n\tZ  ", "b:Y Z\r\n" },
	{ false, "B : Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n" },
	{ true, "Subject:", "subject:\r\n" },
	{ true, "X-Long:\r\n  a \t\tb\r\n c", "x-long:a b c\r\n" },
};

static const struct { bool relaxed; const char *in, *want; } body_canon[] = {
	{ true, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
	{ false, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n" },
	{ false, "", "\r\n" },
	{ true, "", "" },
	{ false, "\r\n\r\n", "\r\n" },
	{ true, "\r\n \r\n", "" },
	{ false, "no end", "no end\r\n" },
	{ true, "no end  ", "no end\r\n" },
	{ false, "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ true, "bare\nlf \r\n", "bare\nlf\r\n" },
	{ true, "\t a \t b \t\r\n", " a b\r\n" },
};

static void
test_canonicalisation(void **state)
{
	char what[64];

	for (size_t i = 0; i < sizeof(header_canon) / sizeof(header_canon[0]); i++) {
		struct mg_buf b;

		mg_buf_init(&b, 0);
		assert_int_equal(dkim_canon_header(&b, (const uint8_t *)header_canon[i].in,
		    strlen(header_canon[i].in), header_canon[i].relaxed, true), 0);
		assert_int_equal(mg_buf_cstr(&b), 0);
		snprintf(what, sizeof(what), "header case %zu", i);
		check_str(what, esc(b.data, b.len), esc(header_canon[i].want,
		    strlen(header_canon[i].want)));
		mg_buf_release(&b);
	}
	for (size_t i = 0; i < sizeof(body_canon) / sizeof(body_canon[0]); i++) {
		uint8_t got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
		size_t gl;
		unsigned wl;
		uint64_t n;

		assert_int_equal(dkim_body_hash((const uint8_t *)body_canon[i].in,
		    strlen(body_canon[i].in), body_canon[i].relaxed, EVP_sha256(), false, 0, got,
		    &gl, &n), 0);
		EVP_Digest(body_canon[i].want, strlen(body_canon[i].want), want, &wl, EVP_sha256(),
		    NULL);
		snprintf(what, sizeof(what), "body case %zu", i);
		if (n != strlen(body_canon[i].want) || memcmp(got, want, wl) != 0) {
			print_error("%s: canonical body of \"%s\" is not \"%s\" (%llu bytes)\n", what,
			    esc(body_canon[i].in, strlen(body_canon[i].in)),
			    esc(body_canon[i].want, strlen(body_canon[i].want)),
			    (unsigned long long)n);
			test_failures++;
		}
	}
	check_failures();
}

/* Verify time of a signed 20 KB message (printed for the report). */
static void
test_verify_speed(void **state)
{
	struct dkim_sign_spec spec = {
		.kind = DKIM_KIND_SIGNATURE, .key = rsa_key, .alg = DKIM_RSA_SHA256,
		.domain = "example.org", .selector = "sel", .hrelaxed = true, .brelaxed = true,
		.t = -1, .x = -1, .l = -1,
	};
	struct fake_dns d = { 0 };
	struct dns_resolver dns = fake_resolver(&d);
	char *big = malloc(32768), *msg, *rec = key_record(rsa_key, "");
	struct timespec t0, t1;
	const int rounds = 200;

	snprintf(big, 32768, "%s", base_msg);
	while (strlen(big) < 20000)
		strcat(big, "Lorem ipsum dolor sit amet,  consectetur adipiscing elit.  \r\n");
	msg = sign_message(&spec, big);
	fake_add(&d, "sel._domainkey.example.org", "TXT", rec);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < rounds; i++) {
		struct mg_arena *a = mg_arena_new(65536, 0);
		struct dkim_result *r;

		assert_int_equal(verify_message(msg, &dns, a, &r), 1);
		assert_int_equal(r->status, DKIM_PASS);
		mg_arena_free(a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("dkim verify (rsa-2048, 20 KB, parse included): %.1f us/message\n",
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 /
	    rounds);
	fake_clear(&d);
	free(rec);
	free(big);
	free(msg);
}

static int
setup(void **state)
{
	rsa_key = gen_key("RSA", 2048);
	ed_key = gen_key("ED25519", 0);
	rsa512_key = gen_key("RSA", 512);
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	EVP_PKEY_free(rsa512_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_cases),
		cmocka_unit_test(test_rfc8463_vector),
		cmocka_unit_test(test_fixed_rsa_vector),
		cmocka_unit_test(test_multiple_signatures),
		cmocka_unit_test(test_signature_limit),
		cmocka_unit_test(test_key_name_too_long),
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_key_records),
		cmocka_unit_test(test_canonicalisation),
		cmocka_unit_test(test_verify_speed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
