/* DKIM keys: the TXT record at selector._domainkey.domain (RFC 6376
 * 3.6.1, RFC 8463 for Ed25519), all keys of a message fetched in one batch
 * of parallel lookups through the program's resolver, and the raw RSA and
 * Ed25519 operations on a digest (OpenSSL 3 EVP). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/dkim_int.h"
#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"

#define DKIM_MAX_NAME	253	/* a DNS name in presentation form */

/* p= decoded into a public key of the type alg needs. */
static int
key_from_p(const uint8_t *der, size_t n, enum dkim_alg alg, struct dkim_key *key,
    const char **why)
{
	const unsigned char *q = der;

	if (alg == DKIM_ED25519_SHA256) {
		if (n != 32) {
			*why = "bad ed25519 key";
			return -MG_EPROTO;
		}
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
	} else if ((key->pkey = d2i_PUBKEY(NULL, &q, (long)n)) == NULL) {
		q = der;	/* a bare RSAPublicKey, as some records carry */
		key->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
	}
	ERR_clear_error();
	if (key->pkey == NULL || (alg != DKIM_ED25519_SHA256 &&
	    EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_RSA)) {
		EVP_PKEY_free(key->pkey);
		key->pkey = NULL;
		*why = "bad key data";
		return -MG_EPROTO;
	}
	key->bits = (unsigned)EVP_PKEY_get_bits(key->pkey);
	if (alg != DKIM_ED25519_SHA256 &&
	    (key->bits < DKIM_MIN_KEY_BITS || key->bits > DKIM_MAX_KEY_BITS)) {
		EVP_PKEY_free(key->pkey);
		key->pkey = NULL;
		*why = key->bits < DKIM_MIN_KEY_BITS ? "key under 1024 bits" : "key too large";
		return -MG_EPROTO;
	}
	return 0;
}

/* The tags of a key record other than p=; *p gets p='s value. */
static int
key_tags(const struct dkim_tag *tags, size_t n, enum dkim_alg alg, struct dkim_key *key,
    struct mg_slice *p, const char **why)
{
	bool have_p = false;

	for (size_t k = 0; k < n; k++) {
		const struct dkim_tag *t = &tags[k];

		if (dkim_tag_is(t, "v") && (k != 0 || !mg_slice_eq_nocase(t->value, "DKIM1")))
			*why = "bad v= in key";
		else if (dkim_tag_is(t, "k") && !dkim_list_has(t->value,
		    alg == DKIM_ED25519_SHA256 ? "ed25519" : "rsa"))
			*why = "key type does not match a=";
		else if (dkim_tag_is(t, "h") && !dkim_list_has(t->value,
		    alg == DKIM_RSA_SHA1 ? "sha1" : "sha256"))
			*why = "hash not allowed by key";
		else if (dkim_tag_is(t, "s") && !dkim_list_has(t->value, "*") &&
		    !dkim_list_has(t->value, "email"))
			*why = "key not for email";
		else if (dkim_tag_is(t, "t")) {
			key->testing = dkim_list_has(t->value, "y");
			key->strict = dkim_list_has(t->value, "s");
			continue;
		} else if (dkim_tag_is(t, "p")) {
			*p = t->value;
			have_p = true;
			continue;
		} else
			continue;
		return -MG_EPROTO;
	}
	if (!have_p) {
		*why = "no p= in key";
		return -MG_EPROTO;
	}
	/* no k= means rsa */
	for (size_t k = 0; k < n; k++)
		if (dkim_tag_is(&tags[k], "k"))
			return 0;
	if (alg == DKIM_ED25519_SHA256) {
		*why = "key type does not match a=";
		return -MG_EPROTO;
	}
	return 0;
}

int
dkim_key_parse(const uint8_t *txt, size_t len, enum dkim_alg alg, struct dkim_key *key,
    const char **why)
{
	struct dkim_tag tags[DKIM_MAX_TAGS];
	uint8_t der[DKIM_MAX_KEY_BYTES];
	struct mg_slice p = { NULL, 0 };
	size_t n, dlen;
	int r;

	memset(key, 0, sizeof(*key));
	if ((r = dkim_tags_parse(txt, len, tags, DKIM_MAX_TAGS, &n, why)) < 0 ||
	    (r = key_tags(tags, n, alg, key, &p, why)) < 0)
		return r;
	if (p.len == 0) {
		*why = "key revoked";
		return -MG_EPROTO;
	}
	if (!dkim_base64_decode(p, der, sizeof(der), &dlen)) {
		*why = "bad base64 in p=";
		return -MG_EPROTO;
	}
	return key_from_p(der, dlen, alg, key, why);
}

static void
pkey_release(void *p)
{
	EVP_PKEY_free(p);
}

