/* mailgate log search: finds messages in the message log (opened
 * read-only) by sender, recipient, time range and queue id, newest first,
 * each with its delivery attempts; as text or one JSON object per line.
 * mailgate log connections: the connection counts smtpd recorded (per
 * minute, client address and event), summed by time, address or event. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/commands.h"
#include "core/err.h"
#include "core/id.h"
#include "store/store.h"

#define LOG_LIMIT_MAX	100000u
#define LOG_FIELD_SHOWN	1024	/* bytes of one displayed field */

static int
usage(void)
{
	fprintf(stderr, "usage: mailgate log search [--from S] [--to S] [--since WHEN]"
	    " [--until WHEN]\n"
	    "                           [--id QID] [--limit N] [--json]\n"
	    "       mailgate log connections [--since WHEN] [--until WHEN] [--ip IP]"
	    " [--event NAME]\n"
	    "                           [--by minute|hour|day|ip|event] [--top N] [--json]\n"
	    "  WHEN: YYYY-MM-DD[THH:MM[:SS]] in UTC, or an age: 90s, 30m, 2h, 7d, 2w\n");
	return 2;
}

struct search_ctx {
	struct store	*store;
	bool		 json;
	unsigned	 count;
	json_t		*dlv;		/* deliveries of the current JSON row */
};

static int
print_delivery_text(const struct store_delivery *d, void *arg)
{
	char t[32], rcpt[LOG_FIELD_SHOWN], remote[LOG_FIELD_SHOWN], reply[LOG_FIELD_SHOWN];
	char status[64];

	cli_format_time(d->time, t, sizeof(t));
	cli_sanitize(d->rcpt, rcpt, sizeof(rcpt));
	cli_sanitize(d->status, status, sizeof(status));
	cli_sanitize(d->remote && d->remote[0] ? d->remote : "-", remote, sizeof(remote));
	cli_sanitize(d->reply, reply, sizeof(reply));
	printf("    %s %s %s remote=%s reply=\"%s\"\n", t, rcpt, status, remote, reply);
	return 0;
}

static int
print_message_text(const struct store_message *m, void *arg)
{
	struct search_ctx *c = arg;
	char t[32], id[MG_ID_STRLEN + 1], ip[64], from[LOG_FIELD_SHOWN], to[LOG_FIELD_SHOWN];
	char verdict[64], action[64], symbols[LOG_FIELD_SHOWN];

	cli_format_time(m->time, t, sizeof(t));
	mg_id_format(m->qid, id);
	cli_sanitize(m->client_ip, ip, sizeof(ip));
	cli_sanitize(m->mail_from, from, sizeof(from));
	cli_sanitize(m->rcpts, to, sizeof(to));
	cli_sanitize(m->verdict, verdict, sizeof(verdict));
	cli_sanitize(m->action, action, sizeof(action));
	cli_sanitize(m->symbols ? m->symbols : "", symbols, sizeof(symbols));
	printf("%s %s %s %s from=<%s> to=\"%s\" size=%" PRIu64 " verdict=%s score=%.2f "
	    "action=%s symbols=\"%s\"\n", t, id, m->outbound ? "outbound" : "inbound", ip,
	    from, to, m->size, verdict, m->score, action, symbols);
	c->count++;
	return store_deliveries(c->store, m->qid, print_delivery_text, c);
}

/* A JSON string for text from the log; bytes that are not valid UTF-8 are
 * shown as '?' rather than dropping the whole row. NULL is null. */
