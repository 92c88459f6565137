/* mailgate queue: lists and shows the messages in the spool's queue/ by
 * reading their envelopes (read-only), and asks queued to flush or delete
 * over its control socket; only when queued is down does delete remove the
 * files itself. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/id.h"
#include "core/ipc.h"
#include "daemon/proto.h"
#include "daemon/unix_socket.h"
#include "spool/spool.h"

#define QUEUE_REPLY_TIMEOUT_MS	30000
#define SHOW_HEAD_BYTES		16384	/* of the data shown by "show" */
#define SHOW_HEAD_LINES		20
#define LINE_SHOWN		200	/* bytes of one displayed line */

static int
usage(void)
{
	fprintf(stderr, "usage: mailgate queue list\n"
	    "       mailgate queue show ID\n"
	    "       mailgate queue flush [ID]\n"
	    "       mailgate queue delete ID\n"
	    "       mailgate queue digest    (send the quarantine digests due now)\n");
	return 2;
}

/* Opens the configured spool only if it exists (the command never creates
 * one); prints the reason and returns -1 otherwise. */
static int
open_spool(const struct mg_conf *conf, struct spool **out)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/queue", conf->spool_dir);
	if (stat(path, &st) == -1) {
		fprintf(stderr, "mailgate queue: no spool at %s: %s\n", conf->spool_dir,
		    strerror(errno));
		return -1;
	}
	if (spool_open(conf->spool_dir, out) < 0) {
		fprintf(stderr, "mailgate queue: cannot open the spool %s\n", conf->spool_dir);
		return -1;
	}
	return 0;
}

static int
parse_id(const char *s, uint64_t *id)
{
	if (mg_id_parse(s, id) == 0)
		return 0;
	fprintf(stderr, "mailgate queue: malformed queue id '%s' (want 16 hex digits)\n", s);
	return -1;
}

struct id_list {
	uint64_t	*ids;
	size_t		 n, cap;
};

static int
collect_id(uint64_t id, void *arg)
{
	struct id_list *l = arg;
	uint64_t *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		if ((p = realloc(l->ids, cap * sizeof(*p))) == NULL)
			return -MG_ENOMEM;
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t
count_status(const struct envelope *e, enum env_rcpt_status status)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nrcpts; i++)
		n += e->rcpts[i].status == status;
	return n;
}

/* The reply of the first pending recipient that has one, else of the
 * first failed one: the error an administrator wants to see first. */
static const char *
last_error(const struct envelope *e)
{
	const char *failed = NULL;

	for (size_t i = 0; i < e->nrcpts; i++) {
		if (e->rcpts[i].reply == NULL)
			continue;
		if (e->rcpts[i].status == ENV_RCPT_PENDING)
			return e->rcpts[i].reply;
		if (e->rcpts[i].status == ENV_RCPT_FAILED && failed == NULL)
			failed = e->rcpts[i].reply;
	}
	return failed;
}

static void
next_attempt_text(const struct envelope *e, size_t pending, time_t now, char *out,
    size_t outlen)
{
	char age[32];

	if (pending == 0)
		snprintf(out, outlen, "-");
	else if (e->next_attempt <= now)
		snprintf(out, outlen, "now");
	else {
		cli_format_age(e->next_attempt - now, age, sizeof(age));
		snprintf(out, outlen, "in %s", age);
	}
}

static void
list_line(const struct envelope *e, time_t now)
{
	char id[MG_ID_STRLEN + 1], age[32], from[41], next[40], err[81];
	size_t pending = count_status(e, ENV_RCPT_PENDING);

	mg_id_format(e->id, id);
	cli_format_age(now - e->created, age, sizeof(age));
	cli_sanitize(e->mail_from[0] ? e->mail_from : "<>", from, sizeof(from));
	next_attempt_text(e, pending, now, next, sizeof(next));
	cli_sanitize(last_error(e), err, sizeof(err));
	printf("%-16s %7s %9" PRIu64 " %-32s %3zu/%-3zu %5u %-10s %s\n", id, age,
	    e->size, from, pending, e->nrcpts, e->attempts, next, err);
}

