/* Hashed features of a message (features.h): every feature is a string
 * hashed with XXH3 into 64 bits whose low two bits are replaced by its
 * group; occurrences are counted in a small open-addressing table, then
 * scaled per group and folded into 2^bits signed buckets. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "core/err.h"
#include "learn/features.h"
#include "learn/tokens.h"
#include "mime/attach.h"
#include "mime/html.h"
#include "mime/received.h"
#include "mime/url.h"

enum feat_group { G_WORD = 1, G_CHAR = 2, G_META = 3 };
#define GROUP_MASK	3ull
#define SIGN_BIT	4ull

/* Namespace salts: the same word in another source is another feature. */
#define SALT_SOURCE	0x9e3779b97f4a7c15ull
#define SALT_BIGRAM	0xc2b2ae3d27d4eb4full
#define SALT_CHAR_SUBJ	0x165667b19e3779f9ull
#define SALT_CHAR_TEXT	0x27d4eb2f165667c5ull
#define SALT_META	0x85ebca77c2b2ae63ull

#define SUBJECT_CHARS	512	/* bytes of subject words for 4-grams */
#define META_URLS	256	/* URLs whose domains are counted */
#define NAME_WORDS	8	/* From display-name words kept for comparisons */
#define META_MAX	192	/* bytes of one structure feature */

struct fx {
	const struct feat_params *p;
	struct mg_arena	*a;
	uint64_t	*occ;		/* feature hashes, group in the low bits */
	size_t		 nocc, cap;
	int		 err;
	/* the token run being walked */
	uint64_t	 ns, prev;
	/* text for character 4-grams: " word word ..." */
	char		 subj[SUBJECT_CHARS + TOK_MAX_LEN + 2];
	size_t		 subj_len;
	char		*text;
	size_t		 text_len;
	/* sender fields, as the tokenizer normalised them */
	char		 from_name[NAME_WORDS][TOK_MAX_LEN + 1];
	size_t		 nfrom_name;
	char		 from_last[TOK_MAX_LEN + 1];	/* the domain, when the field had one */
	size_t		 nfrom;
	bool		 from_done;	/* a later From run: not the sender's */
	char		 reply_dom[TOK_MAX_LEN + 1];
	char		 msgid_dom[TOK_MAX_LEN + 1];
};

void
feat_params_default(struct feat_params *p)
{
	p->bits = 20;
	p->char_bytes = 2048;
	p->seed = 0x6d61696c67617465ull;	/* "mailgate" */
}

int
feat_params_check(const struct feat_params *p)
{
	if (p->bits < FEAT_BITS_MIN || p->bits > FEAT_BITS_MAX || p->char_bytes > FEAT_CHAR_MAX)
		return -MG_EINVAL;
	return 0;
}

static void
occ_add(struct fx *x, uint64_t h, enum feat_group g)
{
	if (x->err != 0)
		return;
	if (x->nocc == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 1024;
		uint64_t *n = mg_arena_alloc(x->a, cap * sizeof(*n));
		if (n == NULL) {
			x->err = -MG_ENOMEM;
			return;
		}
		if (x->nocc)
			memcpy(n, x->occ, x->nocc * sizeof(*n));
		x->occ = n;
		x->cap = cap;
	}
	x->occ[x->nocc++] = (h & ~GROUP_MASK) | (uint64_t)g;
}

static uint64_t
meta_hash(const struct feat_params *p, const char *s, size_t n)
{
	return (XXH3_64bits_withSeed(s, n, p->seed ^ SALT_META) & ~GROUP_MASK) | G_META;
}

/* A 64-bit feature key as a bucket and a sign. */
static struct feat
key_feat(const struct feat_params *p, uint64_t k, double v)
{
	return (struct feat){ (uint32_t)(k >> (64 - p->bits)), (float)((k & SIGN_BIT) ? -v : v) };
}

struct feat
features_meta(const struct feat_params *p, const char *s)
{
	return key_feat(p, meta_hash(p, s, strlen(s)), 1.0);
}

