/* DKIM signing of outbound mail: the keys of engine.dkim.sign loaded once
 * (dkim_signer_open), and the DKIM-Signature (or ARC-Message-Signature)
 * field built for a message: relaxed/relaxed, the header fields a reader
 * sees with From signed once more than it occurs (so none can be added),
 * t= now, b= folded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/dkim_int.h"
#include "core/err.h"

#define SIGN_ARENA_MAX	(64u << 20)
#define FOLD_WIDTH	72

struct signer_key {
	char		*domain, *selector;
	EVP_PKEY	*pkey;
	enum dkim_alg	 alg;
};

struct dkim_signer {
	struct signer_key *keys;
	size_t		 n;
};

/* Header fields signed by default; list-* ones too. */
static const char *const sign_default[] = {
	"from", "to", "cc", "subject", "date", "message-id", "reply-to", "mime-version",
	"content-type", "content-transfer-encoding", "in-reply-to", "references", NULL,
};

struct dkim_signer *
dkim_signer_close(struct dkim_signer *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		free(s->keys[i].domain);
		free(s->keys[i].selector);
		EVP_PKEY_free(s->keys[i].pkey);
	}
	free(s->keys);
	free(s);
	return NULL;
}

struct dkim_signer *
dkim_signer_open(const struct conf_dkim *c, char *err, size_t errlen)
{
	struct dkim_signer *s = calloc(1, sizeof(*s));

	if (s == NULL || (c->nsign > 0 && (s->keys = calloc(c->nsign, sizeof(*s->keys))) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return dkim_signer_close(s);
	}
	for (size_t i = 0; i < c->nsign; i++) {
		struct signer_key *k = &s->keys[s->n++];

		if ((k->domain = strdup(c->sign[i].domain)) == NULL ||
		    (k->selector = strdup(c->sign[i].selector)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return dkim_signer_close(s);
		}
		if ((k->pkey = conf_dkim_key_read(c->sign[i].key, err, errlen)) == NULL)
			return dkim_signer_close(s);
		k->alg = EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_ED25519 ? DKIM_ED25519_SHA256 :
		    DKIM_RSA_SHA256;
	}
	return s;
}

/* The key for domain, or for the nearest parent domain that has one. */
static const struct signer_key *
signer_find(const struct dkim_signer *s, const char *domain)
{
	for (const char *d = domain; d != NULL; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL)
		for (size_t i = 0; i < s->n; i++)
			if (strcasecmp(s->keys[i].domain, d) == 0)
				return &s->keys[i];
	return NULL;
}

/* Base64 of p appended to out, "\r\n\t" after every width characters. */
static int
base64_fold(struct mg_buf *out, const uint8_t *p, size_t n, size_t width)
{
	unsigned char enc[DKIM_MAX_SIG_BYTES / 3 * 4 + 8];
	size_t len, k;
	int r = 0;

	if (n > DKIM_MAX_SIG_BYTES)
		return -MG_ELIMIT;
	len = (size_t)EVP_EncodeBlock(enc, p, (int)n);
	for (k = 0; k < len && r == 0; k += width) {
		if (k > 0)
			r = mg_buf_append(out, "\r\n\t", 3);
		if (r == 0)
			r = mg_buf_append(out, enc + k, len - k < width ? len - k : width);
	}
	return r;
}

int
dkim_sign_finish(EVP_PKEY *key, enum dkim_alg alg, const struct mg_buf *input,
    struct mg_buf *field)
{
	uint8_t hash[EVP_MAX_MD_SIZE], sig[DKIM_MAX_SIG_BYTES];
	unsigned hl = 0;
	size_t sl;
	int r;

	if (EVP_Digest(input->data ? input->data : (const uint8_t *)"", input->len, hash, &hl,
	    dkim_alg_md(alg), NULL) != 1)
		return -MG_ENOMEM;
	if ((r = dkim_crypto_sign(key, alg, hash, hl, sig, &sl)) < 0 ||
	    (r = base64_fold(field, sig, sl, FOLD_WIDTH)) < 0)
		return r;
	return mg_buf_append(field, "\r\n", 2);
}

static bool
default_signed(struct mg_slice name)
{
	for (size_t i = 0; sign_default[i] != NULL; i++)
		if (mg_slice_eq_nocase(name, sign_default[i]))
			return true;
	return mg_slice_prefix_nocase(name, "list-");
}

/* h= as slices into the message (one per signed instance) and From
 * once more; or spec->headers split at ':'. */
static int
sign_names(const struct dkim_sign_spec *spec, const struct dkim_msg *dm, struct dkim_sig *s)
{
	const char *p = spec->headers, *e;

	s->nh = 0;
	if (p != NULL) {
		for (; s->nh < DKIM_MAX_HFIELDS; p = e + 1) {
			e = strchr(p, ':') ? strchr(p, ':') : p + strlen(p);
			s->h[s->nh++] = mg_slice_make(p, (size_t)(e - p));
			if (*e == '\0')
				break;
		}
		return 0;
	}
	for (size_t i = 0; i < dm->nfields && s->nh + 1 < DKIM_MAX_HFIELDS; i++)
		if (default_signed(dm->fields[i].name))
			s->h[s->nh++] = dm->fields[i].name;
	s->h[s->nh++] = MG_SLICE_LIT("from");
	return 0;
}

/* h=...; folded before a name that would pass the line width. */
static int
put_h(struct mg_buf *f, const struct dkim_sig *s)
{
	int r = mg_buf_append(f, " h=", 3);
	size_t col = 8, i0;

	for (i0 = f->len; i0 > 0 && f->data[i0 - 1] != '\n'; i0--)
		col++;
	for (size_t i = 0; i < s->nh && r == 0; i++) {
		if (col + s->h[i].len + 1 > FOLD_WIDTH) {
			r = mg_buf_append(f, "\r\n\t", 3);
			col = 8;
		}
		for (size_t k = 0; k < s->h[i].len && r == 0; k++)
			r = mg_buf_putc(f, (uint8_t)(s->h[i].ptr[k] | (s->h[i].ptr[k] >= 'A' &&
			    s->h[i].ptr[k] <= 'Z' ? 0x20 : 0)));
		if (r == 0)
			r = mg_buf_putc(f, i + 1 < s->nh ? ':' : ';');
		col += s->h[i].len + 1;
	}
	return r;
}

/* The field up to "b=" (its value comes from dkim_sign_finish). */
static int
put_prefix(const struct dkim_sign_spec *spec, const struct dkim_sig *s, const uint8_t *bh,
    size_t bhlen, struct mg_buf *f)
{
	static const char *const alg_names[] = { "rsa-sha1", "rsa-sha256", "ed25519-sha256" };
	unsigned char b64[EVP_MAX_MD_SIZE * 2];
	int r;

	if (spec->kind == DKIM_KIND_AMS)
		r = mg_buf_appendf(f, "ARC-Message-Signature: i=%u;", spec->instance);
	else
		r = mg_buf_appendf(f, "DKIM-Signature: v=1;");
	if (r == 0)
		r = mg_buf_appendf(f, " a=%s; c=%s/%s; d=%s; s=%s;\r\n\t", alg_names[spec->alg],
		    spec->hrelaxed ? "relaxed" : "simple", spec->brelaxed ? "relaxed" : "simple",
		    spec->domain, spec->selector);
	if (r == 0 && spec->t >= 0)
		r = mg_buf_appendf(f, "t=%" PRId64 ";", spec->t);
	if (r == 0 && spec->x >= 0)
		r = mg_buf_appendf(f, " x=%" PRId64 ";", spec->x);
	if (r == 0 && spec->l >= 0)
		r = mg_buf_appendf(f, " l=%" PRId64 ";", spec->l);
	if (r == 0 && spec->identity != NULL)
		r = mg_buf_appendf(f, " i=%s;", spec->identity);
	if (r == 0)
		r = put_h(f, s);
	EVP_EncodeBlock(b64, bh, (int)bhlen);
	if (r == 0)
		r = mg_buf_appendf(f, "\r\n\tbh=%s;\r\n\tb=", (const char *)b64);
	return r;
}

int
dkim_sign_fields(const struct dkim_sign_spec *spec, const struct dkim_msg *dm,
    struct mg_buf *out)
{
	struct dkim_sig *s = calloc(1, sizeof(*s));
	struct dkim_field self;
	struct mg_buf f, in;
	uint8_t bh[EVP_MAX_MD_SIZE];
	uint64_t clen;
	size_t bhlen;
	int r;

	if (s == NULL)
		return -MG_ENOMEM;
	mg_buf_init(&f, 64 * 1024);
	mg_buf_init(&in, DKIM_MAX_HEADER_INPUT);
	s->kind = spec->kind;
	s->alg = spec->alg;
	s->hrelaxed = spec->hrelaxed;
	s->field = &self;
	r = dm->nfields == 0 ? -MG_EPROTO : sign_names(spec, dm, s);
	if (r == 0)
		r = dkim_body_hash(dm->body.ptr, dm->body.len, spec->brelaxed,
		    dkim_alg_md(spec->alg), spec->l >= 0, (uint64_t)spec->l, bh, &bhlen, &clen);
	if (r == 0)
		r = put_prefix(spec, s, bh, bhlen, &f);
	if (r == 0) {
		self.all = mg_slice_make(f.data, f.len);
		self.name = mg_slice_make(f.data, (size_t)((uint8_t *)memchr(f.data, ':', f.len) -
		    f.data));
		s->b_start = s->b_end = f.len;
		r = dkim_header_input(s, dm->fields, dm->nfields, &in);
	}
	if (r == 0)
		r = dkim_sign_finish(spec->key, spec->alg, &in, &f);
	if (r == 0)
		r = mg_buf_append(out, f.data, f.len);
	mg_buf_release(&f);
	mg_buf_release(&in);
	free(s);
	return r;
}

int
dkim_sign(const struct dkim_signer *signer, const char *domain, const uint8_t *msg,
    size_t len, struct mg_buf *out)
{
	const struct signer_key *k = signer ? signer_find(signer, domain) : NULL;
	struct dkim_sign_spec spec;
	struct mg_arena *a;
	struct dkim_msg dm;
	int r;

	if (k == NULL)
		return -MG_ENOENT;
	if ((a = mg_arena_new(16 * 1024, SIGN_ARENA_MAX)) == NULL)
		return -MG_ENOMEM;
	memset(&spec, 0, sizeof(spec));
	spec.kind = DKIM_KIND_SIGNATURE;
	spec.key = k->pkey;
	spec.alg = k->alg;
	spec.domain = k->domain;
	spec.selector = k->selector;
	spec.hrelaxed = spec.brelaxed = true;
	spec.t = (int64_t)time(NULL);
	spec.x = spec.l = -1;
	if ((r = dkim_msg_init(&dm, NULL, msg, len, a)) == 0)
		r = dkim_sign_fields(&spec, &dm, out);
	mg_arena_free(a);
	return r;
}
