/* Internals of the smtpd child: the process (smtpd.c), its smtp_server
 * backend (smtpd_session.c), the message headers it adds
 * (smtpd_message.c), the scand client (smtpd_scan.c), and group commit
 * with the queued notification (smtpd_commit.c). */
#ifndef MG_DAEMON_SMTPD_INT_H
#define MG_DAEMON_SMTPD_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/conf.h"
#include "daemon/proto.h"
#include "guard/guard.h"
#include "guard/verify.h"
#include "smtp/smtp_server.h"
#include "spool/spool.h"

/* A configuration and what is derived from it. Sessions hold a reference
 * so that a SIGHUP never frees what a session still reads. */
struct smtpd_cfg {
	struct mg_conf	*conf;
	bool		 owned;		/* loaded here: freed with the last reference */
	SSL_CTX		*tls;		/* tls.certificate, shared */
	SSL_CTX		**own_tls;	/* per listener with its own certificate, or NULL */
	size_t		 nlisteners;
	unsigned	 refs;
	struct smtp_server_cfg *scfg;	/* one per listener */
	struct verify	*verify;	/* guard.recipients */
};

struct smtpd;

/* A listening socket; its role and TLS mode are fixed until restart. */
struct smtpd_listener {
	struct smtpd	*d;
	struct evconnlistener *lev;
	struct event	*retry;		/* re-enables accepting after EMFILE */
	size_t		 index;
	enum conf_role	 role;
	enum conf_listen_tls tls;
	char		*address;
};

/* One request to scand. done runs exactly once, unless submit failed. */
struct smtpd_scan_job {
	TAILQ_ENTRY(smtpd_scan_job) entry;
	uint64_t	 qid;
	uint64_t	 deadline_ms;
	uint32_t	 timeout_s;
	bool		 sent;		/* else waiting for a connection, in frame */
	struct mg_buf	 frame;
	void		(*done)(struct smtpd_scan_job *, int err,
			    const struct proto_scan_result *);
	void		*arg;
};

/* One message for the committer thread; done runs on the event loop. */
struct smtpd_commit_job {
	TAILQ_ENTRY(smtpd_commit_job) entry;
	struct spool_file *file;
	const struct envelope *env;
	int		 rc;		/* 0: durable in queue/; else aborted */
	void		(*done)(struct smtpd_commit_job *);
	void		*arg;
};

struct smtpd_sess;
TAILQ_HEAD(smtpd_sess_list, smtpd_sess);
struct smtpd_screen;
TAILQ_HEAD(smtpd_screen_list, smtpd_screen);

struct smtpd {
	struct event_base *base;
	struct smtpd_cfg *cfg;		/* the current one */
	struct spool	*spool;
	struct smtpd_listener *listeners;
	size_t		 nlisteners;
	struct smtpd_scan *scan;
	struct smtpd_committer *committer;
	struct smtpd_notify *notify;
	struct smtpd_stats *stats;	/* connection counts for queued */
	struct guard	*guard;		/* rate and greylist state, in-process */
	struct smtpd_sess_list sessions;
	struct smtpd_screen_list screens;	/* connections being screened */
	struct dns	*dns;		/* guard.screen's resolver, or NULL */
	uint32_t	 nsessions;	/* sessions and screened connections */
	bool		 stopping;
	struct event	*sig_hup, *sig_term, *sig_int, *drain_timer;
};

/* smtpd.c */
void	smtpd_cfg_unref(struct smtpd_cfg *);
/* A session ended: exits the loop when stopping and none is left. */
void	smtpd_session_gone(struct smtpd *);
/* A guard refusal: counted and logged by the guard, counted for the
 * connection log (sid 0 before the session exists). */
void	smtpd_refused(struct smtpd *, uint64_t sid, enum guard_reason, const char *ip);
/* Refused before any session exists: reply (unless NULL), then close. */
void	smtpd_refuse_fd(evutil_socket_t, const char *reply);

/* smtpd_screen.c */
/* guard.screen at accept: 0 when the connection is not screened (or the
 * screen cannot run: fail open), 1 when the screen took the socket and gc
 * over (it starts the session or refuses). */
int	smtpd_screen_start(struct smtpd *, struct smtpd_listener *, evutil_socket_t,
	    const struct sockaddr *, socklen_t, const struct guard_client *gc);
/* Closes the connections still being screened, and the resolver. */
void	smtpd_screens_free(struct smtpd *);

/* smtpd_session.c */
/* gc: what guard_connect saw (copied; its slot is given back at the end).
 * accepted_ms: when the connection came (the greet delay counts from it). */
int	smtpd_session_start(struct smtpd *, struct smtpd_listener *, evutil_socket_t,
	    const struct sockaddr *, socklen_t, const struct guard_client *gc,
	    uint64_t accepted_ms);
void	smtpd_sessions_each(struct smtpd *, void (*fn)(struct smtp_session *));

/* smtpd_message.c */
/* Appends the Received field (RFC 5321 4.4, folded at 78 columns). rcpt
 * is named only when it is the single recipient (NULL otherwise). */
int	smtpd_received(struct mg_buf *out, const struct smtp_session_info *,
	    const char *hostname, uint64_t qid, const char *rcpt, time_t now);
int	smtpd_message_id(struct mg_buf *out, uint64_t qid, const char *hostname);

/* smtpd_scan.c */
struct smtpd_scan *smtpd_scan_new(struct event_base *, const char *spool_dir);
struct smtpd_scan *smtpd_scan_free(struct smtpd_scan *);
/* Sends req, or keeps it until scand can be reached (a few seconds at
 * most, for scand's start or restart); 0, or a negative error when it
 * cannot even be encoded (done will not run). */
int	smtpd_scan_submit(struct smtpd_scan *, struct smtpd_scan_job *,
	    const struct proto_scan_request *, uint32_t timeout_s);

/* smtpd_commit.c */
struct smtpd_committer *smtpd_committer_new(struct event_base *);
/* Waits for the thread to finish what it holds, then frees. */
struct smtpd_committer *smtpd_committer_free(struct smtpd_committer *);
void	smtpd_commit_submit(struct smtpd_committer *, struct smtpd_commit_job *);
struct smtpd_notify *smtpd_notify_new(struct event_base *, const char *spool_dir);
struct smtpd_notify *smtpd_notify_free(struct smtpd_notify *);
/* Tells queued about a committed message; best effort, never blocks. */
void	smtpd_notify_send(struct smtpd_notify *, uint64_t qid);

#endif
