/* Mail the gateway writes itself (docs/portal.md): the quarantine
 * digest of one user with signed links, the notice of a policy "notify"
 * action, and the portal's one-time login code. Each is a complete RFC
 * 5322 message (CRLF, quoted-printable UTF-8, "Auto-Submitted:
 * auto-generated", "X-Mailgate-Notice: digest|notify|code"), queued with
 * the null reverse path so that it can never cause a bounce loop. */
#ifndef MG_QUARANTINE_NOTICE_H
#define MG_QUARANTINE_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/conf_portal.h"
#include "quarantine/token.h"
#include "store/store.h"

struct spool;

#define NOTICE_MAX_LEN		(4u * 1024 * 1024)	/* bytes of one composed message */
#define NOTICE_ACTION_PATH	"/portal/a?t="		/* url + this + token: release, allow */
#define NOTICE_LOGIN_PATH	"/portal/login?t="	/* url + this + token: open the portal */

/* What every notice needs; all borrowed. */
struct notice_ctx {
	const struct conf_portal *conf;	/* url, from, link_days */
	const char	*hostname;	/* mg_conf.hostname: Message-ID, defaults */
	const uint8_t	*key;		/* QTOKEN_KEY_LEN bytes; needed by notice_digest only */
	time_t		 now;		/* Date, token expiry */
};

/* The digest of user (an address) listing items (held messages, newest
 * first; the caller has cut them to digest.max_items, total is how many
 * there were). Each item gets a release and a release+allow-list link,
 * except category malware/phishing and hold items ("ask your
 * administrator"); the message ends with one portal login link. Links
 * expire after link_days. text/plain and text/html alternatives. Appends
 * to out. 0, -MG_EINVAL (bad user), -MG_ELIMIT, -MG_ENOMEM. */
int	notice_digest(const struct notice_ctx *, const char *user,
	    const struct store_quarantine *items, size_t n, size_t total, struct mg_buf *out);

/* Who a policy notice goes to: the wording differs. */
enum notice_target { NOTICE_SENDER, NOTICE_RECIPIENT, NOTICE_ADMIN };

/* The message a policy acted on, and what it did; no content of the
 * message goes into the notice. Strings may be NULL (not shown). */
struct notice_event {
	uint64_t	 id;		/* queue id */
	time_t		 time;		/* when it arrived */
	const char	*mail_from;	/* "" = null sender */
	const char	*rcpts;		/* joined with ", " */
	const char	*subject;	/* decoded, UTF-8 */
	const char	*action;	/* "quarantine", "reject", ... */
	const char	*filter;	/* the policy filter's name */
	const char	*reason;
};

/* The notice of a policy "notify" action, to the address to. text/plain.
 * Appends to out. 0, -MG_EINVAL (bad to), -MG_ELIMIT, -MG_ENOMEM. */
int	notice_policy(const struct notice_ctx *, enum notice_target, const char *to,
	    const struct notice_event *, struct mg_buf *out);

/* The one-time portal login code mail to user (valid code_minutes).
 * text/plain. Appends to out. 0, -MG_EINVAL, -MG_ELIMIT, -MG_ENOMEM. */
int	notice_code(const struct notice_ctx *, const char *user, const char *code,
	    struct mg_buf *out);

/* Queues msg (a composed notice) for rcpt with the null reverse path
 * through spool_inject; *id gets the queue id (the caller schedules it).
 * 0, -MG_EINVAL (bad rcpt) or the spool's error. */
int	notice_submit(struct spool *, const char *rcpt, const struct mg_buf *msg, time_t now,
	    uint64_t *id);

#endif