static int
queue_list(struct spool *sp)
{
	struct id_list l = { 0 };
	struct envelope e;
	uint64_t bytes = 0;
	size_t pending = 0, shown = 0;
	time_t now = time(NULL);
	char id[MG_ID_STRLEN + 1];
	int rc;

	if ((rc = spool_queue_each(sp, collect_id, &l)) < 0) {
		fprintf(stderr, "mailgate queue: cannot read the queue: %s\n", mg_strerror(rc));
		free(l.ids);
		return 1;
	}
	qsort(l.ids, l.n, sizeof(*l.ids), cmp_id);
	if (l.n > 0)
		printf("%-16s %7s %9s %-32s %7s %5s %-10s %s\n", "QUEUE ID", "AGE", "SIZE",
		    "SENDER", "PENDING", "TRIES", "NEXT", "LAST ERROR");
	for (size_t i = 0; i < l.n; i++) {
		mg_id_format(l.ids[i], id);
		if ((rc = spool_env_load(sp, l.ids[i], &e)) == -MG_ENOENT)
			continue;	/* delivered while we were listing */
		if (rc < 0) {
			printf("%-16s (envelope unreadable: %s)\n", id, mg_strerror(rc));
			continue;
		}
		list_line(&e, now);
		shown++;
		bytes += e.size;
		pending += count_status(&e, ENV_RCPT_PENDING);
		envelope_clear(&e);
	}
	free(l.ids);
	printf("-- %zu message%s, %" PRIu64 " bytes, %zu recipient%s pending\n", shown,
	    shown == 1 ? "" : "s", bytes, pending, pending == 1 ? "" : "s");
	return 0;
}

/* Prints up to maxlines lines of p[0..len) indented; with stop_at_blank,
 * stops at the first empty line (the end of a header block). */
static void
print_lines(const char *p, size_t len, size_t maxlines, bool stop_at_blank)
{
	char raw[LINE_SHOWN + 1], shown[LINE_SHOWN + 1];
	const char *end = p + len, *nl;
	size_t n, lines = 0;

	while (p < end && lines < maxlines) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 && stop_at_blank)
			return;
		memcpy(raw, p, n < LINE_SHOWN ? n : LINE_SHOWN);
		raw[n < LINE_SHOWN ? n : LINE_SHOWN] = '\0';
		cli_sanitize(raw, shown, sizeof(shown));
		printf("  %s%s\n", shown, n > LINE_SHOWN ? "..." : "");
		lines++;
		p = nl ? nl + 1 : end;
	}
}

static void
show_data_head(struct spool *sp, uint64_t id)
{
	char buf[SHOW_HEAD_BYTES];
	uint64_t size;
	ssize_t n;
	int fd;

	if (spool_data_open(sp, id, &fd, &size) < 0) {
		printf("message data: unreadable\n");
		return;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == -1) {
		printf("message data: unreadable: %s\n", strerror(errno));
		return;
	}
	printf("message header (first %d lines):\n", SHOW_HEAD_LINES);
	print_lines(buf, (size_t)n, SHOW_HEAD_LINES, true);
}

static const char *const status_text[] = { "pending", "delivered", "failed" };

static void
show_rcpt(const struct env_rcpt *r)
{
	char addr[LINE_SHOWN + 1], text[LINE_SHOWN + 1], when[32];

	cli_sanitize(r->addr, addr, sizeof(addr));
	cli_format_time(r->done_at, when, sizeof(when));
	printf("  <%s> %s", addr, status_text[r->status]);
	if (r->done_at)
		printf(" at %s", when);
	printf("\n");
	if (r->orcpt) {
		cli_sanitize(r->orcpt, text, sizeof(text));
		printf("      orcpt:  %s notify=0x%x\n", text, r->notify);
	}
	if (r->remote) {
		cli_sanitize(r->remote, text, sizeof(text));
		printf("      remote: %s\n", text);
	}
	if (r->reply) {
		cli_sanitize(r->reply, text, sizeof(text));
		printf("      reply:  %s\n", text);
	}
}

