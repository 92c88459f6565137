/* The policies table of the SQLite backend: one row per filter, keyed by an
 * integer id the database assigns; the texts are checked by policy/ before
 * they get here and parsed again when the filters are loaded. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "store/store_sqlite_int.h"

const char sql_policy_schema[] =
	"CREATE TABLE IF NOT EXISTS policies ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
	" priority INTEGER NOT NULL, scope TEXT NOT NULL, scope_value TEXT NOT NULL,"
	" state TEXT NOT NULL, condition TEXT NOT NULL, action TEXT NOT NULL,"
	" action_args TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);";

int
sqlite_pol_add(struct store *stp, const struct store_policy *p, uint64_t *id)
{
	static const char sql[] = "INSERT INTO policies (name, priority, scope, scope_value,"
	    " state, condition, action, action_args, created, updated) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct store_sqlite *s = (struct store_sqlite *)stp;
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->readonly)
		return -MG_EINVAL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(s, "policy add prepare");
	rc = sql_bind_text(st, 1, p->name);
	rc = rc ? rc : sqlite3_bind_int(st, 2, p->priority);
	rc = rc ? rc : sql_bind_text(st, 3, p->scope);
	rc = rc ? rc : sql_bind_text(st, 4, p->scope_value ? p->scope_value : "");
	rc = rc ? rc : sql_bind_text(st, 5, p->state);
	rc = rc ? rc : sql_bind_text(st, 6, p->condition);
	rc = rc ? rc : sql_bind_text(st, 7, p->action);
	rc = rc ? rc : sql_bind_text(st, 8, p->action_args ? p->action_args : "");
	rc = rc ? rc : sqlite3_bind_int64(st, 9, (sqlite3_int64)p->created);
	rc = rc ? rc : sqlite3_bind_int64(st, 10, (sqlite3_int64)p->updated);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, "policy add");
	else {
		*id = (uint64_t)sqlite3_last_insert_rowid(s->db);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static void
pol_row(sqlite3_stmt *st, struct store_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->id = (uint64_t)sqlite3_column_int64(st, 0);
	p->name = sql_col_text(st, 1);
	p->priority = sqlite3_column_int(st, 2);
	p->scope = sql_col_text(st, 3);
	p->scope_value = sql_col_text(st, 4);
	p->state = sql_col_text(st, 5);
	p->condition = sql_col_text(st, 6);
	p->action = sql_col_text(st, 7);
	p->action_args = sql_col_text(st, 8);
	p->created = (time_t)sqlite3_column_int64(st, 9);
	p->updated = (time_t)sqlite3_column_int64(st, 10);
}

int
sqlite_pol_list(struct store *stp, uint64_t id, store_policy_fn fn, void *arg)
{
	static const char sql[] = "SELECT id, name, priority, scope, scope_value, state,"
	    " condition, action, action_args, created, updated FROM policies"
	    " WHERE ?1 = 0 OR id = ?1 ORDER BY id";
	struct store_sqlite *s = (struct store_sqlite *)stp;
	struct store_policy row;
	sqlite3_stmt *st = NULL;
	int rc = 0, step;
	unsigned n = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(s, "policy list prepare");
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)id) != SQLITE_OK) {
		rc = sql_fail(s, "policy list bind");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		pol_row(st, &row);
		n++;
		if ((rc = fn(&row, arg)) != 0)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = sql_fail(s, "policy list");
	else if (id != 0 && n == 0)
		rc = -MG_ENOENT;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Runs one statement on the row id; -MG_ENOENT when none changed. */
static int
pol_change(struct store_sqlite *s, const char *sql, uint64_t id, const char *state,
    time_t when, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (s->readonly)
		return -MG_EINVAL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sql_bind_named_int(st, ":id", (sqlite3_int64)id) != SQLITE_OK ||
	    (state != NULL && sql_bind_named_text(st, ":state", state) != SQLITE_OK) ||
	    (state != NULL && sql_bind_named_int(st, ":when", (sqlite3_int64)when) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, what);
	else if (sqlite3_changes(s->db) == 0)
		rc = -MG_ENOENT;
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_pol_state(struct store *stp, uint64_t id, const char *state, time_t when)
{
	return pol_change((struct store_sqlite *)stp, "UPDATE policies SET state = :state,"
	    " updated = :when WHERE id = :id", id, state, when, "policy state");
}

int
sqlite_pol_delete(struct store *stp, uint64_t id)
{
	return pol_change((struct store_sqlite *)stp, "DELETE FROM policies WHERE id = :id",
	    id, NULL, 0, "policy delete");
}
