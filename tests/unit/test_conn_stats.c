/* Connection counts: the CONN_STATS frame decodes to what was encoded and
 * malformed frames are refused; smtpd_stats aggregates per (minute, ip,
 * event), stays bounded (new addresses beyond the limit count as "other")
 * and sends what it counted (read here from a socket standing in for
 * queued); the store adds counts across flushes, groups, filters, orders,
 * limits, expires, and a version 2 database is migrated. */
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "test_util.h"

#include "core/err.h"
#include "core/ipc.h"
#include "core/log.h"
#include "daemon/proto.h"
#include "daemon/smtpd_int.h"
#include "daemon/smtpd_stats.h"
#include "daemon/unix_socket.h"
#include "store/store.h"

/* --- the frame ---------------------------------------------------------- */

static void
test_proto_roundtrip(void **state)
{
	const struct proto_conn_count in[] = {
		{ 1700000040, 21, "127.0.0.1", "connect" },
		{ 1700000040, 15, "127.0.0.1", "conn_rate_ip" },
		{ 1700000100, 1, "2001:db8::1", "message" },
		{ 1700000100, 4000000000u, "other", "unknown_rcpt" },
	};
	struct proto_conn_stats out;
	struct mg_buf b;
	uint16_t type;
	size_t flen;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_conn_stats_encode(&b, in, 4), 0);
	assert_int_equal(ipc_frame_peek(b.data, b.len, &type, &flen), 0);
	assert_int_equal(type, PROTO_CONN_STATS);
	assert_int_equal(flen, b.len);
	assert_int_equal(proto_conn_stats_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.nrows, 4);
	for (size_t i = 0; i < 4; i++) {
		if (out.rows[i].minute != in[i].minute || out.rows[i].count != in[i].count ||
		    strcmp(out.rows[i].ip, in[i].ip) != 0 ||
		    strcmp(out.rows[i].event, in[i].event) != 0)
			fail_msg("row %zu: got %lld %s %s %u, want %lld %s %s %u", i,
			    (long long)out.rows[i].minute, out.rows[i].ip, out.rows[i].event,
			    out.rows[i].count, (long long)in[i].minute, in[i].ip, in[i].event,
			    in[i].count);
	}
	proto_conn_stats_clear(&out);
	assert_null(out.rows);
	for (size_t n = IPC_HEADER_LEN; n < b.len; n++)
		if (proto_conn_stats_decode(b.data, n, &out) != -MG_EPROTO)
			fail_msg("truncated to %zu of %zu bytes: not refused", n, b.len);
	mg_buf_release(&b);
}

/* One row written field by field, so that a case can break any of them. */
struct raw_row {
	uint64_t	 minute;
	const char	*ip;
	size_t		 iplen;		/* 0 = strlen(ip) */
	const char	*event;
	uint32_t	 count;
};

static void
raw_frame(struct mg_buf *b, uint32_t claimed, const struct raw_row *rows, size_t n,
    bool trailing)
{
	size_t start;

	mg_buf_reset(b);
	assert_int_equal(ipc_frame_begin(b, PROTO_CONN_STATS, &start), 0);
	assert_int_equal(ipc_put_u32(b, claimed), 0);
	for (size_t i = 0; i < n; i++) {
		const struct raw_row *r = &rows[i];

		assert_int_equal(ipc_put_u64(b, r->minute), 0);
		assert_int_equal(ipc_put_str(b, r->ip, r->iplen ? r->iplen : strlen(r->ip)), 0);
		assert_int_equal(ipc_put_cstr(b, r->event), 0);
		assert_int_equal(ipc_put_u32(b, r->count), 0);
	}
	if (trailing)
		assert_int_equal(ipc_put_u8(b, 0), 0);
	assert_int_equal(ipc_frame_end(b, start), 0);
}

#define LONG_IP	"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:b"	/* 51 bytes */

