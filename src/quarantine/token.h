/* Signed links of the quarantine's digests and portal (docs/portal.md):
 * a token names an action, the user it was made for, a quarantined
 * message id (0 when none), when it expires and a random nonce, and is
 * signed with HMAC-SHA256 under the portal's secret key. Text form:
 * "<base64url(payload)>.<base64url(mac)>", safe in a URL. Single use is
 * the caller's business (store_token_use with the nonce). */
#ifndef MG_QUARANTINE_TOKEN_H
#define MG_QUARANTINE_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define QTOKEN_KEY_LEN		32
#define QTOKEN_USER_MAX		320	/* bytes of an address with the NUL */
#define QTOKEN_NONCE_HEX	33	/* 16 random bytes in hex, with the NUL */
#define QTOKEN_TEXT_MAX		1024	/* bytes of a token's text with the NUL */

enum qtoken_action {
	QTOKEN_LOGIN,		/* opens a portal session for user */
	QTOKEN_RELEASE,		/* releases message id to user */
	QTOKEN_ALLOW,		/* releases id and allow-lists its sender for user */
};

struct qtoken {
	enum qtoken_action action;
	char		 user[QTOKEN_USER_MAX];	/* lower case */
	uint64_t	 id;
	time_t		 expires;
	char		 nonce[QTOKEN_NONCE_HEX];
};

/* Reads the key file (QTOKEN_KEY_LEN raw bytes), creating it with random
 * bytes (mode 0600) when it does not exist. 0, -MG_EIO or -MG_EPROTO
 * (wrong size). */
int	qtoken_key_load(const char *path, uint8_t key[QTOKEN_KEY_LEN]);

/* Fills t->nonce with fresh random bytes, then writes the signed text
 * into out. 0, -MG_ELIMIT (does not fit) or -MG_EINVAL (bad user). */
int	qtoken_sign(const uint8_t key[QTOKEN_KEY_LEN], struct qtoken *t, char *out,
	    size_t outlen);

/* Checks text's signature (in constant time) and expiry at now and fills
 * out. -MG_EPROTO (malformed or forged), -MG_ETIMEOUT (expired). */
int	qtoken_verify(const uint8_t key[QTOKEN_KEY_LEN], const char *text, time_t now,
	    struct qtoken *out);

const char *qtoken_action_name(enum qtoken_action);

#endif
