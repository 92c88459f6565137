/* One memory arena per scanned message (a "task"): allocations are never
 * freed one by one; everything, and the cleanups registered with
 * mg_arena_defer, goes at mg_arena_free. A ceiling bounds what hostile
 * input can make one task allocate: past it allocations fail (NULL) and the
 * caller flags the message instead of aborting the process. */
#ifndef MG_CORE_ARENA_H
#define MG_CORE_ARENA_H

#include <stddef.h>

struct mg_arena;

/* chunk: size of each block taken from malloc (grows for big requests);
 * max: ceiling on the total, 0 = none. NULL when out of memory. */
struct mg_arena	*mg_arena_new(size_t chunk, size_t max);
/* 16-byte aligned; NULL past the ceiling or when out of memory. */
void	*mg_arena_alloc(struct mg_arena *, size_t);
void	*mg_arena_zalloc(struct mg_arena *, size_t);
/* Copies n bytes and a NUL. */
char	*mg_arena_strndup(struct mg_arena *, const void *, size_t n);
/* fn(arg) runs at mg_arena_free, last registered first; -1 on failure (fn
 * not registered: the caller releases arg itself). */
int	 mg_arena_defer(struct mg_arena *, void (*fn)(void *), void *arg);
size_t	 mg_arena_used(const struct mg_arena *);
struct mg_arena *mg_arena_free(struct mg_arena *);	/* returns NULL */

#endif
