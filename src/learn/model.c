/* The model file and the model's arithmetic (model.h). The file is
 * little-endian and versioned: a header (magic, version, feature space,
 * bias, fusion), the learned symbols, the non-zero hashed weights as
 * (index, float32) pairs in increasing index order, and an XXH3 checksum
 * of everything before it. Only non-zero weights are stored (L1 makes most
 * of them zero), so the file stays small; loading expands them into one
 * dense array that every scanning thread reads. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "learn/model.h"

static const char model_magic[8] = { 'M', 'G', 'M', 'O', 'D', 'E', 'L', '\n' };
#define HEADER_LEN	72

struct model *
model_new(const struct feat_params *fp, size_t nsyms)
{
	struct model *m;

	if (feat_params_check(fp) < 0 || nsyms > MODEL_SYMBOLS_MAX ||
	    (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->fp = *fp;
	m->k = 1.0;
	m->nsyms = nsyms;
	if ((m->w = calloc((size_t)1 << fp->bits, sizeof(*m->w))) == NULL ||
	    (nsyms > 0 && (m->syms = calloc(nsyms, sizeof(*m->syms))) == NULL))
		return model_free(m);
	return m;
}

struct model *
model_free(struct model *m)
{
	if (m != NULL) {
		free(m->w);
		free(m->syms);
		free(m);
	}
	return NULL;
}

double
model_text_logit(const struct model *m, const struct feat_vec *x)
{
	double s = m->bias;

	for (size_t i = 0; i < x->n; i++)
		s += (double)m->w[x->f[i].idx] * x->f[i].val;
	return s;
}

static int
symbol_cmp(const void *a, const void *b)
{
	return strcmp(((const struct model_symbol *)a)->name, ((const struct model_symbol *)b)->name);
}

bool
model_symbol_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < MODEL_NAME_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

bool
model_symbol_learnable(const char *name)
{
	static const char *const history[] = { "REP_", "BEC_FIRST_TIME_", "URL_FIRST_SEEN",
		"FROM_FIRST_SEEN_", "ACCOUNT_" };

	for (size_t i = 0; i < sizeof(history) / sizeof(history[0]); i++)
		if (strncmp(name, history[i], strlen(history[i])) == 0)
			return false;
	return model_symbol_name_ok(name);
}

const struct model_symbol *
model_symbol_find(const struct model *m, const char *name)
{
	struct model_symbol key;

	if (strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, m->syms, m->nsyms, sizeof(*m->syms), symbol_cmp);
}

void
model_learn(struct model *m, const struct feat_vec *x, bool spam)
{
	double z = model_text_logit(m, x), p, g, norm2 = 0;

	/* Normalised step: one message moves its own logit by at most
	 * online_rate, however many feature groups it has. */
	for (size_t i = 0; i < x->n; i++)
		norm2 += (double)x->f[i].val * x->f[i].val;
	z = z > 35 ? 35 : z < -35 ? -35 : z;
	p = 1.0 / (1.0 + exp(-z));
	g = m->online_rate * (p - (spam ? 1.0 : 0.0)) / (norm2 > 1.0 ? norm2 : 1.0);
	for (size_t i = 0; i < x->n; i++)
		m->w[x->f[i].idx] -= (float)(g * x->f[i].val);
}

int
model_learn_msg(struct model *mdl, const struct mime_msg *m, struct mg_arena *a, bool spam)
{
	struct feat_vec x;
	int rc;

	if ((rc = features_extract(&mdl->fp, m, a, &x)) == 0)
		model_learn(mdl, &x, spam);
	return rc;
}

/* Little-endian writers into a buffer whose errors are checked once. */
static int
put_u32(struct mg_buf *b, uint32_t v)
{
	uint8_t o[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return mg_buf_append(b, o, sizeof(o));
}

static int
put_u64(struct mg_buf *b, uint64_t v)
{
	return put_u32(b, (uint32_t)v) | put_u32(b, (uint32_t)(v >> 32));
}

static int
put_f32(struct mg_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	return put_u32(b, v);
}

static int
put_f64(struct mg_buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return put_u64(b, v);
}

static int
model_encode(const struct model *m, struct mg_buf *b)
{
	size_t nw = 0, dim = (size_t)1 << m->fp.bits;
	int rc;

	for (size_t i = 0; i < dim; i++)
		nw += m->w[i] != 0.0f;
	rc = mg_buf_append(b, model_magic, sizeof(model_magic)) | put_u32(b, MODEL_VERSION) |
	    put_u32(b, m->fp.bits) | put_u32(b, m->fp.char_bytes) |
	    put_u32(b, (uint32_t)m->nsyms) | put_u64(b, m->fp.seed) | put_u64(b, nw) |
	    put_f64(b, m->bias) | put_f64(b, m->k) | put_f64(b, m->t0) |
	    put_f64(b, m->online_rate);
	for (size_t i = 0; i < m->nsyms && rc == 0; i++) {
		const struct model_symbol *s = &m->syms[i];
		uint8_t len = (uint8_t)strnlen(s->name, sizeof(s->name) - 1);
		rc = mg_buf_append(b, &len, 1) | mg_buf_append(b, s->name, len) |
		    put_f32(b, s->weight) | put_u32(b, s->count);
	}
	for (size_t i = 0; i < dim && rc == 0; i++)
		if (m->w[i] != 0.0f)
			rc = put_u32(b, (uint32_t)i) | put_f32(b, m->w[i]);
	if (rc == 0)
		rc = put_u64(b, XXH3_64bits(b->data, b->len));
	return rc != 0 ? -MG_ENOMEM : 0;
}

/* mg_file_replace's filler: the encoded model. */
static int
write_model_bytes(void *arg, int fd)
{
	const struct mg_buf *b = arg;

	return mg_write_all(fd, b->data, b->len);
}

int
model_save(const struct model *m, const char *path, char *err, size_t errlen)
{
	struct mg_buf b;
	int rc;

	mg_buf_init(&b, MODEL_FILE_MAX);
	if ((rc = model_encode(m, &b)) < 0)
		snprintf(err, errlen, "%s: model too large or out of memory", path);
	else
		rc = mg_file_replace(path, 0644, write_model_bytes, &b, err, errlen);
	mg_buf_release(&b);
	return rc;
}

/* A bounded little-endian reader: any read past the end sets short. */
struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	bool		 short_read;
};

