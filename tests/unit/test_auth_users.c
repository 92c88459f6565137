/* The users file of SMTP AUTH and the listener settings: loading (comments,
 * blank lines, CRLF), the lookup, every refusal with "FILE:LINE: reason",
 * and crypt(3) round trips (yescrypt and SHA-512) through
 * smtpd_auth_verify, including unknown users and wrong passwords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crypt.h>
#include <cmocka.h>

#include "core/conf.h"
#include "core/err.h"
#include "daemon/smtpd_auth.h"
#include "test_util.h"
#include "conf_fixture.h"

static char dir[] = "/tmp/test_auth_users.XXXXXX";

/* An outbound listener with auth, after CONF_BASE (its line is 5). */
#define AUTH_LISTENER(extra) \
	"listeners = ( { address = \"127.0.0.1:2587\"; role = \"outbound\"; tls = \"none\";\n" \
	extra " } );\n"

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* CONF_BASE without its listener, then users and text. */
static struct mg_conf *
load(const char *users, const char *text, char *err, size_t errlen)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), "spool = \"s\";\nstore = \"d/x.db\";\n"
	    "domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"
	    "%s%s", users, text);
	return conf_fixture_load(dir, conf, err, errlen);
}

static void
test_load_and_find(void **state)
{
	char err[512];
	struct mg_conf *c;

	write_file("users", "# accounts\n\nbob:$6$salt$bbb\r\n  \nalice:$y$j9T$salt$aaa\n"
	    "# Alice is another user\nAlice:$6$x$y");
	c = load("users = \"users\";\n", AUTH_LISTENER("auth = \"required\"; "
	    "auth_plaintext = true;"), err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->nusers, 3);
	check_str("alice", conf_user_find(c, "alice") ? conf_user_find(c, "alice")->hash : "-",
	    "$y$j9T$salt$aaa");
	check_str("bob (CRLF)", conf_user_find(c, "bob") ? conf_user_find(c, "bob")->hash : "-",
	    "$6$salt$bbb");
	check_str("Alice", conf_user_find(c, "Alice") ? conf_user_find(c, "Alice")->hash : "-",
	    "$6$x$y");
	assert_null(conf_user_find(c, "carol"));
	assert_null(conf_user_find(c, "ALICE"));
	assert_int_equal(c->listeners[0].auth, CONF_LAUTH_REQUIRED);
	assert_true(c->listeners[0].auth_plaintext);
	conf_free(c);
	/* no users setting: auth off everywhere */
	c = conf_fixture_load(dir, CONF_BASE, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->nusers, 0);
	assert_int_equal(c->listeners[0].auth, CONF_LAUTH_OFF);
	assert_null(conf_user_find(c, "alice"));
	conf_free(c);
	check_failures();
}

/* The error from the file's name on (the directory left out). */
static const char *
error_of(const char *err)
{
	const char *p = strstr(err, "/users:");

	return p != NULL ? p + 1 : strstr(err, "test.conf") ? strstr(err, "test.conf") : err;
}

