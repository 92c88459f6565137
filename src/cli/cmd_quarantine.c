/* mailgate quarantine: the held messages (docs/quarantine.md). list and
 * show read the store and the files; release and forward queue a copy
 * through the spool and tell queued (which finds it within 30 s anyway
 * when it is not told); delete and purge remove files and rows. show never
 * renders HTML: headers and the first text/plain part, sanitised. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cmd_json.h"
#include "cli/cmd_quarantine.h"
#include "cli/commands.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/id.h"
#include "daemon/queued_notify.h"
#include "mime/mime.h"
#include "learn/report.h"
#include "quarantine/quarantine.h"
#include "spool/spool.h"

#define LIST_LIMIT	100000u
#define FIELD_SHOWN	1024		/* bytes of one displayed field */
#define PREVIEW_MAX	4096		/* bytes of text shown by show */

struct qcli {
	const struct mg_conf *conf;
	char		 dir[PATH_MAX];
	struct store	*store;
	struct spool	*spool;
	struct quarantine q;
	bool		 json;
	unsigned	 count;
};

static int
usage(void)
{
	fprintf(stderr, "usage: mailgate quarantine list [--from S] [--to S] [--subject S]"
	    " [--category C]\n"
	    "                             [--since WHEN] [--limit N] [--held] [--json]\n"
	    "       mailgate quarantine show ID [--raw]\n"
	    "       mailgate quarantine release ID [--to RCPT]... [--report-ham]\n"
	    "       mailgate quarantine approve ID\n"
	    "       mailgate quarantine reject ID\n"
	    "       mailgate quarantine forward ID ADDR\n"
	    "       mailgate quarantine delete ID\n"
	    "       mailgate quarantine purge [--dry-run]\n"
	    "  WHEN: YYYY-MM-DD (UTC) or an age: 30m, 2h, 7d, 2w\n");
	return 2;
}

