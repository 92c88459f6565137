/* Encoding and exact decoding of IPC frames (see ipc.h). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ipc.h"

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
ipc_frame_begin(struct mg_buf *b, uint16_t type, size_t *start)
{
	uint8_t h[IPC_HEADER_LEN] = { 0 };

	put_be(h + 4, type, 2);
	*start = b->len;
	return mg_buf_append(b, h, sizeof(h));
}

int
ipc_frame_end(struct mg_buf *b, size_t start)
{
	size_t payload = b->len - start - IPC_HEADER_LEN;

	if (payload > IPC_MAX_PAYLOAD)
		return -MG_ELIMIT;
	put_be(b->data + start, payload, 4);
	return 0;
}

int
ipc_put_u8(struct mg_buf *b, uint8_t v)
{
	return mg_buf_append(b, &v, 1);
}

int
ipc_put_u32(struct mg_buf *b, uint32_t v)
{
	uint8_t p[4];
	put_be(p, v, 4);
	return mg_buf_append(b, p, 4);
}

int
ipc_put_u64(struct mg_buf *b, uint64_t v)
{
	uint8_t p[8];
	put_be(p, v, 8);
	return mg_buf_append(b, p, 8);
}

int
ipc_put_str(struct mg_buf *b, const void *s, size_t n)
{
	int rc;

	if (n > IPC_MAX_PAYLOAD)
		return -MG_ELIMIT;
	if ((rc = ipc_put_u32(b, (uint32_t)n)) < 0)
		return rc;
	return mg_buf_append(b, s, n);
}

int
ipc_put_cstr(struct mg_buf *b, const char *s)
{
	return ipc_put_str(b, s ? s : "", s ? strlen(s) : 0);
}

int
ipc_frame_peek(const uint8_t *data, size_t len, uint16_t *type, size_t *frame_len)
{
	uint64_t payload;

	if (len < IPC_HEADER_LEN)
		return -MG_EAGAIN;
	payload = get_be(data, 4);
	if (payload > IPC_MAX_PAYLOAD || get_be(data + 6, 2) != 0)
		return -MG_EPROTO;
	if (len < IPC_HEADER_LEN + payload)
		return -MG_EAGAIN;
	*type = (uint16_t)get_be(data + 4, 2);
	*frame_len = IPC_HEADER_LEN + (size_t)payload;
	return 0;
}

void
ipc_reader_init(struct ipc_reader *r, const uint8_t *frame, size_t frame_len)
{
	r->p = frame + IPC_HEADER_LEN;
	r->len = frame_len >= IPC_HEADER_LEN ? frame_len - IPC_HEADER_LEN : 0;
	r->off = 0;
	r->bad = frame_len < IPC_HEADER_LEN;
}

static const uint8_t *
take(struct ipc_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t
ipc_get_u8(struct ipc_reader *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t
ipc_get_u32(struct ipc_reader *r)
{
	const uint8_t *p = take(r, 4);
	return p ? (uint32_t)get_be(p, 4) : 0;
}

uint64_t
ipc_get_u64(struct ipc_reader *r)
{
	const uint8_t *p = take(r, 8);
	return p ? get_be(p, 8) : 0;
}

struct mg_slice
ipc_get_str(struct ipc_reader *r, size_t max)
{
	uint32_t n = ipc_get_u32(r);
	const uint8_t *p;

	if (n > max) {
		r->bad = true;
		return (struct mg_slice){ NULL, 0 };
	}
	p = take(r, n);
	return (struct mg_slice){ p, p ? n : 0 };
}

char *
ipc_get_strdup(struct ipc_reader *r, size_t max)
{
	struct mg_slice s = ipc_get_str(r, max);
	char *out;

	if (r->bad)
		return NULL;
	if (s.len && memchr(s.ptr, '\0', s.len)) {
		r->bad = true;
		return NULL;
	}
	if ((out = malloc(s.len + 1)) == NULL) {
		r->bad = true;
		return NULL;
	}
	if (s.len)
		memcpy(out, s.ptr, s.len);
	out[s.len] = '\0';
	return out;
}

int
ipc_reader_end(struct ipc_reader *r)
{
	return r->bad || r->off != r->len ? -MG_EPROTO : 0;
}
