/* smtpd's SMTP AUTH backend (docs/smtp.md "Authentication"): the password
 * check against the users file loaded with the configuration, and the
 * session callback with guard's auth_failures_per_ip. */
#ifndef MG_DAEMON_SMTPD_AUTH_H
#define MG_DAEMON_SMTPD_AUTH_H

#include "core/conf.h"
#include "smtp/smtp_server.h"

/* 0 when pass matches user's crypt(3) hash in conf's users file;
 * -MG_ENOENT otherwise (unknown user, wrong password, unusable hash).
 * A hash is computed also for an unknown user, with the method of the
 * file's first entry, so that the time taken does not tell them apart. */
int	smtpd_auth_verify(const struct mg_conf *, const char *user, const char *pass);

/* smtp_server_cfg.auth_check of smtpd; the listener's auth_arg is the
 * struct smtpd. */
const char *smtpd_auth(struct smtp_session *, const char *user, const char *pass);

#endif
