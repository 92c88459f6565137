/* mailgate passwd USER: reads a password from stdin (without echo on a
 * terminal, asked twice) and prints "USER:HASH", a line of the users file
 * of SMTP AUTH, hashed with libcrypt's preferred method (yescrypt). */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/commands.h"
#include "smtp/smtp_server.h"

static int
passwd_usage(void)
{
	fprintf(stderr, "usage: mailgate passwd USER < password\n");
	return 2;
}

/* A user name the users file and AUTH accept. */
static bool
passwd_user_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > SMTP_AUTH_USER_MAX)
		return false;
	for (; *u != '\0'; u++)
		if ((unsigned char)*u <= 0x20 || *u == 0x7f || *u == ':')
			return false;
	return true;
}

/* One line of stdin without its newline, echo off on a terminal; -1 on
 * end of input, -2 when longer than SMTP_AUTH_PASS_MAX. */
static int
passwd_read(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *r;

	if (tty) {
		fputs(prompt, stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	r = fgets(buf, (int)cap, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r == NULL)
		return -1;
	if (strchr(buf, '\n') == NULL && !feof(stdin))
		return -2;
	buf[strcspn(buf, "\r\n")] = '\0';
	return strlen(buf) > SMTP_AUTH_PASS_MAX ? -2 : 0;
}

/* The hash of pass with a fresh salt of libcrypt's default method. */
static int
passwd_hash(const char *pass, char *out, size_t cap)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn(NULL, 0, NULL, 0, setting, sizeof(setting)) == NULL ||
	    (cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(pass, setting, cd);
	if (h != NULL && h[0] == '$' && strlen(h) < cap) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
cmd_passwd(int argc, char **argv)
{
	char pass[SMTP_AUTH_PASS_MAX + 2], again[SMTP_AUTH_PASS_MAX + 2];
	char hash[CRYPT_OUTPUT_SIZE];
	int rc;

	if (argc != 2)
		return passwd_usage();
	if (!passwd_user_ok(argv[1])) {
		fprintf(stderr, "mailgate passwd: bad user name (1 to %d bytes, no ':', "
		    "white space or control characters)\n", SMTP_AUTH_USER_MAX);
		return 2;
	}
	rc = passwd_read("Password: ", pass, sizeof(pass));
	if (rc == 0 && isatty(STDIN_FILENO) &&
	    (passwd_read("Again: ", again, sizeof(again)) != 0 || strcmp(pass, again) != 0))
		rc = -3;
	explicit_bzero(again, sizeof(again));
	if (rc == 0 && pass[0] == '\0')
		rc = -1;
	if (rc == 0 && passwd_hash(pass, hash, sizeof(hash)) < 0)
		rc = -4;
	explicit_bzero(pass, sizeof(pass));
	switch (rc) {
	case 0:
		printf("%s:%s\n", argv[1], hash);
		return 0;
	case -2:
		fprintf(stderr, "mailgate passwd: password longer than %d bytes\n",
		    SMTP_AUTH_PASS_MAX);
		return 1;
	case -3:
		fprintf(stderr, "mailgate passwd: the passwords differ\n");
		return 1;
	case -4:
		fprintf(stderr, "mailgate passwd: cannot hash the password\n");
		return 1;
	default:
		fprintf(stderr, "mailgate passwd: no password given\n");
		return 1;
	}
}