static void
show_envelope(const struct envelope *e, time_t now)
{
	char id[MG_ID_STRLEN + 1], t[32], age[32], a[LINE_SHOWN + 1], b[LINE_SHOWN + 1];
	static const char *const ret[] = { "unset", "full", "hdrs" };

	mg_id_format(e->id, id);
	cli_format_time(e->created, t, sizeof(t));
	cli_format_age(now - e->created, age, sizeof(age));
	printf("queue id:    %s\ncreated:     %s (%s ago)\n", id, t, age);
	printf("direction:   %s%s\n", e->outbound ? "outbound" : "inbound",
	    e->is_dsn ? " (delivery status notification made by mailgate)" : "");
	cli_sanitize(e->client_ip, a, sizeof(a));
	cli_sanitize(e->client_helo, b, sizeof(b));
	printf("client:      %s helo=%s\n", a, b);
	cli_sanitize(e->tls ? e->tls : "none", a, sizeof(a));
	printf("tls:         %s\n", a);
	cli_sanitize(e->mail_from, a, sizeof(a));
	cli_sanitize(e->envid, b, sizeof(b));
	printf("sender:      <%s>\ndsn:         envid=%s ret=%s\n", a, b, ret[e->ret]);
	printf("size:        %" PRIu64 " bytes%s%s\n", e->size,
	    e->eightbit ? ", 8bitmime" : "", e->smtputf8 ? ", smtputf8" : "");
	cli_sanitize(e->verdict, a, sizeof(a));
	cli_sanitize(e->action, b, sizeof(b));
	printf("verdict:     %s score=%.2f action=%s\n", a, e->score, b);
	cli_format_time(e->next_attempt, t, sizeof(t));
	printf("attempts:    %u, next %s\n", e->attempts,
	    count_status(e, ENV_RCPT_PENDING) == 0 ? "-" : e->next_attempt <= now ? "now" : t);
	printf("recipients:  %zu (%zu pending, %zu delivered, %zu failed)\n", e->nrcpts,
	    count_status(e, ENV_RCPT_PENDING), count_status(e, ENV_RCPT_DELIVERED),
	    count_status(e, ENV_RCPT_FAILED));
	for (size_t i = 0; i < e->nrcpts; i++)
		show_rcpt(&e->rcpts[i]);
	if (e->headers && e->headers[0]) {
		printf("added header fields:\n");
		print_lines(e->headers, strlen(e->headers), SIZE_MAX, false);
	}
}

static int
queue_show(struct spool *sp, const char *idstr)
{
	struct envelope e;
	uint64_t id;
	int rc;

	if (parse_id(idstr, &id) < 0)
		return 1;
	if ((rc = spool_env_load(sp, id, &e)) == -MG_ENOENT) {
		fprintf(stderr, "mailgate queue: no message %s in the queue\n", idstr);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "mailgate queue: envelope of %s unreadable: %s\n", idstr,
		    mg_strerror(rc));
		return 1;
	}
	show_envelope(&e, time(NULL));
	show_data_head(sp, id);
	envelope_clear(&e);
	return 0;
}

/* Waits for fd to be ready for events until the deadline (monotonic ms). */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t now;
	int n;

	for (;;) {
		if ((now = (int64_t)mg_clock_ms()) >= deadline)
			return -MG_ETIMEOUT;
		if ((n = poll(&p, 1, (int)(deadline - now))) == -1 && errno != EINTR)
			return -MG_EIO;
		if (n > 0)
			return 0;
	}
}

