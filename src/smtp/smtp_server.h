/* The SMTP server session engine (RFC 5321 with PIPELINING, SIZE, 8BITMIME,
 * SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN, STARTTLS) over a libevent
 * bufferevent. It owns the protocol: command reading, replies, the state
 * machine, limits, timeouts, TLS, DATA/BDAT streaming through smtp_data. A
 * backend (smtpd's spool, the sink's Maildir) decides through a table of
 * callbacks what a recipient is worth and where message content goes. */
#ifndef MG_SMTP_SERVER_H
#define MG_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "core/conf.h"
#include "smtp/smtp_parse.h"

struct smtp_session;

/* What a session runs with. Borrowed: the backend keeps it (and what it
 * points to) alive until the session's on_close. */
#define SMTP_IDLE_KINDS	4	/* commands that move no mail: RSET, NOOP, HELP, VRFY */

/* SMTP AUTH (RFC 4954) on a listener: PLAIN and LOGIN, with cfg->auth_check. */
enum smtp_auth_mode {
	SMTP_AUTH_OFF,
	SMTP_AUTH_ON,		/* offered, optional */
	SMTP_AUTH_REQUIRED,	/* MAIL refused before AUTH */
};
#define SMTP_AUTH_USER_MAX	255	/* bytes of a user name */
#define SMTP_AUTH_PASS_MAX	255	/* bytes of a password */

struct smtp_server_cfg {
	const char	*hostname;	/* banner, EHLO, 421 replies */
	const char	*name;		/* listener, for logs */
	const struct conf_limits *limits;
	SSL_CTX		*tls;		/* STARTTLS offered when non-NULL */
	bool		 tls_required;	/* MAIL refused before STARTTLS */
	bool		 strict_pipelining;	/* pipelining without PIPELINING: 554, close */
	uint32_t	 max_idle_commands;	/* RSET+NOOP+HELP+VRFY; 0 = no limit */
	const uint32_t	*max_each;	/* SMTP_IDLE_KINDS: RSET, NOOP, HELP, VRFY each;
					 * NULL or 0 = no limit */
	enum smtp_auth_mode auth;	/* SMTP_AUTH_OFF without auth_check */
	bool		 auth_plaintext;	/* AUTH allowed before STARTTLS */
	/* The backend's check of AUTH's credentials (NUL-terminated, at most
	 * SMTP_AUTH_*_MAX bytes; the password is wiped after the call): NULL
	 * accepts with 235; a 535 refusal counts as an error; a 421 closes
	 * the session. The reply must stay valid until it returns. */
	const char	*(*auth_check)(struct smtp_session *, const char *user,
			    const char *pass);
	void		*auth_arg;	/* the backend's, for auth_check */
};

/* A rule of conduct the client broke; the session closes after its reply. */
enum smtp_abuse {
	SMTP_ABUSE_PREGREET,		/* talked before the banner */
	SMTP_ABUSE_PIPELINING,		/* strict_pipelining */
	SMTP_ABUSE_IDLE,		/* max_idle_commands */
};

/* What the backend may read about a session (never write). */
struct smtp_session_info {
	uint64_t	 id;		/* 16 hex digits in logs */
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	} peer;
	char		 ip[INET6_ADDRSTRLEN];
	uint16_t	 port;
	char		*helo;		/* HELO/EHLO argument, NULL before it */
	bool		 esmtp;		/* EHLO rather than HELO */
	char		*tls;		/* "TLSv1.3 TLS_AES_256_GCM_SHA384" or NULL */
	const char	*user;		/* authenticated with AUTH, or NULL */
};

/* A backend. A reply is one line without CRLF, a 4xx/5xx code and an
 * enhanced status ("550 5.7.1 Relaying denied"); it must stay valid until
 * the callback returns. NULL accepts with the engine's 2xx reply. The
 * parsed command and its slices live only during the call. */
struct smtp_server_ops {
	/* MAIL passed the engine's checks; a transaction starts on NULL. */
	const char *(*on_mail)(struct smtp_session *, const struct smtp_cmd *);
	/* RCPT passed the engine's checks (transaction, limits). May return
	 * smtp_reply_later: the backend then answers with smtp_session_reply()
	 * (a 2xx accepts the recipient) and nothing is read meanwhile. */
	const char *(*on_rcpt)(struct smtp_session *, const struct smtp_cmd *);
	/* DATA or the first BDAT with at least one recipient accepted. */
	const char *(*on_data_begin)(struct smtp_session *);
	/* Message content after dot-unstuffing and normalisation, in chunks
	 * of up to 64 KiB; 0 or a negative error (the message then gets a
	 * 451 after its end and on_reset). */
	int	(*on_data_chunk)(struct smtp_session *, const uint8_t *, size_t);
	/* The content is complete and acceptable (size within limits, no bare
	 * CR); flags are SMTP_DATA_* (8BIT, HAS_MSGID, ...). The backend must
	 * answer exactly once with smtp_session_reply(), now or later; the
	 * session reads nothing meanwhile and stays alive until then. The
	 * transaction is over with that reply (no on_reset follows). */
	void	(*on_data_end)(struct smtp_session *, uint64_t size, unsigned flags);
	/* The transaction ended without on_data_end: RSET, HELO/EHLO, a
	 * refused message, STARTTLS or the end of the session. */
	void	(*on_reset)(struct smtp_session *);
	/* The session is gone; the pointer is invalid after this returns. */
	void	(*on_close)(struct smtp_session *);
	/* Optional (NULL: none). Milliseconds the banner waits; a client that
	 * talks meanwhile gets 554 and is closed. */
	uint32_t (*greet_delay)(struct smtp_session *);
	/* Optional. Milliseconds the n-th error reply (4xx/5xx, n from 1)
	 * waits before it is written; nothing else is read meanwhile. */
	uint32_t (*error_delay)(struct smtp_session *, uint32_t n);
	/* Optional. The client broke a rule; called before its reply. */
	void	(*on_abuse)(struct smtp_session *, enum smtp_abuse);
};

/* Starts a session on an accepted, non-blocking socket (taken over, also
 * on failure) and sends the banner. NULL when out of memory. */
struct smtp_session *smtp_session_new(struct event_base *, evutil_socket_t fd,
	    const struct sockaddr *, socklen_t, const struct smtp_server_cfg *,
	    const struct smtp_server_ops *, void *udata);

void	*smtp_session_udata(const struct smtp_session *);
const struct smtp_session_info *smtp_session_info(const struct smtp_session *);

/* The listener's cfg->auth_arg (smtp_server_auth.c). */
void	*smtp_session_auth_arg(const struct smtp_session *);

/* on_rcpt's "the answer comes later" (a recipient looked up elsewhere). */
extern const char smtp_reply_later[];

/* The backend's answer to on_data_end, or to an on_rcpt that returned
 * smtp_reply_later: one reply line without CRLF. The session may be freed
 * (on_close) before this returns. */
void	 smtp_session_reply(struct smtp_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Shutting down: an idle session is closed now with 421; one inside a
 * transaction may finish it, then gets 421. */
void	 smtp_session_drain(struct smtp_session *);
/* Sends reply (a string constant such as a 421 line, or NULL for none)
 * and closes once it is written; a session waiting for its backend's
 * answer closes after that answer. */
void	 smtp_session_close(struct smtp_session *, const char *reply);

/* Copies untrusted text for logs and headers: printable ASCII except '"'
 * and '\\' (each other byte becomes '?'), truncated to outlen - 1. */
void	 smtp_printable(struct mg_slice in, char *out, size_t outlen);

#endif
