/* Connection counts of smtpd: an open-addressing table keyed by (minute,
 * client ip, event) with a keyed hash, so that a flood of connections costs
 * one increment each and addresses an attacker picks cannot collide on
 * purpose. Bounded per interval; sent to queued every few seconds. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/proto.h"
#include "daemon/smtpd_stats.h"

#define STATS_ROWS_MAX		(SMTPD_STATS_KEYS_MAX + SMTPD_STATS_OTHER_MAX)
#define STATS_SLOTS		65536u	/* a power of two, over 3 x STATS_ROWS_MAX */
#define STATS_ROWS_KEPT		1024	/* rows kept allocated between intervals */

struct smtpd_stats {
	struct smtpd_notify *notify;
	struct event	*timer;
	uint64_t	 seed;
	struct proto_conn_count *rows;
	uint32_t	 nrows, cap;
	uint64_t	 lost;		/* events not counted: even "other" was full */
	bool		 warned;	/* the table filled up this interval */
	uint32_t	 slots[STATS_SLOTS];	/* index + 1 into rows, 0 = free */
};

static uint64_t
stats_hash(const struct smtpd_stats *s, int64_t minute, const char *ip, const char *event)
{
	uint8_t key[sizeof(minute) + PROTO_CONN_IP_MAX + PROTO_CONN_EVENT_MAX];
	size_t iplen = strlen(ip), evlen = strlen(event);

	memcpy(key, &minute, sizeof(minute));
	memcpy(key + sizeof(minute), ip, iplen + 1);
	memcpy(key + sizeof(minute) + iplen + 1, event, evlen);
	return XXH3_64bits_withSeed(key, sizeof(minute) + iplen + 1 + evlen, s->seed);
}

/* The row of the key, added (count 0) when missing and fewer than max rows
 * are used; NULL when it is missing and cannot be added. */
static struct proto_conn_count *
stats_row(struct smtpd_stats *s, int64_t minute, const char *ip, const char *event,
    uint32_t max)
{
	uint32_t i = (uint32_t)stats_hash(s, minute, ip, event) & (STATS_SLOTS - 1);
	struct proto_conn_count *r, *grown;
	uint32_t cap;

	for (; s->slots[i] != 0; i = (i + 1) & (STATS_SLOTS - 1)) {
		r = &s->rows[s->slots[i] - 1];
		if (r->minute == minute && strcmp(r->ip, ip) == 0 && strcmp(r->event, event) == 0)
			return r;
	}
	if (s->nrows >= max)
		return NULL;
	if (s->nrows == s->cap) {
		cap = s->cap ? s->cap * 2 : 256;
		cap = cap > STATS_ROWS_MAX ? STATS_ROWS_MAX : cap;
		if ((grown = realloc(s->rows, cap * sizeof(*grown))) == NULL)
			return NULL;
		s->rows = grown;
		s->cap = cap;
	}
	r = &s->rows[s->nrows];
	r->minute = minute;
	r->count = 0;
	strcpy(r->ip, ip);		/* lengths checked by the caller */
	strcpy(r->event, event);
	s->slots[i] = ++s->nrows;
	return r;
}

void
smtpd_stats_count(struct smtpd_stats *s, const char *ip, const char *event)
{
	int64_t minute = (int64_t)time(NULL) / 60 * 60;
	struct proto_conn_count *r;

	if (s == NULL)
		return;
	MG_BUG_ON(!proto_conn_event_valid(event));
	if (ip == NULL || !proto_conn_ip_valid(ip))
		ip = "other";
	r = stats_row(s, minute, ip, event, SMTPD_STATS_KEYS_MAX);
	if (r == NULL && s->nrows >= SMTPD_STATS_KEYS_MAX) {
		if (!s->warned)
			log_warn("smtpd conn_stats status=full keys=%u note=\"new addresses"
			    " count as ip=other until the next flush\"", s->nrows);
		s->warned = true;
		r = stats_row(s, minute, "other", event, STATS_ROWS_MAX);
	}
	if (r == NULL)
		s->lost++;
	else if (r->count < UINT32_MAX)
		r->count++;
}

/* Empties the table for the next interval. */
static void
stats_reset(struct smtpd_stats *s)
{
	memset(s->slots, 0, sizeof(s->slots));
	s->nrows = 0;
	s->warned = false;
	if (s->cap > STATS_ROWS_KEPT) {
		free(s->rows);
		s->rows = NULL;
		s->cap = 0;
	}
}

/* Sends the counts; on failure they stay for the next interval (unless
 * sync: the last flush). */
static void
stats_flush(struct smtpd_stats *s, bool sync)
{
	struct mg_buf out;
	uint32_t n;
	int rc = 0;

	if (s->lost > 0) {
		log_warn("smtpd conn_stats lost=%" PRIu64 " reason=\"table full\"", s->lost);
		s->lost = 0;
	}
	if (s->nrows == 0)
		return;
	mg_buf_init(&out, 0);
	for (uint32_t i = 0; rc == 0 && i < s->nrows; i += n) {
		n = s->nrows - i < PROTO_CONN_ROWS_MAX ? s->nrows - i : PROTO_CONN_ROWS_MAX;
		rc = proto_conn_stats_encode(&out, s->rows + i, n);
	}
	if (rc == 0)
		rc = smtpd_notify_frames(s->notify, out.data, out.len, sync);
	log_debug("smtpd conn_stats rows=%u bytes=%zu status=%s", s->nrows, out.len,
	    rc == 0 ? "sent" : mg_strerror(rc));
	mg_buf_release(&out);
	if (rc == 0 || sync) {
		if (rc != 0)
			log_warn("smtpd conn_stats unsent=%u error=\"%s\"", s->nrows,
			    mg_strerror(rc));
		stats_reset(s);
	}
}

static void
on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	stats_flush(arg, false);
}

struct smtpd_stats *
smtpd_stats_new(struct event_base *base, struct smtpd_notify *notify)
{
	struct timeval tv = { .tv_sec = SMTPD_STATS_FLUSH_SECONDS };
	struct smtpd_stats *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->notify = notify;
	if (getrandom(&s->seed, sizeof(s->seed), 0) != (ssize_t)sizeof(s->seed))
		s->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
	if ((s->timer = event_new(base, -1, EV_PERSIST, on_flush_timer, s)) == NULL ||
	    event_add(s->timer, &tv) == -1) {
		if (s->timer != NULL)
			event_free(s->timer);
		free(s);
		return NULL;
	}
	return s;
}

struct smtpd_stats *
smtpd_stats_free(struct smtpd_stats *s)
{
	if (s == NULL)
		return NULL;
	stats_flush(s, true);
	event_free(s->timer);
	free(s->rows);
	free(s);
	return NULL;
}