static void
test_proto_malformed(void **state)
{
	static const struct {
		const char	*what;
		uint32_t	 claimed;
		struct raw_row	 row;
		bool		 trailing;
		int		 want;
	} cases[] = {
		{ "valid", 1, { 120, "192.0.2.1", 0, "connect", 1 }, false, 0 },
		{ "valid other", 1, { 120, "other", 0, "dnsbl", 7 }, false, 0 },
		{ "no rows", 0, { 0 }, false, -MG_EPROTO },
		{ "too many rows", PROTO_CONN_ROWS_MAX + 1, { 120, "192.0.2.1", 0, "connect", 1 },
		    false, -MG_EPROTO },
		{ "fewer rows than said", 2, { 120, "192.0.2.1", 0, "connect", 1 }, false,
		    -MG_EPROTO },
		{ "trailing byte", 1, { 120, "192.0.2.1", 0, "connect", 1 }, true, -MG_EPROTO },
		{ "minute not on a minute", 1, { 121, "192.0.2.1", 0, "connect", 1 }, false,
		    -MG_EPROTO },
		{ "minute zero", 1, { 0, "192.0.2.1", 0, "connect", 1 }, false, -MG_EPROTO },
		{ "negative minute", 1, { (uint64_t)-60, "192.0.2.1", 0, "connect", 1 }, false,
		    -MG_EPROTO },
		{ "count zero", 1, { 120, "192.0.2.1", 0, "connect", 0 }, false, -MG_EPROTO },
		{ "empty ip", 1, { 120, "", 0, "connect", 1 }, false, -MG_EPROTO },
		{ "ip with a space", 1, { 120, "192.0.2.1 x", 0, "connect", 1 }, false,
		    -MG_EPROTO },
		{ "ip too long", 1, { 120, LONG_IP, 0, "connect", 1 }, false, -MG_EPROTO },
		{ "ip with NUL", 1, { 120, "1.2.3.4\0" "5", 9, "connect", 1 }, false,
		    -MG_EPROTO },
		{ "empty event", 1, { 120, "192.0.2.1", 0, "", 1 }, false, -MG_EPROTO },
		{ "event in capitals", 1, { 120, "192.0.2.1", 0, "CONNECT", 1 }, false,
		    -MG_EPROTO },
		{ "event too long", 1, { 120, "192.0.2.1", 0, "abcdefghijklmnopqrstuvwxyz012345",
		    1 }, false, -MG_EPROTO },
	};
	struct proto_conn_stats out;
	struct mg_buf b;

	mg_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		raw_frame(&b, cases[i].claimed, &cases[i].row, cases[i].claimed ? 1 : 0,
		    cases[i].trailing);
		got = proto_conn_stats_decode(b.data, b.len, &out);
		if (got != cases[i].want) {
			print_error("case %s: got %d, want %d\n", cases[i].what, got, cases[i].want);
			test_failures++;
		}
		if (got == 0)
			proto_conn_stats_clear(&out);
		else if (out.rows != NULL || out.nrows != 0) {
			print_error("case %s: refused but rows left\n", cases[i].what);
			test_failures++;
		}
	}
	mg_buf_release(&b);
	check_failures();
}

static void
test_proto_encode_refuses(void **state)
{
	struct proto_conn_count bad[] = {
		{ 120, 1, "192.0.2.1", "Connect" },
		{ 120, 0, "192.0.2.1", "connect" },
		{ 90, 1, "192.0.2.1", "connect" },
	};
	struct mg_buf b;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_conn_stats_encode(&b, bad, 0), -MG_EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proto_conn_stats_encode(&b, &bad[i], 1) != -MG_EINVAL)
			fail_msg("bad row %zu encoded", i);
	assert_int_equal(b.len, 0);
	assert_false(proto_conn_ip_valid(""));
	assert_true(proto_conn_ip_valid("::ffff:192.0.2.1"));
	mg_buf_release(&b);
}

/* --- smtpd_stats ------------------------------------------------------- */

/* A socket standing in for queued: a thread reads everything until EOF. */
struct fake_queued {
	char		 spool[64];
	char		 sock[128];
	int		 lfd;
	pthread_t	 thread;
	struct mg_buf	 got;
};

static void *
fake_queued_main(void *arg)
{
	struct fake_queued *q = arg;
	uint8_t buf[65536];
	ssize_t n;
	int fd = accept(q->lfd, NULL, NULL);

	if (fd == -1)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (mg_buf_append(&q->got, buf, (size_t)n) < 0)
			break;
	close(fd);
	return NULL;
}

static void
fake_queued_start(struct fake_queued *q)
{
	char run[96];

	memset(q, 0, sizeof(*q));
	strcpy(q->spool, "/tmp/mg-connstats-XXXXXX");
	assert_non_null(mkdtemp(q->spool));
	snprintf(run, sizeof(run), "%s/run", q->spool);
	assert_int_equal(mkdir(run, 0700), 0);
	snprintf(q->sock, sizeof(q->sock), "%s/%s", q->spool, PROTO_QUEUED_SOCK);
	assert_true((q->lfd = unix_listen(q->sock)) >= 0);
	assert_int_equal(fcntl(q->lfd, F_SETFL, 0), 0);	/* a blocking accept */
	mg_buf_init(&q->got, 0);
	assert_int_equal(pthread_create(&q->thread, NULL, fake_queued_main, q), 0);
}

