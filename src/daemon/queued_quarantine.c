/* queued's side of the quarantine (queued_quarantine.h): the metadata of a
 * held message (decoded subject, the reason) and the calls into the
 * quarantine library with the configured directory and retention. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/queued_quarantine.h"
#include "mime/mime_header.h"
#include "quarantine/quarantine.h"
#include "spool/spool.h"

#define SUBJECT_HEAD_MAX	(64u * 1024)	/* bytes of data read for the subject */
#define SUBJECT_MAX		998		/* bytes of the decoded subject */
#define REASON_MAX		128

const char *
queued_quarantine_subject(struct mg_arena *a, const uint8_t *msg, size_t len)
{
	size_t i = 0;

	while (i < len && msg[i] != '\r' && msg[i] != '\n') {
		size_t start = i, end;
		/* one field: a line and its continuation lines */
		do {
			while (i < len && msg[i] != '\n')
				i++;
			i += i < len;
		} while (i < len && (msg[i] == ' ' || msg[i] == '\t'));
		end = i;
		if (end - start > 8 && strncasecmp((const char *)msg + start, "subject:", 8) == 0)
			return mime_hdr_decode(a, msg + start + 8, end - start - 8, SUBJECT_MAX,
			    NULL, &(uint64_t){ 0 });
	}
	return "";
}

/* The message-log rows of the recipients held. */
static void
quarantine_log(struct queue_ctx *ctx, const struct envelope *e, const size_t *idx, size_t n,
    const char *status, const char *reason, uint64_t id)
{
	char reply[256];

	snprintf(reply, sizeof(reply), "%s: category=%s reason=%s id=%016" PRIx64, status,
	    e->verdict ? e->verdict : "", reason, id);
	for (size_t k = 0; k < n; k++) {
		const char *rcpt = e->rcpts[idx[k]].addr;
		struct store_delivery d = { .qid = e->id, .time = time(NULL), .rcpt = rcpt,
		    .remote = "", .status = status, .reply = reply };
		log_info("%016" PRIx64 " delivery rcpt=<%s> status=%s category=%s reason=%s "
		    "id=%016" PRIx64, e->id, rcpt, status, e->verdict ? e->verdict : "", reason, id);
		if (store_log_delivery(ctx->store, &d) < 0)
			log_warn("%016" PRIx64 " store log_delivery failed", e->id);
	}
}

/* Fills meta's subject from the data's header section. */
static int
quarantine_subject(int fd, uint64_t size, struct mg_arena *a, const char **subject)
{
	size_t want = size < SUBJECT_HEAD_MAX ? (size_t)size : SUBJECT_HEAD_MAX;
	uint8_t *head = malloc(want ? want : 1);
	ssize_t n;

	if (head == NULL)
		return -MG_ENOMEM;
	n = pread(fd, head, want, 0);
	*subject = queued_quarantine_subject(a, head, n > 0 ? (size_t)n : 0);
	free(head);
	return *subject ? 0 : -MG_ENOMEM;
}

static int
quarantine_hold(struct queue_ctx *ctx, const struct envelope *e, const char *dir, int fd,
    uint64_t size, struct store_quarantine *meta)
{
	struct quarantine q = { .dir = dir, .store = ctx->store };
	struct mg_arena *a = mg_arena_new(16 * 1024, 1024 * 1024);
	int rc = a != NULL ? quarantine_subject(fd, size, a, &meta->subject) : -MG_ENOMEM;

	if (rc == 0 && (rc = quarantine_put(&q, meta, e->headers, fd, size)) == 0)
		log_info("%016" PRIx64 " quarantine %s category=%s score=%.2f reason=%s "
		    "size=%" PRIu64 " id=%016" PRIx64 " dir=%s", e->id, meta->hold ?
		    "held_for_review" : "held", meta->category, e->score, meta->reason,
		    meta->size, meta->id, dir);
	mg_arena_free(a);
	return rc;
}

int
queued_quarantine(struct queue_ctx *ctx, const struct envelope *e, const size_t *idx,
    size_t n, bool hold, uint64_t id, const char *reason)
{
	char dir[4096], why[REASON_MAX];
	struct mg_buf rcpts;
	uint64_t size;
	int fd, rc;

	if (ctx->store == NULL)
		return -MG_EIO;		/* the rows live there: wait for it */
	if (conf_quarantine_dir(&ctx->conf->quarantine, ctx->conf->store_path, dir,
	    sizeof(dir)) < 0)
		return -MG_ELIMIT;
	if ((rc = spool_data_open(ctx->spool, e->id, &fd, &size)) < 0)
		return rc;
	/* an envelope spooled before verdicts carried their reason: "forced" */
	snprintf(why, sizeof(why), "%s", reason != NULL ? reason :
	    e->reason != NULL ? e->reason : "forced");
	mg_buf_init(&rcpts, 0);
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = mg_buf_appendf(&rcpts, "%s%s", k ? ", " : "", e->rcpts[idx[k]].addr);
	rc = rc ? rc : mg_buf_cstr(&rcpts);
	if (rc == 0) {
		struct store_quarantine meta = {
			.id = id, .time = time(NULL), .mail_from = e->mail_from,
			.rcpts = (const char *)rcpts.data,
			.category = e->verdict ? e->verdict : "", .score = e->score,
			.reason = why, .symbols = e->symbols ? e->symbols : "",
			.size = size + (e->headers ? strlen(e->headers) : 0), .hold = hold,
		};
		rc = quarantine_hold(ctx, e, dir, fd, size, &meta);
	}
	if (rc == 0)
		quarantine_log(ctx, e, idx, n, hold ? "held" : "quarantined", why, id);
	mg_buf_release(&rcpts);
	close(fd);
	return rc;
}

static int
purge_one(const struct store_quarantine *row, void *arg)
{
	log_info("%016" PRIx64 " quarantine purged category=%s age_days=%lld", row->id,
	    row->category ? row->category : "", (long long)((time(NULL) - row->time) / 86400));
	return 0;
}

void
queued_quarantine_purge(struct queue_ctx *ctx)
{
	char dir[4096];
	struct quarantine q = { .dir = dir, .store = ctx->store };
	uint64_t n = 0;
	int rc;

	if (ctx->store == NULL || conf_quarantine_dir(&ctx->conf->quarantine,
	    ctx->conf->store_path, dir, sizeof(dir)) < 0)
		return;
	if ((rc = quarantine_purge(&q, &ctx->conf->quarantine, time(NULL), false, purge_one,
	    NULL, &n)) < 0)
		log_err("quarantine purge status=failed error=\"%s\"", mg_strerror(rc));
	else if (n > 0)
		log_info("quarantine purge deleted=%" PRIu64, n);
}
