/* The frames between the fetch client and its worker (fetch.h): request
 * (URL and limits) and reply (status, final URL, redirect chain, type and
 * the capped body), and bounded frame I/O on the socketpair. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ipc.h"
#include "fetch/fetch.h"

static const char *const status_names[FETCH_STATUS_COUNT] = { "ok", "refused", "timeout",
	"connect", "redirects", "error" };

const char *
fetch_status_name(enum fetch_status s)
{
	return (unsigned)s < FETCH_STATUS_COUNT ? status_names[s] : "unknown";
}

void
fetch_result_clear(struct fetch_result *r)
{
	free(r->final_url);
	for (size_t i = 0; i < r->nchain; i++)
		free(r->chain[i]);
	free(r->chain);
	free(r->content_type);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
fetch_request_encode(struct mg_buf *b, const char *url, const struct fetch_limits *l)
{
	size_t start;
	int rc;

	if (strlen(url) > FETCH_URL_MAX)
		return -MG_ELIMIT;
	if ((rc = ipc_frame_begin(b, FETCH_FRAME_REQUEST, &start)) < 0 ||
	    (rc = ipc_put_cstr(b, url)) < 0 || (rc = ipc_put_u32(b, l->max_bytes)) < 0 ||
	    (rc = ipc_put_u32(b, l->timeout_ms)) < 0 ||
	    (rc = ipc_put_u32(b, l->max_redirects)) < 0 ||
	    (rc = ipc_put_u8(b, l->allow_private)) < 0 ||
	    (rc = ipc_put_cstr(b, l->user_agent)) < 0)
		return rc;
	return ipc_frame_end(b, start);
}

int
fetch_request_decode(const uint8_t *frame, size_t len, struct fetch_request *q)
{
	struct ipc_reader r;
	uint8_t priv;

	memset(q, 0, sizeof(*q));
	ipc_reader_init(&r, frame, len);
	q->url = ipc_get_strdup(&r, FETCH_URL_MAX);
	q->limits.max_bytes = ipc_get_u32(&r);
	q->limits.timeout_ms = ipc_get_u32(&r);
	q->limits.max_redirects = ipc_get_u32(&r);
	priv = ipc_get_u8(&r);
	q->ua = ipc_get_strdup(&r, 256);
	if (ipc_reader_end(&r) < 0 || priv > 1 || q->limits.max_bytes == 0 ||
	    q->limits.max_bytes > FETCH_MAX_BYTES_CAP ||
	    q->limits.max_redirects > FETCH_MAX_REDIRECTS_CAP || q->limits.timeout_ms == 0) {
		fetch_request_clear(q);
		return -MG_EPROTO;
	}
	q->limits.allow_private = priv;
	q->limits.user_agent = q->ua[0] != '\0' ? q->ua : NULL;
	return 0;
}

void
fetch_request_clear(struct fetch_request *q)
{
	free(q->url);
	free(q->ua);
	memset(q, 0, sizeof(*q));
}

int
fetch_reply_encode(struct mg_buf *b, const struct fetch_result *res)
{
	size_t start;
	int rc;

	if ((rc = ipc_frame_begin(b, FETCH_FRAME_REPLY, &start)) < 0 ||
	    (rc = ipc_put_u8(b, (uint8_t)res->status)) < 0 ||
	    (rc = ipc_put_u32(b, res->http_code)) < 0 ||
	    (rc = ipc_put_cstr(b, res->final_url)) < 0 ||
	    (rc = ipc_put_u32(b, (uint32_t)res->nchain)) < 0)
		return rc;
	for (size_t i = 0; i < res->nchain; i++)
		if ((rc = ipc_put_cstr(b, res->chain[i])) < 0)
			return rc;
	if ((rc = ipc_put_cstr(b, res->content_type)) < 0 ||
	    (rc = ipc_put_u8(b, res->truncated)) < 0 ||
	    (rc = ipc_put_str(b, res->body, res->body_len)) < 0)
		return rc;
	return ipc_frame_end(b, start);
}

/* The redirect chain of a reply. */
static int
reply_chain(struct ipc_reader *r, struct fetch_result *res)
{
	uint32_t n = ipc_get_u32(r);

	if (n > FETCH_MAX_REDIRECTS_CAP + 1)
		return -MG_EPROTO;
	if (n > 0 && (res->chain = calloc(n, sizeof(*res->chain))) == NULL)
		return -MG_ENOMEM;
	for (; res->nchain < n; res->nchain++)
		if ((res->chain[res->nchain] = ipc_get_strdup(r, FETCH_URL_MAX)) == NULL)
			return -MG_EPROTO;
	return 0;
}

