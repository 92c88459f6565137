/* The SMTP delivery client: one connection to a next hop (trying its
 * addresses in order), EHLO/HELO, STARTTLS by policy, AUTH PLAIN, then any
 * number of transactions (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN,
 * CHUNKING), each with a result per recipient. The message body streams
 * from the spool file as the socket drains. libevent bufferevents. */
#ifndef MG_SMTP_CLIENT_H
#define MG_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <openssl/ssl.h>

#include "core/conf.h"
#include "spool/envelope.h"

struct event_base;
struct smtp_client;

#define SMTP_PEER_NAME_MAX	255

/* One address to try, with the host name it came from (for logs, SNI
 * and certificate name checks). */
struct smtp_peer {
	char		 name[SMTP_PEER_NAME_MAX + 1];
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
};

struct smtp_client_params {
	const char	*helo;		/* our name */
	enum conf_tls_policy tls;
	SSL_CTX		*tls_ctx;	/* verifying context for CONF_TLS_VERIFY */
	const char	*auth_user;	/* AUTH PLAIN when not NULL */
	const char	*auth_password;
	uint32_t	 connect_timeout;	/* seconds */
	uint32_t	 reply_timeout;		/* seconds, each reply */
};

/* What became of a recipient (or a whole transaction). */
enum smtp_outcome {
	SMTP_OUT_OK,		/* accepted by the next hop */
	SMTP_OUT_TEMP,		/* 4xx or a connection problem: retry later */
	SMTP_OUT_PERM,		/* 5xx: give up, bounce */
};

struct smtp_tx_rcpt {
	const char	*addr;		/* borrowed */
	const char	*orcpt;		/* decoded "type;addr", or NULL */
	unsigned	 notify;	/* SMTP_NOTIFY_* */
	/* results */
	enum smtp_outcome outcome;
	char		*reply;		/* "550 5.1.1 unknown user" (owned), or NULL */
	bool		 remote;	/* reply came from the server (else ours) */
};

/* One transaction. The caller owns everything and keeps it alive until
 * the done callback; data_fd is read with pread and never closed here.
 * A probe (recipient verification) sends MAIL and the RCPTs, then RSET
 * instead of DATA: every recipient gets the reply to its RCPT (2xx
 * included), and the headers and data are not used. */
struct smtp_tx {
	bool		 probe;
	const char	*mail_from;	/* "" = null reverse path */
	const char	*envid;		/* DSN ENVID (decoded), or NULL */
	enum env_ret	 ret;
	bool		 eightbit;
	bool		 smtputf8;
	const char	*headers;	/* CRLF-terminated fields sent before the data */
	size_t		 headers_len;
	int		 data_fd;
	uint64_t	 data_len;
	struct smtp_tx_rcpt *rcpts;
	size_t		 nrcpts;
	/* results */
	bool		 eightbit_unannounced;	/* 8-bit body to a server without 8BITMIME */
	bool		 mail_refused;	/* MAIL got no 2xx: the recipients have its reply */
};

/* Callbacks; the client never calls one from inside a call made to it.
 *  ready:  the session is established, or a transaction ended and the
 *          connection is reusable: call smtp_client_send or
 *          smtp_client_quit, now or later.
 *  done:   a transaction ended; tx holds a result for every recipient.
 *          Record them only: ready or closed follows.
 *  closed: the connection is gone; err is 0 after QUIT or an idle close by
 *          the server, else -MG_EAGAIN with why saying what failed (e.g.
 *          "TLS required but not offered by mx.example.com"). The client
 *          frees itself when closed returns. */
struct smtp_client_cbs {
	void	(*ready)(struct smtp_client *, void *arg);
	void	(*done)(struct smtp_client *, struct smtp_tx *, void *arg);
	void	(*closed)(struct smtp_client *, int err, const char *why, void *arg);
};

/* Starts connecting to peers[0], falling over to the next peer when one
 * cannot be used. The peers and params are copied (the strings too).
 * NULL (and no callback will run) when out of memory, or when the policy
 * requires TLS and no tls_ctx is given. */
struct smtp_client *smtp_client_new(struct event_base *, const struct smtp_client_params *,
		    const struct smtp_peer *peers, size_t npeers,
		    const struct smtp_client_cbs *, void *arg);
/* Starts a transaction on a ready client; 0, or -MG_EINVAL when the client
 * is not ready (no callback will run for tx). */
int	smtp_client_send(struct smtp_client *, struct smtp_tx *);
/* QUIT on a ready client, then closed(0). */
void	smtp_client_quit(struct smtp_client *);
/* Tears down at once, without any callback (shutdown). */
void	smtp_client_abort(struct smtp_client *);

/* "mx.example.com[192.0.2.1]:25" of the current peer. */
const char *smtp_client_relay(const struct smtp_client *);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" or "none". */
const char *smtp_client_tls(const struct smtp_client *);

/* Frees the recipients' reply strings (keeps the rest of tx). */
void	smtp_tx_clear_results(struct smtp_tx *);
/* Gives every recipient of tx without a reply yet this local outcome
 * and reply text. */
void	smtp_tx_fail(struct smtp_tx *, enum smtp_outcome, const char *reply);

/* The outcome of a reply code: 2xx OK, 5xx PERM, anything else TEMP. */
enum smtp_outcome smtp_outcome_of(int code);

/* Dot-stuffing for DATA (RFC 5321 4.5.2): copies n bytes of in to out
 * (room for 2 * n bytes) doubling a '.' at the start of each line;
 * *bol says whether in starts a line and is updated. Returns the bytes
 * written. */
size_t	smtp_dot_stuff(const uint8_t *in, size_t n, bool *bol, uint8_t *out);

/* RFC 3461 xtext encoding of s (for ENVID and ORCPT) into out; 0 or
 * -MG_ELIMIT when it does not fit in outlen (NUL included). */
int	smtp_xtext_encode(const char *s, char *out, size_t outlen);

#endif
