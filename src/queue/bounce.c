/* DSN injection (see bounce.h). The original message is mapped read-only
 * so that returning it costs no copy beyond the DSN itself. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "queue/bounce.h"
#include "queue/dsn.h"
#include "spool/spool.h"

#define BOUNCE_MAX	(DSN_FULL_MAX + DSN_HEADERS_MAX + 1024 * 1024)

/* Collects the recipients to report; returns how many. */
static size_t
bounce_collect(const struct envelope *env, const uint8_t *mark, struct dsn_rcpt *out)
{
	size_t n = 0;

	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct env_rcpt *r = &env->rcpts[i];
		if (mark[i] == BOUNCE_MARK_NONE || !dsn_wanted(env, r))
			continue;
		out[n++] = (struct dsn_rcpt){
			.addr = r->addr, .orcpt = r->orcpt, .remote = r->remote,
			.reply = r->reply, .expired = mark[i] == BOUNCE_MARK_EXPIRED,
			.last_attempt = r->done_at,
		};
	}
	return n;
}

/* Commits the DSN text as a new message and schedules it. */
static int
bounce_inject(struct queue_ctx *ctx, const struct envelope *orig, const struct mg_buf *text,
    bool eightbit, bool utf8)
{
	struct envelope d = {
		.created = time(NULL), .outbound = true, .is_dsn = true,
		.eightbit = eightbit, .smtputf8 = utf8,
	};
	int rc = -MG_ENOMEM;

	if ((d.mail_from = strdup("")) != NULL && (d.verdict = strdup("clean")) != NULL &&
	    (d.action = strdup("accept")) != NULL)
		rc = envelope_add_rcpt(&d, orig->mail_from, NULL, 0);
	if (rc == 0)
		rc = spool_inject(ctx->spool, &d, text->data, text->len);
	if (rc == 0) {
		if (sched_add(ctx->sched, d.id, time(NULL), true) < 0)
			log_warn("%016" PRIx64 " dsn not scheduled; the next queue scan finds it",
			    d.id);
		log_info("%016" PRIx64 " dsn queued=%016" PRIx64 " to=<%s> size=%zu", orig->id,
		    d.id, orig->mail_from, text->len);
		ctx->kick(ctx);
	}
	envelope_clear(&d);
	return rc;
}

void
bounce_send(struct queue_ctx *ctx, const struct envelope *env, const uint8_t *mark,
    int data_fd, uint64_t data_len)
{
	struct dsn_rcpt *rcpts = calloc(env->nrcpts ? env->nrcpts : 1, sizeof(*rcpts));
	struct dsn_input in = {
		.hostname = ctx->conf->hostname, .qid = env->id, .unique = mg_id_random(),
		.arrival = env->created, .now = time(NULL), .envid = env->envid,
		.sender = env->mail_from, .ret = env->ret,
	};
	void *map = MAP_FAILED;
	int fd = data_fd, rc = -MG_ENOMEM;
	bool eightbit, utf8;
	struct mg_buf text;

	mg_buf_init(&text, BOUNCE_MAX);
	for (size_t i = 0; env->is_dsn && i < env->nrcpts; i++)
		if (mark[i] != BOUNCE_MARK_NONE) {
			log_info("%016" PRIx64 " dsn none reason=\"undeliverable DSN: never "
			    "bounced\" rcpt=<%s>", env->id, env->rcpts[i].addr);
			break;
		}
	if (rcpts == NULL || (in.nrcpts = bounce_collect(env, mark, rcpts)) == 0)
		goto out;
	in.rcpts = rcpts;
	in.headers = mg_slice_make(env->headers, env->headers ? strlen(env->headers) : 0);
	if (fd < 0 && (rc = spool_data_open(ctx->spool, env->id, &fd, &data_len)) < 0)
		goto out;
	if (data_len > 0 && (map = mmap(NULL, data_len, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		rc = -MG_EIO;
		goto out;
	}
	in.data = mg_slice_make(map == MAP_FAILED ? "" : map, data_len);
	if ((rc = dsn_build(&in, &text, &eightbit, &utf8)) == 0)
		rc = bounce_inject(ctx, env, &text, eightbit, utf8);
out:
	if (rc < 0 && in.nrcpts > 0)
		log_err("%016" PRIx64 " dsn lost rcpts=%zu error=\"%s\"", env->id, in.nrcpts,
		    mg_strerror(rc));
	if (map != MAP_FAILED)
		munmap(map, data_len);
	if (fd >= 0 && fd != data_fd)
		close(fd);
	mg_buf_release(&text);
	free(rcpts);
}
