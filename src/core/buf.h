/* Borrowed slices and owned, bounded byte buffers. A slice is never freed
 * by its holder; a buffer owns its bytes and refuses to grow past max. */
#ifndef MG_CORE_BUF_H
#define MG_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_slice {
	const uint8_t	*ptr;
	size_t		 len;
};

struct mg_buf {
	uint8_t	*data;
	size_t	 len, cap;
	size_t	 max;		/* ceiling set by the owner; 0 = SIZE_MAX */
};

#define MG_SLICE_LIT(s)	((struct mg_slice){ (const uint8_t *)(s), sizeof(s) - 1 })

static inline struct mg_slice
mg_slice_make(const void *p, size_t len)
{
	return (struct mg_slice){ (const uint8_t *)p, len };
}

bool	mg_slice_eq_nocase(struct mg_slice a, const char *lit);
bool	mg_slice_prefix_nocase(struct mg_slice a, const char *lit);
/* Whether any of the n bytes at p has the high bit set (8-bit, not ASCII). */
bool	mg_has_8bit(const void *p, size_t n);

void	mg_buf_init(struct mg_buf *, size_t max);
int	mg_buf_reserve(struct mg_buf *, size_t extra);		/* 0, -MG_ELIMIT, -MG_ENOMEM */
int	mg_buf_append(struct mg_buf *, const void *, size_t);	/* 0, -MG_ELIMIT, -MG_ENOMEM */
int	mg_buf_appendf(struct mg_buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
int	mg_buf_putc(struct mg_buf *, uint8_t);
void	mg_buf_reset(struct mg_buf *);				/* len = 0, keeps memory */
void	mg_buf_release(struct mg_buf *);			/* frees memory */
/* NUL-terminates without counting the NUL in len; 0 or negative error. */
int	mg_buf_cstr(struct mg_buf *);

#endif
