/* The portal's tables of the SQLite backend: the nonces of single-use
 * links already used (kept until the link expires, so that a second use
 * is refused and the table stays small) and the time of each user's last
 * digest. */
#include <string.h>

#include "core/err.h"
#include "store/store_sqlite_int.h"

#define NONCE_MAX	64	/* bytes of a nonce's text */

const char sql_portal_schema[] =
	"CREATE TABLE IF NOT EXISTS portal_tokens ("
	" nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS portal_digests ("
	" user TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;";

/* Prepares sql, binds text a and integer b, steps once; 0 or the error. */
static int
run(struct store_sqlite *s, const char *sql, const char *a, sqlite3_int64 b,
    const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(s, what);
	rc = a != NULL ? sql_bind_text(st, 1, a) : SQLITE_OK;
	rc = rc ? rc : sqlite3_bind_int64(st, a != NULL ? 2 : 1, b);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = sql_fail(s, what);
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_token_use(struct store *stp, const char *nonce, time_t expires, time_t now)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	int rc;

	if (s->readonly || nonce[0] == '\0' || strnlen(nonce, NONCE_MAX + 1) > NONCE_MAX)
		return -MG_EINVAL;
	rc = run(s, "DELETE FROM portal_tokens WHERE expires < ?1", NULL,
	    (sqlite3_int64)now, "token purge");
	rc = rc ? rc : run(s, "INSERT OR IGNORE INTO portal_tokens (nonce, expires)"
	    " VALUES (?1, ?2)", nonce, (sqlite3_int64)expires, "token use");
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -MG_EEXIST;
	return rc;
}

int
sqlite_digest_get(struct store *stp, const char *user, time_t *last)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	*last = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT last FROM portal_digests WHERE user = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return sql_fail(s, "digest get prepare");
	if (sql_bind_text(st, 1, user) != SQLITE_OK)
		rc = sql_fail(s, "digest get bind");
	else if ((step = sqlite3_step(st)) == SQLITE_ROW)
		*last = (time_t)sqlite3_column_int64(st, 0);
	else if (step != SQLITE_DONE)
		rc = sql_fail(s, "digest get");
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_digest_set(struct store *stp, const char *user, time_t last)
{
	struct store_sqlite *s = (struct store_sqlite *)stp;

	if (s->readonly)
		return -MG_EINVAL;
	return run(s, "INSERT INTO portal_digests (user, last) VALUES (?1, ?2)"
	    " ON CONFLICT (user) DO UPDATE SET last = excluded.last", user,
	    (sqlite3_int64)last, "digest set");
}
