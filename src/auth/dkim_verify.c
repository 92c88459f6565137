/* DKIM verification (RFC 6376 6): every DKIM-Signature of a message (up to
 * DKIM_MAX_SIGNATURES) is parsed and checked, its body hash compared (one
 * body hash per distinct canonicalisation, digest and l=), its header
 * hash computed; then the keys of all signatures still standing are
 * fetched in one parallel batch and the signatures verified. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/dkim_int.h"
#include "core/err.h"

struct verify_run {
	struct dkim_msg	 dm;
	struct mg_arena	*arena;
	time_t		 now;
	struct dkim_body_cache bodies;
};

/* One signature on its way through. */
struct sig_state {
	struct dkim_sig	 sig;
	bool		 pending;	/* waiting for its key */
	uint8_t		 hash[EVP_MAX_MD_SIZE];
	size_t		 hlen;
};

const char *
dkim_status_name(enum dkim_status s)
{
	static const char *const names[] = {
		[DKIM_PASS] = "pass", [DKIM_FAIL] = "fail", [DKIM_NEUTRAL] = "neutral",
		[DKIM_TEMPERROR] = "temperror", [DKIM_PERMERROR] = "permerror",
		[DKIM_POLICY] = "policy",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "none";
}

/* Everything that needs no key. 0 or -MG_ENOMEM; res tells the rest. */
static int
sig_prepare(struct verify_run *v, const struct dkim_field *f, struct sig_state *st,
    struct dkim_result *res)
{
	struct dkim_sig *s = &st->sig;
	const struct dkim_body_digest *bc;
	const char *why = NULL;
	int r;

	res->status = DKIM_PERMERROR;
	r = dkim_sig_parse(v->arena, DKIM_KIND_SIGNATURE, f, s, &why);
	res->domain = s->domain;
	res->selector = s->selector;
	res->algorithm = s->algorithm;
	res->identity = s->identity;
	if ((res->header_b = mg_arena_strndup(v->arena, s->header_b, strlen(s->header_b))) == NULL)
		return -MG_ENOMEM;
	res->weak = s->algorithm != NULL && s->alg == DKIM_RSA_SHA1;
	if (r == -MG_ENOMEM)
		return r;
	if (r < 0 || (why = dkim_sig_check(s, v->now)) != NULL) {
		res->reason = why;
		return 0;
	}
	if ((bc = dkim_body_cached(&v->bodies, v->dm.body, s)) == NULL)
		return -MG_ENOMEM;
	if (s->has_l && s->l > bc->canon_len) {
		res->reason = "l= longer than the body";
		return 0;
	}
	res->partial = s->has_l && s->l < bc->canon_len;
	if (bc->hlen != s->bhlen || memcmp(bc->hash, s->bh, s->bhlen) != 0) {
		res->status = DKIM_FAIL;
		res->reason = "body hash mismatch";
		return 0;
	}
	r = dkim_header_hash(s, v->dm.fields, v->dm.nfields, st->hash, &st->hlen);
	if (r == -MG_ENOMEM)
		return r;
	if (r < 0) {
		res->reason = "header too large";
		return 0;
	}
	st->pending = true;
	return 0;
}

/* t=s in the key: i= must be in d= itself, not a subdomain. */
static bool
strict_identity_ok(const struct dkim_sig *s)
{
	const char *at = s->identity ? strrchr(s->identity, '@') : NULL;

	return at == NULL || strcasecmp(at + 1, s->domain) == 0;
}

/* With the key fetched: the signature itself. 0 or -MG_ENOMEM. */
static int
sig_finish(struct sig_state *st, const struct dkim_keyq *q, struct dkim_result *res)
{
	int r;

	res->key_bits = q->key.bits;
	res->weak = res->weak || (q->key.bits > 0 && q->key.bits < DKIM_MIN_KEY_BITS &&
	    st->sig.alg != DKIM_ED25519_SHA256);
	res->testing = q->key.testing;
	if (q->status != DKIM_PASS) {
		res->status = q->status;
		res->reason = q->why;
		return 0;
	}
	if (q->key.strict && !strict_identity_ok(&st->sig)) {
		res->status = DKIM_PERMERROR;
		res->reason = "i= not d= with a t=s key";
		return 0;
	}
	r = dkim_crypto_verify(q->key.pkey, st->sig.alg, st->hash, st->hlen, st->sig.b,
	    st->sig.blen);
	if (r < 0)
		return r;
	res->status = r ? DKIM_PASS : DKIM_FAIL;
	res->reason = r ? NULL : "signature did not verify";
	return 0;
}

/* Keys of the pending signatures in one batch, then their verdicts. */
static int
verify_pending(struct verify_run *v, const struct dns_resolver *dns, uint64_t deadline,
    struct sig_state *st, struct dkim_result *res, size_t n)
{
	struct dkim_keyq q[DKIM_MAX_SIGNATURES];
	size_t idx[DKIM_MAX_SIGNATURES], nq = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!st[i].pending)
			continue;
		memset(&q[nq], 0, sizeof(q[nq]));
		q[nq].selector = st[i].sig.selector;
		q[nq].domain = st[i].sig.domain;
		q[nq].alg = st[i].sig.alg;
		idx[nq++] = i;
	}
	if ((r = dkim_keys_fetch(dns, deadline, v->arena, q, nq)) < 0)
		return r;
	for (size_t k = 0; k < nq; k++)
		if ((r = sig_finish(&st[idx[k]], &q[k], &res[idx[k]])) < 0)
			return r;
	return 0;
}

int
dkim_verify(const struct mime_msg *m, const uint8_t *raw, size_t len,
    const struct dns_resolver *dns, uint64_t deadline, struct mg_arena *a,
    struct dkim_result **out, size_t *n)
{
	struct verify_run *v;
	struct sig_state *st;
	struct dkim_result *res;
	size_t ns = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((v = mg_arena_zalloc(a, sizeof(*v))) == NULL)
		return -MG_ENOMEM;
	v->arena = a;
	v->now = time(NULL);
	if ((r = dkim_msg_init(&v->dm, m, raw, len, a)) < 0)
		return r;
	for (size_t i = 0; i < v->dm.nfields && ns < DKIM_MAX_SIGNATURES; i++)
		if (mg_slice_eq_nocase(v->dm.fields[i].name, "DKIM-Signature"))
			ns++;
	if (ns == 0)
		return 0;
	if ((st = mg_arena_zalloc(a, ns * sizeof(*st))) == NULL ||
	    (res = mg_arena_zalloc(a, ns * sizeof(*res))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0, k = 0; i < v->dm.nfields && k < ns; i++) {
		if (!mg_slice_eq_nocase(v->dm.fields[i].name, "DKIM-Signature"))
			continue;
		if ((r = sig_prepare(v, &v->dm.fields[i], &st[k], &res[k])) < 0)
			return r;
		k++;
	}
	if ((r = verify_pending(v, dns, deadline, st, res, ns)) < 0)
		return r;
	*out = res;
	*n = ns;
	return 0;
}
