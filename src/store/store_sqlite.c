/* The SQLite backend of the store: one database file in WAL mode shared by
 * smtpd and queued (writers) and the mailgate command (reader); the message
 * log, delivery events and per-minute connection counts. The insert
 * statements stay prepared for the life of the connection; searches build
 * their WHERE clause from the filters given so that indexes apply. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_sqlite_int.h"

#define SQL_SCHEMA_VERSION	6
#define SQL_BUSY_MS		5000
#define SQL_CONN_LIMIT_MAX	1000000u

static const char sql_schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS messages ("
	" qid TEXT PRIMARY KEY, time INTEGER NOT NULL, direction TEXT NOT NULL,"
	" client_ip TEXT, helo TEXT, tls TEXT, mail_from TEXT, rcpts TEXT,"
	" size INTEGER, verdict TEXT, score REAL, action TEXT, symbols TEXT);"
	"CREATE INDEX IF NOT EXISTS messages_time ON messages(time);"
	"CREATE INDEX IF NOT EXISTS messages_from ON messages(mail_from);"
	"CREATE TABLE IF NOT EXISTS deliveries ("
	" id INTEGER PRIMARY KEY, qid TEXT NOT NULL, time INTEGER NOT NULL,"
	" rcpt TEXT, remote TEXT, status TEXT, reply TEXT);"
	"CREATE INDEX IF NOT EXISTS deliveries_qid ON deliveries(qid);"
	"CREATE INDEX IF NOT EXISTS deliveries_rcpt ON deliveries(rcpt);"
	"CREATE TABLE IF NOT EXISTS connections ("
	" minute INTEGER NOT NULL, ip TEXT NOT NULL, event TEXT NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY (minute, ip, event)) WITHOUT ROWID;";

static const char sql_ins_message[] =
	"INSERT OR REPLACE INTO messages (qid, time, direction, client_ip, helo, tls,"
	" mail_from, rcpts, size, verdict, score, action, symbols)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_ins_delivery[] =
	"INSERT INTO deliveries (qid, time, rcpt, remote, status, reply)"
	" VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_sel_deliveries[] =
	"SELECT time, rcpt, remote, status, reply FROM deliveries"
	" WHERE qid = ? ORDER BY time, id";
static const char sql_add_conn[] =
	"INSERT INTO connections (minute, ip, event, count) VALUES (?, ?, ?, ?)"
	" ON CONFLICT (minute, ip, event) DO UPDATE SET count = count + excluded.count";
static const char sql_del_conn[] = "DELETE FROM connections WHERE minute < ?";
static const char sql_sel_messages[] =
	"SELECT qid, time, direction, client_ip, helo, tls, mail_from, rcpts, size,"
	" verdict, score, action, symbols FROM messages";

int
sql_fail(struct store_sqlite *s, const char *what)
{
	int code = sqlite3_errcode(s->db);

	log_err("store sqlite %s file=%s error=\"%s\"", what, s->path, sqlite3_errmsg(s->db));
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? -MG_EAGAIN : -MG_EIO;
}

static void
sqlite_close(struct store *st)
{
	struct store_sqlite *s = (struct store_sqlite *)st;

	sqlite3_finalize(s->ins_message);
	sqlite3_finalize(s->ins_delivery);
	sqlite3_finalize(s->sel_deliveries);
	sqlite3_finalize(s->add_conn);
	sqlite3_finalize(s->del_conn);
	if (sqlite3_close(s->db) != SQLITE_OK)
		log_err("store sqlite close file=%s error=\"%s\"", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

/* The schema version stored in the database, 0 when there is none. */
static int
schema_version(struct store_sqlite *s, int *version)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Brings an older database to SQL_SCHEMA_VERSION, inside the caller's
 * transaction, after sql_schema created the missing tables. Version 2
 * added messages.symbols, version 3 the connections table, version 4 the
 * quarantine table, version 5 the policies table, version 6 quarantine.hold
 * and the portal's tables. */
