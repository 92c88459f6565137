/* The SMTP AUTH users file (conf_users.h): "name:hash" lines of crypt(3)
 * hashes, '#' comments and blank lines, kept sorted for conf_user_find. */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_parse.h"
#include "core/conf_users.h"

static int
conf_user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_user *)a)->name, ((const struct conf_user *)b)->name);
}

/* One line of the users file, without its newline: "name:hash". NULL
 * when fine, else the reason. */
static const char *
conf_user_parse(char *line, struct conf_user *u)
{
	char *colon = strchr(line, ':');
	size_t n = colon != NULL ? (size_t)(colon - line) : 0;

	for (const char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "white space or control character";
	if (colon == NULL || n == 0 || colon[1] == '\0')
		return "not NAME:HASH";
	if (n > CONF_USER_NAME_MAX)
		return "user name too long";
	if (colon[1] != '$' || strchr(colon + 1, ':') != NULL)
		return "not a crypt(3) hash ($id$...)";
	if ((u->name = strndup(line, n)) == NULL || (u->hash = strdup(colon + 1)) == NULL)
		return "out of memory";
	return NULL;
}

/* Appends a line's user; counted also on failure (conf_free frees it). */
static const char *
conf_user_add(struct mg_conf *c, char *line)
{
	struct conf_user *u;

	if (c->nusers == CONF_USERS_MAX)
		return "too many users";
	if (c->nusers % 64 == 0) {
		if ((u = realloc(c->users, (c->nusers + 64) * sizeof(*u))) == NULL)
			return "out of memory";
		c->users = u;
	}
	u = &c->users[c->nusers++];
	memset(u, 0, sizeof(*u));
	return conf_user_parse(line, u);
}

int
conf_load_users(struct conf_ctx *cx, struct mg_conf *c)
{
	char line[1024], *nl;
	const char *why = NULL;
	int lineno = 0;
	FILE *f;

	if (c->users_path == NULL)
		return 0;
	if ((f = fopen(c->users_path, "r")) == NULL)
		return conf_fail(cx, config_lookup(cx->cfg, "users"), "cannot read %s: %s",
		    c->users_path, strerror(errno));
	while (why == NULL && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL && !feof(f))
			why = "line too long";
		else if (nl != NULL)
			*nl = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (why != NULL || line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		why = conf_user_add(c, line);
	}
	if (why == NULL && ferror(f))
		why = "read error";	/* named at the last line read */
	fclose(f);
	if (why != NULL) {
		snprintf(cx->err, cx->errlen, "%s:%d: %s", c->users_path, lineno, why);
		return -1;
	}
	if (c->nusers > 0)
		qsort(c->users, c->nusers, sizeof(*c->users), conf_user_cmp);
	for (size_t i = 1; i < c->nusers; i++)
		if (strcmp(c->users[i - 1].name, c->users[i].name) == 0) {
			snprintf(cx->err, cx->errlen, "%s: duplicate user '%s'", c->users_path,
			    c->users[i].name);
			return -1;
		}
	return 0;
}

const struct conf_user *
conf_user_find(const struct mg_conf *c, const char *name)
{
	struct conf_user key = { .name = (char *)name };

	if (c->nusers == 0)
		return NULL;
	return bsearch(&key, c->users, c->nusers, sizeof(*c->users), conf_user_cmp);
}

void
conf_users_free(struct mg_conf *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		if (c->users[i].hash != NULL)
			explicit_bzero(c->users[i].hash, strlen(c->users[i].hash));
		free(c->users[i].hash);
	}
	free(c->users);
	free(c->users_path);
	c->users = NULL;
	c->nusers = 0;
	c->users_path = NULL;
}
