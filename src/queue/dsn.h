/* Delivery status notifications (bounces): RFC 3464 multipart/report
 * (RFC 6522) with report-type=delivery-status, a human-readable part, the
 * machine-readable status per recipient, and the original headers or
 * message (RFC 3461 RET). UTF-8 addresses use the RFC 6533 global types.
 * Building the text is a pure function; deliver.c injects it. */
#ifndef MG_QUEUE_DSN_H
#define MG_QUEUE_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "spool/envelope.h"

#define DSN_FULL_MAX		(10u * 1024 * 1024)	/* RET=FULL: whole message up to this */
#define DSN_DEFAULT_FULL_MAX	(256u * 1024)		/* no RET: whole message up to this */
#define DSN_HEADERS_MAX		(1024u * 1024)		/* header block returned at most */
#define DSN_DIAG_MAX		900			/* bytes of a Diagnostic-Code */

/* One failed recipient. */
struct dsn_rcpt {
	const char	*addr;		/* final recipient */
	const char	*orcpt;		/* "rfc822;addr" (decoded), or NULL */
	const char	*remote;	/* "host[ip]:port" whose reply this was, or NULL */
	const char	*reply;		/* "550 5.1.1 ..." or a local reason */
	bool		 expired;	/* queue lifetime passed */
	time_t		 last_attempt;
};

struct dsn_input {
	const char	*hostname;	/* reporting MTA */
	uint64_t	 qid;		/* original queue id */
	uint64_t	 unique;	/* random: boundary and Message-ID */
	time_t		 arrival;
	time_t		 now;
	const char	*envid;		/* original ENVID, or NULL */
	const char	*sender;	/* original envelope sender (the DSN's recipient) */
	enum env_ret	 ret;
	const struct dsn_rcpt *rcpts;
	size_t		 nrcpts;
	struct mg_slice	 headers;	/* fields the gateway added */
	struct mg_slice	 data;		/* the original message as spooled */
};

/* Appends the whole DSN message (CRLF line endings) to out; *eightbit is
 * set when it contains 8-bit bytes, *utf8 when it needs SMTPUTF8.
 * 0 or -MG_ENOMEM/-MG_ELIMIT. */
int	dsn_build(const struct dsn_input *, struct mg_buf *out, bool *eightbit, bool *utf8);

/* RFC 3463 status for a failed recipient: the enhanced code of a 5xx
 * reply, "5.0.0" for other permanent failures, "4.4.7" when expired. */
void	dsn_status(const char *reply, bool expired, char out[16]);

/* Whether a failure of rcpt is to be reported to the sender: never for a
 * null sender or a DSN, and only as NOTIFY allows (default: failures). */
bool	dsn_wanted(const struct envelope *, const struct env_rcpt *);

#endif
