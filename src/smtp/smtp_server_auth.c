/* SMTP AUTH (RFC 4954) in the session engine: the PLAIN (RFC 4616) and
 * LOGIN exchanges over bounded lines, strict base64 of the responses, and
 * when AUTH may be given at all. The backend's auth_check checks the
 * credentials; passwords never reach a log and are wiped after use. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "smtp/smtp_server_int.h"

#define R_AUTH_OK	"235 2.7.0 Authentication successful"
#define R_AUTH_FAILED	"535 5.7.8 Authentication credentials invalid"
#define R_LOCAL		"454 4.7.0 Temporary authentication failure"
#define R_CANCELLED	"501 5.7.0 Authentication cancelled"
#define R_BAD_BASE64	"501 5.5.2 Cannot decode response"
#define R_BAD_PLAIN	"501 5.5.2 Malformed PLAIN response"
#define R_TOO_LONG	"500 5.5.6 Authentication exchange line is too long"
#define R_ENCRYPT	"538 5.7.11 Encryption required for requested authentication mechanism"
#define R_NO_MECH	"504 5.5.4 Unrecognized authentication type"
#define R_REQUIRED	"530 5.7.0 Authentication required"
#define PROMPT_USER	"334 VXNlcm5hbWU6"	/* "Username:" */
#define PROMPT_PASS	"334 UGFzc3dvcmQ6"	/* "Password:" */

/* A decoded PLAIN response: authzid NUL user NUL password. */
#define SASL_MAX	(2 * SMTP_AUTH_USER_MAX + SMTP_AUTH_PASS_MAX + 2)

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict base64 (RFC 4648 section 4, padded, no white space) into out:
 * the decoded length, -1 when malformed, -2 when longer than cap. */
static ssize_t
b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		int v[4];
		size_t pad = 0;

		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(in[i + k]);
			if (in[i + k] == '=' && last && k >= 2 && (k == 3 || in[i + 3] == '='))
				pad++, v[k] = 0;
			else if (v[k] < 0)
				return -1;
		}
		if (n + 3 - pad > cap)
			return -2;
		out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
	}
	return (ssize_t)n;
}

/* Decodes a response ("=" is the empty initial response); false after
 * refusing it. */
static bool
decode(struct smtp_session *s, const uint8_t *line, size_t len, bool initial,
    uint8_t *out, size_t cap, size_t *outlen)
{
	ssize_t n;

	if (initial && len == 1 && line[0] == '=')
		len = 0;
	if ((n = b64_decode(line, len, out, cap)) >= 0) {
		*outlen = (size_t)n;
		return true;
	}
	smtp__refuse(s, "auth", NULL, n == -2 ? R_TOO_LONG : R_BAD_BASE64, true);
	return false;
}

/* Asks the backend; user and pass are slices without NUL bytes. */
static void
credentials(struct smtp_session *s, const uint8_t *user, size_t ulen, const uint8_t *pass,
    size_t plen)
{
	struct mg_slice arg = { user, ulen };
	char name[SMTP_AUTH_USER_MAX + 1], secret[SMTP_AUTH_PASS_MAX + 1], shown[128];
	const char *why;

	smtp_printable(arg, shown, sizeof(shown));
	if (ulen == 0 || ulen > SMTP_AUTH_USER_MAX || plen > SMTP_AUTH_PASS_MAX ||
	    memchr(user, '\0', ulen) != NULL || memchr(pass, '\0', plen) != NULL) {
		log_info("%016" PRIx64 " smtp auth user=%s result=failed", s->info.id, shown);
		smtp__refuse(s, "auth", &arg, R_AUTH_FAILED, true);
		return;
	}
	memcpy(name, user, ulen);
	name[ulen] = '\0';
	memcpy(secret, pass, plen);
	secret[plen] = '\0';
	why = s->cfg->auth_check(s, name, secret);
	explicit_bzero(secret, sizeof(secret));
	log_info("%016" PRIx64 " smtp auth user=%s result=%s", s->info.id, shown,
	    why == NULL ? "ok" : "failed");
	if (why == NULL) {
		if ((s->user = strdup(name)) == NULL) {
			smtp__refuse(s, "auth", &arg, R_LOCAL, true);
			return;
		}
		s->info.user = s->user;
		smtp__reply(s, R_AUTH_OK);
	} else if (strncmp(why, "421", 3) == 0) {
		smtp__close(s, why);
	} else {
		smtp__refuse(s, "auth", &arg, why, true);
	}
}

/* RFC 4616: [authzid] NUL authcid NUL passwd; an authzid other than the
 * user is refused (no proxy authorisation). */
static void
plain(struct smtp_session *s, const uint8_t *line, size_t len, bool initial)
{
	uint8_t buf[SASL_MAX];
	const uint8_t *user, *pass, *nul;
	size_t n, zlen;

	if (!decode(s, line, len, initial, buf, sizeof(buf), &n))
		return;
	if ((nul = memchr(buf, '\0', n)) == NULL ||
	    (pass = memchr(nul + 1, '\0', n - (size_t)(nul + 1 - buf))) == NULL) {
		explicit_bzero(buf, sizeof(buf));
		smtp__refuse(s, "auth", NULL, R_BAD_PLAIN, true);
		return;
	}
	zlen = (size_t)(nul - buf);
	user = nul + 1;
	pass++;
	if (zlen > 0 && (zlen != (size_t)(pass - 1 - user) || memcmp(buf, user, zlen) != 0)) {
		struct mg_slice arg = { user, (size_t)(pass - 1 - user) };
		char shown[128];

		smtp_printable(arg, shown, sizeof(shown));
		log_info("%016" PRIx64 " smtp auth user=%s result=failed", s->info.id, shown);
		smtp__refuse(s, "auth", &arg, R_AUTH_FAILED, true);
		explicit_bzero(buf, sizeof(buf));
		return;
	}
	credentials(s, user, (size_t)(pass - 1 - user), pass, n - (size_t)(pass - buf));
	explicit_bzero(buf, sizeof(buf));
}