static const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t *p = r->p + r->off;

	if (r->short_read || r->len - r->off < n) {
		r->short_read = true;
		return NULL;
	}
	r->off += n;
	return p;
}

static uint32_t
get_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24 : 0;
}

static uint64_t
get_u64(struct rd *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

static float
get_f32(struct rd *r)
{
	uint32_t v = get_u32(r);
	float f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

static double
get_f64(struct rd *r)
{
	uint64_t v = get_u64(r);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static const char *
decode_symbols(struct rd *r, struct model *m)
{
	for (size_t i = 0; i < m->nsyms; i++) {
		struct model_symbol *s = &m->syms[i];
		const uint8_t *len = rd_take(r, 1), *name;
		if (len == NULL || *len == 0 || *len >= sizeof(s->name) ||
		    (name = rd_take(r, *len)) == NULL)
			return "truncated or bad symbol name";
		memcpy(s->name, name, *len);
		s->name[*len] = '\0';
		if (!model_symbol_name_ok(s->name))
			return "bad symbol name";
		s->weight = get_f32(r);
		s->count = get_u32(r);
		if (!isfinite(s->weight))
			return "symbol weight is not a number";
		if (i > 0 && strcmp(m->syms[i - 1].name, s->name) >= 0)
			return "symbols out of order";
	}
	return NULL;
}

static const char *
decode_weights(struct rd *r, struct model *m, uint64_t nw)
{
	size_t dim = (size_t)1 << m->fp.bits;
	int64_t last = -1;

	if (nw > dim || nw > (r->len - r->off) / 8)
		return "truncated";
	for (uint64_t i = 0; i < nw; i++) {
		uint32_t idx = get_u32(r);
		float w = get_f32(r);
		if ((int64_t)idx <= last || idx >= dim)
			return "weight index out of order or range";
		if (!isfinite(w))
			return "weight is not a number";
		m->w[idx] = w;
		last = idx;
	}
	return NULL;
}

/* Checks and decodes a whole file image into a new model. */
static struct model *
model_decode(const uint8_t *p, size_t len, const char **why)
{
	struct rd r = { p, len, 0, false };
	struct feat_params fp;
	struct model *m;
	uint32_t version, nsyms;
	uint64_t nw;

	if (len < sizeof(model_magic) || memcmp(p, model_magic, sizeof(model_magic)) != 0) {
		*why = "not a mailgate model file";
		return NULL;
	}
	if (len < HEADER_LEN + 8) {
		*why = "truncated";
		return NULL;
	}
	rd_take(&r, sizeof(model_magic));
	if ((version = get_u32(&r)) != MODEL_VERSION) {
		*why = "unsupported model version (rebuild it with mailgate train)";
		return NULL;
	}
	r.off = len - 8;
	if (XXH3_64bits(p, len - 8) != get_u64(&r)) {
		*why = "checksum mismatch (corrupt or truncated file)";
		return NULL;
	}
	r = (struct rd){ p, len - 8, sizeof(model_magic) + 4, false };
	fp.bits = get_u32(&r);
	fp.char_bytes = get_u32(&r);
	nsyms = get_u32(&r);
	fp.seed = get_u64(&r);
	nw = get_u64(&r);
	if (feat_params_check(&fp) < 0 || nsyms > MODEL_SYMBOLS_MAX) {
		*why = "feature space or symbol count out of range";
		return NULL;
	}
	if ((m = model_new(&fp, nsyms)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	m->bias = get_f64(&r);
	m->k = get_f64(&r);
	m->t0 = get_f64(&r);
	m->online_rate = get_f64(&r);
	if (!isfinite(m->bias) || !isfinite(m->k) || !isfinite(m->t0) ||
	    !isfinite(m->online_rate) || m->k <= 0)
		*why = "bias or fusion out of range";
	else if ((*why = decode_symbols(&r, m)) == NULL &&
	    (*why = decode_weights(&r, m, nw)) == NULL && r.off != r.len)
		*why = "trailing bytes";
	return *why == NULL ? m : model_free(m);
}

struct model *
model_load(const char *path, char *err, size_t errlen)
{
	struct model *m = NULL;
	const char *why = NULL;
	uint8_t *data = NULL;
	struct stat st;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MODEL_FILE_MAX)
		why = S_ISREG(st.st_mode) ? "file too large" : "not a regular file";
	else if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		why = "out of memory";
	while (why == NULL && off < (size_t)st.st_size) {
		ssize_t n = read(fd, data + off, (size_t)st.st_size - off);
		if (n <= 0 && !(n == -1 && errno == EINTR))
			why = n == 0 ? "truncated while reading" : strerror(errno);
		else if (n > 0)
			off += (size_t)n;
	}
	close(fd);
	if (why == NULL)
		m = model_decode(data, off, &why);
	if (m == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	free(data);
	return m;
}
