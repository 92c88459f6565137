/* The envelope of a queued message: who sent it, to whom, how it arrived,
 * the header block added by the gateway, and per-recipient delivery state.
 * Stored as JSON beside the message data (queue/ID.env). */
#ifndef MG_SPOOL_ENVELOPE_H
#define MG_SPOOL_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

enum env_rcpt_status {
	ENV_RCPT_PENDING,	/* not yet delivered; retried */
	ENV_RCPT_DELIVERED,	/* accepted by the next hop */
	ENV_RCPT_FAILED,	/* permanently refused or expired; DSN due/sent */
	ENV_RCPT_DISPOSED,	/* handled without delivery: quarantined, held,
				 * discarded, or handed to a rewritten copy */
};

struct env_rcpt {
	char		*addr;		/* mailbox without < >, as received */
	char		*orcpt;		/* DSN ORCPT (decoded "rfc822;addr"), or NULL */
	unsigned	 notify;	/* SMTP_NOTIFY_* bits, 0 = default */
	enum env_rcpt_status status;
	char		*remote;	/* last next hop tried, or NULL */
	char		*reply;		/* last reply or error text, or NULL */
	time_t		 done_at;	/* when delivered or failed */
	/* What the policy decided for this recipient (policy/policy.h action
	 * names; docs/policy.md), applied by queued before the first attempt.
	 * NULL or "accept": deliver as it is. */
	char		*act;
	char		*act_args;	/* the action's arguments, or NULL */
	char		*act_filter;	/* the deciding filter's name, or NULL: the verdict */
};

enum env_ret { ENV_RET_UNSET, ENV_RET_FULL, ENV_RET_HDRS };

struct envelope {
	uint64_t	 id;
	time_t		 created;
	bool		 outbound;	/* arrived on an outbound listener */
	char		*client_ip;
	char		*client_helo;
	char		*tls;		/* "TLSv1.3 TLS_AES_256_GCM_SHA384", or NULL */
	char		*mail_from;	/* "" = null reverse path */
	char		*envid;		/* DSN ENVID (decoded), or NULL */
	enum env_ret	 ret;
	bool		 eightbit;	/* BODY=8BITMIME (or 8-bit content seen) */
	bool		 smtputf8;
	uint64_t	 size;		/* bytes in the data file */
	char		*headers;	/* CRLF-terminated fields sent before the data */
	char		*verdict;	/* "clean", ... */
	double		 score;
	char		*action;	/* the verdict's: "accept", "quarantine", ... */
	char		*reason;	/* why (proto_scan_result.reason), or NULL */
	char		*symbols;	/* "NAME(score),..." from the scan, or NULL */
	bool		 is_dsn;	/* a bounce we generated: never bounced itself */
	unsigned	 attempts;
	time_t		 next_attempt;	/* 0 = now */
	struct env_rcpt	*rcpts;
	size_t		 nrcpts;
};

/* The largest encoded envelope (bytes) that is written or read. */
#define ENVELOPE_MAX_LEN	(32u * 1024 * 1024)

/* Adds a recipient (strings are copied); 0 or -MG_ENOMEM. */
int	envelope_add_rcpt(struct envelope *, const char *addr, const char *orcpt,
	    unsigned notify);
/* Serialises to JSON in out; 0 or negative error. */
int	envelope_encode(const struct envelope *, struct mg_buf *out);
/* Parses JSON; on error returns -MG_EPROTO and leaves env empty. */
int	envelope_decode(const uint8_t *json, size_t len, struct envelope *env);
/* Frees every owned string and the recipient array; env becomes empty. */
void	envelope_clear(struct envelope *);

#endif
