/* smtpd's SMTP AUTH backend: crypt(3) hashes of the users file checked
 * with crypt_r (yescrypt, SHA-512, ... whatever libcrypt knows), compared
 * in constant time, and guard's auth_failures_per_ip around each check. */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "core/err.h"
#include "daemon/smtpd_auth.h"
#include "daemon/smtpd_int.h"

#define R_AUTH_FAILED	"535 5.7.8 Authentication credentials invalid"

/* The setting hashed with when the file is empty: the time of a hash. */
static const char no_user_hash[] = "$6$mailgatenouser$";

int
smtpd_auth_verify(const struct mg_conf *conf, const char *user, const char *pass)
{
	const struct conf_user *u = conf_user_find(conf, user);
	const char *hash = u != NULL ? u->hash : conf->nusers > 0 ? conf->users[0].hash :
	    no_user_hash;
	struct crypt_data *cd;
	const char *out;
	size_t len = strlen(hash);
	int rc = -MG_ENOENT;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -MG_ENOMEM;
	out = crypt_r(pass, hash, cd);
	if (u != NULL && out != NULL && out[0] != '*' && strlen(out) == len &&
	    CRYPTO_memcmp(out, hash, len) == 0)
		rc = 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* The reply is kept until the session engine has copied it: smtpd runs
 * one session callback at a time. */
const char *
smtpd_auth(struct smtp_session *smtp, const char *user, const char *pass)
{
	static char reply[GUARD_REPLY_MAX];
	const struct smtp_session_info *info = smtp_session_info(smtp);
	struct smtpd *d = smtp_session_auth_arg(smtp);
	const struct mg_conf *conf = d->cfg->conf;
	struct guard_client gc;
	enum guard_reason why;
	bool known = guard_client_init(&gc, &conf->guard, &info->peer.sa) == 0;

	if (known && (why = guard_auth(d->guard, &conf->guard, &gc, reply, sizeof(reply))) !=
	    GUARD_PASS) {
		smtpd_refused(d, info->id, why, gc.ip);
		return reply;
	}
	if (smtpd_auth_verify(conf, user, pass) == 0)
		return NULL;
	if (known)
		guard_auth_failed(d->guard, &conf->guard, &gc);
	return R_AUTH_FAILED;
}