/* Decodes every frame received and sums the counts per "ip event". */
struct sums {
	char		 key[8][80];
	uint64_t	 count[8];
	size_t		 nkeys;
	size_t		 rows, frames, own_ips;
	uint64_t	 total;
};

static void
sums_add(struct sums *s, const struct proto_conn_count *r, const char *other_than)
{
	char key[80];
	size_t i;

	s->rows++;
	s->total += r->count;
	if (other_than != NULL && strncmp(r->ip, other_than, strlen(other_than)) == 0) {
		s->own_ips++;
		return;
	}
	snprintf(key, sizeof(key), "%s %s", r->ip, r->event);
	for (i = 0; i < s->nkeys && strcmp(s->key[i], key) != 0; i++)
		;
	if (i == s->nkeys) {
		assert_true(s->nkeys < 8);
		strcpy(s->key[s->nkeys++], key);
	}
	s->count[i] += r->count;
}

static void
fake_queued_finish(struct fake_queued *q, struct sums *s, const char *other_than)
{
	struct proto_conn_stats st;
	uint16_t type;
	size_t off = 0, flen;

	pthread_join(q->thread, NULL);
	close(q->lfd);
	memset(s, 0, sizeof(*s));
	while (off < q->got.len) {
		assert_int_equal(ipc_frame_peek(q->got.data + off, q->got.len - off, &type,
		    &flen), 0);
		assert_int_equal(type, PROTO_CONN_STATS);
		assert_int_equal(proto_conn_stats_decode(q->got.data + off, flen, &st), 0);
		for (uint32_t i = 0; i < st.nrows; i++)
			sums_add(s, &st.rows[i], other_than);
		proto_conn_stats_clear(&st);
		s->frames++;
		off += flen;
	}
	mg_buf_release(&q->got);
	remove_tree(q->spool);
}

static uint64_t
sum_of(const struct sums *s, const char *key)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->key[i], key) == 0)
			return s->count[i];
	return 0;
}

static void
test_stats_aggregates(void **state)
{
	static const struct { const char *ip, *event; unsigned times; } events[] = {
		{ "192.0.2.1", "connect", 20 },
		{ "192.0.2.1", "conn_rate_ip", 15 },
		{ "2001:db8::1", "connect", 1 },
		{ "2001:db8::1", "message", 1 },
		{ NULL, "connect", 2 },		/* not an address: "other" */
		{ "", "greylisted", 1 },
	};
	static const struct { const char *key; uint64_t want; } want[] = {
		{ "192.0.2.1 connect", 20 }, { "192.0.2.1 conn_rate_ip", 15 },
		{ "2001:db8::1 connect", 1 }, { "2001:db8::1 message", 1 },
		{ "other connect", 2 }, { "other greylisted", 1 },
	};
	struct fake_queued q;
	struct event_base *base = event_base_new();
	struct smtpd_notify *n;
	struct smtpd_stats *s;
	struct sums got;

	fake_queued_start(&q);
	assert_non_null(n = smtpd_notify_new(base, q.spool));
	assert_non_null(s = smtpd_stats_new(base, n));
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		for (unsigned k = 0; k < events[i].times; k++)
			smtpd_stats_count(s, events[i].ip, events[i].event);
	smtpd_stats_count(NULL, "192.0.2.1", "connect");	/* no table: nothing */
	s = smtpd_stats_free(s);	/* the last flush */
	n = smtpd_notify_free(n);
	event_base_free(base);
	fake_queued_finish(&q, &got, NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t v = sum_of(&got, want[i].key);

		if (v != want[i].want) {
			print_error("%s: got %llu, want %llu\n", want[i].key,
			    (unsigned long long)v, (unsigned long long)want[i].want);
			test_failures++;
		}
	}
	if (got.nkeys != sizeof(want) / sizeof(want[0]) || got.frames != 1) {
		print_error("got %zu keys in %zu frames, want 6 in 1\n", got.nkeys, got.frames);
		test_failures++;
	}
	check_failures();
}

