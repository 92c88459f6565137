/* Private to the SMTP delivery client (smtp_client.c: connection and
 * session setup; smtp_client_tx.c: transactions and the body stream). */
#ifndef MG_SMTP_CLIENT_INT_H
#define MG_SMTP_CLIENT_INT_H

#include <sys/time.h>
#include <event2/bufferevent.h>

#include "smtp/smtp_client.h"
#include "smtp/smtp_reply.h"

#define SC_FINAL_TIMEOUT	600		/* seconds for the reply to the body */
#define SC_LINE_MAX		8192		/* longest reply line read */
#define SC_CHUNK		(64 * 1024)	/* body bytes read from disk at once */
#define SC_BODY_LOWAT		(128 * 1024)	/* refill the socket below this */
#define SC_REPLY_TEXT_MAX	1024		/* reply text kept per recipient */
#define SC_WHY_MAX		1400

enum sc_state {
	SC_CONNECTING, SC_GREETING, SC_EHLO, SC_HELO, SC_STARTTLS, SC_HANDSHAKE,
	SC_AUTH, SC_READY, SC_MAIL, SC_RCPT, SC_DATA, SC_BODY, SC_FINAL, SC_DOT,
	SC_RSET, SC_QUIT, SC_DEAD,
};

struct smtp_client {
	struct event_base *base;
	struct bufferevent *bev;
	struct event	*later;		/* reports a failure that happened in a call */
	enum sc_state	 state;
	unsigned	 depth;		/* handlers running: free when it drops to 0 */
	/* parameters (copied) */
	enum conf_tls_policy tls;
	SSL_CTX		*tls_ctx;
	char		*helo, *auth_user, *auth_password;
	struct timeval	 connect_tv, reply_tv, final_tv;
	struct smtp_peer *peers;
	size_t		 npeers, cur;
	bool		 no_tls;	/* opportunistic retry of this peer in plaintext */
	bool		 tls_on;
	bool		 pipelining;
	struct smtp_ehlo ehlo;
	struct smtp_reply reply;
	char		 relay[SMTP_PEER_NAME_MAX + 64];
	char		 tls_desc[96];
	char		 why[SC_WHY_MAX];	/* reported when no peer works */
	unsigned	 why_rank;
	char		 why_relay[SMTP_PEER_NAME_MAX + 64];
	char		 conn_err[SC_WHY_MAX];	/* connect() failed at once */
	/* the transaction */
	struct smtp_tx	*tx;
	size_t		 rcpt_sent, rcpt_replied, accepted;
	bool		 mail_ok, data_sent, body_started;
	uint64_t	 body_off, body_total;
	bool		 bol;
	uint8_t		*chunk;
	struct smtp_client_cbs cbs;
	void		*arg;
};

/* Both files */
void	smtpc__close(struct smtp_client *, int err, const char *why);
int	smtpc__write(struct smtp_client *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	smtpc__expect_reply(struct smtp_client *, enum sc_state);
void	smtpc__reply_line(const struct smtp_client *, char *out, size_t outlen);
/* smtp_client_tx.c */
void	smtpc__tx_reply(struct smtp_client *);
void	smtpc__tx_finish(struct smtp_client *);
void	smtpc__tx_settle(struct smtp_client *, const char *line);
void	smtpc__body_fill(struct smtp_client *);

#endif
