/* Building delivery status notifications (see dsn.h). Every value taken
 * from the envelope or a remote reply is cleaned of control characters
 * before it goes into a header field, so a hostile reply cannot inject
 * fields or parts into the report. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "queue/dsn.h"
#include "smtp/smtp_parse.h"

static bool
dsn_has_8bit(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return true;
	return false;
}

static bool
dsn_str_8bit(const char *s)
{
	return s != NULL && dsn_has_8bit((const uint8_t *)s, strlen(s));
}

/* Appends s with control characters (CR and LF included) turned into
 * spaces, cut at max bytes. */
static int
dsn_put_clean(struct mg_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	int rc;

	if (n > max)
		n = max;
	if ((rc = mg_buf_reserve(b, n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		b->data[b->len++] = c < 0x20 || c == 0x7f ? ' ' : c;
	}
	return 0;
}

/* 1 to 3 digits at p; returns how many, or 0. */
static size_t
dsn_digits(const char *p)
{
	size_t n = 0;

	while (n < 4 && p[n] >= '0' && p[n] <= '9')
		n++;
	return n <= 3 ? n : 0;
}

void
dsn_status(const char *reply, bool expired, char out[16])
{
	const char *p = reply ? reply : "";
	size_t i, n;

	snprintf(out, 16, expired ? "4.4.7" : "5.0.0");
	if (expired)
		return;
	/* "550 5.1.1 text": the status follows the code and a space */
	if (strlen(p) > 4 && p[0] == '5' && p[3] == ' ')
		p += 4;
	if (p[0] != '5' || p[1] != '.' || (n = dsn_digits(p + 2)) == 0)
		return;
	i = 2 + n;
	if (p[i] != '.' || (n = dsn_digits(p + i + 1)) == 0)
		return;
	i += 1 + n;
	if (p[i] == ' ' || p[i] == '\0') {
		memcpy(out, p, i);
		out[i] = '\0';
	}
}

bool
dsn_wanted(const struct envelope *env, const struct env_rcpt *r)
{
	if (env->is_dsn || env->mail_from == NULL || env->mail_from[0] == '\0')
		return false;
	return r->notify == 0 || (r->notify & SMTP_NOTIFY_FAILURE) != 0;
}

/* The host name of "host[ip]:port". */
static void
dsn_remote_name(const char *remote, char *out, size_t outlen)
{
	size_t n = strcspn(remote, "[");

	snprintf(out, outlen, "%.*s", (int)n, remote);
}

static int
dsn_human_part(struct mg_buf *b, const struct dsn_input *in, bool full)
{
	int rc = mg_buf_appendf(b, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Description: Notification\r\n\r\n"
	    "This is the mail delivery system at %s.\r\n\r\n"
	    "Your message could not be delivered to one or more recipients.\r\n"
	    "%s\r\n\r\n", in->hostname, full ? "It is attached below." :
	    "Its header is attached below.");

	for (size_t i = 0; rc == 0 && i < in->nrcpts; i++) {
		const struct dsn_rcpt *r = &in->rcpts[i];
		rc = mg_buf_appendf(b, "<");
		rc = rc ? rc : dsn_put_clean(b, r->addr, DSN_DIAG_MAX);
		rc = rc ? rc : mg_buf_appendf(b, ">: %s", r->expired ?
		    "delivery kept failing until the queue lifetime passed; last error: " : "");
		rc = rc ? rc : dsn_put_clean(b, r->reply ? r->reply : "unknown error",
		    DSN_DIAG_MAX);
		if (rc == 0 && r->remote != NULL) {
			rc = mg_buf_appendf(b, " (in reply from ");
			rc = rc ? rc : dsn_put_clean(b, r->remote, 300);
			rc = rc ? rc : mg_buf_appendf(b, ")");
		}
		rc = rc ? rc : mg_buf_appendf(b, "\r\n");
	}
	return rc;
}

/* One per-recipient block of the message/delivery-status part. */
static int
dsn_rcpt_fields(struct mg_buf *b, const struct dsn_rcpt *r, const char *addrtype)
{
	char status[16], date[40], host[300];
	int rc = 0;

	dsn_status(r->reply, r->expired, status);
	if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL) {
		rc = mg_buf_appendf(b, "Original-Recipient: ");
		rc = rc ? rc : dsn_put_clean(b, r->orcpt, DSN_DIAG_MAX);
		rc = rc ? rc : mg_buf_appendf(b, "\r\n");
	}
	rc = rc ? rc : mg_buf_appendf(b, "Final-Recipient: %s; ", addrtype);
	rc = rc ? rc : dsn_put_clean(b, r->addr, DSN_DIAG_MAX);
	rc = rc ? rc : mg_buf_appendf(b, "\r\nAction: failed\r\nStatus: %s\r\n", status);
	if (rc == 0 && r->remote != NULL) {
		dsn_remote_name(r->remote, host, sizeof(host));
		rc = mg_buf_appendf(b, "Remote-MTA: dns; ");
		rc = rc ? rc : dsn_put_clean(b, host, 256);
		rc = rc ? rc : mg_buf_appendf(b, "\r\nDiagnostic-Code: smtp; ");
		rc = rc ? rc : dsn_put_clean(b, r->reply ? r->reply : "", DSN_DIAG_MAX);
		rc = rc ? rc : mg_buf_appendf(b, "\r\n");
	}
	if (rc == 0 && r->last_attempt != 0) {
		mg_date_rfc5322(r->last_attempt, date);
		rc = mg_buf_appendf(b, "Last-Attempt-Date: %s\r\n", date);
	}
	return rc;
}

static int
dsn_status_part(struct mg_buf *b, const struct dsn_input *in, bool utf8)
{
	char date[MG_DATE_LEN];
	int rc;

	mg_date_rfc5322(in->arrival, date);
	rc = mg_buf_appendf(b, "Content-Type: message/%sdelivery-status\r\n"
	    "Content-Description: Delivery report\r\n\r\n"
	    "Reporting-MTA: dns; %s\r\n", utf8 ? "global-" : "", in->hostname);
	if (rc == 0 && in->envid != NULL) {
		rc = mg_buf_appendf(b, "Original-Envelope-Id: ");
		rc = rc ? rc : dsn_put_clean(b, in->envid, 100);
		rc = rc ? rc : mg_buf_appendf(b, "\r\n");
	}
	rc = rc ? rc : mg_buf_appendf(b, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; rc == 0 && i < in->nrcpts; i++) {
		rc = mg_buf_appendf(b, "\r\n");
		rc = rc ? rc : dsn_rcpt_fields(b, &in->rcpts[i], utf8 ? "utf-8" : "rfc822");
	}
	return rc;
}

/* Length of the header block of data, the blank line excluded. */
static size_t
dsn_header_len(struct mg_slice data)
{
	const uint8_t *end;

	if (data.len >= 2 && data.ptr[0] == '\r' && data.ptr[1] == '\n')
		return 0;
	end = memmem(data.ptr, data.len, "\r\n\r\n", 4);
	return end ? (size_t)(end - data.ptr) + 2 : data.len;
}

/* The returned original: whole (message/rfc822) or its header block
 * (text/rfc822-headers). */
static int
dsn_original_part(struct mg_buf *b, const struct dsn_input *in, bool full, bool utf8,
    bool *eightbit)
{
	size_t dlen = full ? in->data.len : dsn_header_len(in->data);
	const char *type = full ? (utf8 ? "message/global" : "message/rfc822") :
	    (utf8 ? "message/global-headers" : "text/rfc822-headers");
	int rc;

	if (!full && in->headers.len + dlen > DSN_HEADERS_MAX)
		dlen = in->headers.len < DSN_HEADERS_MAX ? DSN_HEADERS_MAX - in->headers.len : 0;
	*eightbit = dsn_has_8bit(in->headers.ptr, in->headers.len) ||
	    dsn_has_8bit(in->data.ptr, dlen);
	rc = mg_buf_appendf(b, "Content-Type: %s\r\nContent-Description: %s\r\n%s\r\n",
	    type, full ? "Undelivered message" : "Undelivered message header",
	    *eightbit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	rc = rc ? rc : mg_buf_append(b, in->headers.ptr, in->headers.len);
	rc = rc ? rc : mg_buf_append(b, in->data.ptr, dlen);
	/* the part must end with a line break before the boundary */
	if (rc == 0 && b->len >= 2 && (b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n'))
		rc = mg_buf_appendf(b, "\r\n");
	return rc;
}

static bool
dsn_returns_full(const struct dsn_input *in)
{
	uint64_t size = in->headers.len + in->data.len;

	switch (in->ret) {
	case ENV_RET_HDRS:
		return false;
	case ENV_RET_FULL:
		return size <= DSN_FULL_MAX;
	default:
		return size <= DSN_DEFAULT_FULL_MAX;
	}
}

int
dsn_build(const struct dsn_input *in, struct mg_buf *b, bool *eightbit, bool *utf8)
{
	char date[MG_DATE_LEN], boundary[64];
	bool full = dsn_returns_full(in), orig8 = false;
	int rc;

	*utf8 = dsn_str_8bit(in->sender);
	for (size_t i = 0; i < in->nrcpts; i++)
		*utf8 |= dsn_str_8bit(in->rcpts[i].addr) || dsn_str_8bit(in->rcpts[i].orcpt);
	mg_date_rfc5322(in->now, date);
	snprintf(boundary, sizeof(boundary), "=_mailgate_%016" PRIx64 "_%016" PRIx64,
	    in->qid, in->unique);
	rc = mg_buf_appendf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\nTo: <",
	    in->hostname);
	rc = rc ? rc : dsn_put_clean(b, in->sender, DSN_DIAG_MAX);
	rc = rc ? rc : mg_buf_appendf(b, ">\r\nSubject: Undelivered Mail Returned to Sender\r\n"
	    "Date: %s\r\nMessage-ID: <%016" PRIx64 ".%016" PRIx64 "@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated delivery status notification.\r\n\r\n--%s\r\n",
	    date, in->qid, in->unique, in->hostname, boundary, boundary);
	rc = rc ? rc : dsn_human_part(b, in, full);
	rc = rc ? rc : mg_buf_appendf(b, "\r\n--%s\r\n", boundary);
	rc = rc ? rc : dsn_status_part(b, in, *utf8);
	rc = rc ? rc : mg_buf_appendf(b, "\r\n--%s\r\n", boundary);
	rc = rc ? rc : dsn_original_part(b, in, full, *utf8, &orig8);
	rc = rc ? rc : mg_buf_appendf(b, "\r\n--%s--\r\n", boundary);
	*eightbit = orig8 || *utf8;
	return rc;
}
