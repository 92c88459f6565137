/* Message content of DATA and BDAT: read from the input buffer in place,
 * filtered by smtp_data (end marker, dot-stuffing, bare CR/LF policy) into
 * a bounded stage that the backend receives in chunks. Nothing holds a
 * whole message; the filter's copy into the stage is the only copy. */
#include <inttypes.h>
#include <event2/buffer.h>

#include "core/log.h"
#include "smtp/smtp_server_int.h"

#define FEED_PIECE	(8 * 1024)	/* input per smtp_data_feed; output <= 2x + 1 */
#define STAGE_FLUSH	(32 * 1024)	/* stage handed to the backend from here */
#define STAGE_MAX	(64 * 1024)	/* > STAGE_FLUSH + 2 * FEED_PIECE + 1 */
#define PEEK_VECS	8

void
smtp__data_begin(struct smtp_session *s, bool dot_mode)
{
	const struct conf_limits *lim = s->cfg->limits;

	smtp_data_begin(&s->tx->data, dot_mode, lim->max_message_size,
	    lim->max_line_length);
	mg_buf_init(&s->tx->stage, STAGE_MAX);
}

static void
stage_flush(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;

	if (tx->stage.len > 0 && !tx->failed &&
	    s->ops->on_data_chunk(s, tx->stage.data, tx->stage.len) < 0)
		tx->failed = true;
	mg_buf_reset(&tx->stage);
}

/* Filters in[0..len) into the stage. Returns the bytes consumed (fewer
 * than len only at the end marker) or -1 when the stage cannot grow. */
static long
feed(struct smtp_session *s, const uint8_t *in, size_t len, bool *done)
{
	struct smtp_tx *tx = s->tx;
	size_t off = 0, n;
	long r;

	*done = false;
	while (off < len && !*done) {
		n = len - off < FEED_PIECE ? len - off : FEED_PIECE;
		if ((r = smtp_data_feed(&tx->data, in + off, n, &tx->stage, done)) < 0)
			return -1;
		off += (size_t)r;
		if (tx->stage.len >= STAGE_FLUSH)
			stage_flush(s);
	}
	return (long)off;
}

static void
local_error(struct smtp_session *s)
{
	log_err("%016" PRIx64 " smtp data error=\"out of memory\"", s->info.id);
	smtp__tx_reset(s);
	s->phase = SMTP_PH_CMD;
	smtp__close(s, "421 4.3.0 Local error in processing, closing connection");
}

/* The content is complete: refuse it here, or hand it to the backend,
 * which answers through smtp_session_reply. */
static void
data_end(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;
	const char *why = NULL;

	stage_flush(s);
	mg_buf_release(&tx->stage);
	s->phase = SMTP_PH_CMD;
	smtp__set_timeout(s, s->cfg->limits->command_timeout);
	s->nmessages++;
	if (tx->failed)
		why = "451 4.3.0 Local error in processing";
	else if (tx->data.flags & SMTP_DATA_OVERSIZE)
		why = "552 5.3.4 Message size exceeds fixed limit";
	else if (tx->data.flags & SMTP_DATA_BARE_CR)
		why = "550 5.6.0 Message contains bare CR; refused (see RFC 5321 section 2.3.8)";
	if (why != NULL) {
		smtp__tx_reset(s);
		smtp__refuse(s, "data", NULL, why, true);
		return;
	}
	/* what the client sends meanwhile waits in the input buffer (bounded
	 * by its high-water mark) until the answer; the backend's time does
	 * not count as the client's */
	s->phase = SMTP_PH_BACKEND;
	smtp__set_timeout(s, 0);
	s->ops->on_data_end(s, tx->data.size, tx->data.flags);
}

bool
smtp__read_data(struct smtp_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec v[PEEK_VECS];
	size_t used = 0;
	bool done = false;
	long r;
	int n;

	if ((n = evbuffer_peek(in, -1, NULL, v, PEEK_VECS)) <= 0)
		return false;
	for (int i = 0; i < n && i < PEEK_VECS && !done; i++) {
		if ((r = feed(s, v[i].iov_base, v[i].iov_len, &done)) < 0) {
			local_error(s);
			return false;
		}
		used += (size_t)r;
	}
	evbuffer_drain(in, used);
	if (done) {
		data_end(s);
		return true;
	}
	return evbuffer_get_length(in) > 0;
}

/* A BDAT chunk was read completely. */
static void
chunk_done(struct smtp_session *s)
{
	s->phase = SMTP_PH_CMD;
	smtp__set_timeout(s, s->cfg->limits->command_timeout);
	if (s->chunk_discard) {
		s->chunk_discard = false;
		return;
	}
	if (!s->chunk_last) {
		smtp__replyf(s, "250 2.0.0 %" PRIu64 " octets received", s->chunk_size);
		return;
	}
	if (smtp_data_finish(&s->tx->data, &s->tx->stage) < 0) {
		local_error(s);
		return;
	}
	data_end(s);
}

bool
smtp__read_chunk(struct smtp_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec v[PEEK_VECS];
	size_t want, used = 0, len;
	bool done;
	long r;
	int n;

	if (s->chunk_left > 0) {
		want = evbuffer_get_length(in);
		if (want > s->chunk_left)
			want = (size_t)s->chunk_left;
		if (want == 0)
			return false;
		if (s->chunk_discard) {
			used = want;
		} else {
			n = evbuffer_peek(in, (ev_ssize_t)want, NULL, v, PEEK_VECS);
			for (int i = 0; i < n && i < PEEK_VECS && used < want; i++) {
				len = v[i].iov_len < want - used ? v[i].iov_len : want - used;
				if ((r = feed(s, v[i].iov_base, len, &done)) < 0) {
					local_error(s);
					return false;
				}
				used += (size_t)r;
			}
		}
		evbuffer_drain(in, used);
		s->chunk_left -= used;
		if (s->chunk_left > 0)
			return evbuffer_get_length(in) > 0;
	}
	chunk_done(s);
	return true;
}