int
fetch_reply_decode(const uint8_t *frame, size_t len, uint32_t max_bytes, struct fetch_result *res)
{
	struct ipc_reader r;
	struct mg_slice body;
	uint8_t status, trunc;
	int rc;

	memset(res, 0, sizeof(*res));
	ipc_reader_init(&r, frame, len);
	status = ipc_get_u8(&r);
	res->http_code = ipc_get_u32(&r);
	res->final_url = ipc_get_strdup(&r, FETCH_URL_MAX);
	if ((rc = reply_chain(&r, res)) < 0)
		goto err;
	res->content_type = ipc_get_strdup(&r, FETCH_CTYPE_MAX);
	trunc = ipc_get_u8(&r);
	body = ipc_get_str(&r, max_bytes);
	rc = -MG_EPROTO;
	if (ipc_reader_end(&r) < 0 || status >= FETCH_STATUS_COUNT || trunc > 1)
		goto err;
	res->status = status;
	res->truncated = trunc;
	rc = -MG_ENOMEM;
	if ((res->body = malloc(body.len + 1)) == NULL)
		goto err;
	if (body.len > 0)
		memcpy(res->body, body.ptr, body.len);
	res->body[body.len] = '\0';
	res->body_len = body.len;
	return 0;
err:
	fetch_result_clear(res);
	return rc;
}

/* Waits for events on fd until deadline; 0, or -MG_ETIMEOUT / -MG_EIO. */
static int
fetch_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int ms = -1, n;

	if (deadline != 0) {
		if ((now = mg_clock_ns()) >= deadline)
			return -MG_ETIMEOUT;
		ms = (int)((deadline - now + 999999) / 1000000);
	}
	n = poll(&p, 1, ms);
	if (n == -1)
		return errno == EINTR ? 0 : -MG_EIO;
	return n == 0 ? -MG_ETIMEOUT : 0;
}

int
fetch_write_all(int fd, const void *p, size_t len, uint64_t deadline)
{
	const uint8_t *s = p;
	ssize_t n;
	int rc;

	while (len > 0) {
		if ((rc = fetch_wait(fd, POLLOUT, deadline)) < 0)
			return rc;
		n = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -MG_EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Bytes still missing from the frame in b: the header first, then the
 * payload its length field announces; 0 when whole. -MG_EPROTO when too long. */
static int
frame_missing(const struct mg_buf *b, size_t *missing)
{
	uint32_t payload;

	if (b->len < IPC_HEADER_LEN) {
		*missing = IPC_HEADER_LEN - b->len;
		return 0;
	}
	payload = (uint32_t)b->data[0] << 24 | (uint32_t)b->data[1] << 16 |
	    (uint32_t)b->data[2] << 8 | b->data[3];
	if (payload > IPC_MAX_PAYLOAD)
		return -MG_EPROTO;
	*missing = IPC_HEADER_LEN + payload - b->len;
	return 0;
}

int
fetch_read_frame(int fd, struct mg_buf *b, uint16_t *type, uint64_t deadline)
{
	size_t missing, flen;
	ssize_t n;
	int rc;

	mg_buf_reset(b);
	for (;;) {
		if (frame_missing(b, &missing) < 0)
			return -MG_EPROTO;
		if (missing == 0 && b->len >= IPC_HEADER_LEN)
			return ipc_frame_peek(b->data, b->len, type, &flen) == 0 ? 0 : -MG_EPROTO;
		if ((rc = mg_buf_reserve(b, missing)) < 0)
			return rc == -MG_ELIMIT ? -MG_EPROTO : rc;
		if ((rc = fetch_wait(fd, POLLIN, deadline)) < 0)
			return rc;
		n = recv(fd, b->data + b->len, missing, MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -MG_EIO;
		b->len += (size_t)n;
	}
}
