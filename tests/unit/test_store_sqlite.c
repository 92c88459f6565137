/* The SQLite message log: rows written come back through every search
 * filter (sender and recipient substrings with LIKE wildcards taken
 * literally, time range, queue id, limit), newest first; logging a message
 * again replaces it; deliveries come back in order; read-only opens fail
 * clearly on a missing file and refuse writes. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "test_util.h"

#include "core/err.h"
#include "core/log.h"
#include "store/store.h"

struct fixture {
	char		 root[64];
	char		 path[128];
	struct store	*st;
};

static const struct store_message rows[] = {
	{ 0x1000, 1000, false, "192.0.2.1", "mx.a.test", NULL, "alice@a.test",
	    "bob@example.test", 100, "clean", 0.5, "deliver", "" },
	{ 0x2000, 2000, false, "192.0.2.2", "mx.b.test", "TLSv1.3 X", "mallory@evil.test",
	    "bob@example.test, carol@example.test", 200, "spam", 9.5, "quarantine",
	    "BAYES_SPAM(5.00),HTML_HIDDEN_FONT_SIZE(2.50)" },
	{ 0x3000, 3000, true, "10.0.0.5", "client", NULL, "carol@example.test",
	    "dave@b.test", 300, "clean", 0, "deliver", "" },
	{ 0x4000, 4000, false, "192.0.2.9", "x", NULL, "", "under_score%pct@example.test",
	    400, "clean", 0, "deliver", "" },
	{ 0x5000, 5000, false, "192.0.2.9", "x", NULL, "underXscoreYpct@a.test",
	    "erin@example.test, scoreZZpct@a.test", 500, "clean", 0, "deliver", "" },
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512] = "";

	assert_non_null(f);
	strcpy(f->root, "/tmp/mg-store-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->path, sizeof(f->path), "sqlite:%s/log.db", f->root);
	if ((f->st = store_open(f->path, false, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(store_log_message(f->st, &rows[i]), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	f->st = store_close(f->st);
	remove_tree(f->root);
	free(f);
	return 0;
}

struct collected {
	char		 ids[256];	/* "1000 3000 ..." in the order returned */
	struct store_message last;
	char		 last_from[128], last_tls[64], last_symbols[128];
	size_t		 n;
};

static int
collect(const struct store_message *m, void *arg)
{
	struct collected *c = arg;
	size_t o = strlen(c->ids);

	snprintf(c->ids + o, sizeof(c->ids) - o, "%s%llx", c->n ? " " : "",
	    (unsigned long long)m->qid);
	c->last = *m;
	snprintf(c->last_from, sizeof(c->last_from), "%s", m->mail_from ? m->mail_from : "(null)");
	snprintf(c->last_tls, sizeof(c->last_tls), "%s", m->tls ? m->tls : "(null)");
	snprintf(c->last_symbols, sizeof(c->last_symbols), "%s",
	    m->symbols ? m->symbols : "(null)");
	c->n++;
	return 0;
}

static const struct {
	const char		*name;
	struct store_query	 q;
	const char		*want;
} search_cases[] = {
	{ "all, newest first", { 0 }, "5000 4000 3000 2000 1000" },
	{ "limit", { .limit = 2 }, "5000 4000" },
	{ "from substring", { .from = "a.test" }, "5000 1000" },
	{ "from is case-insensitive", { .from = "ALICE" }, "1000" },
	{ "to substring", { .to = "bob@" }, "2000 1000" },
	{ "to second recipient", { .to = "carol" }, "2000" },
	{ "from and to", { .from = "evil", .to = "carol" }, "2000" },
	{ "underscore is literal", { .to = "under_score" }, "4000" },
	{ "percent is literal", { .to = "score%pct" }, "4000" },
	{ "underscore not a wildcard", { .from = "under_score" }, "" },
	{ "backslash is literal", { .from = "\\" }, "" },
	{ "since", { .since = 3000 }, "5000 4000 3000" },
	{ "until", { .until = 2000 }, "2000 1000" },
	{ "since and until", { .since = 2000, .until = 3000 }, "3000 2000" },
	{ "qid", { .qid = 0x3000 }, "3000" },
	{ "qid not found", { .qid = 0x3001 }, "" },
	{ "no match", { .from = "nobody" }, "" },
};

static void
test_search_filters(void **state)
{
	struct fixture *f = *state;
	int failed = 0;

	for (size_t i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]); i++) {
		struct collected c = { 0 };
		int rc = store_search(f->st, &search_cases[i].q, collect, &c);
		if (rc != 0 || strcmp(c.ids, search_cases[i].want) != 0) {
			print_error("%s: got rc %d ids \"%s\", want \"%s\"\n", search_cases[i].name,
			    rc, c.ids, search_cases[i].want);
			failed++;
		}
	}
	if (failed)
		fail_msg("%d search case(s) failed", failed);
}

static void
test_row_values(void **state)
{
	struct fixture *f = *state;
	struct collected c = { 0 };
	struct store_query q = { .qid = 0x2000 };

	assert_int_equal(store_search(f->st, &q, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last.time, 2000);
	assert_false(c.last.outbound);
	assert_int_equal(c.last.size, 200);
	assert_true(c.last.score == 9.5);
	assert_string_equal(c.last_from, "mallory@evil.test");
	assert_string_equal(c.last_tls, "TLSv1.3 X");
	assert_string_equal(c.last_symbols, "BAYES_SPAM(5.00),HTML_HIDDEN_FONT_SIZE(2.50)");
	q.qid = 0x1000;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_search(f->st, &q, collect, &c), 0);
	assert_string_equal(c.last_tls, "(null)");		/* plaintext stays NULL */
	q.qid = 0x3000;
	assert_int_equal(store_search(f->st, &q, collect, &c), 0);
	assert_true(c.last.outbound);
}