static int
schema_migrate(struct store_sqlite *s)
{
	int version;

	if (schema_version(s, &version) < 0)
		return -1;
	if (version == 1 && sqlite3_exec(s->db, "ALTER TABLE messages ADD COLUMN symbols TEXT;"
	    "UPDATE schema_version SET version = 2", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (version <= 2 && sqlite3_exec(s->db, "UPDATE schema_version SET version = 3",
	    NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (version <= 3 && sqlite3_exec(s->db, "UPDATE schema_version SET version = 4",
	    NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (version <= 4 && sqlite3_exec(s->db, "UPDATE schema_version SET version = 5",
	    NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* the quarantine table was created with the column from version 6 on */
	if ((version == 4 || version == 5) && sqlite3_exec(s->db, "ALTER TABLE quarantine"
	    " ADD COLUMN hold INTEGER NOT NULL DEFAULT 0", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (version <= 5 && sqlite3_exec(s->db, "UPDATE schema_version SET version = 6",
	    NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* Creates what is missing (read-write) and checks the version. */
static int
schema_setup(struct store_sqlite *s, bool readonly, char *err, size_t errlen)
{
	int version;

	if (!readonly && (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK))
		goto sqlerr;
	if (!readonly && (sqlite3_exec(s->db, sql_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, sql_quarantine_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, sql_policy_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, sql_portal_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "INSERT INTO schema_version SELECT 6 WHERE NOT EXISTS"
	    " (SELECT 1 FROM schema_version)", NULL, NULL, NULL) != SQLITE_OK ||
	    schema_migrate(s) < 0 ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "%s: cannot create the schema: %s", s->path,
		    sqlite3_errmsg(s->db));
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -MG_EIO;
	}
	if (schema_version(s, &version) < 0)
		goto sqlerr;
	if (version != SQL_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d, this program knows %d",
		    s->path, version, SQL_SCHEMA_VERSION);
		return -MG_EINVAL;
	}
	return 0;
sqlerr:
	snprintf(err, errlen, "%s: not a mailgate message log: %s", s->path,
	    sqlite3_errmsg(s->db));
	return -MG_EIO;
}

static int
prepare_statements(struct store_sqlite *s, bool readonly, char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(s->db, sql_sel_deliveries, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->sel_deliveries, NULL) != SQLITE_OK)
		goto fail;
	if (readonly)
		return 0;
	if (sqlite3_prepare_v3(s->db, sql_ins_message, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->ins_message, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_ins_delivery, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->ins_delivery, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_add_conn, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->add_conn, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_del_conn, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->del_conn, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
	return -MG_EIO;
}

static int
sqlite_open(const char *path, bool readonly, struct store **out, char *err, size_t errlen)
{
	struct store_sqlite *s;
	int flags, rc;

	*out = NULL;
	if (readonly && access(path, F_OK) == -1) {
		snprintf(err, errlen, "cannot open message log %s: %s", path, strerror(errno));
		return -MG_ENOENT;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -MG_ENOMEM;
	}
	s->base.ops = &store_sqlite_ops;
	s->readonly = readonly;
	flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open message log %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		rc = -MG_EIO;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, SQL_BUSY_MS);
	if ((rc = schema_setup(s, readonly, err, errlen)) < 0 ||
	    (rc = prepare_statements(s, readonly, err, errlen)) < 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return rc;
}

int
sql_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Runs a prepared insert whose parameters are bound, then resets it. */
static int
run_insert(struct store_sqlite *s, sqlite3_stmt *st, int bindrc, const char *what)
{
	int rc = 0;

	if (bindrc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
sqlite_log_message(struct store *st, const struct store_message *m)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	sqlite3_stmt *q = s->ins_message;
	char qid[MG_ID_STRLEN + 1];
	int rc;

	if (q == NULL)
		return -MG_EINVAL;	/* opened read-only */
	mg_id_format(m->qid, qid);
	rc = sqlite3_bind_text(q, 1, qid, -1, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_int64(q, 2, (sqlite3_int64)m->time);
	rc = rc ? rc : sqlite3_bind_text(q, 3, m->outbound ? "outbound" : "inbound", -1,
	    SQLITE_STATIC);
	rc = rc ? rc : sql_bind_text(q, 4, m->client_ip);
	rc = rc ? rc : sql_bind_text(q, 5, m->helo);
	rc = rc ? rc : sql_bind_text(q, 6, m->tls);
	rc = rc ? rc : sql_bind_text(q, 7, m->mail_from);
	rc = rc ? rc : sql_bind_text(q, 8, m->rcpts);
	rc = rc ? rc : sqlite3_bind_int64(q, 9, (sqlite3_int64)m->size);
	rc = rc ? rc : sql_bind_text(q, 10, m->verdict);
	rc = rc ? rc : sqlite3_bind_double(q, 11, m->score);
	rc = rc ? rc : sql_bind_text(q, 12, m->action);
	rc = rc ? rc : sql_bind_text(q, 13, m->symbols);
	return run_insert(s, q, rc, "log message");
}

static int
sqlite_log_delivery(struct store *st, const struct store_delivery *d)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	sqlite3_stmt *q = s->ins_delivery;
	char qid[MG_ID_STRLEN + 1];
	int rc;

	if (q == NULL)
		return -MG_EINVAL;
	mg_id_format(d->qid, qid);
	rc = sqlite3_bind_text(q, 1, qid, -1, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_int64(q, 2, (sqlite3_int64)d->time);
	rc = rc ? rc : sql_bind_text(q, 3, d->rcpt);
	rc = rc ? rc : sql_bind_text(q, 4, d->remote);
	rc = rc ? rc : sql_bind_text(q, 5, d->status);
	rc = rc ? rc : sql_bind_text(q, 6, d->reply);
	return run_insert(s, q, rc, "log delivery");
}

int
sql_like_pattern(const char *needle, struct mg_buf *b)
{
	int rc = mg_buf_putc(b, '%');

	for (const char *p = needle; rc == 0 && *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			rc = mg_buf_putc(b, '\\');
		if (rc == 0)
			rc = mg_buf_putc(b, (uint8_t)*p);
	}
	if (rc == 0)
		rc = mg_buf_putc(b, '%');
	return rc == 0 ? mg_buf_cstr(b) : rc;
}

int
sql_where(struct mg_buf *sql, const char **sep, bool present, const char *text, int rc)
{
	if (rc != 0 || !present)
		return rc;
	rc = mg_buf_appendf(sql, "%s%s", *sep, text);
	*sep = " AND ";
	return rc;
}

static int
search_sql(const struct store_query *q, struct mg_buf *sql)
{
	const char *sep = " WHERE ";
	int rc = mg_buf_append(sql, sql_sel_messages, sizeof(sql_sel_messages) - 1);

	rc = sql_where(sql, &sep, q->from, "mail_from LIKE :from ESCAPE '\\'", rc);
	rc = sql_where(sql, &sep, q->to, "rcpts LIKE :to ESCAPE '\\'", rc);
	rc = sql_where(sql, &sep, q->since, "time >= :since", rc);
	rc = sql_where(sql, &sep, q->until, "time <= :until", rc);
	rc = sql_where(sql, &sep, q->qid, "qid = :qid", rc);
	if (rc == 0)
		rc = mg_buf_appendf(sql, " ORDER BY time DESC, qid DESC LIMIT %u",
		    q->limit ? q->limit : SQL_DEFAULT_LIMIT);
	return rc == 0 ? mg_buf_cstr(sql) : rc;
}

int
sql_bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	return i ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : SQLITE_OK;
}

int
sql_bind_named_int(sqlite3_stmt *st, const char *name, sqlite3_int64 v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	return i ? sqlite3_bind_int64(st, i, v) : SQLITE_OK;
}

static int
search_bind(sqlite3_stmt *st, const struct store_query *q)
{
	struct mg_buf pat;
	char qid[MG_ID_STRLEN + 1];
	int rc = 0;

	mg_buf_init(&pat, SQL_LIKE_MAX * 2 + 3);
	if (q->from && (rc = sql_like_pattern(q->from, &pat)) == 0)
		rc = sql_bind_named_text(st, ":from", (char *)pat.data);
	mg_buf_reset(&pat);
	if (rc == 0 && q->to && (rc = sql_like_pattern(q->to, &pat)) == 0)
		rc = sql_bind_named_text(st, ":to", (char *)pat.data);
	mg_buf_release(&pat);
	if (rc != 0)
		return rc < 0 ? rc : -MG_EIO;
	mg_id_format(q->qid, qid);
	if (sql_bind_named_int(st, ":since", (sqlite3_int64)q->since) != SQLITE_OK ||
	    sql_bind_named_int(st, ":until", (sqlite3_int64)q->until) != SQLITE_OK ||
	    sql_bind_named_text(st, ":qid", qid) != SQLITE_OK)
		return -MG_EIO;
	return 0;
}

const char *
sql_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Fills m from the current row of a sql_sel_messages statement. */
static void
row_message(sqlite3_stmt *st, struct store_message *m)
{
	const char *qid = sql_col_text(st, 0), *dir = sql_col_text(st, 2);

	memset(m, 0, sizeof(*m));
	if (qid == NULL || mg_id_parse(qid, &m->qid) < 0)
		m->qid = 0;
	m->time = (time_t)sqlite3_column_int64(st, 1);
	m->outbound = dir != NULL && strcmp(dir, "outbound") == 0;
	m->client_ip = sql_col_text(st, 3);
	m->helo = sql_col_text(st, 4);
	m->tls = sql_col_text(st, 5);
	m->mail_from = sql_col_text(st, 6);
	m->rcpts = sql_col_text(st, 7);
	m->size = (uint64_t)sqlite3_column_int64(st, 8);
	m->verdict = sql_col_text(st, 9);
	m->score = sqlite3_column_double(st, 10);
	m->action = sql_col_text(st, 11);
	m->symbols = sql_col_text(st, 12);
}

static int
sqlite_search(struct store *stp, const struct store_query *q, store_message_fn fn, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	struct store_message m;
	struct mg_buf sql;
	sqlite3_stmt *st = NULL;
	int rc, step;

	mg_buf_init(&sql, 4096);
	if ((q->from && strlen(q->from) > SQL_LIKE_MAX) || (q->to && strlen(q->to) > SQL_LIKE_MAX))
		return -MG_ELIMIT;
	if ((rc = search_sql(q, &sql)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
		rc = sql_fail(s, "search prepare");
		goto out;
	}
	if ((rc = search_bind(st, q)) < 0) {
		if (rc == -MG_EIO)
			rc = sql_fail(s, "search bind");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_message(st, &m);
		if ((rc = fn(&m, arg)) != 0)
			goto out;
	}
	rc = step == SQLITE_DONE ? 0 : sql_fail(s, "search");
out:
	sqlite3_finalize(st);
	mg_buf_release(&sql);
	return rc;
}

static int
sqlite_deliveries(struct store *stp, uint64_t qid, store_delivery_fn fn, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	sqlite3_stmt *st = s->sel_deliveries;
	struct store_delivery d;
	char hex[MG_ID_STRLEN + 1];
	int rc = 0, step;

	mg_id_format(qid, hex);
	if (sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		rc = sql_fail(s, "deliveries bind");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		d.qid = qid;
		d.time = (time_t)sqlite3_column_int64(st, 0);
		d.rcpt = sql_col_text(st, 1);
		d.remote = sql_col_text(st, 2);
		d.status = sql_col_text(st, 3);
		d.reply = sql_col_text(st, 4);
		if ((rc = fn(&d, arg)) != 0)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = sql_fail(s, "deliveries");
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Adds the rows to the stored counts in one transaction: each flush of
 * smtpd costs one commit whatever its size. */
static int
sqlite_conn_add(struct store *stp, const struct store_conn_count *rows, size_t n)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	sqlite3_stmt *q = s->add_conn;
	int rc = 0, b;

	if (q == NULL)
		return -MG_EINVAL;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(s, "connections begin");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		b = sqlite3_bind_int64(q, 1, (sqlite3_int64)rows[i].minute);
		b = b ? b : sqlite3_bind_text(q, 2, rows[i].ip, -1, SQLITE_STATIC);
		b = b ? b : sqlite3_bind_text(q, 3, rows[i].event, -1, SQLITE_STATIC);
		b = b ? b : sqlite3_bind_int64(q, 4, (sqlite3_int64)rows[i].count);
		rc = run_insert(s, q, b, "connections add");
	}
	if (rc == 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(s, "connections commit");
	if (rc != 0)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
sqlite_conn_expire(struct store *stp, time_t before, uint64_t *deleted)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	sqlite3_stmt *q = s->del_conn;
	int rc;

	*deleted = 0;
	if (q == NULL)
		return -MG_EINVAL;
	rc = run_insert(s, q, sqlite3_bind_int64(q, 1, (sqlite3_int64)before),
	    "connections expire");
	if (rc == 0)
		*deleted = (uint64_t)sqlite3_changes(s->db);
	return rc;
}

/* The grouped query text for q; the bounds are bound by name. */
static int
conn_sql(const struct store_conn_query *q, struct mg_buf *sql)
{
	static const char *const key[] = {
		[STORE_CONN_BY_MINUTE] = "minute",
		[STORE_CONN_BY_HOUR] = "minute / 3600 * 3600",
		[STORE_CONN_BY_DAY] = "minute / 86400 * 86400",
		[STORE_CONN_BY_IP] = "ip",
		[STORE_CONN_BY_EVENT] = "event",
	};
	bool by_time = q->by <= STORE_CONN_BY_DAY;
	const char *sep = " WHERE ";
	int rc = mg_buf_appendf(sql, "%sSELECT %s AS k, sum(count) AS n FROM connections",
	    by_time ? "SELECT k, n FROM (" : "", key[q->by]);

	rc = sql_where(sql, &sep, q->since, "minute >= :since", rc);
	rc = sql_where(sql, &sep, q->until, "minute <= :until", rc);
	rc = sql_where(sql, &sep, q->ip, "ip = :ip", rc);
	rc = sql_where(sql, &sep, q->event, "event = :event", rc);
	if (rc == 0)
		rc = mg_buf_appendf(sql, " GROUP BY k ORDER BY %s LIMIT %u%s",
		    by_time ? "k DESC" : "n DESC, k", q->limit ? q->limit : SQL_DEFAULT_LIMIT,
		    by_time ? ") ORDER BY k" : "");
	return rc == 0 ? mg_buf_cstr(sql) : rc;
}

static int
conn_bind(sqlite3_stmt *st, const struct store_conn_query *q)
{
	sqlite3_int64 since = (sqlite3_int64)(q->since - q->since % 60);

	if (sql_bind_named_int(st, ":since", since) != SQLITE_OK ||
	    sql_bind_named_int(st, ":until", (sqlite3_int64)q->until) != SQLITE_OK ||
	    (q->ip && sql_bind_named_text(st, ":ip", q->ip) != SQLITE_OK) ||
	    (q->event && sql_bind_named_text(st, ":event", q->event) != SQLITE_OK))
		return -MG_EIO;
	return 0;
}

static int
sqlite_conn_query(struct store *stp, const struct store_conn_query *q, store_conn_fn fn,
    void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	bool by_time = q->by <= STORE_CONN_BY_DAY;
	struct store_conn_group g;
	struct mg_buf sql;
	sqlite3_stmt *st = NULL;
	int rc, step;

	if ((unsigned)q->by > STORE_CONN_BY_EVENT || q->limit > SQL_CONN_LIMIT_MAX)
		return -MG_EINVAL;
	mg_buf_init(&sql, 4096);
	if ((rc = conn_sql(q, &sql)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
		rc = sql_fail(s, "connections prepare");
		goto out;
	}
	if (conn_bind(st, q) < 0) {
		rc = sql_fail(s, "connections bind");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		g.time = by_time ? (time_t)sqlite3_column_int64(st, 0) : 0;
		g.key = by_time ? NULL : sql_col_text(st, 0);
		g.count = (uint64_t)sqlite3_column_int64(st, 1);
		if ((rc = fn(&g, arg)) != 0)
			goto out;
	}
	rc = step == SQLITE_DONE ? 0 : sql_fail(s, "connections query");
out:
	sqlite3_finalize(st);
	mg_buf_release(&sql);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.log_message = sqlite_log_message,
	.log_delivery = sqlite_log_delivery,
	.search = sqlite_search,
	.deliveries = sqlite_deliveries,
	.conn_add = sqlite_conn_add,
	.conn_expire = sqlite_conn_expire,
	.conn_query = sqlite_conn_query,
	.quar_add = sqlite_quar_add,
	.quar_search = sqlite_quar_search,
	.quar_released = sqlite_quar_released,
	.quar_delete = sqlite_quar_delete,
	.pol_add = sqlite_pol_add,
	.pol_list = sqlite_pol_list,
	.pol_state = sqlite_pol_state,
	.pol_delete = sqlite_pol_delete,
	.token_use = sqlite_token_use,
	.digest_get = sqlite_digest_get,
	.digest_set = sqlite_digest_set,
};
