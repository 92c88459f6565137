/* The quarantine library with a temporary store, spool and directory:
 * held messages come back byte for byte, a second hold of the same id is
 * a no-op, searches filter by sender, recipient, subject, category and
 * time, release queues a copy with the X-Mailgate-Released field for all
 * or some recipients (never a stranger, unless forwarded), delete removes
 * file and row, purge follows each category's retention; the subject is
 * decoded from the header section; a version 3 store is migrated. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "test_util.h"

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/queued_quarantine.h"
#include "quarantine/quarantine.h"
#include "spool/spool.h"

#define DAY	86400

struct fixture {
	char		 root[64];
	char		 dir[128];
	struct store	*st;
	struct spool	*sp;
	struct quarantine q;
};

static const char headers[] = "Received: from x by gw.test; Tue, 1 Jan 2030 00:00:00 +0000\r\n"
    "X-Mailgate-Verdict: spam; score=12.00; action=quarantine\r\n";
static const char body[] = "From: <alice@a.test>\r\nTo: <bob@example.test>\r\n"
    "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\nHello \xc3\xa9.\r\n";

/* id, time, from, rcpts, subject, category */
static const struct store_quarantine rows[] = {
	{ 0x1000, 10 * DAY, "alice@a.test", "bob@example.test, carol@example.test",
	    "Café offer", "spam", 12.0, "GTUBE", "GTUBE(12.00)", 100, 0, NULL, false },
	{ 0x2000, 20 * DAY, "mallory@evil.test", "bob@example.test", "Invoice",
	    "malware", 30.0, "AV_CLAMAV_VIRUS", "", 200, 0, NULL, false },
	{ 0x3000, 30 * DAY, "", "dave@example.test", "Weekly news", "bulk", 11.0, "score",
	    "", 300, 0, NULL, false },
};

/* Holds rows[i] with the message above. */
static void
hold(struct fixture *f, const struct store_quarantine *row)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/data", f->root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)(sizeof(body) - 1));
	assert_int_equal(quarantine_put(&f->q, row, headers, fd, sizeof(body) - 1), 0);
	close(fd);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128], err[512] = "";

	assert_non_null(f);
	strcpy(f->root, "/tmp/mg-quar-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/log.db", f->root);
	snprintf(f->dir, sizeof(f->dir), "%s/quarantine", f->root);
	if ((f->st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	snprintf(path, sizeof(path), "%s/spool", f->root);
	assert_int_equal(spool_open(path, &f->sp), 0);
	f->q = (struct quarantine){ .dir = f->dir, .store = f->st, .spool = f->sp };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		hold(f, &rows[i]);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	f->st = store_close(f->st);
	f->sp = spool_close(f->sp);
	remove_tree(f->root);
	free(f);
	return 0;
}

struct collected {
	char		 ids[256];
	char		 subject[128], released_to[128];
	size_t		 n;
};

static int
collect(const struct store_quarantine *r, void *arg)
{
	struct collected *c = arg;
	size_t o = strlen(c->ids);

	snprintf(c->ids + o, sizeof(c->ids) - o, "%s%llx", c->n ? " " : "",
	    (unsigned long long)r->id);
	snprintf(c->subject, sizeof(c->subject), "%s", r->subject ? r->subject : "(null)");
	snprintf(c->released_to, sizeof(c->released_to), "%s",
	    r->released_to ? r->released_to : "(null)");
	c->n++;
	return 0;
}

static const char *
search(struct fixture *f, const struct store_quarantine_query *q)
{
	static struct collected c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_quar_search(f->st, q, collect, &c), 0);
	return c.ids;
}

