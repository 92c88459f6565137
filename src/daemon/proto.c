/* Encoding and exact decoding of the inter-process messages of proto.h. */
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/ipc.h"
#include "daemon/proto.h"
#include "policy/policy.h"

#define PROTO_MAX_STR		(64u * 1024)
#define PROTO_MAX_RCPTS		200000u

int
proto_scan_request_encode(struct mg_buf *out, const struct proto_scan_request *r)
{
	size_t start;
	int rc = ipc_frame_begin(out, PROTO_SCAN_REQUEST, &start);

	rc = rc ? rc : ipc_put_u64(out, r->qid);
	rc = rc ? rc : ipc_put_u64(out, r->session);
	rc = rc ? rc : ipc_put_cstr(out, r->path);
	rc = rc ? rc : ipc_put_cstr(out, r->client_ip);
	rc = rc ? rc : ipc_put_cstr(out, r->helo);
	rc = rc ? rc : ipc_put_cstr(out, r->mail_from);
	rc = rc ? rc : ipc_put_u32(out, r->nrcpts);
	for (uint32_t i = 0; rc == 0 && i < r->nrcpts; i++)
		rc = ipc_put_cstr(out, r->rcpts[i]);
	rc = rc ? rc : ipc_put_u8(out, r->outbound);
	return rc ? rc : ipc_frame_end(out, start);
}

int
proto_scan_request_decode(const uint8_t *frame, size_t len, struct proto_scan_request *r)
{
	struct ipc_reader rd;

	memset(r, 0, sizeof(*r));
	ipc_reader_init(&rd, frame, len);
	r->qid = ipc_get_u64(&rd);
	r->session = ipc_get_u64(&rd);
	r->path = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->client_ip = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->helo = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->mail_from = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->nrcpts = ipc_get_u32(&rd);
	if (!rd.bad && r->nrcpts > PROTO_MAX_RCPTS)
		rd.bad = true;
	if (!rd.bad && r->nrcpts && (r->rcpts = calloc(r->nrcpts, sizeof(char *))) == NULL)
		rd.bad = true;
	for (uint32_t i = 0; !rd.bad && i < r->nrcpts; i++)
		r->rcpts[i] = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->outbound = ipc_get_u8(&rd);
	if (ipc_reader_end(&rd) < 0) {
		proto_scan_request_clear(r);
		return -MG_EPROTO;
	}
	return 0;
}

void
proto_scan_request_clear(struct proto_scan_request *r)
{
	for (uint32_t i = 0; r->rcpts && i < r->nrcpts; i++)
		free(r->rcpts[i]);
	free(r->rcpts);
	free(r->path);
	free(r->client_ip);
	free(r->helo);
	free(r->mail_from);
	memset(r, 0, sizeof(*r));
}

int
proto_scan_result_encode(struct mg_buf *out, const struct proto_scan_result *r)
{
	size_t start;
	int rc = ipc_frame_begin(out, PROTO_SCAN_RESULT, &start);

	rc = rc ? rc : ipc_put_u64(out, r->qid);
	rc = rc ? rc : ipc_put_u8(out, r->action);
	rc = rc ? rc : ipc_put_cstr(out, r->verdict);
	rc = rc ? rc : ipc_put_u64(out, (uint64_t)r->score_milli);
	rc = rc ? rc : ipc_put_cstr(out, r->headers);
	rc = rc ? rc : ipc_put_cstr(out, r->reply);
	rc = rc ? rc : ipc_put_cstr(out, r->symbols);
	rc = rc ? rc : ipc_put_u32(out, r->nforged_ar);
	for (uint32_t i = 0; rc == 0 && i < r->nforged_ar; i++)
		rc = ipc_put_u64(out, r->forged_ar[i]);
	rc = rc ? rc : ipc_put_u32(out, r->nstripped);
	rc = rc ? rc : ipc_put_u8(out, r->verdict_action);
	rc = rc ? rc : ipc_put_cstr(out, r->reason);
	rc = rc ? rc : ipc_put_u32(out, r->nrcpts);
	for (uint32_t i = 0; rc == 0 && i < r->nrcpts; i++) {
		rc = ipc_put_u8(out, r->rcpts[i].act);
		rc = rc ? rc : ipc_put_cstr(out, r->rcpts[i].args);
		rc = rc ? rc : ipc_put_cstr(out, r->rcpts[i].filter);
	}
	return rc ? rc : ipc_frame_end(out, start);
}

