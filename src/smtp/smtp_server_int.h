/* Internals of the SMTP server session engine shared by smtp_server.c
 * (life cycle, I/O, TLS), smtp_server_cmd.c (commands) and
 * smtp_server_data.c (DATA/BDAT content). Not for backends. */
#ifndef MG_SMTP_SERVER_INT_H
#define MG_SMTP_SERVER_INT_H

#include <event2/bufferevent.h>

#include "smtp/smtp_data.h"
#include "smtp/smtp_server.h"

enum smtp_phase {
	SMTP_PH_CMD,		/* reading command lines */
	SMTP_PH_DATA,		/* DATA content up to <CRLF>.<CRLF> */
	SMTP_PH_BDAT,		/* the bytes of one BDAT chunk */
	SMTP_PH_BACKEND,	/* on_data_end called (or on_rcpt answers later),
				 * its reply not yet given */
	SMTP_PH_TLS_WAIT,	/* "220 Ready to start TLS" being written */
	SMTP_PH_TLS,		/* TLS handshake */
	SMTP_PH_CLOSING,	/* last reply being written, then free */
};

/* An AUTH exchange in progress (smtp_server_auth.c). */
enum smtp_auth_step {
	SMTP_AUTH_IDLE,		/* no exchange: lines are commands */
	SMTP_AUTH_PLAIN_WAIT,	/* "334 " sent: the PLAIN response comes */
	SMTP_AUTH_LOGIN_USER,	/* "334 VXNlcm5hbWU6" sent */
	SMTP_AUTH_LOGIN_PASS,	/* "334 UGFzc3dvcmQ6" sent */
};

/* A mail transaction, from an accepted MAIL to its end. */
struct smtp_tx {
	struct smtp_data data;		/* content filter state */
	struct mg_buf	 stage;		/* filtered content not yet handed over */
	uint32_t	 nrcpt;		/* accepted recipients */
	uint32_t	 nrcpt_refused;
	bool		 smtputf8;
	bool		 bdat;		/* content comes as BDAT chunks */
	bool		 failed;	/* on_data_chunk failed: discard, 451 */
};

struct smtp_session {
	struct smtp_session_info info;	/* first: smtp_session_info() */
	struct bufferevent *bev;	/* what is read and written: raw or TLS */
	struct bufferevent *raw;	/* the socket */
	const struct smtp_server_cfg *cfg;
	const struct smtp_server_ops *ops;
	void		*udata;
	struct smtp_tx	*tx;		/* NULL outside a transaction */
	uint64_t	 started_ms;	/* monotonic */
	uint64_t	 chunk_size;	/* of the current BDAT */
	uint64_t	 chunk_left;	/* its bytes still to read */
	const char	*close_reply;	/* to send once the backend has answered */
	char		*wait_rcpt;	/* printable, for the log (NULL when out of memory) */
	struct event	*timer;		/* banner delay, tarpit; NULL until needed */
	uint32_t	 ncommands, nerrors, nmessages;
	uint32_t	 nrefused;	/* error replies: the tarpit's n */
	uint32_t	 nidle;		/* RSET, NOOP, HELP, VRFY */
	uint32_t	 nidle_each[SMTP_IDLE_KINDS];	/* each of them, in that order */
	char		*user;		/* after AUTH (info.user), or NULL */
	uint8_t		*auth_login;	/* LOGIN's user name until its password, or NULL */
	size_t		 auth_login_len;
	uint8_t		 auth_step;	/* enum smtp_auth_step */
	uint8_t		 phase;		/* enum smtp_phase */
	bool		 chunk_last;
	bool		 chunk_discard;	/* BDAT refused: its bytes are dropped */
	bool		 discard_line;	/* inside an overlong command line */
	bool		 draining;	/* shutting down: no new transaction */
	bool		 close_pending;	/* close after the backend's answer */
	bool		 dispatching;	/* inside smtp__process: do not free */
	bool		 eof;		/* the client sends no more: close once idle */
	bool		 gone;		/* connection unusable: free when allowed */
	bool		 greeting;	/* the banner waits: any input is refused */
	bool		 held;		/* a tarpitted reply waits: read nothing */
	bool		 rcpt_later;	/* SMTP_PH_BACKEND waits for an on_rcpt answer */
};

/* smtp_server.c */
void	smtp__process(struct smtp_session *);
void	smtp__reply(struct smtp_session *, const char *line);
void	smtp__replyf(struct smtp_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Replies with a 4xx/5xx line and logs it; count: toward max_errors. */
void	smtp__refuse(struct smtp_session *, const char *stage,
	    const struct mg_slice *arg, const char *line, bool count);
void	smtp__close(struct smtp_session *, const char *reply);
void	smtp__set_timeout(struct smtp_session *, uint32_t seconds);
void	smtp__starttls(struct smtp_session *);
/* Refuses and closes a client that broke a rule (ops->on_abuse). */
void	smtp__abuse(struct smtp_session *, enum smtp_abuse, const char *line);

/* smtp_server_cmd.c */
/* Reads and runs one command line; false when more input is needed or
 * the phase changed. */
bool	smtp__read_command(struct smtp_session *);
/* Ends the transaction: on_reset, then smtp__tx_free. */
void	smtp__tx_reset(struct smtp_session *);
void	smtp__tx_free(struct smtp_session *);
void	smtp__greet(struct smtp_session *);

/* smtp_server_auth.c */
void	smtp__auth(struct smtp_session *, const struct smtp_cmd *);
/* A line of the exchange (not a command) while auth_step is not idle. */
void	smtp__auth_line(struct smtp_session *, const uint8_t *line, size_t len);
/* The EHLO line "AUTH PLAIN LOGIN" when offered now, else "". */
const char *smtp__auth_ehlo(const struct smtp_session *);
/* The reply refusing MAIL under SMTP_AUTH_REQUIRED, or NULL. */
const char *smtp__auth_mail_refusal(const struct smtp_session *);
/* Forgets the exchange and the authentication (STARTTLS, RFC 3207 4.2). */
void	smtp__auth_forget(struct smtp_session *);

/* smtp_server_data.c */
void	smtp__data_begin(struct smtp_session *, bool dot_mode);
bool	smtp__read_data(struct smtp_session *);
bool	smtp__read_chunk(struct smtp_session *);

#endif