static void
test_stats_bounded(void **state)
{
	const unsigned extra = 500, distinct = SMTPD_STATS_KEYS_MAX + extra;
	struct fake_queued q;
	struct event_base *base = event_base_new();
	struct smtpd_notify *n;
	struct smtpd_stats *s;
	struct sums got;
	char ip[32];

	fake_queued_start(&q);
	assert_non_null(n = smtpd_notify_new(base, q.spool));
	assert_non_null(s = smtpd_stats_new(base, n));
	for (unsigned i = 0; i < distinct; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		smtpd_stats_count(s, ip, "conn_rate_ip");
	}
	s = smtpd_stats_free(s);
	n = smtpd_notify_free(n);
	event_base_free(base);
	fake_queued_finish(&q, &got, "10.");
	print_message("%zu rows in %zu frames, %zu addresses kept, other=%llu\n", got.rows,
	    got.frames, got.own_ips, (unsigned long long)sum_of(&got, "other conn_rate_ip"));
	assert_int_equal(got.total, distinct);
	assert_int_equal(got.own_ips, SMTPD_STATS_KEYS_MAX);
	assert_int_equal(sum_of(&got, "other conn_rate_ip"), extra);
	assert_int_equal(got.frames, (got.rows + PROTO_CONN_ROWS_MAX - 1) / PROTO_CONN_ROWS_MAX);
}

/* --- the store --------------------------------------------------------- */

struct fixture {
	char		 root[64];
	char		 path[128];
	struct store	*st;
};