static void
test_errors(void **state)
{
	static const struct {
		const char *users, *listener, *want;
	} cases[] = {
		{ "a:$6$x$y\nno colon here\n", NULL, "users:2: white space or control character" },
		{ "a:$6$x$y\n\nnocolon\n", NULL, "users:3: not NAME:HASH" },
		{ ":$6$x$y\n", NULL, "users:1: not NAME:HASH" },
		{ "a:\n", NULL, "users:1: not NAME:HASH" },
		{ "a:plaintext\n", NULL, "users:1: not a crypt(3) hash ($id$...)" },
		{ "a:$6$x:y\n", NULL, "users:1: not a crypt(3) hash ($id$...)" },
		{ "a:$6$x$y\nb:$6$x$y\na:$6$z$w\n", NULL, "users: duplicate user 'a'" },
		{ "a:$6$x$y\n", "auth = \"maybe\";", "test.conf:6: 'auth' must be one of: off, on, required" },
		{ "a:$6$x$y\n", "auth = \"on\";",
		  "test.conf:5: listener 127.0.0.1:2587: auth needs tls (or auth_plaintext = true)" },
	};
	char err[512], listener[256], line[400];
	struct mg_conf *c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("users", cases[i].users);
		snprintf(listener, sizeof(listener), AUTH_LISTENER("%s"),
		    cases[i].listener ? cases[i].listener : "");
		if ((c = load("users = \"users\";\n", listener, err, sizeof(err))) != NULL) {
			conf_free(c);
			check_str(cases[i].users, "(loaded)", cases[i].want);
			continue;
		}
		check_str(cases[i].users, error_of(err), cases[i].want);
	}
	/* a 256-byte name, a missing file, auth without a users file, inbound */
	memset(line, 'n', 256);
	snprintf(line + 256, sizeof(line) - 256, ":$6$x$y\n");
	write_file("users", line);
	c = load("users = \"users\";\n", AUTH_LISTENER(""), err, sizeof(err));
	check_str("long name", c == NULL ? error_of(err) : "(loaded)",
	    "users:1: user name too long");
	conf_free(c);
	c = load("users = \"nonexistent\";\n", AUTH_LISTENER(""), err, sizeof(err));
	check_str("missing file", c == NULL && strstr(err, "test.conf:4: cannot read") ?
	    "refused" : err, "refused");
	conf_free(c);
	c = load("", AUTH_LISTENER("auth = \"on\"; auth_plaintext = true;"), err, sizeof(err));
	check_str("no users", c == NULL ? strstr(err, "test.conf") : "(loaded)",
	    "test.conf:4: listener 127.0.0.1:2587: auth needs a users file (users = ...)");
	conf_free(c);
	write_file("users", "a:$6$x$y\n");
	c = load("users = \"users\";\n", "listeners = ( { address = \"127.0.0.1:25\"; "
	    "role = \"inbound\";\n auth = \"on\"; auth_plaintext = true; } );\n", err, sizeof(err));
	check_str("inbound", c == NULL ? strstr(err, "test.conf") : "(loaded)",
	    "test.conf:5: listener 127.0.0.1:25: auth is for outbound listeners");
	conf_free(c);
	check_failures();
}

/* prefix NULL: libcrypt's default method (yescrypt). */
static void
hash_of(const char *prefix, const char *pass, char *out, size_t cap)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof(setting)));
	memset(&cd, 0, sizeof(cd));
	assert_non_null(h = crypt_r(pass, setting, &cd));
	assert_true(h[0] == '$');
	snprintf(out, cap, "%s", h);
}

static void
test_verify(void **state)
{
	static const struct {
		const char *user, *pass;
		int want;
	} cases[] = {
		{ "alice", "correct horse", 0 },
		{ "alice", "correct hors", -MG_ENOENT },
		{ "alice", "", -MG_ENOENT },
		{ "bob", "s3cret", 0 },
		{ "bob", "correct horse", -MG_ENOENT },
		{ "carol", "correct horse", -MG_ENOENT },
		{ "Alice", "correct horse", -MG_ENOENT },
	};
	char a[CRYPT_OUTPUT_SIZE], b[CRYPT_OUTPUT_SIZE], text[512], err[512];
	struct mg_conf *c;

	hash_of(NULL, "correct horse", a, sizeof(a));
	hash_of("$6$", "s3cret", b, sizeof(b));
	check_str("default method", strncmp(a, "$y$", 3) == 0 ? "yescrypt" : a, "yescrypt");
	snprintf(text, sizeof(text), "alice:%s\nbob:%s\n", a, b);
	write_file("users", text);
	c = load("users = \"users\";\n", AUTH_LISTENER(""), err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = smtpd_auth_verify(c, cases[i].user, cases[i].pass);

		if (got != cases[i].want)
			fail_msg("%s/%s: got %d, want %d", cases[i].user, cases[i].pass, got,
			    cases[i].want);
	}
	conf_free(c);
}

static int
setup(void **state)
{
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	remove_tree(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_find),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_verify),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