/* Writes all of b to the non-blocking fd before the deadline. */
static int
send_all(int fd, const struct mg_buf *b, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < b->len) {
		if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
			return rc;
		if ((n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -MG_EIO;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Sends one QUEUE_CONTROL frame on fd and reads the reply frame; on
 * failure *why says what went wrong. */
static int
control_exchange(int fd, const struct proto_queue_control *c,
    struct proto_queue_control_reply *r, const char **why)
{
	int64_t deadline = (int64_t)mg_clock_ms() + QUEUE_REPLY_TIMEOUT_MS;
	struct mg_buf b;
	size_t flen;
	uint16_t type;
	ssize_t n;
	int rc;

	mg_buf_init(&b, IPC_HEADER_LEN + IPC_MAX_PAYLOAD);
	*why = "cannot send the request";
	if ((rc = proto_queue_control_encode(&b, c)) < 0 ||
	    (rc = send_all(fd, &b, deadline)) < 0)
		goto out;
	mg_buf_reset(&b);
	*why = "no reply";
	while ((rc = ipc_frame_peek(b.data, b.len, &type, &flen)) == -MG_EAGAIN) {
		if ((rc = wait_fd(fd, POLLIN, deadline)) < 0 ||
		    (rc = mg_buf_reserve(&b, 4096)) < 0)
			goto out;
		if ((n = read(fd, b.data + b.len, b.cap - b.len)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = -MG_EIO;
			goto out;
		}
		if (n == 0) {
			*why = "queued closed the connection without replying";
			rc = -MG_EPROTO;
			goto out;
		}
		b.len += (size_t)n;
	}
	*why = "malformed reply";
	if (rc == 0)
		rc = type == PROTO_QUEUE_CONTROL_REPLY ?
		    proto_queue_control_reply_decode(b.data, flen, r) : -MG_EPROTO;
out:
	mg_buf_release(&b);
	return rc;
}

/* Connects to queued; the descriptor, or -1 with errno from connect. */
static int
connect_queued(const struct mg_conf *conf)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", conf->spool_dir, PROTO_QUEUED_SOCK);
	errno = 0;
	if ((fd = unix_connect(path)) < 0)
		return -1;
	return fd;
}

static bool
queued_absent(void)
{
	return errno == ENOENT || errno == ECONNREFUSED;
}

/* Deletes a message's files while queued is not running. */
static int
delete_offline(const struct mg_conf *conf, uint64_t id, const char *idstr)
{
	struct spool *sp;
	int rc;

	if (open_spool(conf, &sp) < 0)
		return 1;
	rc = spool_remove(sp, id);
	spool_close(sp);
	if (rc == -MG_ENOENT) {
		fprintf(stderr, "mailgate queue: no message %s in the queue\n", idstr);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "mailgate queue: cannot remove %s: %s\n", idstr, mg_strerror(rc));
		return 1;
	}
	printf("queued is not running: removed %s from the spool\n", idstr);
	return 0;
}

static int
queue_control(const struct mg_conf *conf, enum proto_queue_op op, const char *idstr)
{
	struct proto_queue_control c = { .op = (uint8_t)op, .qid = 0 };
	struct proto_queue_control_reply r = { 0 };
	const char *why;
	int fd, rc;

	if (idstr != NULL && parse_id(idstr, &c.qid) < 0)
		return 1;
	if ((fd = connect_queued(conf)) == -1) {
		if (op == PROTO_QUEUE_DELETE && queued_absent())
			return delete_offline(conf, c.qid, idstr);
		fprintf(stderr, "mailgate queue: queued is not running (%s/%s: %s)\n",
		    conf->spool_dir, PROTO_QUEUED_SOCK, strerror(errno));
		return 1;
	}
	rc = control_exchange(fd, &c, &r, &why);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "mailgate queue: %s: %s\n", why, mg_strerror(rc));
		return 1;
	}
	printf("%s\n", r.text ? r.text : "");
	rc = r.status == 0 ? 0 : 1;
	proto_queue_control_reply_clear(&r);
	return rc;
}

int
cmd_queue(const struct mg_conf *conf, int argc, char **argv)
{
	struct spool *sp;
	int rc;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "flush") == 0 && argc <= 2)
		return queue_control(conf, PROTO_QUEUE_FLUSH, argc == 2 ? argv[1] : NULL);
	if (strcmp(argv[0], "delete") == 0 && argc == 2)
		return queue_control(conf, PROTO_QUEUE_DELETE, argv[1]);
	if (strcmp(argv[0], "digest") == 0 && argc == 1)
		return queue_control(conf, PROTO_QUEUE_DIGEST, NULL);
	if (!(strcmp(argv[0], "list") == 0 && argc == 1) &&
	    !(strcmp(argv[0], "show") == 0 && argc == 2))
		return usage();
	if (open_spool(conf, &sp) < 0)
		return 1;
	rc = argc == 1 ? queue_list(sp) : queue_show(sp, argv[1]);
	spool_close(sp);
	return rc;
}