static void
rcpt_acts_decode(struct ipc_reader *rd, struct proto_scan_result *r)
{
	r->nrcpts = ipc_get_u32(rd);
	if (!rd->bad && (r->nrcpts > PROTO_MAX_RCPTS ||
	    (r->nrcpts > 0 && r->action != PROTO_SCAN_ACCEPT)))
		rd->bad = true;
	if (!rd->bad && r->nrcpts > 0 &&
	    (r->rcpts = calloc(r->nrcpts, sizeof(*r->rcpts))) == NULL)
		rd->bad = true;
	for (uint32_t i = 0; !rd->bad && i < r->nrcpts; i++) {
		r->rcpts[i].act = ipc_get_u8(rd);
		r->rcpts[i].args = ipc_get_strdup(rd, POLICY_ARGS_MAX);
		r->rcpts[i].filter = ipc_get_strdup(rd, POLICY_NAME_MAX);
		if (!rd->bad && r->rcpts[i].act >= POLICY_ACT_COUNT)
			rd->bad = true;
	}
}

int
proto_scan_result_decode(const uint8_t *frame, size_t len, struct proto_scan_result *r)
{
	struct ipc_reader rd;

	memset(r, 0, sizeof(*r));
	ipc_reader_init(&rd, frame, len);
	r->qid = ipc_get_u64(&rd);
	r->action = ipc_get_u8(&rd);
	r->verdict = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->score_milli = (int64_t)ipc_get_u64(&rd);
	r->headers = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->reply = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->symbols = ipc_get_strdup(&rd, PROTO_MAX_STR);
	r->nforged_ar = ipc_get_u32(&rd);
	if (!rd.bad && (r->action > PROTO_SCAN_REJECT || r->nforged_ar > PROTO_FORGED_AR_MAX))
		rd.bad = true;
	for (uint32_t i = 0; !rd.bad && i < r->nforged_ar; i++)
		r->forged_ar[i] = ipc_get_u64(&rd);
	r->nstripped = ipc_get_u32(&rd);
	if (!rd.bad && r->nstripped > 0 && r->action != PROTO_SCAN_ACCEPT)
		rd.bad = true;
	r->verdict_action = ipc_get_u8(&rd);
	if (!rd.bad && r->verdict_action > MG_VERDICT_REJECT)
		rd.bad = true;
	r->reason = ipc_get_strdup(&rd, PROTO_MAX_STR);
	rcpt_acts_decode(&rd, r);
	if (ipc_reader_end(&rd) < 0) {
		proto_scan_result_clear(r);
		return -MG_EPROTO;
	}
	return 0;
}

void
proto_scan_result_clear(struct proto_scan_result *r)
{
	free(r->verdict);
	free(r->headers);
	free(r->reply);
	free(r->symbols);
	free(r->reason);
	for (uint32_t i = 0; r->rcpts != NULL && i < r->nrcpts; i++) {
		free(r->rcpts[i].args);
		free(r->rcpts[i].filter);
	}
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}

int
proto_queue_notify_encode(struct mg_buf *out, uint64_t qid)
{
	size_t start;
	int rc = ipc_frame_begin(out, PROTO_QUEUE_NOTIFY, &start);

	rc = rc ? rc : ipc_put_u64(out, qid);
	return rc ? rc : ipc_frame_end(out, start);
}

int
proto_queue_notify_decode(const uint8_t *frame, size_t len, uint64_t *qid)
{
	struct ipc_reader rd;

	ipc_reader_init(&rd, frame, len);
	*qid = ipc_get_u64(&rd);
	return ipc_reader_end(&rd);
}

int
proto_queue_control_encode(struct mg_buf *out, const struct proto_queue_control *c)
{
	size_t start;
	int rc = ipc_frame_begin(out, PROTO_QUEUE_CONTROL, &start);

	rc = rc ? rc : ipc_put_u8(out, c->op);
	rc = rc ? rc : ipc_put_u64(out, c->qid);
	return rc ? rc : ipc_frame_end(out, start);
}

int
proto_queue_control_decode(const uint8_t *frame, size_t len, struct proto_queue_control *c)
{
	struct ipc_reader rd;

	ipc_reader_init(&rd, frame, len);
	c->op = ipc_get_u8(&rd);
	c->qid = ipc_get_u64(&rd);
	if (!rd.bad && (c->op < PROTO_QUEUE_FLUSH || c->op > PROTO_QUEUE_DIGEST))
		rd.bad = true;
	return ipc_reader_end(&rd);
}

int
proto_queue_control_reply_encode(struct mg_buf *out, const struct proto_queue_control_reply *r)
{
	size_t start;
	int rc = ipc_frame_begin(out, PROTO_QUEUE_CONTROL_REPLY, &start);

	rc = rc ? rc : ipc_put_u32(out, (uint32_t)r->status);
	rc = rc ? rc : ipc_put_cstr(out, r->text);
	return rc ? rc : ipc_frame_end(out, start);
}

