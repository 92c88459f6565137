/* Signed links of the digests and portal (token.h): a binary payload
 * (version, action, id, expiry, nonce, user) signed with HMAC-SHA256,
 * both halves in base64url without padding. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/err.h"
#include "core/file.h"
#include "core/log.h"
#include "quarantine/token.h"

#define TOK_VERSION	1
#define TOK_NONCE_LEN	16
#define TOK_FIXED	(2 + 8 + 8 + TOK_NONCE_LEN)	/* before the user */
#define TOK_PAYLOAD_MAX	(TOK_FIXED + QTOKEN_USER_MAX - 1)
#define TOK_MAC_LEN	32

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *
qtoken_action_name(enum qtoken_action a)
{
	switch (a) {
	case QTOKEN_LOGIN:	return "login";
	case QTOKEN_RELEASE:	return "release";
	case QTOKEN_ALLOW:	return "allow";
	}
	return "unknown";
}

static int
key_create(const char *path, uint8_t key[QTOKEN_KEY_LEN])
{
	int fd, rc;

	if (RAND_bytes(key, QTOKEN_KEY_LEN) != 1)
		return -MG_EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno == EEXIST ? -MG_EAGAIN : -MG_EIO;
	rc = mg_write_all(fd, key, QTOKEN_KEY_LEN);
	if (rc == 0 && fsync(fd) == -1)
		rc = -MG_EIO;
	if (close(fd) == -1 && rc == 0)
		rc = -MG_EIO;
	if (rc != 0)
		unlink(path);
	return rc;
}

static int
key_read(int fd, uint8_t key[QTOKEN_KEY_LEN])
{
	uint8_t buf[QTOKEN_KEY_LEN + 1];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -MG_EIO;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != QTOKEN_KEY_LEN)
		return -MG_EPROTO;
	memcpy(key, buf, QTOKEN_KEY_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
qtoken_key_load(const char *path, uint8_t key[QTOKEN_KEY_LEN])
{
	int fd, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd != -1) {
			rc = key_read(fd, key);
			close(fd);
			if (rc == -MG_EPROTO)
				log_warn("portal key file=%s reason=size", path);
			return rc;
		}
		if (errno != ENOENT)
			return -MG_EIO;
		rc = key_create(path, key);
		if (rc != -MG_EAGAIN) {	/* -MG_EAGAIN: created meanwhile */
			if (rc == 0)
				log_info("portal key created file=%s", path);
			return rc;
		}
	}
	return -MG_EIO;
}

static size_t
b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	return o;
}

static int
b64url_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64url, c)) == NULL)
		return -1;
	return (int)(p - b64url);
}

/* Strict decoder: no padding, no stray bits; -1 on any fault. */
static ssize_t
b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value(in[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (ssize_t)o;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool
user_ok(const uint8_t *u, size_t len)
{
	if (len == 0 || len >= QTOKEN_USER_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (u[i] <= ' ' || u[i] == 0x7f || isupper(u[i]))
			return false;
	return true;
}

static void
mac(const uint8_t key[QTOKEN_KEY_LEN], const uint8_t *p, size_t len,
    uint8_t out[TOK_MAC_LEN])
{
	unsigned int n = TOK_MAC_LEN;

	MG_BUG_ON(HMAC(EVP_sha256(), key, QTOKEN_KEY_LEN, p, len, out, &n) == NULL ||
	    n != TOK_MAC_LEN);
}

static void
hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
qtoken_sign(const uint8_t key[QTOKEN_KEY_LEN], struct qtoken *t, char *out,
    size_t outlen)
{
	uint8_t p[TOK_PAYLOAD_MAX], m[TOK_MAC_LEN];
	size_t ulen, plen, need, o;

	ulen = strnlen(t->user, QTOKEN_USER_MAX);
	for (size_t i = 0; i < ulen; i++)
		t->user[i] = (char)tolower((unsigned char)t->user[i]);
	if (!user_ok((const uint8_t *)t->user, ulen) || (unsigned)t->action > QTOKEN_ALLOW)
		return -MG_EINVAL;
	plen = TOK_FIXED + ulen;
	need = (plen * 4 + 2) / 3 + 1 + (TOK_MAC_LEN * 4 + 2) / 3 + 1;
	if (need > outlen)
		return -MG_ELIMIT;
	p[0] = TOK_VERSION;
	p[1] = (uint8_t)t->action;
	put64(p + 2, t->id);
	put64(p + 10, (uint64_t)(int64_t)t->expires);
	if (RAND_bytes(p + 18, TOK_NONCE_LEN) != 1)
		return -MG_EIO;
	hex(p + 18, TOK_NONCE_LEN, t->nonce);
	memcpy(p + TOK_FIXED, t->user, ulen);
	mac(key, p, plen, m);
	o = b64url_encode(p, plen, out);
	out[o++] = '.';
	o += b64url_encode(m, TOK_MAC_LEN, out + o);
	out[o] = '\0';
	return 0;
}

int
qtoken_verify(const uint8_t key[QTOKEN_KEY_LEN], const char *text, time_t now,
    struct qtoken *out)
{
	uint8_t p[TOK_PAYLOAD_MAX + 1], m[TOK_MAC_LEN + 1], want[TOK_MAC_LEN];
	const char *dot;
	size_t len;
	ssize_t plen, mlen;

	len = strnlen(text, QTOKEN_TEXT_MAX);
	if (len == QTOKEN_TEXT_MAX || (dot = memchr(text, '.', len)) == NULL)
		return -MG_EPROTO;
	plen = b64url_decode(text, (size_t)(dot - text), p, sizeof(p));
	mlen = b64url_decode(dot + 1, len - (size_t)(dot + 1 - text), m, sizeof(m));
	if (plen < 0 || mlen != TOK_MAC_LEN || (size_t)plen > TOK_PAYLOAD_MAX)
		return -MG_EPROTO;
	mac(key, p, (size_t)plen, want);
	if (CRYPTO_memcmp(want, m, TOK_MAC_LEN) != 0)
		return -MG_EPROTO;
	/* Authentic from here on, yet checked as if it were not. */
	if ((size_t)plen <= TOK_FIXED || p[0] != TOK_VERSION || p[1] > QTOKEN_ALLOW ||
	    !user_ok(p + TOK_FIXED, (size_t)plen - TOK_FIXED))
		return -MG_EPROTO;
	memset(out, 0, sizeof(*out));
	out->action = (enum qtoken_action)p[1];
	out->id = get64(p + 2);
	out->expires = (time_t)(int64_t)get64(p + 10);
	hex(p + 18, TOK_NONCE_LEN, out->nonce);
	memcpy(out->user, p + TOK_FIXED, (size_t)plen - TOK_FIXED);
	if (out->expires <= now)
		return -MG_ETIMEOUT;
	return 0;
}
