/* The header fields smtpd puts in front of a message: Received (RFC 5321
 * 4.4, protocol names of RFC 3848, a TLS comment) and, for outbound mail
 * that lacks one, Message-ID (RFC 5322 3.6.4). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/id.h"
#include "daemon/smtpd_int.h"

#define FOLD_WIDTH	78
#define HELO_SHOWN	255		/* a longer HELO argument is cut */
#define RCPT_SHOWN	320

struct fold {
	struct mg_buf	*out;
	size_t		 col;
	int		 rc;
};

static void
fold_append(struct fold *f, const char *p, size_t n)
{
	if (f->rc == 0)
		f->rc = mg_buf_append(f->out, p, n);
}

/* One unbreakable word, on a continuation line when it does not fit. */
static void
fold_word(struct fold *f, const char *w, size_t n)
{
	if (f->col + 1 + n > FOLD_WIDTH && f->col > 1) {
		fold_append(f, "\r\n\t", 3);
		f->col = 1;
	} else {
		fold_append(f, " ", 1);
		f->col++;
	}
	fold_append(f, w, n);
	f->col += n;
}

/* A clause stays on one line when it can; a longer one breaks at spaces. */
static void
fold_clause(struct fold *f, const char *clause)
{
	const char *p = clause, *sp;
	size_t n = strlen(clause);

	if (n < FOLD_WIDTH) {
		fold_word(f, clause, n);
		return;
	}
	while (*p != '\0') {
		sp = strchr(p, ' ');
		n = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (n > 0)
			fold_word(f, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void
clause_from(const struct smtp_session_info *info, char *out, size_t outlen)
{
	const char *helo = info->helo != NULL ? info->helo : "unknown";
	char shown[HELO_SHOWN + 1];

	smtp_printable(mg_slice_make(helo, strlen(helo)), shown, sizeof(shown));
	snprintf(out, outlen, "from %s ([%s%s])", shown,
	    info->peer.sa.sa_family == AF_INET6 ? "IPv6:" : "", info->ip);
}

int
smtpd_received(struct mg_buf *out, const struct smtp_session_info *info,
    const char *hostname, uint64_t qid, const char *rcpt, time_t now)
{
	struct fold f = { out, strlen("Received:"), 0 };
	char clause[512], date[64], shown[RCPT_SHOWN + 1];
	const char *sp;
	struct tm tm;

	fold_append(&f, "Received:", f.col);
	clause_from(info, clause, sizeof(clause));
	fold_clause(&f, clause);
	if (info->tls != NULL && (sp = strchr(info->tls, ' ')) != NULL) {
		snprintf(clause, sizeof(clause), "(using %.*s with cipher %s)",
		    (int)(sp - info->tls), info->tls, sp + 1);
		fold_clause(&f, clause);
	}
	snprintf(clause, sizeof(clause), "by %s (mailgate)", hostname);
	fold_clause(&f, clause);
	/* RFC 3848: ESMTPS with TLS, ESMTPA authenticated, ESMTPSA both */
	snprintf(clause, sizeof(clause), "with %s%s%s", info->esmtp ? "ESMTP" : "SMTP",
	    info->esmtp && info->tls != NULL ? "S" : "",
	    info->esmtp && info->user != NULL ? "A" : "");
	fold_clause(&f, clause);
	snprintf(clause, sizeof(clause), "id %016" PRIx64 "%s", qid, rcpt ? "" : ";");
	fold_clause(&f, clause);
	if (rcpt != NULL) {
		smtp_printable(mg_slice_make(rcpt, strlen(rcpt)), shown, sizeof(shown));
		snprintf(clause, sizeof(clause), "for <%s>;", shown);
		fold_clause(&f, clause);
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	fold_clause(&f, date);
	fold_append(&f, "\r\n", 2);
	return f.rc;
}

int
smtpd_message_id(struct mg_buf *out, uint64_t qid, const char *hostname)
{
	return mg_buf_appendf(out, "Message-ID: <%016" PRIx64 ".%016" PRIx64 "@%s>\r\n",
	    qid, mg_id_random(), hostname);
}