static void
test_log_again_replaces(void **state)
{
	struct fixture *f = *state;
	struct store_message m = rows[0];
	struct store_query q = { .qid = 0x1000 };
	struct collected c = { 0 };

	m.action = "quarantine";
	m.verdict = "spam";
	assert_int_equal(store_log_message(f->st, &m), 0);
	assert_int_equal(store_search(f->st, &q, collect, &c), 0);
	assert_int_equal(c.n, 1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_search(f->st, &(struct store_query){ 0 }, collect, &c), 0);
	assert_int_equal(c.n, 5);
}

static int
collect_delivery(const struct store_delivery *d, void *arg)
{
	char *out = arg;
	size_t o = strlen(out);

	snprintf(out + o, 512 - o, "%s%s/%s/%s/%s", o ? "|" : "", d->rcpt, d->status,
	    d->remote ? d->remote : "(null)", d->reply ? d->reply : "(null)");
	return 0;
}

static int
stop_after_one(const struct store_message *m, void *arg)
{
	(*(int *)arg)++;
	return 7;
}

static void
test_deliveries(void **state)
{
	struct fixture *f = *state;
	const struct store_delivery d[] = {
		{ 0x2000, 2001, "bob@example.test", "mx[192.0.2.7]:25", "deferred", "451 try later" },
		{ 0x2000, 2100, "bob@example.test", "mx[192.0.2.7]:25", "delivered", "250 ok" },
		{ 0x2000, 2100, "carol@example.test", NULL, "failed", "550 no such user" },
		{ 0x1000, 1001, "bob@example.test", "mx", "delivered", "250 ok" },
	};
	char out[512] = "";
	int calls = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		assert_int_equal(store_log_delivery(f->st, &d[i]), 0);
	assert_int_equal(store_deliveries(f->st, 0x2000, collect_delivery, out), 0);
	assert_string_equal(out, "bob@example.test/deferred/mx[192.0.2.7]:25/451 try later|"
	    "bob@example.test/delivered/mx[192.0.2.7]:25/250 ok|"
	    "carol@example.test/failed/(null)/550 no such user");
	out[0] = '\0';
	assert_int_equal(store_deliveries(f->st, 0x9999, collect_delivery, out), 0);
	assert_string_equal(out, "");
	/* a callback's non-zero return stops the walk and is passed back */
	assert_int_equal(store_search(f->st, &(struct store_query){ 0 }, stop_after_one, &calls), 7);
	assert_int_equal(calls, 1);
}

static void
test_readonly(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", missing[160];
	struct store *ro;
	struct collected c = { 0 };

	snprintf(missing, sizeof(missing), "%s/missing.db", f->root);
	assert_null(store_open(missing, true, err, sizeof(err)));
	if (strstr(err, missing) == NULL)
		fail_msg("error does not name the file: got \"%s\"", err);
	assert_int_equal(access(missing, F_OK), -1);	/* and did not create it */

	if ((ro = store_open(f->path, true, err, sizeof(err))) == NULL)
		fail_msg("read-only open: %s", err);
	assert_int_equal(store_search(ro, &(struct store_query){ .from = "alice" }, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(store_log_message(ro, &rows[0]), -MG_EINVAL);
	ro = store_close(ro);
	assert_null(ro);
}

static void
test_open_errors(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", path[160];
	FILE *fp;

	assert_null(store_open("postgresql://db/x", false, err, sizeof(err)));
	assert_non_null(strstr(err, "unsupported"));
	assert_null(store_open("sqlite:", false, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/not-a-db", f->root);
	assert_non_null(fp = fopen(path, "w"));
	fputs("this is not an SQLite database, just text that is long enough......"
	    "..............................................................", fp);
	fclose(fp);
	assert_null(store_open(path, false, err, sizeof(err)));
	if (strstr(err, path) == NULL)
		fail_msg("error does not name the file: got \"%s\"", err);
}

/* A message log written by schema version 1 (no symbols column) is
 * migrated in place and keeps its rows. */
static void
test_migrates_version_1(void **state)
{
	struct fixture *f = *state;
	char path[300], err[512] = "";
	struct collected c = { 0 };
	struct store *st;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/v1.db", f->root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
	    "INSERT INTO schema_version VALUES (1);"
	    "CREATE TABLE messages (qid TEXT PRIMARY KEY, time INTEGER NOT NULL,"
	    " direction TEXT NOT NULL, client_ip TEXT, helo TEXT, tls TEXT, mail_from TEXT,"
	    " rcpts TEXT, size INTEGER, verdict TEXT, score REAL, action TEXT);"
	    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, qid TEXT NOT NULL,"
	    " time INTEGER NOT NULL, rcpt TEXT, remote TEXT, status TEXT, reply TEXT);"
	    "INSERT INTO messages VALUES ('0000000000000abc', 7, 'inbound', '192.0.2.1', 'h',"
	    " NULL, 'old@a.test', 'x@example.test', 1, 'clean', 0, 'deliver');",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if ((st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("version 1 database refused: %s", err);
	assert_int_equal(store_search(st, &(struct store_query){ .qid = 0xabc }, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last_from, "old@a.test");
	assert_string_equal(c.last_symbols, "(null)");
	assert_int_equal(store_log_message(st, &rows[1]), 0);	/* new rows have symbols */
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_search_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_again_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_1, setup, teardown),
	};

	log_init("test_store_sqlite", true, LOG_LVL_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