/* Wipes and drops LOGIN's user name. */
static void
login_forget(struct smtp_session *s)
{
	if (s->auth_login != NULL) {
		explicit_bzero(s->auth_login, s->auth_login_len);
		free(s->auth_login);
	}
	s->auth_login = NULL;
	s->auth_login_len = 0;
}

static void
login_user(struct smtp_session *s, const uint8_t *line, size_t len, bool initial)
{
	uint8_t buf[SMTP_AUTH_USER_MAX + 1];
	size_t n;

	if (!decode(s, line, len, initial, buf, sizeof(buf) - 1, &n))
		return;
	if ((s->auth_login = malloc(n > 0 ? n : 1)) == NULL) {
		smtp__refuse(s, "auth", NULL, R_LOCAL, true);
		return;
	}
	memcpy(s->auth_login, buf, n);
	s->auth_login_len = n;
	s->auth_step = SMTP_AUTH_LOGIN_PASS;
	smtp__reply(s, PROMPT_PASS);
}

static void
login_pass(struct smtp_session *s, const uint8_t *line, size_t len)
{
	uint8_t buf[SMTP_AUTH_PASS_MAX + 1];
	size_t n;

	if (decode(s, line, len, false, buf, sizeof(buf), &n))
		credentials(s, s->auth_login, s->auth_login_len, buf, n);
	explicit_bzero(buf, sizeof(buf));
	login_forget(s);
}

void *
smtp_session_auth_arg(const struct smtp_session *s)
{
	return s->cfg->auth_arg;
}

const char *
smtp__auth_ehlo(const struct smtp_session *s)
{
	if (s->cfg->auth == SMTP_AUTH_OFF || s->cfg->auth_check == NULL ||
	    (s->info.tls == NULL && !s->cfg->auth_plaintext))
		return "";
	return "250-AUTH PLAIN LOGIN\r\n";
}

const char *
smtp__auth_mail_refusal(const struct smtp_session *s)
{
	if (s->cfg->auth == SMTP_AUTH_REQUIRED && s->cfg->auth_check != NULL &&
	    s->info.user == NULL)
		return R_REQUIRED;
	return NULL;
}

void
smtp__auth_forget(struct smtp_session *s)
{
	s->auth_step = SMTP_AUTH_IDLE;
	s->info.user = NULL;
	free(s->user);
	s->user = NULL;
	login_forget(s);
}

/* Why AUTH cannot start now, or NULL. */
static const char *
auth_refusal(const struct smtp_session *s)
{
	if (s->cfg->auth == SMTP_AUTH_OFF || s->cfg->auth_check == NULL)
		return "502 5.5.1 AUTH not available";
	if (s->info.helo == NULL || !s->info.esmtp)
		return "503 5.5.1 Error: send EHLO first";
	if (s->info.user != NULL)
		return "503 5.5.1 Error: already authenticated";
	if (s->tx != NULL)
		return "503 5.5.1 Error: AUTH not permitted during a mail transaction";
	if (s->info.tls == NULL && !s->cfg->auth_plaintext)
		return R_ENCRYPT;
	return NULL;
}

/* AUTH mechanism [initial-response] */
void
smtp__auth(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const uint8_t *p = cmd->arg.ptr, *sp = memchr(p, ' ', cmd->arg.len);
	size_t mlen = sp != NULL ? (size_t)(sp - p) : cmd->arg.len;
	struct mg_slice mech = { p, mlen };
	const uint8_t *ir = sp != NULL ? sp + 1 : NULL;
	size_t irlen = sp != NULL ? cmd->arg.len - mlen - 1 : 0;
	const char *why;

	if ((why = auth_refusal(s)) != NULL) {
		smtp__refuse(s, "auth", NULL, why, true);
	} else if (mg_slice_eq_nocase(mech, "PLAIN")) {
		if (ir != NULL) {
			plain(s, ir, irlen, true);
		} else {
			s->auth_step = SMTP_AUTH_PLAIN_WAIT;
			smtp__reply(s, "334 ");
		}
	} else if (mg_slice_eq_nocase(mech, "LOGIN")) {
		if (ir != NULL) {
			login_user(s, ir, irlen, true);
		} else {
			s->auth_step = SMTP_AUTH_LOGIN_USER;
			smtp__reply(s, PROMPT_USER);
		}
	} else {
		smtp__refuse(s, "auth", &mech, R_NO_MECH, true);
	}
}

void
smtp__auth_line(struct smtp_session *s, const uint8_t *line, size_t len)
{
	enum smtp_auth_step step = s->auth_step;

	s->auth_step = SMTP_AUTH_IDLE;
	if (len == 1 && line[0] == '*') {
		login_forget(s);
		smtp__refuse(s, "auth", NULL, R_CANCELLED, true);
		return;
	}
	switch (step) {
	case SMTP_AUTH_PLAIN_WAIT:
		plain(s, line, len, false);
		break;
	case SMTP_AUTH_LOGIN_USER:
		login_user(s, line, len, false);
		break;
	case SMTP_AUTH_LOGIN_PASS:
		login_pass(s, line, len);
		break;
	default:
		break;
	}
}