int
proto_queue_control_reply_decode(const uint8_t *frame, size_t len,
    struct proto_queue_control_reply *r)
{
	struct ipc_reader rd;

	ipc_reader_init(&rd, frame, len);
	r->status = (int32_t)ipc_get_u32(&rd);
	r->text = ipc_get_strdup(&rd, PROTO_MAX_STR);
	if (ipc_reader_end(&rd) < 0) {
		proto_queue_control_reply_clear(r);
		return -MG_EPROTO;
	}
	return 0;
}

void
proto_queue_control_reply_clear(struct proto_queue_control_reply *r)
{
	free(r->text);
	r->text = NULL;
}

/* Whether s is non-empty, shorter than max and made of chars from set. */
static bool
conn_field_valid(const char *s, size_t max, const char *set)
{
	size_t n = strlen(s);

	return n > 0 && n < max && strspn(s, set) == n;
}

bool
proto_conn_ip_valid(const char *ip)
{
	return strcmp(ip, "other") == 0 ||
	    conn_field_valid(ip, PROTO_CONN_IP_MAX, "0123456789abcdefABCDEF.:");
}

bool
proto_conn_event_valid(const char *event)
{
	return conn_field_valid(event, PROTO_CONN_EVENT_MAX,
	    "abcdefghijklmnopqrstuvwxyz0123456789_");
}

static bool
conn_row_valid(const struct proto_conn_count *r)
{
	return r->minute > 0 && r->minute % 60 == 0 && r->count > 0 &&
	    proto_conn_ip_valid(r->ip) && proto_conn_event_valid(r->event);
}

int
proto_conn_stats_encode(struct mg_buf *out, const struct proto_conn_count *rows,
    uint32_t nrows)
{
	size_t start;
	int rc;

	if (nrows == 0 || nrows > PROTO_CONN_ROWS_MAX)
		return -MG_EINVAL;
	for (uint32_t i = 0; i < nrows; i++)
		if (!conn_row_valid(&rows[i]))
			return -MG_EINVAL;
	rc = ipc_frame_begin(out, PROTO_CONN_STATS, &start);
	rc = rc ? rc : ipc_put_u32(out, nrows);
	for (uint32_t i = 0; rc == 0 && i < nrows; i++) {
		rc = ipc_put_u64(out, (uint64_t)rows[i].minute);
		rc = rc ? rc : ipc_put_cstr(out, rows[i].ip);
		rc = rc ? rc : ipc_put_cstr(out, rows[i].event);
		rc = rc ? rc : ipc_put_u32(out, rows[i].count);
	}
	return rc ? rc : ipc_frame_end(out, start);
}

/* Copies a string field into dst[max] (NUL-terminated); marks rd bad when
 * it does not fit or holds a NUL. The caller checks the characters. */
static void
conn_get_str(struct ipc_reader *rd, char *dst, size_t max)
{
	struct mg_slice s = ipc_get_str(rd, max - 1);

	if (rd->bad)
		return;
	if (s.len > 0 && memchr(s.ptr, '\0', s.len) != NULL) {
		rd->bad = true;
		return;
	}
	if (s.len > 0)
		memcpy(dst, s.ptr, s.len);
	dst[s.len] = '\0';
}

int
proto_conn_stats_decode(const uint8_t *frame, size_t len, struct proto_conn_stats *st)
{
	struct ipc_reader rd;

	memset(st, 0, sizeof(*st));
	ipc_reader_init(&rd, frame, len);
	st->nrows = ipc_get_u32(&rd);
	if (!rd.bad && (st->nrows == 0 || st->nrows > PROTO_CONN_ROWS_MAX))
		rd.bad = true;
	if (!rd.bad && (st->rows = calloc(st->nrows, sizeof(*st->rows))) == NULL)
		rd.bad = true;
	for (uint32_t i = 0; !rd.bad && i < st->nrows; i++) {
		struct proto_conn_count *r = &st->rows[i];

		r->minute = (int64_t)ipc_get_u64(&rd);
		conn_get_str(&rd, r->ip, sizeof(r->ip));
		conn_get_str(&rd, r->event, sizeof(r->event));
		r->count = ipc_get_u32(&rd);
		if (!rd.bad && !conn_row_valid(r))
			rd.bad = true;
	}
	if (ipc_reader_end(&rd) < 0) {
		proto_conn_stats_clear(st);
		return -MG_EPROTO;
	}
	return 0;
}

void
proto_conn_stats_clear(struct proto_conn_stats *st)
{
	free(st->rows);
	memset(st, 0, sizeof(*st));
}
