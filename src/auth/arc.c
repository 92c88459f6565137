/* ARC chain validation (RFC 8617 5.2): the ARC sets are collected and
 * checked for structure (instances 1..N, each once, cv= none then pass),
 * the newest ARC-Message-Signature verified like a DKIM signature, the
 * older ones for the oldest passing instance, and every ARC-Seal over the
 * sets before it. All keys are fetched in one batch. */
#include <string.h>

#include "auth/arc.h"
#include "auth/dkim_int.h"
#include "core/err.h"

struct arc_run {
	struct dkim_msg	 dm;
	struct mg_arena	*arena;
	struct arc_set	 sets[ARC_MAX_INSTANCE];
	struct dkim_sig	*ams[ARC_MAX_INSTANCE], *as[ARC_MAX_INSTANCE];
	unsigned	 n;		/* highest instance */
	struct dkim_keyq q[2 * ARC_MAX_INSTANCE];	/* AMS 1..n, then AS 1..n */
	struct dkim_body_cache bodies;
};

const char *
arc_status_name(enum arc_status s)
{
	return s == ARC_PASS ? "pass" : s == ARC_FAIL ? "fail" : "none";
}

/* i= at the start of an ARC-Authentication-Results value; 0 if absent. */
static unsigned
aar_instance(const struct dkim_field *f)
{
	const uint8_t *p = memchr(f->all.ptr, ':', f->all.len), *e = f->all.ptr + f->all.len;
	unsigned i = 0;

	if (p == NULL)
		return 0;
	for (p++; p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
		;
	if (e - p < 3 || p[0] != 'i' || p[1] != '=')
		return 0;
	for (p += 2; p < e && *p >= '0' && *p <= '9' && i <= ARC_MAX_INSTANCE; p++)
		i = i * 10 + (unsigned)(*p - '0');
	for (; p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
		;
	return p < e && *p == ';' && i <= ARC_MAX_INSTANCE ? i : 0;
}

/* One ARC field into its set. 0, -MG_EPROTO with *why, -MG_ENOMEM. */
static int
collect_one(struct arc_run *r, const struct dkim_field *f, const char **why)
{
	enum dkim_kind kind = mg_slice_eq_nocase(f->name, "ARC-Seal") ? DKIM_KIND_SEAL :
	    DKIM_KIND_AMS;
	const struct dkim_field **slot;
	struct dkim_sig *s = NULL;
	unsigned i;
	int rc;

	if (mg_slice_eq_nocase(f->name, "ARC-Authentication-Results")) {
		if ((i = aar_instance(f)) == 0) {
			*why = "malformed ARC-Authentication-Results";
			return -MG_EPROTO;
		}
		slot = &r->sets[i - 1].aar;
	} else {
		if ((s = mg_arena_alloc(r->arena, sizeof(*s))) == NULL)
			return -MG_ENOMEM;
		if ((rc = dkim_sig_parse(r->arena, kind, f, s, why)) < 0)
			return rc;
		i = s->instance;
		slot = kind == DKIM_KIND_SEAL ? &r->sets[i - 1].as : &r->sets[i - 1].ams;
		*(kind == DKIM_KIND_SEAL ? &r->as[i - 1] : &r->ams[i - 1]) = s;
	}
	if (*slot != NULL) {
		*why = "duplicate ARC instance";
		return -MG_EPROTO;
	}
	*slot = f;
	if (i > r->n)
		r->n = i;
	return 0;
}

/* Every ARC field; then the structure of the chain (5.2 steps 2-3). */
static int
collect(struct arc_run *r, const char **why)
{
	int rc;

	for (size_t k = 0; k < r->dm.nfields; k++)
		if (mg_slice_prefix_nocase(r->dm.fields[k].name, "ARC-") &&
		    (mg_slice_eq_nocase(r->dm.fields[k].name, "ARC-Seal") ||
		    mg_slice_eq_nocase(r->dm.fields[k].name, "ARC-Message-Signature") ||
		    mg_slice_eq_nocase(r->dm.fields[k].name, "ARC-Authentication-Results")) &&
		    (rc = collect_one(r, &r->dm.fields[k], why)) < 0)
			return rc;
	for (unsigned i = 0; i < r->n; i++)
		if (r->sets[i].aar == NULL || r->sets[i].ams == NULL || r->sets[i].as == NULL) {
			*why = "incomplete ARC set";
			return -MG_EPROTO;
		}
	if (r->n > 0 && r->as[r->n - 1]->cv == ARC_CV_FAIL) {
		*why = "chain marked failed";
		return -MG_EPROTO;
	}
	for (unsigned i = 0; i < r->n; i++)
		if (r->as[i]->cv != (i == 0 ? ARC_CV_NONE : ARC_CV_PASS)) {
			*why = "bad cv=";
			return -MG_EPROTO;
		}
	return 0;
}

/* AMS of instance i (0-based) like a DKIM signature; NULL when it
 * verifies, else the reason. *nomem on allocation failure. */
static const char *
ams_check(struct arc_run *r, unsigned i, bool *nomem)
{
	const struct dkim_sig *s = r->ams[i];
	const struct dkim_body_digest *bd;
	uint8_t hash[EVP_MAX_MD_SIZE];
	size_t hl;
	int rc;

	for (size_t k = 0; k < s->nh; k++)
		if (mg_slice_eq_nocase(s->h[k], "ARC-Seal"))
			return "ARC-Seal signed by an AMS";
	if (r->q[i].status != DKIM_PASS)
		return r->q[i].why;
	if ((bd = dkim_body_cached(&r->bodies, r->dm.body, s)) == NULL) {
		*nomem = true;
		return "out of memory";
	}
	if (bd->hlen != s->bhlen || memcmp(bd->hash, s->bh, s->bhlen) != 0)
		return "AMS body hash mismatch";
	if ((rc = dkim_header_hash(s, r->dm.fields, r->dm.nfields, hash, &hl)) < 0) {
		*nomem = rc == -MG_ENOMEM;
		return "AMS header too large";
	}
	if ((rc = dkim_crypto_verify(r->q[i].key.pkey, s->alg, hash, hl, s->b, s->blen)) < 0)
		*nomem = true;
	return rc == 1 ? NULL : "AMS did not verify";
}

/* The ARC-Seal of instance i (0-based). */
static const char *
seal_check(struct arc_run *r, unsigned i, bool *nomem)
{
	const struct dkim_sig *s = r->as[i];
	const struct dkim_keyq *q = &r->q[r->n + i];
	uint8_t hash[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	struct mg_buf in;
	int rc;

	if (q->status != DKIM_PASS)
		return q->why;
	mg_buf_init(&in, DKIM_MAX_HEADER_INPUT);
	rc = arc_seal_input(r->sets, s, &in);
	if (rc == 0 && EVP_Digest(in.data, in.len, hash, &hl, dkim_alg_md(s->alg), NULL) != 1)
		rc = -MG_ENOMEM;
	mg_buf_release(&in);
	if (rc == 0 && (rc = dkim_crypto_verify(q->key.pkey, s->alg, hash, hl, s->b,
	    s->blen)) == 1)
		return NULL;
	*nomem = rc == -MG_ENOMEM;
	return "ARC-Seal did not verify";
}

static int
fetch_keys(struct arc_run *r, const struct dns_resolver *dns, uint64_t deadline)
{
	for (unsigned i = 0; i < 2 * r->n; i++) {
		const struct dkim_sig *s = i < r->n ? r->ams[i] : r->as[i - r->n];

		memset(&r->q[i], 0, sizeof(r->q[i]));
		r->q[i].selector = s->selector;
		r->q[i].domain = s->domain;
		r->q[i].alg = s->alg;
	}
	return dkim_keys_fetch(dns, deadline, r->arena, r->q, 2 * r->n);
}

/* 5.2 steps 4-6 on a well-formed chain. 0 or -MG_ENOMEM. */
static int
validate(struct arc_run *r, struct arc_result *out)
{
	bool nomem = false;
	const char *why;
	unsigned oldest;

	if ((why = ams_check(r, r->n - 1, &nomem)) != NULL) {
		out->status = ARC_FAIL;
		out->reason = why;
		return nomem ? -MG_ENOMEM : 0;
	}
	for (oldest = r->n - 1; oldest > 0 && ams_check(r, oldest - 1, &nomem) == NULL; oldest--)
		;
	for (unsigned i = r->n; i > 0 && !nomem; i--)
		if ((why = seal_check(r, i - 1, &nomem)) != NULL) {
			out->status = ARC_FAIL;
			out->reason = why;
			return nomem ? -MG_ENOMEM : 0;
		}
	if (nomem)
		return -MG_ENOMEM;
	out->status = ARC_PASS;
	out->oldest_pass_domain = r->ams[oldest]->domain;
	return 0;
}

int
arc_verify(const struct mime_msg *m, const uint8_t *raw, size_t len,
    const struct dns_resolver *dns, uint64_t deadline, struct mg_arena *a,
    struct arc_result *out)
{
	struct arc_run *r;
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((r = mg_arena_zalloc(a, sizeof(*r))) == NULL)
		return -MG_ENOMEM;
	r->arena = a;
	if ((rc = dkim_msg_init(&r->dm, m, raw, len, a)) < 0)
		return rc;
	rc = collect(r, &why);
	out->instances = r->n;
	if (rc == -MG_ENOMEM)
		return rc;
	if (rc < 0) {
		out->status = ARC_FAIL;
		out->reason = why;
		return 0;
	}
	if (r->n == 0)
		return 0;
	if (dns == NULL) {
		out->reason = "no DNS";
		return 0;
	}
	if ((rc = fetch_keys(r, dns, deadline)) < 0)
		return rc;
	return validate(r, out);
}

int
arc_seal_input(const struct arc_set *sets, const struct dkim_sig *seal, struct mg_buf *out)
{
	const struct dkim_field *f[3];
	int rc = 0;

	for (unsigned i = 0; i < seal->instance && rc == 0; i++) {
		f[0] = sets[i].aar;
		f[1] = sets[i].ams;
		f[2] = sets[i].as;
		for (unsigned k = 0; k < (i + 1 < seal->instance ? 3u : 2u) && rc == 0; k++)
			rc = dkim_canon_header(out, f[k]->all.ptr, f[k]->all.len, true, true);
	}
	return rc == 0 ? dkim_canon_self(out, seal, seal->field->all) : rc;
}
