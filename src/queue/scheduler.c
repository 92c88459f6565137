/* Message schedule (see scheduler.h): a binary min-heap of waiting
 * messages by due time, and a tsearch(3) tree by id for lookups. */
#include <search.h>
#include <stdlib.h>

#include "core/err.h"
#include "queue/scheduler.h"

#define NOT_IN_HEAP	((size_t)-1)

struct sched {
	void		 *tree;
	struct sched_msg **heap;
	size_t		 nheap, capheap;
	size_t		 count;
};

static int
sched_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct sched_msg *)a)->id;
	uint64_t y = ((const struct sched_msg *)b)->id;

	return x < y ? -1 : x > y;
}

struct sched *
sched_new(void)
{
	return calloc(1, sizeof(struct sched));
}

static void
sched_free_node(void *p)
{
	free(p);
}

struct sched *
sched_free(struct sched *s)
{
	if (s == NULL)
		return NULL;
	tdestroy(s->tree, sched_free_node);
	free(s->heap);
	free(s);
	return NULL;
}

static void
heap_place(struct sched *s, size_t i, struct sched_msg *m)
{
	s->heap[i] = m;
	m->heap_idx = i;
}

static void
heap_up(struct sched *s, size_t i)
{
	struct sched_msg *m = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (s->heap[parent]->due <= m->due)
			break;
		heap_place(s, i, s->heap[parent]);
		i = parent;
	}
	heap_place(s, i, m);
}

static void
heap_down(struct sched *s, size_t i)
{
	struct sched_msg *m = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1]->due < s->heap[c]->due)
			c++;
		if (m->due <= s->heap[c]->due)
			break;
		heap_place(s, i, s->heap[c]);
		i = c;
	}
	heap_place(s, i, m);
}

/* The heap array always has room for every known message, so that an
 * active message can return to the heap without allocating. */
static int
heap_reserve(struct sched *s, size_t want)
{
	struct sched_msg **h;
	size_t ncap;

	if (want <= s->capheap)
		return 0;
	ncap = s->capheap ? s->capheap * 2 : 256;
	if ((h = realloc(s->heap, ncap * sizeof(*h))) == NULL)
		return -MG_ENOMEM;
	s->heap = h;
	s->capheap = ncap;
	return 0;
}

static void
heap_push(struct sched *s, struct sched_msg *m)
{
	heap_place(s, s->nheap++, m);
	heap_up(s, s->nheap - 1);
}

static void
heap_delete(struct sched *s, struct sched_msg *m)
{
	size_t i = m->heap_idx;
	struct sched_msg *last = s->heap[--s->nheap];

	m->heap_idx = NOT_IN_HEAP;
	if (i == s->nheap)
		return;
	heap_place(s, i, last);
	heap_up(s, i);
	heap_down(s, last->heap_idx);
}

struct sched_msg *
sched_find(struct sched *s, uint64_t id)
{
	struct sched_msg key = { .id = id };
	void *p = tfind(&key, &s->tree, sched_cmp);

	return p ? *(struct sched_msg **)p : NULL;
}

int
sched_add(struct sched *s, uint64_t id, time_t due, bool pinned)
{
	struct sched_msg *m;
	void *p;

	if (sched_find(s, id) != NULL)
		return -MG_EEXIST;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -MG_ENOMEM;
	m->id = id;
	m->due = due;
	m->pinned = pinned;
	if (heap_reserve(s, s->count + 1) < 0 ||
	    (p = tsearch(m, &s->tree, sched_cmp)) == NULL) {
		free(m);
		return -MG_ENOMEM;
	}
	heap_push(s, m);
	s->count++;
	return 0;
}

void
sched_set_due(struct sched *s, struct sched_msg *m, time_t due)
{
	m->due = due;
	m->pinned = true;
	if (m->active) {
		m->active = false;
		heap_push(s, m);
		return;
	}
	heap_up(s, m->heap_idx);
	heap_down(s, m->heap_idx);
}

struct sched_msg *
sched_take_due(struct sched *s, time_t now)
{
	struct sched_msg *m;

	if (s->nheap == 0 || s->heap[0]->due > now)
		return NULL;
	m = s->heap[0];
	heap_delete(s, m);
	m->active = true;
	return m;
}

bool
sched_earliest(const struct sched *s, time_t *due)
{
	if (s->nheap == 0)
		return false;
	*due = s->heap[0]->due;
	return true;
}

size_t
sched_flush_all(struct sched *s, time_t now)
{
	/* equal keys everywhere keep the heap property */
	for (size_t i = 0; i < s->nheap; i++) {
		s->heap[i]->due = now;
		s->heap[i]->pinned = true;
	}
	return s->nheap;
}

void
sched_remove(struct sched *s, struct sched_msg *m)
{
	if (!m->active)
		heap_delete(s, m);
	tdelete(m, &s->tree, sched_cmp);
	s->count--;
	free(m);
}

size_t
sched_count(const struct sched *s)
{
	return s->count;
}

size_t
sched_waiting(const struct sched *s)
{
	return s->nheap;
}
