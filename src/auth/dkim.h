/* DKIM (RFC 6376): verification of every signature of a message, with
 * rsa-sha256, rsa-sha1 (reported as weak) and ed25519-sha256 (RFC 8463),
 * simple and relaxed canonicalisation, keys fetched through the program's
 * resolver; and signing of outbound mail with configured keys. */
#ifndef MG_AUTH_DKIM_H
#define MG_AUTH_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"
#include "mime/mime.h"
#include "net/dns_sync.h"

enum dkim_status {
	DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL, DKIM_TEMPERROR, DKIM_PERMERROR, DKIM_POLICY,
};

#define DKIM_MAX_SIGNATURES	16	/* verified per message; later ones are ignored */

struct dkim_result {
	enum dkim_status status;
	const char	*domain;	/* d=, lower case (arena) */
	const char	*selector;	/* s= */
	const char	*algorithm;	/* "rsa-sha256", ... */
	const char	*identity;	/* i=, or NULL */
	const char	*header_b;	/* first 8 characters of b=, for header.b */
	const char	*reason;	/* why not pass, short, or NULL */
	bool		 weak;		/* rsa-sha1 or a key under 1024 bits */
	bool		 partial;	/* l= left part of the body unsigned */
	bool		 testing;	/* the key record says t=y */
	unsigned	 key_bits;	/* size of the key used, 0 if none */
};

/* Verifies the DKIM-Signature fields of m (raw is the whole message as
 * received, m parsed from it or NULL); key lookups in one parallel batch
 * until deadline (task_now() clock); dns NULL (network checks off) makes
 * signatures that need a key DKIM_NEUTRAL "no DNS". *out (arena) gets one
 * result per signature in header order (the first DKIM_MAX_SIGNATURES).
 * rsa-sha1 passes with weak set; keys under 1024 bits are a permerror
 * (RFC 8301) with weak set. 0 or -MG_ENOMEM; everything else is a result
 * status. */
int	dkim_verify(const struct mime_msg *m, const uint8_t *raw, size_t len,
	    const struct dns_resolver *, uint64_t deadline, struct mg_arena *,
	    struct dkim_result **out, size_t *n);

const char *dkim_status_name(enum dkim_status);	/* "pass", ... (RFC 8601) */
/* Whether s is a domain or selector as DKIM writes them: dot-separated
 * labels of letters, digits, '-' and '_', at most 253 bytes. */
bool	dkim_name_valid(const char *s);

/* The signer: keys of engine.dkim.sign loaded once. NULL with a reason. */
struct dkim_signer *dkim_signer_open(const struct conf_dkim *, char *err, size_t errlen);
struct dkim_signer *dkim_signer_close(struct dkim_signer *);
/* Appends a "DKIM-Signature: ..." field (CRLF-terminated) for msg (the
 * final message, CRLF line ends) to out when a key exists for domain (the
 * header From's domain; a key of a parent domain serves its subdomains).
 * Thread-safe. 0, -MG_ENOENT when there is no key for domain, -MG_EPROTO
 * (no header section), -MG_ENOMEM. */
int	dkim_sign(const struct dkim_signer *, const char *domain, const uint8_t *msg,
	    size_t len, struct mg_buf *out);

#endif
