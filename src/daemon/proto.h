/* The messages mailgate processes exchange (over core/ipc.h frames):
 *   smtpd -> scand   SCAN_REQUEST, answered by SCAN_RESULT
 *   smtpd -> queued  QUEUE_NOTIFY (a message was committed; no answer)
 *   smtpd -> queued  CONN_STATS (connection counts of the last seconds; no answer)
 *   mailgate -> queued QUEUE_CONTROL, answered by QUEUE_CONTROL_REPLY
 * Sockets live in <spool>/run/: scand.sock and queued.sock. */
#ifndef MG_DAEMON_PROTO_H
#define MG_DAEMON_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

enum proto_type {
	PROTO_SCAN_REQUEST = 1,
	PROTO_SCAN_RESULT,
	PROTO_QUEUE_NOTIFY,
	PROTO_QUEUE_CONTROL,
	PROTO_QUEUE_CONTROL_REPLY,
	PROTO_CONN_STATS,
};

#define PROTO_SCAND_SOCK	"run/scand.sock"
#define PROTO_QUEUED_SOCK	"run/queued.sock"
#define PROTO_FORGED_AR_MAX	16	/* = MG_FORGED_AR_MAX of the engine */

/* What smtpd does with a scanned message. */
enum proto_scan_action {
	PROTO_SCAN_ACCEPT,	/* commit and answer 250 */
	PROTO_SCAN_TEMPFAIL,	/* answer 451 with the reply text */
	PROTO_SCAN_REJECT,	/* answer 550 with the reply text */
};

struct proto_scan_request {
	uint64_t	 qid;
	uint64_t	 session;
	char		*path;		/* incoming/ID, read-only for scand */
	char		*client_ip;
	char		*helo;
	char		*mail_from;
	uint32_t	 nrcpts;
	char		**rcpts;
	uint8_t		 outbound;	/* arrived on an outbound listener */
};

/* What the policy decided for one recipient (policy/policy.h). */
struct proto_rcpt_act {
	uint8_t		 act;		/* enum policy_act */
	char		*args;		/* the action's arguments, "" when none */
	char		*filter;	/* the deciding filter's name, "" = the verdict */
};

struct proto_scan_result {
	uint64_t	 qid;
	uint8_t		 action;	/* enum proto_scan_action */
	char		*verdict;	/* "clean", ... */
	int64_t		 score_milli;	/* score * 1000 */
	char		*headers;	/* CRLF-terminated fields to add, may be "" */
	char		*reply;		/* text for TEMPFAIL/REJECT, may be "" */
	char		*symbols;	/* "NAME(score),..." for the message log, may be "" */
	uint32_t	 nforged_ar;	/* forged Authentication-Results to rename */
	uint64_t	 forged_ar[PROTO_FORGED_AR_MAX];	/* their offsets in the file */
	/* Dangerous attachments stripped: when not 0 (ACCEPT only), scand
	 * wrote the message to commit to <path>.new (SPOOL_NEW_SUFFIX) and
	 * forged_ar are offsets in that file. */
	uint32_t	 nstripped;
	/* What the gateway does with an accepted message: enum
	 * mg_verdict_action (core/conf.h). */
	uint8_t		 verdict_action;
	char		*reason;	/* why: the symbol that forced verdict_action,
					 * "score" (a threshold), or "" (accept, tag) */
	/* ACCEPT only: one per recipient of the request, in its order, or
	 * none (every recipient gets the verdict's action). */
	uint32_t	 nrcpts;
	struct proto_rcpt_act *rcpts;
};

/* DIGEST: send the quarantine digests that are due now (qid 0). */
enum proto_queue_op { PROTO_QUEUE_FLUSH = 1, PROTO_QUEUE_DELETE, PROTO_QUEUE_DIGEST };

struct proto_queue_control {
	uint8_t		 op;		/* enum proto_queue_op */
	uint64_t	 qid;		/* 0 = every message (flush only) */
};

struct proto_queue_control_reply {
	int32_t		 status;	/* 0 or negative MG_E* */
	char		*text;
};

/* Connection counts: how many times event happened for the client ip
 * during one minute. ip is an IPv4/IPv6 address or "other" (smtpd's table
 * was full); event is "connect", "message" or a guard reason name. */
#define PROTO_CONN_IP_MAX	48	/* bytes with the NUL: INET6_ADDRSTRLEN fits */
#define PROTO_CONN_EVENT_MAX	32	/* bytes with the NUL */
#define PROTO_CONN_ROWS_MAX	4096	/* rows of one frame */

struct proto_conn_count {
	int64_t		 minute;	/* its first second (UTC), a multiple of 60 */
	uint32_t	 count;		/* >= 1 */
	char		 ip[PROTO_CONN_IP_MAX];
	char		 event[PROTO_CONN_EVENT_MAX];
};

struct proto_conn_stats {
	uint32_t	 nrows;		/* 1 .. PROTO_CONN_ROWS_MAX */
	struct proto_conn_count *rows;
};

/* What a CONN_STATS frame may carry: ip made of hex digits, '.' and ':'
 * (or "other"), event of [a-z0-9_], both non-empty and within the maxima. */
bool	proto_conn_ip_valid(const char *ip);
bool	proto_conn_event_valid(const char *event);

/* Encoders append one whole frame to out. Decoders take one whole frame
 * (as found by ipc_frame_peek), return 0 or -MG_EPROTO, and allocate the
 * strings that the matching _clear frees. */
int	proto_scan_request_encode(struct mg_buf *out, const struct proto_scan_request *);
int	proto_scan_request_decode(const uint8_t *frame, size_t len, struct proto_scan_request *);
void	proto_scan_request_clear(struct proto_scan_request *);

int	proto_scan_result_encode(struct mg_buf *out, const struct proto_scan_result *);
int	proto_scan_result_decode(const uint8_t *frame, size_t len, struct proto_scan_result *);
void	proto_scan_result_clear(struct proto_scan_result *);

int	proto_queue_notify_encode(struct mg_buf *out, uint64_t qid);
int	proto_queue_notify_decode(const uint8_t *frame, size_t len, uint64_t *qid);

int	proto_queue_control_encode(struct mg_buf *out, const struct proto_queue_control *);
int	proto_queue_control_decode(const uint8_t *frame, size_t len, struct proto_queue_control *);
int	proto_queue_control_reply_encode(struct mg_buf *out, const struct proto_queue_control_reply *);
int	proto_queue_control_reply_decode(const uint8_t *frame, size_t len, struct proto_queue_control_reply *);
void	proto_queue_control_reply_clear(struct proto_queue_control_reply *);

/* Refuses (-MG_EINVAL) 0 or more than PROTO_CONN_ROWS_MAX rows and rows
 * that would not decode. */
int	proto_conn_stats_encode(struct mg_buf *out, const struct proto_conn_count *rows,
	    uint32_t nrows);
int	proto_conn_stats_decode(const uint8_t *frame, size_t len, struct proto_conn_stats *);
void	proto_conn_stats_clear(struct proto_conn_stats *);

#endif
