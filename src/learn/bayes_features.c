/* A message's Bayes features: every token (learn/tokens.h) hashed with
 * its source, plus orthogonal sparse bigrams -- the token paired with each
 * of the OSB_WINDOW - 1 tokens before it in its run, the distance hashed
 * in -- kept once per message in an open-addressing set. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/err.h"
#include "learn/bayes_int.h"
#include "learn/tokens.h"

#define OSB_WINDOW		5
#define FEATURES_INITIAL	4096	/* set slots; doubles at half full */

struct feature_walk {
	struct bayes_features *f;
	uint64_t	 prev[OSB_WINDOW - 1];	/* the run's previous tokens, newest first */
	unsigned	 nprev;
};

/* Store keys need hash bits 16..47 non-zero (bayes_int.h). */
static uint64_t
feature_norm(uint64_t h)
{
	return (h >> 16 & 0xffffffffu) == 0 ? h | 1ull << 16 : h;
}

static int
set_grow(struct bayes_features *f)
{
	size_t cap = f->cap ? f->cap * 2 : FEATURES_INITIAL;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (v == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		size_t j = f->v[i] & (cap - 1);
		if (f->v[i] == 0)
			continue;
		while (v[j] != 0)
			j = (j + 1) & (cap - 1);
		v[j] = f->v[i];
	}
	free(f->v);
	f->v = v;
	f->cap = cap;
	return 0;
}

static int
set_add(struct bayes_features *f, uint64_t h)
{
	size_t i;

	if ((f->n + 1) * 2 > f->cap && set_grow(f) < 0)
		return -MG_ENOMEM;
	h = feature_norm(h);
	for (i = h & (f->cap - 1); f->v[i] != 0; i = (i + 1) & (f->cap - 1))
		if (f->v[i] == h)
			return 0;
	f->v[i] = h;
	f->n++;
	return 0;
}

static uint64_t
token_seed(const struct tok *t)
{
	uint64_t seed = ((uint64_t)t->source + 1) * 0x9e3779b97f4a7c15ull;

	if (t->field != NULL)
		seed ^= XXH3_64bits(t->field, strlen(t->field));
	return seed;
}

static int
feature_token(void *arg, const struct tok *t)
{
	struct feature_walk *w = arg;
	uint64_t h = XXH3_64bits_withSeed(t->text, t->len, token_seed(t)), pair[2];

	if (t->pos == 0)
		w->nprev = 0;
	if (set_add(w->f, h) < 0)
		return -MG_ENOMEM;
	for (unsigned d = 0; d < w->nprev; d++) {
		pair[0] = w->prev[d];
		pair[1] = h;
		if (set_add(w->f, XXH3_64bits_withSeed(pair, sizeof(pair), d + 1)) < 0)
			return -MG_ENOMEM;
	}
	memmove(w->prev + 1, w->prev, sizeof(w->prev) - sizeof(w->prev[0]));
	w->prev[0] = h;
	if (w->nprev < OSB_WINDOW - 1)
		w->nprev++;
	return 0;
}

int
bayes_features_get(const struct mime_msg *m, struct bayes_features *f)
{
	struct feature_walk w = { .f = f };
	size_t n = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = set_grow(f)) < 0 || (rc = tokens_walk(m, feature_token, &w)) < 0) {
		bayes_features_clear(f);
		return rc;
	}
	for (size_t i = 0; i < f->cap; i++)	/* compact: v[0..n) */
		if (f->v[i] != 0)
			f->v[n++] = f->v[i];
	return 0;
}

void
bayes_features_clear(struct bayes_features *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* Message-ID, Subject and the body as sent: the same message learned
 * twice has the same digest, whatever relays added to its header. */
uint64_t
bayes_digest(const struct mime_msg *m)
{
	const struct mime_header *id = mime_header_find(m->root, "message-id");
	const struct mime_header *subj = mime_header_find(m->root, "subject");
	uint64_t seed = 0, d;

	if (id != NULL && id->value != NULL)
		seed = XXH3_64bits(id->value, strlen(id->value));
	if (subj != NULL && subj->value != NULL)
		seed = XXH3_64bits_withSeed(subj->value, strlen(subj->value), seed);
	d = XXH3_64bits_withSeed(m->root->raw_body.ptr, m->root->raw_body.len, seed);
	return d >> 16 == 0 ? d | 1ull << 16 : d;
}
