/* Chooses the store backend from a location string: "sqlite:/path" or a
 * plain path is SQLite; any other "scheme:" is refused by name. */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

#define SQLITE_PREFIX	"sqlite:"

struct store *
store_open(const char *location, bool readonly, char *err, size_t errlen)
{
	const char *colon = strchr(location, ':');
	const char *slash = strchr(location, '/');
	struct store *s = NULL;

	if (strncmp(location, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0)
		location += strlen(SQLITE_PREFIX);
	else if (colon != NULL && (slash == NULL || colon < slash)) {
		snprintf(err, errlen, "unsupported store backend in \"%s\"", location);
		return NULL;
	}
	if (*location == '\0') {
		snprintf(err, errlen, "empty store location");
		return NULL;
	}
	if (store_sqlite_ops.open(location, readonly, &s, err, errlen) < 0)
		return NULL;
	return s;
}

struct store *
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
	return NULL;
}
