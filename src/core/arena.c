/* Bump allocator in malloc'ed blocks with deferred cleanups (see arena.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define ARENA_ALIGN	16

struct arena_block {
	struct arena_block *next;
	size_t		 size, used;
	/* data follows, aligned */
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void		(*fn)(void *);
	void		*arg;
};

struct mg_arena {
	struct arena_block *blocks;
	struct arena_cleanup *cleanups;
	size_t		 chunk, max, total;
};

#define BLOCK_HDR	((sizeof(struct arena_block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

struct mg_arena *
mg_arena_new(size_t chunk, size_t max)
{
	struct mg_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->chunk = chunk < 1024 ? 1024 : chunk;
	a->max = max ? max : SIZE_MAX;
	return a;
}

static struct arena_block *
arena_grow(struct mg_arena *a, size_t need)
{
	size_t size = need > a->chunk ? need : a->chunk;
	struct arena_block *b;

	if (size > a->max - a->total || size > SIZE_MAX - BLOCK_HDR)
		return NULL;
	if ((b = malloc(BLOCK_HDR + size)) == NULL)
		return NULL;
	b->size = size;
	b->used = 0;
	b->next = a->blocks;
	a->blocks = b;
	a->total += size;
	return b;
}

void *
mg_arena_alloc(struct mg_arena *a, size_t n)
{
	struct arena_block *b = a->blocks;
	size_t need;

	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (b == NULL || b->size - b->used < need) {
		if ((b = arena_grow(a, need)) == NULL)
			return NULL;
	}
	void *p = (char *)b + BLOCK_HDR + b->used;
	b->used += need;
	return p;
}

void *
mg_arena_zalloc(struct mg_arena *a, size_t n)
{
	void *p = mg_arena_alloc(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *
mg_arena_strndup(struct mg_arena *a, const void *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = mg_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
mg_arena_defer(struct mg_arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup *c = mg_arena_alloc(a, sizeof(*c));

	if (c == NULL)
		return -1;
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

size_t
mg_arena_used(const struct mg_arena *a)
{
	return a->total;
}

struct mg_arena *
mg_arena_free(struct mg_arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return NULL;
	for (struct arena_cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->arg);
	for (b = a->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
	return NULL;
}