static void
test_search_filters(void **state)
{
	static const struct {
		const char *name;
		struct store_quarantine_query q;
		const char *want;
	} cases[] = {
		{ "all, newest first", { 0 }, "3000 2000 1000" },
		{ "from", { .from = "ALICE" }, "1000" },
		{ "to", { .to = "bob@" }, "2000 1000" },
		{ "to second recipient", { .to = "carol" }, "1000" },
		{ "subject", { .subject = "invoice" }, "2000" },
		{ "subject utf-8", { .subject = "Café" }, "1000" },
		{ "category", { .category = "malware" }, "2000" },
		{ "category exact", { .category = "mal" }, "" },
		{ "since", { .since = 20 * DAY }, "3000 2000" },
		{ "until", { .until = 20 * DAY }, "2000 1000" },
		{ "id", { .id = 0x3000 }, "3000" },
		{ "limit", { .limit = 1 }, "3000" },
		{ "percent literal", { .subject = "%" }, "" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_str(cases[i].name, search(f, &cases[i].q), cases[i].want);
	check_failures();
}

static void
test_get_roundtrip_and_hold_twice(void **state)
{
	struct fixture *f = *state;
	struct mg_buf b;
	char want[1024], path[256];

	snprintf(want, sizeof(want), "%s%s", headers, body);
	mg_buf_init(&b, 0);
	assert_int_equal(quarantine_get(&f->q, 0x1000, &b), 0);
	if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
		fail_msg("got %s\nwant %s", esc(b.data, b.len), esc(want, strlen(want)));
	mg_buf_release(&b);
	/* held again (queued crashed before removing the queue files): one row */
	hold(f, &rows[0]);
	check_str("rows after a second hold", search(f, &(struct store_quarantine_query){
	    .id = 0x1000 }), "1000");
	/* a file without its row (crash between the two): the next hold adds it */
	assert_int_equal(store_quar_delete(f->st, 0x1000), 0);
	hold(f, &rows[0]);
	check_str("row after a crash before it", search(f, &(struct store_quarantine_query){
	    .id = 0x1000 }), "1000");
	assert_int_equal(quarantine_get(&f->q, 0x9999, &b), -MG_ENOENT);
	/* a cut file is refused, not returned short */
	assert_int_equal(quarantine_path(&f->q, 0x2000, path, sizeof(path)), 0);
	assert_int_equal(truncate(path, 20), 0);
	mg_buf_init(&b, 0);
	assert_int_equal(quarantine_get(&f->q, 0x2000, &b), -MG_EPROTO);
	mg_buf_release(&b);
	check_failures();
}

/* Loads the queued copy: its envelope's recipients and headers, its data. */
static void
queued_copy(struct fixture *f, uint64_t id, char *rcpts, size_t rlen, char *hdr,
    size_t hlen)
{
	struct envelope env = { 0 };
	char want[1024];
	uint8_t data[1024];
	uint64_t size;
	ssize_t n;
	int fd;

	assert_int_equal(spool_env_load(f->sp, id, &env), 0);
	rcpts[0] = '\0';
	for (size_t i = 0; i < env.nrcpts; i++)
		snprintf(rcpts + strlen(rcpts), rlen - strlen(rcpts), "%s%s", i ? " " : "",
		    env.rcpts[i].addr);
	snprintf(hdr, hlen, "%s", env.headers ? env.headers : "(null)");
	check_str("sender", env.mail_from, "alice@a.test");
	check_str("action", env.action, "accept");
	assert_true(env.eightbit);
	envelope_clear(&env);
	assert_int_equal(spool_data_open(f->sp, id, &fd, &size), 0);
	n = read(fd, data, sizeof(data));
	close(fd);
	snprintf(want, sizeof(want), "%s%s", headers, body);
	if (n != (ssize_t)strlen(want) || memcmp(data, want, (size_t)n) != 0)
		fail_msg("queued data: got %s", esc(data, n > 0 ? (size_t)n : 0));
}

static void
test_release(void **state)
{
	static const struct {
		const char *name;
		const char *rcpts[2];
		size_t n;
		bool any;
		int want_rc;
		const char *want_rcpts;
	} cases[] = {
		{ "all", { NULL }, 0, false, 0, "bob@example.test carol@example.test" },
		{ "one, any case", { "CAROL@example.test" }, 1, false, 0, "CAROL@example.test" },
		{ "a stranger", { "eve@example.test" }, 1, false, -MG_EINVAL, "" },
		{ "forward to a stranger", { "eve@example.test" }, 1, true, 0, "eve@example.test" },
		{ "malformed", { "eve example" }, 1, true, -MG_EINVAL, "" },
	};
	struct fixture *f = *state;
	char rcpts[256], hdr[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t qid = 0;
		int rc = quarantine_release(&f->q, 0x1000, cases[i].rcpts, cases[i].n,
		    cases[i].any, "CLI", 1893456000, &qid);
		if (rc != cases[i].want_rc) {
			print_error("%s: got %d, want %d\n", cases[i].name, rc, cases[i].want_rc);
			test_failures++;
			continue;
		}
		if (rc != 0)
			continue;
		queued_copy(f, qid, rcpts, sizeof(rcpts), hdr, sizeof(hdr));
		check_str(cases[i].name, rcpts, cases[i].want_rcpts);
		check_str("release header", hdr, "X-Mailgate-Released: by=CLI; "
		    "at=2030-01-01T00:00:00Z; id=0000000000001000\r\n");
	}
	assert_int_equal(quarantine_release(&f->q, 0x7777, NULL, 0, false, "CLI", 1, &(uint64_t){
	    0 }), -MG_ENOENT);
	{
		struct collected c = { 0 };
		assert_int_equal(store_quar_search(f->st, &(struct store_quarantine_query){
		    .id = 0x1000 }, collect, &c), 0);
		check_str("released_to", c.released_to, "eve@example.test");
	}
	check_failures();
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	char path[256];

	assert_int_equal(quarantine_path(&f->q, 0x2000, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(quarantine_delete(&f->q, 0x2000), 0);
	assert_int_equal(access(path, F_OK), -1);
	check_str("rows after delete", search(f, &(struct store_quarantine_query){ 0 }),
	    "3000 1000");
	assert_int_equal(quarantine_delete(&f->q, 0x2000), -MG_ENOENT);
	check_failures();
}

static void
test_purge_by_category(void **state)
{
	struct fixture *f = *state;
	struct conf_quarantine conf;
	uint64_t n;
	char path[256];

	/* now = day 40: spam (day 10) kept 15 days goes, malware (day 20) kept
	 * 90 days stays, bulk (day 30) under the default 30 days stays */
	conf_quarantine_defaults(&conf);
	conf.by_category[1] = 15;	/* spam */
	conf.by_category[4] = 90;	/* malware */
	assert_int_equal(quarantine_purge(&f->q, &conf, 40 * DAY, true, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	check_str("dry run keeps", search(f, &(struct store_quarantine_query){ 0 }),
	    "3000 2000 1000");
	assert_int_equal(quarantine_purge(&f->q, &conf, 40 * DAY, false, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	check_str("after purge", search(f, &(struct store_quarantine_query){ 0 }), "3000 2000");
	assert_int_equal(quarantine_path(&f->q, 0x1000, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* day 61: bulk is past 30 days, malware is not past 90 */
	assert_int_equal(quarantine_purge(&f->q, &conf, 61 * DAY, false, NULL, NULL, &n), 0);
	check_str("later", search(f, &(struct store_quarantine_query){ 0 }), "2000");
	check_failures();
}

static void
test_subject(void **state)
{
	static const struct {
		const char *msg, *want;
	} cases[] = {
		{ "Subject: plain\r\n\r\nbody", "plain" },
		{ "From: a\r\nSUBJECT: =?utf-8?q?caf=C3=A9?=\r\n\r\n", "caf\xc3\xa9" },
		{ "Subject: folded\r\n line\r\nTo: b\r\n\r\n", "folded line" },
		{ "From: a\r\n\r\nSubject: in the body\r\n", "" },
		{ "Subjectx: no\r\n\r\n", "" },
		{ "Subject: cut short", "cut short" },
		{ "", "" },
	};
	struct mg_arena *a = mg_arena_new(4096, 1 << 20);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_str(cases[i].msg, queued_quarantine_subject(a, (const uint8_t *)cases[i].msg,
		    strlen(cases[i].msg)), cases[i].want);
	mg_arena_free(a);
	check_failures();
}

static void
test_conf_resolution(void **state)
{
	struct conf_quarantine c;
	char dir[64];

	conf_quarantine_defaults(&c);
	c.by_category[4] = 90;
	assert_int_equal(conf_quarantine_days(&c, "malware"), 90);
	assert_int_equal(conf_quarantine_days(&c, "spam"), 30);
	assert_int_equal(conf_quarantine_days(&c, "unknown"), 30);
	assert_int_equal(conf_quarantine_dir(&c, "/var/lib/mailgate/db/log.db", dir,
	    sizeof(dir)), 0);
	check_str("default dir", dir, "/var/lib/mailgate/db/quarantine");
	assert_int_equal(conf_quarantine_dir(&c, "/a/very/long/path/to/a/store/file.db", dir,
	    16), -1);
	check_failures();
}

/* A version 3 store gets the quarantine table and version 4. */
static void
test_migrates_version_3(void **state)
{
	struct fixture *f = *state;
	char path[300], err[512] = "";
	struct store *st;
	sqlite3 *db;
	struct quarantine q;

	snprintf(path, sizeof(path), "%s/v3.db", f->root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
	    "INSERT INTO schema_version VALUES (3);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if ((st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("version 3 database refused: %s", err);
	assert_int_equal(store_quar_add(st, &rows[1]), 0);
	assert_int_equal(store_quar_add(st, &rows[1]), -MG_EEXIST);
	q = (struct quarantine){ .dir = f->dir, .store = st };
	assert_int_equal(quarantine_find(&q, 0x2000, collect, &(struct collected){ 0 }), 0);
	store_close(st);
	if ((st = store_open(path, true, err, sizeof(err))) == NULL)
		fail_msg("read-only reopen: %s", err);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_search_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_roundtrip_and_hold_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_by_category, setup, teardown),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_conf_resolution),
		cmocka_unit_test_setup_teardown(test_migrates_version_3, setup, teardown),
	};

	log_init("test_quarantine_store", true, LOG_LVL_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