/* Opens the store (read-only for list and show) and the quarantine. */
static int
qcli_open(struct qcli *c, const struct mg_conf *conf, bool readonly, bool spool)
{
	char err[1024];

	memset(c, 0, sizeof(*c));
	if (!readonly && cli_become_daemon_user(conf, "quarantine") < 0)
		return -1;
	c->conf = conf;
	if (conf_quarantine_dir(&conf->quarantine, conf->store_path, c->dir, sizeof(c->dir)) < 0) {
		fprintf(stderr, "mailgate quarantine: directory name too long\n");
		return -1;
	}
	if ((c->store = store_open(conf->store_path, readonly, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate quarantine: %s\n", err);
		return -1;
	}
	if (spool && spool_open(conf->spool_dir, &c->spool) < 0) {
		fprintf(stderr, "mailgate quarantine: cannot open the spool %s\n", conf->spool_dir);
		c->store = store_close(c->store);
		return -1;
	}
	c->q = (struct quarantine){ .dir = c->dir, .store = c->store, .spool = c->spool };
	return 0;
}

static void
qcli_close(struct qcli *c)
{
	if (c->store != NULL)
		c->store = store_close(c->store);
	if (c->spool != NULL)
		c->spool = spool_close(c->spool);
}

static int
parse_id(const char *s, uint64_t *id)
{
	if (mg_id_parse(s, id) == 0)
		return 0;
	fprintf(stderr, "mailgate quarantine: malformed id '%s' (want 16 hex digits)\n", s);
	return -1;
}

static void
print_row_text(const struct store_quarantine *r)
{
	char id[MG_ID_STRLEN + 1], when[32], from[FIELD_SHOWN], to[FIELD_SHOWN],
	    subj[FIELD_SHOWN];

	mg_id_format(r->id, id);
	cli_format_time(r->time, when, sizeof(when));
	cli_sanitize(r->mail_from && *r->mail_from ? r->mail_from : "<>", from, sizeof(from));
	cli_sanitize(r->rcpts, to, sizeof(to));
	cli_sanitize(r->subject, subj, sizeof(subj));
	printf("%s %s %s score=%.2f reason=%s size=%" PRIu64 "%s%s\n  from=%s to=%s\n"
	    "  subject=%s\n", id, when, r->category ? r->category : "-", r->score,
	    r->reason ? r->reason : "-", r->size, r->hold ? " held-for-review" : "",
	    r->released ? " released" : "", from, to, subj);
}

static json_t *
row_json(const struct store_quarantine *r)
{
	char id[MG_ID_STRLEN + 1], when[32], rel[32];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	mg_id_format(r->id, id);
	cli_format_time(r->time, when, sizeof(when));
	cli_format_time(r->released, rel, sizeof(rel));
	cli_json_set(o, "id", json_string(id));
	cli_json_set(o, "time", json_string(when));
	cli_json_set(o, "from", cli_json_str(r->mail_from));
	cli_json_set(o, "rcpts", cli_json_str(r->rcpts));
	cli_json_set(o, "subject", cli_json_str(r->subject));
	cli_json_set(o, "category", cli_json_str(r->category));
	cli_json_set(o, "score", json_real(r->score));
	cli_json_set(o, "reason", cli_json_str(r->reason));
	cli_json_set(o, "symbols", cli_json_str(r->symbols));
	cli_json_set(o, "size", json_integer((json_int_t)r->size));
	cli_json_set(o, "released", r->released ? json_string(rel) : json_null());
	cli_json_set(o, "released_to", cli_json_str(r->released ? r->released_to : NULL));
	cli_json_set(o, "hold", json_boolean(r->hold));
	return o;
}

static int
print_row(const struct store_quarantine *r, void *arg)
{
	struct qcli *c = arg;
	json_t *o;
	int rc = 0;

	c->count++;
	if (!c->json) {
		print_row_text(r);
		return 0;
	}
	if ((o = row_json(r)) == NULL)
		return -MG_ENOMEM;
	if (json_dumpf(o, stdout, JSON_COMPACT) != 0 || putchar('\n') == EOF)
		rc = -MG_EIO;
	json_decref(o);
	return rc;
}

static int
q_list(const struct mg_conf *conf, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "subject", required_argument, NULL, 's' },
		{ "category", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' }, { "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' }, { "held", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_quarantine_query query = { 0 };
	struct qcli c;
	bool json = false;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f')
			query.from = optarg;
		else if (ch == 't')
			query.to = optarg;
		else if (ch == 's')
			query.subject = optarg;
		else if (ch == 'c')
			query.category = optarg;
		else if (ch == 'j')
			json = true;
		else if (ch == 'h')
			query.hold = STORE_HOLD_ONLY;
		else if (ch == 'S' && cli_parse_when(optarg, time(NULL), false, &query.since) == 0)
			continue;
		else if (ch == 'l' && (query.limit = (unsigned)strtoul(optarg, NULL, 10)) > 0 &&
		    query.limit <= LIST_LIMIT)
			continue;
		else
			return usage();
	}
	if (optind != argc || qcli_open(&c, conf, true, false) < 0)
		return optind != argc ? usage() : 1;
	c.json = json;
	rc = store_quar_search(c.store, &query, print_row, &c);
	if (rc < 0)
		fprintf(stderr, "mailgate quarantine: list failed: %s\n", mg_strerror(rc));
	else if (!json)
		printf("%u message%s\n", c.count, c.count == 1 ? "" : "s");
	qcli_close(&c);
	return rc < 0 ? 1 : 0;
}

/* Prints text line by line, each sanitised for a terminal, at most max bytes. */
static void
print_lines(const char *text, size_t len, size_t max)
{
	char line[FIELD_SHOWN], out[FIELD_SHOWN];

	if (len > max)
		len = max;
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		while (i < len && text[i] != '\n') {
			if (text[i] != '\r' && n + 1 < sizeof(line))
				line[n++] = text[i];
			i++;
		}
		i++;
		line[n] = '\0';
		cli_sanitize(line, out, sizeof(out));
		printf("  %s\n", out);
	}
}

/* The header section of msg and its first text/plain part, never HTML. */
static void
print_preview(const uint8_t *msg, size_t len)
{
	struct mime_limits limits;
	struct mg_arena *a = mg_arena_new(64 * 1024, 256u * 1024 * 1024);
	struct mime_msg *m;
	size_t hdr = 0;

	while (hdr < len && !(msg[hdr] == '\n' && (hdr == 0 || (hdr + 1 < len &&
	    (msg[hdr + 1] == '\n' || (msg[hdr + 1] == '\r' && hdr + 2 < len &&
	    msg[hdr + 2] == '\n'))))))
		hdr++;
	printf("headers:\n");
	print_lines((const char *)msg, hdr, 64 * 1024);
	mime_limits_default(&limits);
	if (a == NULL || (m = mime_parse(a, msg, len, &limits)) == NULL) {
		printf("text: (cannot parse the message)\n");
		mg_arena_free(a);
		return;
	}
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (strcmp(p->type, "text") == 0 && strcmp(p->subtype, "plain") == 0 &&
		    !p->is_attachment && p->text != NULL) {
			printf("text (first text/plain part, %zu bytes):\n", p->text_len);
			print_lines(p->text, p->text_len, PREVIEW_MAX);
			mg_arena_free(a);
			return;
		}
	}
	printf("text: (no text/plain part; HTML is not shown)\n");
	mg_arena_free(a);
}