/* The answer to q's lookup: the first TXT record that makes a key. */
static int
key_from_answer(const struct dns_lookup *l, struct dkim_keyq *q, struct mg_arena *a)
{
	const char *txt;
	size_t n;

	q->status = DKIM_TEMPERROR;
	if (l->err != 0) {
		q->why = l->err == -MG_ETIMEOUT ? "key lookup timed out" : "key lookup failed";
		return 0;
	}
	if (l->rcode != DNS_RCODE_NOERROR && l->rcode != DNS_RCODE_NXDOMAIN) {
		q->why = "key lookup failed";
		return 0;
	}
	q->status = DKIM_PERMERROR;
	q->why = "no key";
	for (size_t k = 0; k < l->nrr; k++) {
		const char *why = "bad key record";
		int r = dns_txt_join(a, l->rr[k], &txt, &n);

		if (r == -MG_ENOMEM)
			return r;
		if (r < 0 || dkim_key_parse((const uint8_t *)txt, n, q->alg, &q->key, &why) < 0) {
			if (k == 0)
				q->why = why;
			continue;
		}
		if (mg_arena_defer(a, pkey_release, q->key.pkey) < 0) {
			EVP_PKEY_free(q->key.pkey);
			q->key.pkey = NULL;
			return -MG_ENOMEM;
		}
		q->status = DKIM_PASS;
		q->why = NULL;
		return 0;
	}
	return 0;
}

int
dkim_keys_fetch(const struct dns_resolver *dns, uint64_t deadline, struct mg_arena *a,
    struct dkim_keyq *q, size_t n)
{
	struct dns_lookup *l;
	size_t *map, nl = 0, j;
	char name[512];
	int r;

	for (size_t k = 0; dns == NULL && k < n; k++) {
		q[k].status = DKIM_NEUTRAL;
		q[k].why = "no DNS";
	}
	if (dns == NULL || n == 0)
		return 0;
	if ((l = mg_arena_zalloc(a, n * sizeof(*l))) == NULL ||
	    (map = mg_arena_alloc(a, n * sizeof(*map))) == NULL)
		return -MG_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		map[k] = SIZE_MAX;
		if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", q[k].selector,
		    q[k].domain) > DKIM_MAX_NAME) {
			q[k].status = DKIM_PERMERROR;
			q[k].why = "key name too long";
			continue;
		}
		for (j = 0; j < nl && strcasecmp(l[j].name, name) != 0; j++)
			;
		if (j == nl) {
			if ((l[nl].name = mg_arena_strndup(a, name, strlen(name))) == NULL)
				return -MG_ENOMEM;
			l[nl++].type = DNS_TYPE_TXT;
		}
		map[k] = j;
	}
	if ((r = dns->resolve(dns->ctx, l, nl, deadline, a)) < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		if (map[k] != SIZE_MAX && (r = key_from_answer(&l[map[k]], &q[k], a)) < 0)
			return r;
	return 0;
}

int
dkim_crypto_verify(EVP_PKEY *pk, enum dkim_alg alg, const uint8_t *hash, size_t hlen,
    const uint8_t *sig, size_t slen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int r = -MG_ENOMEM;

	if (alg == DKIM_ED25519_SHA256) {
		if ((mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit(mc, NULL, NULL, NULL, pk) == 1)
			r = EVP_DigestVerify(mc, sig, slen, hash, hlen) == 1;
	} else if ((pc = EVP_PKEY_CTX_new(pk, NULL)) != NULL &&
	    EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, dkim_alg_md(alg)) == 1)
		r = EVP_PKEY_verify(pc, sig, slen, hash, hlen) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(mc);
	EVP_PKEY_CTX_free(pc);
	return r;
}

int
dkim_crypto_sign(EVP_PKEY *pk, enum dkim_alg alg, const uint8_t *hash, size_t hlen,
    uint8_t *sig, size_t *slen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int r = -MG_EPROTO;

	*slen = DKIM_MAX_SIG_BYTES;
	if ((size_t)EVP_PKEY_get_size(pk) > DKIM_MAX_SIG_BYTES)
		return -MG_EPROTO;
	if (alg == DKIM_ED25519_SHA256) {
		if ((mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(mc, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestSign(mc, sig, slen, hash, hlen) == 1)
			r = 0;
	} else if ((pc = EVP_PKEY_CTX_new(pk, NULL)) != NULL &&
	    EVP_PKEY_sign_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, dkim_alg_md(alg)) == 1 &&
	    EVP_PKEY_sign(pc, sig, slen, hash, hlen) == 1)
		r = 0;
	ERR_clear_error();
	EVP_MD_CTX_free(mc);
	EVP_PKEY_CTX_free(pc);
	return r;
}
