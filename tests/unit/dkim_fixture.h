/* Shared by the DKIM and ARC unit tests: keys generated in the test (EVP
 * keygen), their DNS key records (served by fake_dns.h), and signing and
 * verifying helpers. */
#ifndef MG_TESTS_DKIM_FIXTURE_H
#define MG_TESTS_DKIM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fake_dns.h"
#include "auth/dkim_int.h"
#include "core/err.h"
#include "mime/mime.h"

/* A new key: "RSA" with bits, or "ED25519". */
static inline EVP_PKEY *
gen_key(const char *type, unsigned bits)
{
	EVP_PKEY *pk = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)bits) : EVP_PKEY_Q_keygen(NULL, NULL, type);

	assert_non_null(pk);
	return pk;
}

/* "v=DKIM1; k=...; p=..." for pk, then extra (may be ""); malloc'ed. */
static inline char *
key_record(EVP_PKEY *pk, const char *extra)
{
	unsigned char der[2048], b64[4096], *q = der;
	size_t n = sizeof(der);
	bool ed = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519;
	char *out = malloc(8192);

	if (ed)
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, der, &n), 1);
	else
		n = (size_t)i2d_PUBKEY(pk, &q);
	EVP_EncodeBlock(b64, der, (int)n);
	snprintf(out, 8192, "v=DKIM1; k=%s; p=%s%s%s", ed ? "ed25519" : "rsa", b64,
	    extra[0] ? "; " : "", extra);
	return out;
}

/* The signature field spec asks for, prepended to msg; malloc'ed. */
static inline char *
sign_message(const struct dkim_sign_spec *spec, const char *msg)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct dkim_msg dm;
	struct mg_buf out;
	char *res;
	int r;

	mg_buf_init(&out, 0);
	assert_int_equal(dkim_msg_init(&dm, NULL, (const uint8_t *)msg, strlen(msg), a), 0);
	if ((r = dkim_sign_fields(spec, &dm, &out)) != 0)
		fail_msg("dkim_sign_fields: %d", r);
	assert_int_equal(mg_buf_append(&out, msg, strlen(msg)), 0);
	assert_int_equal(mg_buf_cstr(&out), 0);
	res = strdup((char *)out.data);
	mg_buf_release(&out);
	mg_arena_free(a);
	return res;
}

/* dkim_verify on msg parsed by the MIME layer; results in a. */
static inline size_t
verify_message(const char *msg, const struct dns_resolver *dns, struct mg_arena *a,
    struct dkim_result **out)
{
	struct mime_msg *m = mime_parse(a, (const uint8_t *)msg, strlen(msg), NULL);
	size_t n = 0;

	assert_non_null(m);
	assert_int_equal(dkim_verify(m, (const uint8_t *)msg, strlen(msg), dns, UINT64_MAX, a,
	    out, &n), 0);
	return n;
}

/* "status[ reason][ weak][ partial][ testing]" of one result. */
static inline void
result_text(const struct dkim_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s", dkim_status_name(r->status), r->reason ? " " : "",
	    r->reason ? r->reason : "", r->weak ? " weak" : "", r->partial ? " partial" : "",
	    r->testing ? " testing" : "");
}

#endif