static int
show_meta(const struct store_quarantine *r, void *arg)
{
	char rel[32], to[FIELD_SHOWN], sym[FIELD_SHOWN];

	print_row_text(r);
	cli_sanitize(r->symbols, sym, sizeof(sym));
	printf("  symbols=%s\n", sym);
	if (r->released) {
		cli_format_time(r->released, rel, sizeof(rel));
		cli_sanitize(r->released_to, to, sizeof(to));
		printf("  released=%s to=%s\n", rel, to);
	}
	return 0;
}

static int
q_show(const struct mg_conf *conf, int argc, char **argv)
{
	bool raw = argc == 3 && strcmp(argv[2], "--raw") == 0;
	struct mg_buf msg;
	struct qcli c;
	uint64_t id;
	int rc;

	if ((argc != 2 && !raw) || parse_id(argv[1], &id) < 0)
		return argc != 2 && !raw ? usage() : 1;
	if (qcli_open(&c, conf, true, false) < 0)
		return 1;
	mg_buf_init(&msg, 0);
	rc = raw ? 0 : quarantine_find(&c.q, id, show_meta, NULL);
	if (rc == 0)
		rc = quarantine_get(&c.q, id, &msg);
	if (rc == 0 && raw)
		rc = fwrite(msg.data, 1, msg.len, stdout) == msg.len ? 0 : -MG_EIO;
	else if (rc == 0)
		print_preview(msg.data, msg.len);
	if (rc < 0)
		fprintf(stderr, "mailgate quarantine: %s: %s\n", argv[1], rc == -MG_ENOENT ?
		    "no such message in the quarantine" : mg_strerror(rc));
	mg_buf_release(&msg);
	qcli_close(&c);
	return rc < 0 ? 1 : 0;
}

/* Tells queued about a new queue file; when it is not running, its next
 * start (or its 30 s scan) finds the message. */
static void
notify_queued(const struct mg_conf *conf, uint64_t qid)
{
	if (queued_notify(conf->spool_dir, qid) < 0)
		fprintf(stderr, "mailgate quarantine: queued not told; it finds the message "
		    "within 30 s\n");
}

/* release --report-ham: the held copy learned as ham. */
static void
report_ham(const struct mg_conf *conf, const struct quarantine *q, uint64_t id,
    const char *name)
{
	struct mg_buf msg;
	int rc;

	mg_buf_init(&msg, QUARANTINE_MAX_MESSAGE);
	if ((rc = quarantine_get(q, id, &msg)) == 0)
		rc = learn_report(conf, msg.data, msg.len, false);
	if (rc == 0 || rc == -MG_EEXIST)
		printf("%s reported as not spam\n", name);
	else
		fprintf(stderr, "mailgate quarantine: %s: not learned: %s\n", name,
		    rc == -MG_ENOENT ? "no Bayes store is configured (engine.bayes.path)" :
		    mg_strerror(rc));
	mg_buf_release(&msg);
}

static int
release_run(const struct mg_conf *conf, const char *name, const char **rcpts, size_t n,
    bool forward, bool report)
{
	char newid[MG_ID_STRLEN + 1];
	uint64_t id, qid;
	struct qcli c;
	int rc;

	if (parse_id(name, &id) < 0 || qcli_open(&c, conf, false, true) < 0)
		return 1;
	rc = quarantine_release(&c.q, id, rcpts, n, forward, "CLI", time(NULL), &qid);
	if (rc == 0) {
		mg_id_format(qid, newid);
		printf("%s %s as %s\n", name, forward ? "forwarded" : "released", newid);
		notify_queued(conf, qid);
		if (report)
			report_ham(conf, &c.q, id, name);
	} else {
		fprintf(stderr, "mailgate quarantine: %s: %s\n", name, rc == -MG_ENOENT ?
		    "no such message in the quarantine" : rc == -MG_EINVAL ?
		    "not a recipient of that message (use forward)" : mg_strerror(rc));
	}
	qcli_close(&c);
	return rc < 0 ? 1 : 0;
}