static json_t *
json_text(const char *s)
{
	json_t *v;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((v = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return v;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static json_t *
json_time(time_t t)
{
	char buf[32];

	cli_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

/* Prints o (NULL: out of memory) as one compact JSON line, frees it and
 * counts the line. */
static int
json_line(json_t *o, unsigned *count)
{
	int rc;

	if (o == NULL)
		return -MG_ENOMEM;
	rc = json_dumpf(o, stdout, JSON_COMPACT) == 0 && putchar('\n') != EOF ? 0 : -MG_EIO;
	json_decref(o);
	(*count)++;
	return rc;
}

static int
add_delivery_json(const struct store_delivery *d, void *arg)
{
	struct search_ctx *c = arg;
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "time", json_time(d->time),
	    "rcpt", json_text(d->rcpt), "status", json_text(d->status),
	    "remote", json_text(d->remote), "reply", json_text(d->reply));

	if (o == NULL || json_array_append_new(c->dlv, o) == -1)
		return -MG_ENOMEM;
	return 0;
}

static int
print_message_json(const struct store_message *m, void *arg)
{
	struct search_ctx *c = arg;
	char id[MG_ID_STRLEN + 1];
	json_t *o;
	int rc;

	mg_id_format(m->qid, id);
	if ((c->dlv = json_array()) == NULL)
		return -MG_ENOMEM;
	if ((rc = store_deliveries(c->store, m->qid, add_delivery_json, c)) != 0) {
		json_decref(c->dlv);
		return rc;
	}
	o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:f, s:o, s:o, s:o}",
	    "time", json_time(m->time), "qid", id,
	    "direction", m->outbound ? "outbound" : "inbound",
	    "client_ip", json_text(m->client_ip), "helo", json_text(m->helo),
	    "tls", json_text(m->tls), "from", json_text(m->mail_from),
	    "rcpts", json_text(m->rcpts), "size", (json_int_t)m->size,
	    "verdict", json_text(m->verdict), "score", m->score,
	    "action", json_text(m->action), "symbols", json_text(m->symbols),
	    "deliveries", c->dlv);
	c->dlv = NULL;
	return json_line(o, &c->count);
}

/* N of --limit or --top: 1..LOG_LIMIT_MAX; 0, or usage's exit status. */
static int
parse_limit(const char *opt, const char *arg, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end != '\0' || n == 0 || n > LOG_LIMIT_MAX) {
		fprintf(stderr, "mailgate log: %s wants 1..%u\n", opt, LOG_LIMIT_MAX);
		return usage();
	}
	*out = (unsigned)n;
	return 0;
}

/* The usage error of an unknown option or a missing value (getopt's ch). */
static int
bad_option(int ch, char **argv)
{
	if (ch == ':')
		fprintf(stderr, "mailgate log: %s needs a value\n", argv[optind - 1]);
	else if (ch != 'h')
		fprintf(stderr, "mailgate log: unknown option %s\n", argv[optind - 1]);
	return usage();
}

/* Fills q from the options; 0, or the exit status of a usage error. */
static int
parse_options(int argc, char **argv, struct store_query *q, bool *json)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "id", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	time_t now = time(NULL);
	int ch, rc;

	optind = 0;	/* GNU getopt: start again, options after operands too */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': q->from = optarg; break;
		case 't': q->to = optarg; break;
		case 'j': *json = true; break;
		case 's':
		case 'u':
			if (cli_parse_when(optarg, now, ch == 'u', ch == 's' ? &q->since : &q->until) < 0) {
				fprintf(stderr, "mailgate log: bad time '%s'\n", optarg);
				return usage();
			}
			break;
		case 'i':
			if (mg_id_parse(optarg, &q->qid) < 0) {
				fprintf(stderr, "mailgate log: malformed queue id '%s'\n", optarg);
				return usage();
			}
			break;
		case 'l':
			if ((rc = parse_limit("--limit", optarg, &q->limit)) != 0)
				return rc;
			break;
		default:
			return bad_option(ch, argv);
		}
	}
	return optind == argc ? 0 : usage();
}