static void
meta_add(struct fx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A structure feature: a short string such as "urls:3". */
static void
meta_add(struct fx *x, const char *fmt, ...)
{
	char s[META_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	occ_add(x, meta_hash(x->p, s, (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1), G_META);
}

/* 0 for 0, else 1 + floor(log2(n)), at most 16: counts in a few buckets. */
static unsigned
log2_bin(uint64_t n)
{
	unsigned b = 0;

	while (n > 0 && b < 16) {
		n >>= 1;
		b++;
	}
	return b;
}

/* The token's length, never more than TOK_MAX_LEN (the buffers' room). */
static size_t
tok_len(const struct tok *t)
{
	return t->len < TOK_MAX_LEN ? t->len : TOK_MAX_LEN;
}

static void
copy_word(char *dst, const struct tok *t)
{
	memcpy(dst, t->text, tok_len(t));
	dst[tok_len(t)] = '\0';
}

/* The first run of From (display-name words, then the domain), and the
 * domain that starts the first runs of Reply-To and Message-ID. */
static void
fx_sender_token(struct fx *x, const struct tok *t)
{
	if (strcmp(t->field, "from") == 0) {
		if (t->pos == 0 && x->nfrom > 0)
			x->from_done = true;
		if (x->from_done)
			return;
		if (x->nfrom > 0 && x->nfrom_name < NAME_WORDS)
			memcpy(x->from_name[x->nfrom_name++], x->from_last, sizeof(x->from_last));
		copy_word(x->from_last, t);
		x->nfrom++;
	} else if (t->pos == 0 && strcmp(t->field, "reply-to") == 0 && x->reply_dom[0] == '\0') {
		copy_word(x->reply_dom, t);
	} else if (t->pos == 0 && strcmp(t->field, "message-id") == 0 &&
	    x->msgid_dom[0] == '\0') {
		copy_word(x->msgid_dom, t);
	}
}

static void
gram_text_add(char *buf, size_t *len, size_t max, const struct tok *t)
{
	if (*len >= max)
		return;
	buf[(*len)++] = ' ';
	memcpy(buf + *len, t->text, tok_len(t));
	*len += tok_len(t);
}

/* tokens_walk callback: unigram, bigram with the word before in the run,
 * and the text kept for 4-grams. */
static int
fx_token(void *arg, const struct tok *t)
{
	struct fx *x = arg;
	uint64_t h;

	if (t->pos == 0) {
		x->ns = x->p->seed ^ (SALT_SOURCE * (1 + (uint64_t)t->source));
		if (t->field != NULL)
			x->ns = XXH3_64bits_withSeed(t->field, strlen(t->field), x->ns);
	}
	h = XXH3_64bits_withSeed(t->text, t->len, x->ns);
	occ_add(x, h, G_WORD);
	if (t->pos > 0)
		occ_add(x, XXH3_64bits_withSeed(t->text, t->len, x->prev ^ SALT_BIGRAM), G_WORD);
	x->prev = h;
	if (t->source == TOK_SUBJECT)
		gram_text_add(x->subj, &x->subj_len, SUBJECT_CHARS, t);
	else if (t->source == TOK_TEXT && x->text != NULL)
		gram_text_add(x->text, &x->text_len, x->p->char_bytes, t);
	else if (t->source == TOK_HEADER && t->field != NULL)
		fx_sender_token(x, t);
	return x->err;
}

/* 4-byte windows of " word word " (buf has room for the final space). */
static void
fx_grams(struct fx *x, char *s, size_t len, uint64_t salt)
{
	if (len == 0)
		return;
	s[len++] = ' ';
	for (size_t i = 0; i + 4 <= len; i++)
		occ_add(x, XXH3_64bits_withSeed(s + i, 4, x->p->seed ^ salt), G_CHAR);
}

static bool
domainish(const char *w)
{
	const char *dot = strrchr(w, '.');

	return dot != NULL && dot != w && strlen(dot + 1) >= 2 && isalpha((unsigned char)dot[1]);
}

/* a and b name the same organisation: equal, or one a subdomain of the other. */
static bool
same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la < lb)
		return same_domain(b, a);
	return la == lb ? strcmp(a, b) == 0 :
	    strcmp(a + la - lb, b) == 0 && a[la - lb - 1] == '.';
}

/* Display name against address, Reply-To and Message-ID against From. */
static void
meta_sender(struct fx *x, const struct mime_msg *m)
{
	const char *dom = x->nfrom > 0 && domainish(x->from_last) ? x->from_last : NULL;

	if (x->nfrom == 0)
		meta_add(x, "from:missing");
	else if (x->nfrom_name == 0)
		meta_add(x, "from:noname");
	for (size_t i = 0; i < x->nfrom_name; i++) {
		const char *w = x->from_name[i], *at = strchr(w, '@');
		if (at != NULL)
			meta_add(x, "from:name-address-%s", dom && domainish(at + 1) &&
			    same_domain(at + 1, dom) ? "same" : "differs");
		else if (domainish(w) && dom != NULL && !same_domain(w, dom))
			meta_add(x, "from:name-domain-differs");
	}
	if (x->reply_dom[0] != '\0')
		meta_add(x, "replyto:%s", dom && same_domain(x->reply_dom, dom) ? "same" : "differs");
	if (mime_header_find(m->root, "message-id") == NULL)
		meta_add(x, "msgid:missing");
	else if (x->msgid_dom[0] != '\0')
		meta_add(x, "msgid:%s", dom && same_domain(x->msgid_dom, dom) ? "same" : "differs");
}

/* Date: missing, unparsable, far from the newest Received, its zone. */
static void
meta_date(struct fx *x, const struct mime_msg *m)
{
	const struct mime_header *d = mime_header_find(m->root, "date");
	const char *v = d != NULL ? d->value : NULL;
	time_t when;

	if (v == NULL) {
		meta_add(x, "date:missing");
		return;
	}
	if (!received_date_parse(v, strlen(v), &when)) {
		meta_add(x, "date:bad");
		return;
	}
	if (m->received != NULL && m->received->nhops > 0 && m->received->hops[0].time != 0) {
		double skew = difftime(when, m->received->hops[0].time);
		if (skew > 2 * 3600.0)
			meta_add(x, "date:future");
		else if (skew < -3 * 86400.0)
			meta_add(x, "date:past");
	}
	for (const char *p = v; *p != '\0'; p++)
		if ((*p == '+' || *p == '-') && strspn(p + 1, "0123456789") == 4) {
			meta_add(x, "date:zone:%.5s", p);
			break;
		}
}

static void
meta_subject(struct fx *x, const struct mime_msg *m)
{
	const struct mime_header *h = mime_header_find(m->root, "subject");
	const char *v = h != NULL ? h->value : NULL;
	unsigned upper = 0, lower = 0, bang = 0;

	if (v == NULL || *v == '\0') {
		meta_add(x, v == NULL ? "subj:missing" : "subj:empty");
		return;
	}
	for (const char *p = v; *p != '\0'; p++) {
		upper += *p >= 'A' && *p <= 'Z';
		lower += *p >= 'a' && *p <= 'z';
		bang += *p == '!';
	}
	if (upper >= 5 && upper > 2 * lower)
		meta_add(x, "subj:caps");
	if (bang > 0)
		meta_add(x, "subj:bang:%u", bang > 2 ? 2 : bang);
	if (strncasecmp(v, "re:", 3) == 0)
		meta_add(x, "subj:re");
	else if (strncasecmp(v, "fw:", 3) == 0 || strncasecmp(v, "fwd:", 4) == 0)
		meta_add(x, "subj:fwd");
	meta_add(x, "subj:len:%u", log2_bin(strlen(v)));
}

/* How many distinct registrable domains the URLs have, and their flags. */
static void
meta_urls(struct fx *x, const struct mime_msg *m)
{
	uint64_t seen[META_URLS];
	size_t nseen = 0, n = m->nurls < META_URLS ? m->nurls : META_URLS;
	unsigned flags = 0;

	for (size_t i = 0; i < n; i++) {
		const struct mime_url *u = &m->urls[i];
		uint64_t h = u->domain ? XXH3_64bits(u->domain, strlen(u->domain)) : 0;
		size_t j;
		for (j = 0; j < nseen && seen[j] != h; j++)
			;
		if (j == nseen)
			seen[nseen++] = h;
		flags |= u->flags;
	}
	meta_add(x, "urls:%u", log2_bin(m->nurls));
	meta_add(x, "urls:domains:%u", log2_bin(nseen));
	for (unsigned b = 0; b < 32; b++)
		if ((flags & (1u << b)) != 0 && url_flag_name(1u << b) != NULL)
			meta_add(x, "urls:flag:%s", url_flag_name(1u << b));
}

struct body_shape {
	size_t		 plain, html;	/* bytes of text */
	bool		 has_plain, has_html;
	unsigned	 images, attachments, forms, passwords;
};

static void
body_part(struct fx *x, const struct mime_part *p, struct body_shape *b)
{
	if (p->html != NULL) {
		b->has_html = true;
		b->html += p->html->visible_len;
		b->images += (unsigned)p->html->nimages;
		b->forms += (unsigned)p->html->nforms;
		for (size_t j = 0; j < p->html->nforms; j++)
			b->passwords += p->html->forms[j].password_fields;
	} else if (!p->is_attachment && p->type != NULL && strcmp(p->type, "text") == 0 &&
	    p->subtype != NULL && strcmp(p->subtype, "plain") == 0) {
		b->has_plain = true;
		b->plain += p->text_len;
	}
	if (p->att != NULL) {
		b->attachments++;
		meta_add(x, "att:type:%s", p->att->real_type ? p->att->real_type : "none");
		if (p->att->real_type != NULL && strncmp(p->att->real_type, "image/", 6) == 0)
			b->images++;
	}
}

/* Text/HTML shape, images, attachments, forms, size. */
static void
meta_body(struct fx *x, const struct mime_msg *m)
{
	struct body_shape b = { 0 };

	for (size_t i = 0; i < m->nparts; i++)
		body_part(x, m->parts[i], &b);
	meta_add(x, "body:%s", b.has_plain && b.has_html ? "both" : b.has_html ? "html-only" :
	    b.has_plain ? "text-only" : "none");
	if (b.has_plain && b.has_html) {
		int r = (int)log2_bin(b.plain) - (int)log2_bin(b.html);
		meta_add(x, "body:ratio:%d", r < -4 ? -4 : r > 4 ? 4 : r);
	}
	meta_add(x, "body:text:%u", log2_bin(b.plain + b.html));
	meta_add(x, "body:images:%u", log2_bin(b.images));
	meta_add(x, "body:attachments:%u", log2_bin(b.attachments));
	if (b.forms > 0)
		meta_add(x, "body:forms%s", b.passwords > 0 ? ":password" : "");
	meta_add(x, "body:parts:%u", log2_bin(m->nparts));
	meta_add(x, "body:size:%u", log2_bin(m->raw.len >> 8));
}

/* log(1 + tf), from a table for the common small counts. */
static double
tf_weight(uint32_t tf)
{
	static const double small[16] = {
		0.000000000, 0.693147181, 1.098612289, 1.386294361,
		1.609437912, 1.791759469, 1.945910149, 2.079441542,
		2.197224577, 2.302585093, 2.397895273, 2.484906650,
		2.564949357, 2.639057330, 2.708050201, 2.772588722,
	};

	return tf < 16 ? small[tf] : log1p(tf);
}

/* Counts each feature once in a table sized for every occurrence, scales
 * the groups and writes the buckets. */
static int
fx_fold(struct fx *x, struct feat_vec *out)
{
	size_t size = 64, nuniq = 0;
	uint64_t *keys;
	uint32_t *counts;
	double norm[4] = { 0 };

	while (size < 2 * x->nocc)
		size *= 2;
	if ((keys = mg_arena_zalloc(x->a, size * sizeof(*keys))) == NULL ||
	    (counts = mg_arena_zalloc(x->a, size * sizeof(*counts))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < x->nocc; i++) {
		uint64_t k = x->occ[i];
		size_t j = (size_t)(k >> 20) & (size - 1);
		while (keys[j] != 0 && keys[j] != k)
			j = (j + 1) & (size - 1);
		nuniq += keys[j] == 0;
		keys[j] = k;
		counts[j]++;
	}
	for (size_t j = 0; j < size; j++)
		if (keys[j] != 0) {
			double v = (keys[j] & GROUP_MASK) == G_META ? 1.0 : tf_weight(counts[j]);
			norm[keys[j] & GROUP_MASK] += v * v;
		}
	for (size_t g = 1; g < 4; g++)
		norm[g] = g == G_META || norm[g] == 0 ? 1.0 : 1.0 / sqrt(norm[g]);
	if ((out->f = mg_arena_alloc(x->a, (nuniq ? nuniq : 1) * sizeof(*out->f))) == NULL)
		return -MG_ENOMEM;
	out->n = 0;
	for (size_t j = 0; j < size; j++) {
		uint64_t k = keys[j];
		double v;
		if (k == 0)
			continue;
		v = ((k & GROUP_MASK) == G_META ? 1.0 : tf_weight(counts[j])) * norm[k & GROUP_MASK];
		out->f[out->n++] = key_feat(x->p, k, v);
	}
	return 0;
}

int
features_extract(const struct feat_params *p, const struct mime_msg *m, struct mg_arena *a,
    struct feat_vec *out)
{
	struct fx *x = mg_arena_zalloc(a, sizeof(*x));

	out->f = NULL;
	out->n = 0;
	if (x == NULL)
		return -MG_ENOMEM;
	x->p = p;
	x->a = a;
	if (p->char_bytes > 0 &&
	    (x->text = mg_arena_alloc(a, p->char_bytes + TOK_MAX_LEN + 2)) == NULL)
		return -MG_ENOMEM;
	tokens_walk(m, fx_token, x);
	fx_grams(x, x->subj, x->subj_len, SALT_CHAR_SUBJ);
	if (x->text != NULL)
		fx_grams(x, x->text, x->text_len, SALT_CHAR_TEXT);
	meta_sender(x, m);
	meta_add(x, "header:fields:%u", log2_bin(m->root->nheaders));
	meta_date(x, m);
	meta_subject(x, m);
	meta_urls(x, m);
	meta_body(x, m);
	if (x->err != 0)
		return x->err;
	return fx_fold(x, out);
}