/* release ID [--to RCPT]... [--report-ham] and forward ID ADDR. */
static int
q_release(const struct mg_conf *conf, int argc, char **argv, bool forward)
{
	const char **rcpts = calloc((size_t)argc, sizeof(*rcpts));
	bool report = false;
	size_t n = 0;
	int rc = 2;

	if (rcpts == NULL || argc < 2 || (forward && argc != 3))
		goto out;
	for (int i = 2; !forward && i < argc; i++) {
		if (strcmp(argv[i], "--report-ham") == 0)
			report = true;
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			rcpts[n++] = argv[++i];
		else
			goto out;
	}
	if (forward)
		rcpts[n++] = argv[2];
	rc = release_run(conf, argv[1], rcpts, n, forward, report);
out:
	free(rcpts);
	return rc == 2 ? usage() : rc;
}

static int	q_delete(const struct mg_conf *, int, char **);

static int
row_hold(const struct store_quarantine *r, void *arg)
{
	*(bool *)arg = r->hold;
	return 0;
}

/* approve ID (released to its recipients) and reject ID (deleted): the
 * administrator's review of a held message. */
static int
q_review(const struct mg_conf *conf, int argc, char **argv, bool approve)
{
	bool hold = false;
	struct qcli c;
	uint64_t id;
	int rc;

	if (argc != 2)
		return usage();
	if (parse_id(argv[1], &id) < 0 || qcli_open(&c, conf, true, false) < 0)
		return 1;
	rc = quarantine_find(&c.q, id, row_hold, &hold);
	qcli_close(&c);
	if (rc < 0 || !hold) {
		fprintf(stderr, "mailgate quarantine: %s: %s\n", argv[1], rc == -MG_ENOENT ?
		    "no such message in the quarantine" : rc < 0 ? mg_strerror(rc) :
		    "not held for review (use release or delete)");
		return 1;
	}
	return approve ? release_run(conf, argv[1], NULL, 0, false, false) :
	    q_delete(conf, argc, argv);
}

static int
q_delete(const struct mg_conf *conf, int argc, char **argv)
{
	struct qcli c;
	uint64_t id;
	int rc;

	if (argc != 2)
		return usage();
	if (parse_id(argv[1], &id) < 0 || qcli_open(&c, conf, false, false) < 0)
		return 1;
	if ((rc = quarantine_delete(&c.q, id)) == 0)
		printf("%s deleted\n", argv[1]);
	else
		fprintf(stderr, "mailgate quarantine: %s: %s\n", argv[1], rc == -MG_ENOENT ?
		    "no such message in the quarantine" : mg_strerror(rc));
	qcli_close(&c);
	return rc < 0 ? 1 : 0;
}

static int
purge_print(const struct store_quarantine *r, void *arg)
{
	print_row_text(r);
	return 0;
}

static int
q_purge(const struct mg_conf *conf, int argc, char **argv)
{
	bool dry = argc == 2 && strcmp(argv[1], "--dry-run") == 0;
	struct qcli c;
	uint64_t n;
	int rc;

	if (argc != 1 && !dry)
		return usage();
	if (qcli_open(&c, conf, false, false) < 0)
		return 1;
	rc = quarantine_purge(&c.q, &conf->quarantine, time(NULL), dry, purge_print, NULL, &n);
	if (rc < 0)
		fprintf(stderr, "mailgate quarantine: purge failed: %s\n", mg_strerror(rc));
	else
		printf("%" PRIu64 " message%s %s\n", n, n == 1 ? "" : "s",
		    dry ? "would be purged" : "purged");
	qcli_close(&c);
	return rc < 0 ? 1 : 0;
}

int
cmd_quarantine(const struct mg_conf *conf, int argc, char **argv)
{
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0)
		return q_list(conf, argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return q_show(conf, argc, argv);
	if (strcmp(argv[0], "release") == 0)
		return q_release(conf, argc, argv, false);
	if (strcmp(argv[0], "forward") == 0)
		return q_release(conf, argc, argv, true);
	if (strcmp(argv[0], "delete") == 0)
		return q_delete(conf, argc, argv);
	if (strcmp(argv[0], "approve") == 0 || strcmp(argv[0], "reject") == 0)
		return q_review(conf, argc, argv, argv[0][0] == 'a');
	if (strcmp(argv[0], "purge") == 0)
		return q_purge(conf, argc, argv);
	return usage();
}
