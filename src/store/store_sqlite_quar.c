/* The quarantine table of the SQLite backend: one row per held message,
 * keyed by the queue id it had; searches build their WHERE clause from the
 * filters given (substrings with LIKE, which ignores ASCII case). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/id.h"
#include "store/store_sqlite_int.h"

const char sql_quarantine_schema[] =
	"CREATE TABLE IF NOT EXISTS quarantine ("
	" id TEXT PRIMARY KEY, time INTEGER NOT NULL, mail_from TEXT, rcpts TEXT,"
	" subject TEXT, category TEXT, score REAL, reason TEXT, symbols TEXT,"
	" size INTEGER, released INTEGER NOT NULL DEFAULT 0, released_to TEXT,"
	" hold INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS quarantine_time ON quarantine(time);";

static const char sql_sel_quarantine[] =
	"SELECT id, time, mail_from, rcpts, subject, category, score, reason, symbols,"
	" size, released, released_to, hold FROM quarantine";

/* Runs one statement that changes rows; -MG_ENOENT when none changed. */
static int
quar_change(struct store_sqlite *s, const char *sql, uint64_t id, time_t when,
    const char *to, const char *what)
{
	char hex[MG_ID_STRLEN + 1];
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (s->readonly)
		return -MG_EINVAL;
	mg_id_format(id, hex);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sql_bind_named_text(st, ":id", hex) != SQLITE_OK ||
	    sql_bind_named_int(st, ":when", (sqlite3_int64)when) != SQLITE_OK ||
	    (to != NULL && sql_bind_named_text(st, ":to", to) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, what);
	else if (sqlite3_changes(s->db) == 0)
		rc = -MG_ENOENT;
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_quar_add(struct store *stp, const struct store_quarantine *q)
{
	static const char sql[] = "INSERT INTO quarantine (id, time, mail_from, rcpts,"
	    " subject, category, score, reason, symbols, size, hold) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
	struct store_sqlite *s = (struct store_sqlite *)stp;
	char hex[MG_ID_STRLEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->readonly)
		return -MG_EINVAL;
	mg_id_format(q->id, hex);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(s, "quarantine add prepare");
	rc = sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_int64(st, 2, (sqlite3_int64)q->time);
	rc = rc ? rc : sql_bind_text(st, 3, q->mail_from);
	rc = rc ? rc : sql_bind_text(st, 4, q->rcpts);
	rc = rc ? rc : sql_bind_text(st, 5, q->subject);
	rc = rc ? rc : sql_bind_text(st, 6, q->category);
	rc = rc ? rc : sqlite3_bind_double(st, 7, q->score);
	rc = rc ? rc : sql_bind_text(st, 8, q->reason);
	rc = rc ? rc : sql_bind_text(st, 9, q->symbols);
	rc = rc ? rc : sqlite3_bind_int64(st, 10, (sqlite3_int64)q->size);
	rc = rc ? rc : sqlite3_bind_int(st, 11, q->hold ? 1 : 0);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, "quarantine add");
	else
		rc = sqlite3_changes(s->db) == 0 ? -MG_EEXIST : 0;
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_quar_released(struct store *stp, uint64_t id, time_t when, const char *to)
{
	return quar_change((struct store_sqlite *)stp, "UPDATE quarantine SET released = :when,"
	    " released_to = :to WHERE id = :id", id, when, to ? to : "", "quarantine released");
}

int
sqlite_quar_delete(struct store *stp, uint64_t id)
{
	return quar_change((struct store_sqlite *)stp, "DELETE FROM quarantine WHERE id = :id",
	    id, 0, NULL, "quarantine delete");
}

static int
quar_sql(const struct store_quarantine_query *q, struct mg_buf *sql)
{
	const char *sep = " WHERE ";
	int rc = mg_buf_append(sql, sql_sel_quarantine, sizeof(sql_sel_quarantine) - 1);

	rc = sql_where(sql, &sep, q->from, "mail_from LIKE :from ESCAPE '\\'", rc);
	rc = sql_where(sql, &sep, q->to, "rcpts LIKE :to ESCAPE '\\'", rc);
	rc = sql_where(sql, &sep, q->subject, "subject LIKE :subject ESCAPE '\\'", rc);
	rc = sql_where(sql, &sep, q->category, "category = :category", rc);
	rc = sql_where(sql, &sep, q->since, "time >= :since", rc);
	rc = sql_where(sql, &sep, q->until, "time <= :until", rc);
	rc = sql_where(sql, &sep, q->id, "id = :id", rc);
	rc = sql_where(sql, &sep, q->hold == STORE_HOLD_ONLY, "hold = 1", rc);
	rc = sql_where(sql, &sep, q->hold == STORE_HOLD_NONE, "hold = 0", rc);
	if (rc == 0)
		rc = mg_buf_appendf(sql, " ORDER BY time DESC, id DESC LIMIT %u",
		    q->limit ? q->limit : SQL_DEFAULT_LIMIT);
	return rc == 0 ? mg_buf_cstr(sql) : rc;
}

/* Binds the LIKE pattern of needle to name when needle is set. */
static int
bind_like(sqlite3_stmt *st, const char *name, const char *needle, struct mg_buf *pat)
{
	int rc;

	if (needle == NULL)
		return 0;
	mg_buf_reset(pat);
	if ((rc = sql_like_pattern(needle, pat)) < 0)
		return rc;
	return sql_bind_named_text(st, name, (const char *)pat->data) == SQLITE_OK ? 0 : -MG_EIO;
}

static int
quar_bind(sqlite3_stmt *st, const struct store_quarantine_query *q)
{
	char hex[MG_ID_STRLEN + 1];
	struct mg_buf pat;
	int rc;

	mg_buf_init(&pat, SQL_LIKE_MAX * 2 + 3);
	rc = bind_like(st, ":from", q->from, &pat);
	rc = rc ? rc : bind_like(st, ":to", q->to, &pat);
	rc = rc ? rc : bind_like(st, ":subject", q->subject, &pat);
	mg_buf_release(&pat);
	if (rc < 0)
		return rc;
	mg_id_format(q->id, hex);
	if ((q->category && sql_bind_named_text(st, ":category", q->category) != SQLITE_OK) ||
	    sql_bind_named_int(st, ":since", (sqlite3_int64)q->since) != SQLITE_OK ||
	    sql_bind_named_int(st, ":until", (sqlite3_int64)q->until) != SQLITE_OK ||
	    sql_bind_named_text(st, ":id", hex) != SQLITE_OK)
		return -MG_EIO;
	return 0;
}

static void
quar_row(sqlite3_stmt *st, struct store_quarantine *q)
{
	const char *id = sql_col_text(st, 0);

	memset(q, 0, sizeof(*q));
	if (id == NULL || mg_id_parse(id, &q->id) < 0)
		q->id = 0;
	q->time = (time_t)sqlite3_column_int64(st, 1);
	q->mail_from = sql_col_text(st, 2);
	q->rcpts = sql_col_text(st, 3);
	q->subject = sql_col_text(st, 4);
	q->category = sql_col_text(st, 5);
	q->score = sqlite3_column_double(st, 6);
	q->reason = sql_col_text(st, 7);
	q->symbols = sql_col_text(st, 8);
	q->size = (uint64_t)sqlite3_column_int64(st, 9);
	q->released = (time_t)sqlite3_column_int64(st, 10);
	q->released_to = sql_col_text(st, 11);
	q->hold = sqlite3_column_int(st, 12) != 0;
}

int
sqlite_quar_search(struct store *stp, const struct store_quarantine_query *q,
    store_quarantine_fn fn, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	struct store_quarantine row;
	struct mg_buf sql;
	sqlite3_stmt *st = NULL;
	int rc, step;

	if ((q->from && strlen(q->from) > SQL_LIKE_MAX) ||
	    (q->to && strlen(q->to) > SQL_LIKE_MAX) ||
	    (q->subject && strlen(q->subject) > SQL_LIKE_MAX))
		return -MG_ELIMIT;
	mg_buf_init(&sql, 4096);
	if ((rc = quar_sql(q, &sql)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
		rc = sql_fail(s, "quarantine search prepare");
		goto out;
	}
	if ((rc = quar_bind(st, q)) < 0) {
		if (rc == -MG_EIO)
			rc = sql_fail(s, "quarantine search bind");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		quar_row(st, &row);
		if ((rc = fn(&row, arg)) != 0)
			goto out;
	}
	rc = step == SQLITE_DONE ? 0 : sql_fail(s, "quarantine search");
out:
	sqlite3_finalize(st);
	mg_buf_release(&sql);
	return rc;
}