static int
log_search(const struct mg_conf *conf, int argc, char **argv)
{
	struct store_query q = { 0 };
	struct search_ctx c = { 0 };
	char err[1024];
	int rc;

	if ((rc = parse_options(argc, argv, &q, &c.json)) != 0)
		return rc;
	if (q.since && q.until && q.since > q.until) {
		fprintf(stderr, "mailgate log: --since is after --until\n");
		return 2;
	}
	if ((c.store = store_open(conf->store_path, true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate log: %s\n", err);
		return 1;
	}
	rc = store_search(c.store, &q, c.json ? print_message_json : print_message_text, &c);
	c.store = store_close(c.store);
	if (rc != 0) {
		fprintf(stderr, "mailgate log: search failed: %s\n", mg_strerror(rc));
		return 1;
	}
	if (c.count == 0 && !c.json)
		fprintf(stderr, "mailgate log: no matching messages\n");
	return 0;
}

/* The names of the --by keys, by enum store_conn_by. */
static const char *const conn_by_names[] = { "minute", "hour", "day", "ip", "event" };

struct conn_ctx {
	struct store_conn_query q;
	bool		 json;
	unsigned	 count;
};

static int
print_conn_text(const struct store_conn_group *g, void *arg)
{
	struct conn_ctx *c = arg;
	char key[LOG_FIELD_SHOWN];

	if (c->count++ == 0)
		printf("%-40s %12s\n", g->key ? conn_by_names[c->q.by] : "time", "count");
	if (g->key == NULL)
		cli_format_time(g->time, key, sizeof(key));
	else
		cli_sanitize(g->key, key, sizeof(key));
	printf("%-40s %12" PRIu64 "\n", key, g->count);
	return 0;
}

static int
print_conn_json(const struct store_conn_group *g, void *arg)
{
	struct conn_ctx *c = arg;
	json_t *o = json_pack("{s:o, s:I}", g->key ? conn_by_names[c->q.by] : "time",
	    g->key ? json_text(g->key) : json_time(g->time), "count", (json_int_t)g->count);

	return json_line(o, &c->count);
}

/* --by NAME into q->by; 0, or usage's exit status. */
static int
parse_by(const char *arg, struct store_conn_query *q)
{
	for (size_t i = 0; i < sizeof(conn_by_names) / sizeof(conn_by_names[0]); i++) {
		if (strcmp(arg, conn_by_names[i]) == 0) {
			q->by = (enum store_conn_by)i;
			return 0;
		}
	}
	fprintf(stderr, "mailgate log: --by wants minute, hour, day, ip or event\n");
	return usage();
}

/* Fills c from the options of log connections; 0, or a usage status. */
static int
parse_conn_options(int argc, char **argv, struct conn_ctx *c)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "ip", required_argument, NULL, 'i' },
		{ "event", required_argument, NULL, 'e' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_conn_query *q = &c->q;
	time_t now = time(NULL);
	int ch, rc = 0;

	q->by = STORE_CONN_BY_EVENT;
	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': q->ip = optarg; break;
		case 'e': q->event = optarg; break;
		case 'j': c->json = true; break;
		case 'b': rc = parse_by(optarg, q); break;
		case 't': rc = parse_limit("--top", optarg, &q->limit); break;
		case 's':
		case 'u':
			if (cli_parse_when(optarg, now, ch == 'u', ch == 's' ? &q->since : &q->until) < 0) {
				fprintf(stderr, "mailgate log: bad time '%s'\n", optarg);
				rc = usage();
			}
			break;
		default:
			rc = bad_option(ch, argv);
		}
	}
	if (rc == 0 && optind != argc)
		rc = usage();
	if (rc == 0 && q->since && q->until && q->since > q->until) {
		fprintf(stderr, "mailgate log: --since is after --until\n");
		rc = 2;
	}
	return rc;
}

static int
log_connections(const struct mg_conf *conf, int argc, char **argv)
{
	struct conn_ctx c = { 0 };
	struct store *store;
	char err[1024];
	int rc;

	if ((rc = parse_conn_options(argc, argv, &c)) != 0)
		return rc;
	if ((store = store_open(conf->store_path, true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate log: %s\n", err);
		return 1;
	}
	rc = store_conn_query(store, &c.q, c.json ? print_conn_json : print_conn_text, &c);
	store = store_close(store);
	if (rc != 0) {
		fprintf(stderr, "mailgate log: query failed: %s\n", mg_strerror(rc));
		return 1;
	}
	if (c.count == 0 && !c.json)
		fprintf(stderr, "mailgate log: no matching connection counts\n");
	return 0;
}

int
cmd_log(const struct mg_conf *conf, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "search") == 0)
		return log_search(conf, argc, argv);
	if (argc >= 1 && strcmp(argv[0], "connections") == 0)
		return log_connections(conf, argc, argv);
	return usage();
}
