/* Internals of DKIM and ARC shared by dkim_*.c, arc*.c, the unit tests and
 * the fuzzer: tag lists, signature and key records, canonicalisation, the
 * header and body hashes, key lookups, and the raw sign/verify primitives.
 * Not for use outside src/auth. */
#ifndef MG_AUTH_DKIM_INT_H
#define MG_AUTH_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth/dkim.h"
#include "core/arena.h"
#include "core/buf.h"

#define DKIM_MAX_TAGS		32	/* tags in one tag list */
#define DKIM_MAX_HFIELDS	64	/* names in h= */
#define DKIM_MAX_SIG_BYTES	1024	/* decoded b=: an 8192-bit RSA signature */
#define DKIM_MAX_KEY_BYTES	1536	/* decoded p=: an 8192-bit RSA key */
#define DKIM_MIN_KEY_BITS	1024	/* RFC 8301: smaller keys are not valid */
#define DKIM_MAX_KEY_BITS	8192	/* larger ones cost too much to verify */
#define DKIM_CLOCK_SKEW		300	/* seconds allowed on t= and x= */
#define DKIM_MAX_HEADER_INPUT	(1u << 20)	/* bytes of canonical header data */
#define ARC_MAX_INSTANCE	50	/* i= of the ARC fields: 1 to 50 (RFC 8617 4.2.1) */

enum dkim_alg { DKIM_RSA_SHA1, DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };
/* What a tag list is: which tags it must and may carry. */
enum dkim_kind { DKIM_KIND_SIGNATURE, DKIM_KIND_AMS, DKIM_KIND_SEAL };
enum arc_cv { ARC_CV_NONE, ARC_CV_PASS, ARC_CV_FAIL };

/* One tag=value of a list; offsets into the list, the value's span
 * taking in the blanks around it (what "b= emptied" removes). */
struct dkim_tag {
	struct mg_slice	 name, value;	/* value trimmed of blanks */
	size_t		 span_start, span_end;
};

/* Splits a tag list (RFC 6376 3.2). 0, or -MG_EPROTO with *why set:
 * syntax, a duplicate tag, more than max tags. */
int	dkim_tags_parse(const uint8_t *p, size_t len, struct dkim_tag *tags, size_t max,
	    size_t *n, const char **why);

/* Whether t's name is name (tag names are case-sensitive, 3.2). */
bool	dkim_tag_is(const struct dkim_tag *t, const char *name);
/* Whether the ':'-separated list v (q=, and k=, h=, s=, t= of key records)
 * holds word, in any case, blanks around the items ignored. */
bool	dkim_list_has(struct mg_slice v, const char *word);

/* Base64 of a tag value, folding blanks skipped, into out (cap at most
 * DKIM_MAX_KEY_BYTES); false on junk, nothing, or more than cap bytes. */
bool	dkim_base64_decode(struct mg_slice v, uint8_t *out, size_t cap, size_t *n);

/* One header field: name as written, all = from the name to the end of
 * the value, without the final CRLF. */
struct dkim_field {
	struct mg_slice	 name;
	struct mg_slice	 all;
};

/* The header fields of a message and its body. Fields from m when it was
 * parsed from raw (the engine's view of the header), else split here. */
struct dkim_msg {
	struct dkim_field *fields;
	size_t		 nfields;
	struct mg_slice	 body;
};
int	dkim_msg_init(struct dkim_msg *, const struct mime_msg *m, const uint8_t *raw,
	    size_t len, struct mg_arena *);

/* A parsed DKIM-Signature, ARC-Message-Signature or ARC-Seal. */
struct dkim_sig {
	enum dkim_kind	 kind;
	enum dkim_alg	 alg;
	bool		 hrelaxed, brelaxed;
	const char	*algorithm;	/* a= as written */
	const char	*domain;	/* d=, lower case */
	const char	*selector;	/* s= */
	const char	*identity;	/* i= (DKIM only), or NULL */
	char		 header_b[9];	/* first 8 characters of b= */
	unsigned	 instance;	/* i= of ARC fields */
	enum arc_cv	 cv;		/* ARC-Seal */
	uint8_t		 b[DKIM_MAX_SIG_BYTES];
	size_t		 blen;
	uint8_t		 bh[EVP_MAX_MD_SIZE];
	size_t		 bhlen;
	struct mg_slice	 h[DKIM_MAX_HFIELDS];
	size_t		 nh;
	bool		 has_l;
	uint64_t	 l;
	int64_t		 t, x;		/* -1 when absent */
	const struct dkim_field *field;
	size_t		 b_start, b_end;	/* span of b='s value in field->all */
};

/* Parses field as a signature of kind. 0; -MG_EPROTO with *why (the
 * signature is a permerror; what was read before the error is kept);
 * -MG_ENOMEM. */
int	dkim_sig_parse(struct mg_arena *, enum dkim_kind, const struct dkim_field *,
	    struct dkim_sig *, const char **why);
/* Checks of a parsed DKIM-Signature against the clock (now, Unix time)
 * and RFC 6376 6.1.1; NULL when acceptable, else the reason. */
const char *dkim_sig_check(const struct dkim_sig *, time_t now);

const EVP_MD *dkim_alg_md(enum dkim_alg);

/* Canonical form of one field appended to out (CRLF-terminated when
 * crlf). 0, -MG_ELIMIT, -MG_ENOMEM. */
int	dkim_canon_header(struct mg_buf *out, const uint8_t *p, size_t len, bool relaxed,
	    bool crlf);
/* Digest of the canonical body, cut at l when has_l; *canon_len gets the
 * whole canonical length. 0 or -MG_ENOMEM. */
