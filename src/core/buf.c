/* Bounded growable buffers and slice comparisons. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"

bool
mg_slice_eq_nocase(struct mg_slice a, const char *lit)
{
	size_t n = strlen(lit);
	return a.len == n && strncasecmp((const char *)a.ptr, lit, n) == 0;
}

bool
mg_slice_prefix_nocase(struct mg_slice a, const char *lit)
{
	size_t n = strlen(lit);
	return a.len >= n && strncasecmp((const char *)a.ptr, lit, n) == 0;
}

void
mg_buf_init(struct mg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	/* one byte below SIZE_MAX: the spare byte of mg_buf_cstr must fit */
	b->max = max && max < SIZE_MAX ? max : SIZE_MAX - 1;
}

int
mg_buf_reserve(struct mg_buf *b, size_t extra)
{
	size_t want, ncap;
	uint8_t *p;

	if (extra > b->max || b->len > b->max - extra)
		return -MG_ELIMIT;
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	/* one spare byte so mg_buf_cstr never needs to grow past max */
	if ((p = realloc(b->data, ncap + 1)) == NULL)
		return -MG_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
mg_buf_append(struct mg_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = mg_buf_reserve(b, n)) < 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
mg_buf_putc(struct mg_buf *b, uint8_t c)
{
	return mg_buf_append(b, &c, 1);
}

int
mg_buf_appendf(struct mg_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -MG_EINVAL;
	if ((size_t)n < sizeof(small))
		return mg_buf_append(b, small, (size_t)n);
	if ((rc = mg_buf_reserve(b, (size_t)n + 1)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
mg_buf_reset(struct mg_buf *b)
{
	b->len = 0;
}

void
mg_buf_release(struct mg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
mg_buf_cstr(struct mg_buf *b)
{
	if (b->data == NULL) {
		int rc = mg_buf_reserve(b, 1);
		if (rc < 0)
			return rc;
	}
	b->data[b->len] = '\0';
	return 0;
}

bool
mg_has_8bit(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] & 0x80)
			return true;
	return false;
}
