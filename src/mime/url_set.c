/* The set of unique URLs of one message (url.h): items in first-seen
 * order in the task's arena, found through an open-addressing table keyed
 * by SipHash-1-3 of the normalised url, so that a message cannot choose
 * colliding URLs; a repeat costs no arena memory. */
#include <limits.h>
#include <string.h>

#include "core/err.h"
#include "mime/url_int.h"

/* The set: items in first-seen order, an open-addressing table of item
 * indexes keyed by SipHash-1-3 of the url, both grown by doubling. */
struct url_set {
	struct mg_arena	*arena;
	struct mime_url	*items;
	uint64_t	*hashes;	/* of items[i].url */
	size_t		 n, cap;
	unsigned	 max;
	uint32_t	*slots;		/* item index + 1, 0 = empty */
	size_t		 nslots;	/* power of two */
	uint64_t	 key[2];
};

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-1-3: a keyed hash, so that a message cannot pick colliding URLs. */
static uint64_t
siphash13(const uint64_t key[2], const char *p, size_t len)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)(unsigned char)p[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (j = 0; i + j < len; j++)
		b |= (uint64_t)(unsigned char)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct url_set *
url_set_new(struct mg_arena *a, unsigned max)
{
	struct url_set *s;

	if ((s = mg_arena_zalloc(a, sizeof(*s))) == NULL)
		return NULL;
	s->arena = a;
	s->max = max;
	url_hash_key(s->key);
	return s;
}

/* The slot holding url, or the empty slot where it would go. */
static uint32_t *
set_slot(struct url_set *s, uint64_t h, const char *url, size_t len)
{
	size_t i = (size_t)h & (s->nslots - 1);
	uint32_t k;

	while ((k = s->slots[i]) != 0) {
		if (s->hashes[k - 1] == h && strncmp(s->items[k - 1].url, url, len) == 0 &&
		    s->items[k - 1].url[len] == '\0')
			break;
		i = (i + 1) & (s->nslots - 1);
	}
	return &s->slots[i];
}

static uint32_t *
set_empty_slot(struct url_set *s, uint64_t h)
{
	size_t i = (size_t)h & (s->nslots - 1);

	while (s->slots[i] != 0)
		i = (i + 1) & (s->nslots - 1);
	return &s->slots[i];
}

/* Room for one more item: arrays and table doubled when needed. */
static int
set_grow(struct url_set *s)
{
	size_t i, cap, nslots;
	struct mime_url *items;
	uint64_t *hashes;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if ((items = mg_arena_alloc(s->arena, cap * sizeof(*items))) == NULL ||
		    (hashes = mg_arena_alloc(s->arena, cap * sizeof(*hashes))) == NULL)
			return -MG_ENOMEM;
		if (s->n > 0) {
			memcpy(items, s->items, s->n * sizeof(*items));
			memcpy(hashes, s->hashes, s->n * sizeof(*hashes));
		}
		s->items = items;
		s->hashes = hashes;
		s->cap = cap;
	}
	if (2 * (s->n + 1) > s->nslots) {
		nslots = s->nslots ? s->nslots * 2 : 32;
		if ((s->slots = mg_arena_zalloc(s->arena, nslots * sizeof(*s->slots))) == NULL)
			return -MG_ENOMEM;
		s->nslots = nslots;
		for (i = 0; i < s->n; i++)
			*set_empty_slot(s, s->hashes[i]) = (uint32_t)(i + 1);
	}
	return 0;
}

int
url_set_add(struct url_set *s, const char *raw, size_t len, unsigned flags)
{
	struct url_norm *n;
	struct mime_url *u;
	uint32_t *slot;
	uint64_t h;
	int rc;

	if ((rc = url_norm_run(raw, len, flags, &n)) != 0)
		return rc;
	h = siphash13(s->key, n->out, n->len);
	if (s->nslots > 0 && *(slot = set_slot(s, h, n->out, n->len)) != 0) {
		u = &s->items[*slot - 1];
		if (u->count < UINT_MAX)
			u->count++;
		u->flags |= n->flags;
		return 0;
	}
	if (s->n >= s->max)
		return -MG_ELIMIT;
	if ((rc = set_grow(s)) != 0 || (rc = url_commit(s->arena, n, raw, len, &s->items[s->n])) != 0)
		return rc;
	s->hashes[s->n] = h;
	s->n++;
	*set_empty_slot(s, h) = (uint32_t)s->n;
	return 0;
}

struct mime_url *
url_set_items(struct url_set *s, size_t *n)
{
	*n = s->n;
	return s->items;
}