static int
store_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512] = "";

	assert_non_null(f);
	strcpy(f->root, "/tmp/mg-connstore-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->path, sizeof(f->path), "%s/log.db", f->root);
	if ((f->st = store_open(f->path, false, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	*state = f;
	return 0;
}

static int
store_teardown(void **state)
{
	struct fixture *f = *state;

	f->st = store_close(f->st);
	remove_tree(f->root);
	free(f);
	return 0;
}

#define DAY0	1700006400	/* 2023-11-15T00:00:00Z */

/* Two flushes: the second adds to the counts of the first. */
static const struct store_conn_count flush1[] = {
	{ DAY0 + 60, "192.0.2.1", "connect", 10 },
	{ DAY0 + 60, "192.0.2.1", "conn_rate_ip", 4 },
	{ DAY0 + 120, "192.0.2.2", "connect", 1 },
	{ DAY0 + 3600, "192.0.2.2", "message", 1 },
};
static const struct store_conn_count flush2[] = {
	{ DAY0 + 60, "192.0.2.1", "connect", 5 },		/* same key: 15 */
	{ DAY0 + 60, "192.0.2.1", "conn_rate_ip", 2 },	/* 6 */
	{ DAY0 + 86400 + 60, "2001:db8::1", "connect", 3 },
	{ DAY0 + 86400 + 60, "other", "dnsbl", 7 },
};

struct collected {
	char		 text[512];
};

static int
collect(const struct store_conn_group *g, void *arg)
{
	struct collected *c = arg;
	size_t len = strlen(c->text);

	if (g->key != NULL)
		snprintf(c->text + len, sizeof(c->text) - len, "%s%s=%llu", len ? " " : "",
		    g->key, (unsigned long long)g->count);
	else
		snprintf(c->text + len, sizeof(c->text) - len, "%s+%lld=%llu", len ? " " : "",
		    (long long)(g->time - DAY0), (unsigned long long)g->count);
	return 0;
}

static void
test_store_groups(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char	*what;
		struct store_conn_query q;
		const char	*want;
	} cases[] = {
		{ "by event", { .by = STORE_CONN_BY_EVENT },
		    "connect=19 dnsbl=7 conn_rate_ip=6 message=1" },
		{ "by ip", { .by = STORE_CONN_BY_IP },
		    "192.0.2.1=21 other=7 2001:db8::1=3 192.0.2.2=2" },
		{ "by ip top 2", { .by = STORE_CONN_BY_IP, .limit = 2 }, "192.0.2.1=21 other=7" },
		{ "by minute", { .by = STORE_CONN_BY_MINUTE },
		    "+60=21 +120=1 +3600=1 +86460=10" },
		{ "by minute, latest 2", { .by = STORE_CONN_BY_MINUTE, .limit = 2 },
		    "+3600=1 +86460=10" },
		{ "by hour", { .by = STORE_CONN_BY_HOUR }, "+0=22 +3600=1 +86400=10" },
		{ "by day", { .by = STORE_CONN_BY_DAY }, "+0=23 +86400=10" },
		{ "one ip by event", { .by = STORE_CONN_BY_EVENT, .ip = "192.0.2.1" },
		    "connect=15 conn_rate_ip=6" },
		{ "one event by ip", { .by = STORE_CONN_BY_IP, .event = "connect" },
		    "192.0.2.1=15 2001:db8::1=3 192.0.2.2=1" },
		{ "since (inside a minute)", { .by = STORE_CONN_BY_EVENT, .since = DAY0 + 150 },
		    "dnsbl=7 connect=4 message=1" },
		{ "until", { .by = STORE_CONN_BY_EVENT, .until = DAY0 + 120 },
		    "connect=16 conn_rate_ip=6" },
		{ "since and until", { .by = STORE_CONN_BY_IP, .since = DAY0 + 120,
		    .until = DAY0 + 3600 }, "192.0.2.2=2" },
		{ "nothing", { .by = STORE_CONN_BY_EVENT, .ip = "198.51.100.1" }, "" },
	};

	assert_int_equal(store_conn_add(f->st, flush1, 4), 0);
	assert_int_equal(store_conn_add(f->st, flush2, 4), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collected c = { "" };

		assert_int_equal(store_conn_query(f->st, &cases[i].q, collect, &c), 0);
		check_str(cases[i].what, c.text, cases[i].want);
	}
	check_failures();
}

static void
test_store_expire_readonly(void **state)
{
	struct fixture *f = *state;
	struct store_conn_query q = { .by = STORE_CONN_BY_DAY };
	struct collected c = { "" };
	struct store *ro;
	uint64_t deleted;
	char err[512];

	assert_int_equal(store_conn_add(f->st, flush1, 4), 0);
	assert_int_equal(store_conn_add(f->st, flush2, 4), 0);
	assert_int_equal(store_conn_expire(f->st, DAY0 + 86400, &deleted), 0);
	assert_int_equal(deleted, 4);	/* the distinct rows of the first day */
	assert_int_equal(store_conn_query(f->st, &q, collect, &c), 0);
	check_str("after expiry", c.text, "+86400=10");
	q.by = (enum store_conn_by)99;
	assert_int_equal(store_conn_query(f->st, &q, collect, &c), -MG_EINVAL);
	if ((ro = store_open(f->path, true, err, sizeof(err))) == NULL)
		fail_msg("read-only open: %s", err);
	assert_int_equal(store_conn_add(ro, flush1, 1), -MG_EINVAL);
	assert_int_equal(store_conn_expire(ro, DAY0, &deleted), -MG_EINVAL);
	ro = store_close(ro);
	check_failures();
}

/* A version 2 database (before connection counts) is brought to 3. */
static void
test_store_migrates_v2(void **state)
{
	char root[] = "/tmp/mg-connmig-XXXXXX", path[96], err[512];
	struct store_conn_query q = { .by = STORE_CONN_BY_EVENT };
	struct collected c = { "" };
	sqlite3 *db;
	struct store *st;
	sqlite3_stmt *v;

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/old.db", root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
	    "INSERT INTO schema_version VALUES (2);"
	    "CREATE TABLE messages (qid TEXT PRIMARY KEY, time INTEGER NOT NULL,"
	    " direction TEXT NOT NULL, client_ip TEXT, helo TEXT, tls TEXT, mail_from TEXT,"
	    " rcpts TEXT, size INTEGER, verdict TEXT, score REAL, action TEXT, symbols TEXT);"
	    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, qid TEXT NOT NULL,"
	    " time INTEGER NOT NULL, rcpt TEXT, remote TEXT, status TEXT, reply TEXT);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if ((st = store_open(path, true, err, sizeof(err))) != NULL)
		fail_msg("a version 2 database opened read-only");
	print_message("read-only: %s\n", err);
	if ((st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("migration: %s", err);
	assert_int_equal(store_conn_add(st, flush1, 4), 0);
	assert_int_equal(store_conn_query(st, &q, collect, &c), 0);
	check_str("migrated", c.text, "connect=11 conn_rate_ip=4 message=1");
	st = store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1,
	    &v, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(v), SQLITE_ROW);
	assert_true(sqlite3_column_int(v, 0) >= 3);	/* the latest schema */
	sqlite3_finalize(v);
	sqlite3_close(db);
	remove_tree(root);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_roundtrip),
		cmocka_unit_test(test_proto_malformed),
		cmocka_unit_test(test_proto_encode_refuses),
		cmocka_unit_test(test_stats_aggregates),
		cmocka_unit_test(test_stats_bounded),
		cmocka_unit_test_setup_teardown(test_store_groups, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_store_expire_readonly, store_setup,
		    store_teardown),
		cmocka_unit_test(test_store_migrates_v2),
	};

	log_init("test", true, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
