/* mailgate portal link USER [--days N | --seconds N] [--release ID |
 * --allow ID]: prints a signed portal link, a login link or a single-use
 * action link, as a digest would carry (docs/portal.md). For
 * administrators and tests; --seconds may be negative to make a link
 * that has already expired. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/id.h"
#include "core/proc.h"
#include "quarantine/notice.h"
#include "quarantine/token.h"

static int
usage(void)
{
	fprintf(stderr, "usage: mailgate portal link USER [--days N | --seconds N]"
	    " [--release ID | --allow ID]\n");
	return 2;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= min && *out <= max ? 0 : -1;
}

/* Options after USER into t (action, id) and *life (seconds). */
static int
parse_opts(int argc, char **argv, struct qtoken *t, long *life)
{
	long v;

	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "--days") == 0 && parse_long(argv[i + 1], 1, 90, &v) == 0)
			*life = v * 86400;
		else if (strcmp(argv[i], "--seconds") == 0 &&
		    parse_long(argv[i + 1], -86400L * 365, 86400L * 90, &v) == 0)
			*life = v;
		else if ((strcmp(argv[i], "--release") == 0 || strcmp(argv[i], "--allow") == 0) &&
		    t->action == QTOKEN_LOGIN && mg_id_parse(argv[i + 1], &t->id) == 0)
			t->action = argv[i][2] == 'r' ? QTOKEN_RELEASE : QTOKEN_ALLOW;
		else
			return -1;
	}
	return 0;
}

/* Drops root for the daemon's user, so that a key file created here is
 * one the portal can read. */
static int
become_daemon_user(const struct mg_conf *conf)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || conf->user == NULL)
		return 0;
	if (proc_user_ids(conf->user, &uid, &gid) < 0 ||
	    proc_drop_privileges(conf->user, uid, gid) < 0) {
		fprintf(stderr, "mailgate portal: cannot become user %s\n", conf->user);
		return -1;
	}
	return 0;
}

static int
portal_link(const struct mg_conf *conf, int argc, char **argv)
{
	struct qtoken t = { .action = QTOKEN_LOGIN };
	uint8_t key[QTOKEN_KEY_LEN];
	char keyfile[PATH_MAX], url[CONF_PORTAL_URL_MAX], text[QTOKEN_TEXT_MAX];
	long life = (long)conf->portal.link_days * 86400;
	int rc;

	if (argc < 2 || parse_opts(argc, argv, &t, &life) < 0)
		return usage();
	if (snprintf(t.user, sizeof(t.user), "%s", argv[1]) >= (int)sizeof(t.user)) {
		fprintf(stderr, "mailgate portal: address too long\n");
		return 1;
	}
	if (become_daemon_user(conf) < 0)
		return 1;
	if (conf_portal_url(&conf->portal, conf->hostname, url, sizeof(url)) < 0 ||
	    conf_portal_key_file(&conf->portal, conf->store_path, keyfile, sizeof(keyfile)) < 0) {
		fprintf(stderr, "mailgate portal: url or key file name too long\n");
		return 1;
	}
	if ((rc = qtoken_key_load(keyfile, key)) < 0) {
		fprintf(stderr, "mailgate portal: key %s: %s\n", keyfile, mg_strerror(rc));
		return 1;
	}
	t.expires = time(NULL) + life;
	rc = qtoken_sign(key, &t, text, sizeof(text));
	memset(key, 0, sizeof(key));
	if (rc < 0) {
		fprintf(stderr, "mailgate portal: '%s': %s\n", argv[1], rc == -MG_EINVAL ?
		    "not a usable address" : mg_strerror(rc));
		return 1;
	}
	printf("%s%s%s\n", url, t.action == QTOKEN_LOGIN ? NOTICE_LOGIN_PATH :
	    NOTICE_ACTION_PATH, text);
	return 0;
}

int
cmd_portal(const struct mg_conf *conf, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "link") == 0)
		return portal_link(conf, argc, argv);
	return usage();
}
