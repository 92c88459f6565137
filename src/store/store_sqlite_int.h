/* Private to the SQLite backend: its connection and the helpers that
 * store_sqlite.c (message log, connections) and store_sqlite_quar.c
 * (quarantine metadata) and store_sqlite_policy.c (policy filters) share. */
#ifndef MG_STORE_STORE_SQLITE_INT_H
#define MG_STORE_STORE_SQLITE_INT_H

#include <stdbool.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "store/store.h"

#define SQL_DEFAULT_LIMIT	100u
#define SQL_LIKE_MAX		1024	/* bytes of a search substring */

struct store_sqlite {
	struct store	 base;		/* first: the interface sees this */
	sqlite3		*db;
	char		*path;
	bool		 readonly;
	sqlite3_stmt	*ins_message;
	sqlite3_stmt	*ins_delivery;
	sqlite3_stmt	*sel_deliveries;
	sqlite3_stmt	*add_conn;
	sqlite3_stmt	*del_conn;
};

/* The quarantine table, part of the schema (version 4). */
extern const char sql_quarantine_schema[];

/* The policies table, part of the schema (version 5). */
extern const char sql_policy_schema[];

/* The portal's tables, part of the schema (version 6): single-use link
 * nonces and the time of each user's last digest. */
extern const char sql_portal_schema[];

/* Logs the connection's last error; -MG_EAGAIN (busy) or -MG_EIO. */
int	sql_fail(struct store_sqlite *, const char *what);
int	sql_bind_text(sqlite3_stmt *, int i, const char *v);	/* NULL binds NULL */
int	sql_bind_named_text(sqlite3_stmt *, const char *name, const char *v);
int	sql_bind_named_int(sqlite3_stmt *, const char *name, sqlite3_int64 v);
const char *sql_col_text(sqlite3_stmt *, int i);
/* "%" + needle with %, _ and \\ escaped + "%", for LIKE ... ESCAPE '\\'. */
int	sql_like_pattern(const char *needle, struct mg_buf *);
/* Appends one condition of a WHERE clause when present (after rc == 0);
 * *sep is " WHERE " first, then " AND ". Returns the new rc. */
int	sql_where(struct mg_buf *sql, const char **sep, bool present, const char *text, int rc);

/* The quarantine operations of store_sqlite_ops (store_sqlite_quar.c). */
int	sqlite_quar_add(struct store *, const struct store_quarantine *);
int	sqlite_quar_search(struct store *, const struct store_quarantine_query *,
	    store_quarantine_fn, void *);
int	sqlite_quar_released(struct store *, uint64_t id, time_t when, const char *to);
int	sqlite_quar_delete(struct store *, uint64_t id);

/* The policy operations of store_sqlite_ops (store_sqlite_policy.c). */
int	sqlite_pol_add(struct store *, const struct store_policy *, uint64_t *id);
int	sqlite_pol_list(struct store *, uint64_t id, store_policy_fn, void *);
int	sqlite_pol_state(struct store *, uint64_t id, const char *state, time_t when);
int	sqlite_pol_delete(struct store *, uint64_t id);

/* The portal operations of store_sqlite_ops (store_sqlite_portal.c). */
int	sqlite_token_use(struct store *, const char *nonce, time_t expires, time_t now);
int	sqlite_digest_get(struct store *, const char *user, time_t *last);
int	sqlite_digest_set(struct store *, const char *user, time_t last);

#endif
