/* The portal's tables of the SQLite backend (placeholder: being written). */
#include "store/store_sqlite_int.h"

const char sql_portal_schema[] =
	"CREATE TABLE IF NOT EXISTS portal_tokens ("
	" nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS portal_digests ("
	" user TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;";

#include "core/err.h"

int
sqlite_token_use(struct store *stp, const char *nonce, time_t expires, time_t now)
{
	(void)stp; (void)nonce; (void)expires; (void)now;
	return -MG_EIO;
}

int
sqlite_digest_get(struct store *stp, const char *user, time_t *last)
{
	(void)stp; (void)user; (void)last;
	return -MG_EIO;
}

int
sqlite_digest_set(struct store *stp, const char *user, time_t last)
{
	(void)stp; (void)user; (void)last;
	return -MG_EIO;
}