int	dkim_body_hash(const uint8_t *body, size_t len, bool relaxed, const EVP_MD *,
	    bool has_l, uint64_t l, uint8_t *out, size_t *outlen, uint64_t *canon_len);
/* The data the signature of s signs (RFC 6376 3.7): the h= fields picked
 * bottom-up, then s's own field with b= emptied, canonicalised. 0,
 * -MG_ELIMIT, -MG_ENOMEM. */
int	dkim_header_input(const struct dkim_sig *s, const struct dkim_field *fields,
	    size_t n, struct mg_buf *out);

/* dkim_header_input digested with s's hash. 0, -MG_ELIMIT, -MG_ENOMEM. */
int	dkim_header_hash(const struct dkim_sig *s, const struct dkim_field *fields, size_t n,
	    uint8_t *hash, size_t *hlen);

/* Body hashes of one message, one per distinct digest, canonicalisation
 * and l= (a message's signatures mostly share one). */
struct dkim_body_digest {
	const EVP_MD	*md;
	bool		 relaxed, has_l;
	uint64_t	 l;
	uint8_t		 hash[EVP_MAX_MD_SIZE];
	size_t		 hlen;
	uint64_t	 canon_len;	/* whole canonical body */
};
struct dkim_body_cache {
	struct dkim_body_digest e[DKIM_MAX_SIGNATURES];
	size_t		 n;
};
/* The body hash s asks for, computed on first use; NULL: out of memory. */
const struct dkim_body_digest *dkim_body_cached(struct dkim_body_cache *, struct mg_slice body,
	    const struct dkim_sig *s);

/* s's own field all (the field as signed, or a copy) with b= emptied,
 * canonicalised without CRLF: the last part of what s signs. */
int	dkim_canon_self(struct mg_buf *out, const struct dkim_sig *s, struct mg_slice all);

/* A key record (RFC 6376 3.6.1) turned into a public key for alg. */
struct dkim_key {
	EVP_PKEY	*pkey;		/* NULL unless the record is usable */
	unsigned	 bits;
	bool		 testing;	/* t=y */
	bool		 strict;	/* t=s: i= must be in d= exactly */
};
/* 0 with key->pkey set; -MG_EPROTO with *why (a permerror: syntax,
 * revoked, wrong type or hash, unsupported service, an RSA key outside
 * DKIM_MIN_KEY_BITS..DKIM_MAX_KEY_BITS, whose size stays in key->bits). */
int	dkim_key_parse(const uint8_t *txt, size_t len, enum dkim_alg alg, struct dkim_key *key,
	    const char **why);

/* One key wanted by a signature; all of a message's are fetched in one
 * batch of parallel lookups by dkim_keys_fetch. */
struct dkim_keyq {
	const char	*selector, *domain;
	enum dkim_alg	 alg;
	/* filled: */
	enum dkim_status status;	/* PASS when key.pkey is usable */
	const char	*why;
	struct dkim_key	 key;		/* pkey freed with the arena */
};
/* Resolves q[0..n) (same names asked once) until deadline; a NULL
 * resolver leaves every one DKIM_NEUTRAL ("no DNS"). 0 or -MG_ENOMEM. */
int	dkim_keys_fetch(const struct dns_resolver *, uint64_t deadline, struct mg_arena *,
	    struct dkim_keyq *q, size_t n);

/* RSA PKCS#1 v1.5 or Ed25519 (RFC 8463: over the hash) on a digest.
 * 1 valid, 0 not, -MG_ENOMEM. */
int	dkim_crypto_verify(EVP_PKEY *, enum dkim_alg, const uint8_t *hash, size_t hlen,
	    const uint8_t *sig, size_t slen);
/* sig has room for DKIM_MAX_SIG_BYTES. 0 or -MG_EPROTO. */
int	dkim_crypto_sign(EVP_PKEY *, enum dkim_alg, const uint8_t *hash, size_t hlen,
	    uint8_t *sig, size_t *slen);
/* What dkim_sign_fields writes: one signature of kind over msg. */
struct dkim_sign_spec {
	enum dkim_kind	 kind;		/* SIGNATURE or AMS */
	EVP_PKEY	*key;
	enum dkim_alg	 alg;
	const char	*domain, *selector;
	const char	*identity;	/* i= of a DKIM-Signature, or NULL */
	unsigned	 instance;	/* i= of an AMS */
	const char	*headers;	/* h= as written; NULL: the default list */
	bool		 hrelaxed, brelaxed;
	int64_t		 t, x, l;	/* -1: tag left out */
};
/* Appends the signature field (CRLF-terminated) for msg to out. 0,
 * -MG_EPROTO (no header section, key unusable), -MG_ELIMIT, -MG_ENOMEM. */
int	dkim_sign_fields(const struct dkim_sign_spec *, const struct dkim_msg *,
	    struct mg_buf *out);

/* Digests the data a signature signs, signs it and appends b='s value
 * (folded) and CRLF to field. 0, -MG_EPROTO, -MG_ELIMIT, -MG_ENOMEM. */
int	dkim_sign_finish(EVP_PKEY *, enum dkim_alg, const struct mg_buf *input,
	    struct mg_buf *field);

/* One ARC set of a message (RFC 8617 4.1). */
struct arc_set {
	const struct dkim_field *aar, *ams, *as;
};
/* The data the ARC-Seal seal signs (RFC 8617 5.1.1): the sets 1 ..
 * seal->instance - 1 whole, then that instance's AAR and AMS and the seal
 * itself (seal->field) with b= emptied; all relaxed. 0, -MG_ELIMIT,
 * -MG_ENOMEM. */
int	arc_seal_input(const struct arc_set *sets, const struct dkim_sig *seal,
	    struct mg_buf *out);

#endif
