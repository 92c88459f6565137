/* The signed-in pages: the user's own held messages, a safe preview of
 * one (headers and text, HTML reduced to its visible text, everything
 * escaped, nothing remote) and release to the user alone. A message that
 * is not the user's answers exactly as a missing one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "httpd/portal_int.h"
#include "learn/report.h"
#include "mime/html.h"
#include "mime/mime.h"
#include "store/store.h"

#define PREVIEW_MESSAGE_MAX	(32u * 1024 * 1024)	/* bytes of a message previewed */

/* Whether a user may release a message of this row without the administrator. */
static bool
user_releasable(const struct store_quarantine *row)
{
	return !row->hold && strcmp(row->category, "malware") != 0 &&
	    strcmp(row->category, "phishing") != 0;
}

static bool
released_to_user(const struct store_quarantine *row, const char *user)
{
	return row->released != 0 && row->released_to != NULL &&
	    portal_is_rcpt(row->released_to, user);
}

struct owned {
	const char	*user;
	bool		 found, releasable;
	char		 from[QTOKEN_USER_MAX];
	struct mg_buf	*out;		/* list rows, or NULL */
	const char	*csrf;
	unsigned	 n;
};

static int
list_row(struct owned *o, const struct store_quarantine *row)
{
	char id[MG_ID_STRLEN + 1], when[32];
	struct tm tm;
	struct mg_buf *b = o->out;
	int rc;

	mg_id_format(row->id, id);
	gmtime_r(&row->time, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	rc = html_escf(b, "<tr><td>%s</td>", when);
	rc = rc ? rc : html_escf(b, "<td>%s</td>", row->mail_from[0] ? row->mail_from : "(none)");
	rc = rc ? rc : mg_buf_appendf(b, "<td><a href=\"/portal/m/%s\">", id);
	rc = rc ? rc : html_esc(b, row->subject[0] ? row->subject : "(no subject)", SIZE_MAX);
	rc = rc ? rc : html_escf(b, "</a></td><td>%s</td><td>", row->hold ? "held for review" :
	    row->category);
	if (rc == 0 && released_to_user(row, o->user))
		rc = mg_buf_appendf(b, "released");
	else if (rc == 0 && user_releasable(row))
		rc = mg_buf_appendf(b, "<form method=\"post\" action=\"/portal/m/%s/release\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><button type=\"submit\">"
		    "Release</button></form>", id, o->csrf);
	else if (rc == 0)
		rc = mg_buf_appendf(b, "<span class=\"note\">ask your administrator</span>");
	return rc ? rc : mg_buf_appendf(b, "</td></tr>\n");
}

/* Keeps only rows whose recipients hold the user exactly (the store's
 * "to" filter is a substring match). */
static int
owned_row(const struct store_quarantine *row, void *arg)
{
	struct owned *o = arg;

	if (!portal_is_rcpt(row->rcpts, o->user))
		return 0;
	o->found = true;
	o->releasable = user_releasable(row) && !released_to_user(row, o->user);
	snprintf(o->from, sizeof(o->from), "%s", row->mail_from);
	o->n++;
	return o->out != NULL ? list_row(o, row) : 0;
}

enum MHD_Result
portal_list(struct portal_req *r)
{
	struct store_quarantine_query q = { .to = NULL, .limit = PORTAL_LIST_MAX };
	struct owned o = { 0 };
	struct mg_buf b;
	enum MHD_Result ret;
	int rc;

	if (r->sess == NULL)
		return portal_signin_needed(r);
	mg_buf_init(&b, PORTAL_PAGE_MAX);
	o.user = q.to = r->sess->user;
	o.out = &b;
	o.csrf = r->sess->csrf;
	rc = html_escf(&b, "<p>Signed in as %s. Messages held for you, newest first."
	    " Messages held as malware or phishing, or for review, can only be released by"
	    " your administrator.</p>\n<table><tr><th>Date</th><th>From</th><th>Subject</th>"
	    "<th>Category</th><th></th></tr>\n", r->sess->user);
	rc = rc ? rc : store_quar_search(r->p->store, &q, owned_row, &o);
	rc = rc ? rc : mg_buf_appendf(&b, "</table>\n<p>%u message%s.</p>", o.n,
	    o.n == 1 ? "" : "s");
	if (rc < 0) {
		mg_buf_release(&b);
		return portal_message(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Try again later",
		    "The quarantine cannot be read right now.");
	}
	ret = portal_page(r, MHD_HTTP_OK, "Your quarantine", &b, NULL);
	mg_buf_release(&b);
	return ret;
}

/* The first readable text of m: a text/plain part, else the visible
 * text of a text/html part. */
static int
preview_text(struct mg_arena *a, const struct mime_msg *m, const char **text, size_t *len)
{
	struct html_limits hl;
	const struct mime_html *h;

	for (int html = 0; html < 2; html++) {
		for (size_t i = 0; i < m->nparts; i++) {
			const struct mime_part *p = m->parts[i];
			if (p->is_attachment || p->text == NULL || strcmp(p->type, "text") != 0 ||
			    strcmp(p->subtype, html ? "html" : "plain") != 0)
				continue;
			if (!html) {
				*text = p->text, *len = p->text_len;
				return 0;
			}
			html_limits_default(&hl);
			if ((h = html_analyze(a, p->text, p->text_len, &hl)) == NULL)
				return -MG_ENOMEM;
			*text = h->visible, *len = h->visible_len;
			return 0;
		}
	}
	return -MG_ENOENT;
}

static int
preview_body(struct mg_buf *b, const uint8_t *msg, size_t len)
{
	static const char *const fields[] = { "From", "To", "Date", "Subject" };
	struct mime_limits limits;
	struct mg_arena *a = mg_arena_new(64 * 1024, 256u * 1024 * 1024);
	const struct mime_header *h;
	struct mime_msg *m;
	const char *text = NULL;
	size_t tlen = 0;
	int rc = 0;

	mime_limits_default(&limits);
	if (a == NULL || (m = mime_parse(a, msg, len, &limits)) == NULL) {
		mg_arena_free(a);
		return -MG_ENOMEM;
	}
	rc = mg_buf_appendf(b, "<table>\n");
	for (size_t i = 0; rc == 0 && i < sizeof(fields) / sizeof(fields[0]); i++) {
		h = mime_header_find(m->root, fields[i]);
		rc = mg_buf_appendf(b, "<tr><th>%s</th>", fields[i]);
		rc = rc ? rc : html_escf(b, "<td>%s</td></tr>\n", h ? h->value : "");
	}
	rc = rc ? rc : mg_buf_appendf(b, "</table>\n");
	if (rc == 0 && preview_text(a, m, &text, &tlen) == 0) {
		size_t n = tlen < PORTAL_PREVIEW_MAX ? tlen : PORTAL_PREVIEW_MAX;
		while (n < tlen && n > 0 && ((uint8_t)text[n] & 0xc0) == 0x80)
			n--;	/* cut on a character boundary */
		rc = mg_buf_appendf(b, "<pre>");
		rc = rc ? rc : html_esc(b, text, n);
		rc = rc ? rc : mg_buf_appendf(b, "%s</pre>\n", n < tlen ? "\n[...]" : "");
	} else if (rc == 0) {
		rc = mg_buf_appendf(b, "<p class=\"note\">This message has no text to show.</p>");
	}
	mg_arena_free(a);
	return rc;
}

enum MHD_Result
portal_preview(struct portal_req *r, uint64_t id)
{
	struct owned o = { 0 };
	struct mg_buf b, msg;
	char hex[MG_ID_STRLEN + 1];
	enum MHD_Result ret;
	int rc;

	if (r->sess == NULL)
		return portal_signin_needed(r);
	o.user = r->sess->user;
	if (quarantine_find(&r->p->q, id, owned_row, &o) < 0 || !o.found)
		return portal_not_found(r);
	mg_buf_init(&msg, PREVIEW_MESSAGE_MAX);
	mg_buf_init(&b, PORTAL_PAGE_MAX);
	mg_id_format(id, hex);
	if ((rc = quarantine_get(&r->p->q, id, &msg)) == 0)
		rc = preview_body(&b, msg.data, msg.len);
	else if (rc == -MG_ELIMIT)
		rc = mg_buf_appendf(&b, "<p>This message is too large to preview.</p>");
	if (rc == 0 && o.releasable)
		rc = mg_buf_appendf(&b, "<form method=\"post\" action=\"/portal/m/%s/release\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><button type=\"submit\">"
		    "Release to my mailbox</button> <button type=\"submit\" name=\"report\" "
		    "value=\"ham\">Release and report as not spam</button></form>", hex,
		    r->sess->csrf);
	rc = rc ? rc : mg_buf_appendf(&b, "<p><a href=\"/portal\">Back</a></p>");
	mg_buf_release(&msg);
	if (rc < 0)
		ret = portal_message(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Try again later",
		    "This message cannot be shown right now.");
	else
		ret = portal_page(r, MHD_HTTP_OK, "Message", &b, NULL);
	mg_buf_release(&b);
	return ret;
}

int
portal_release_to(struct portal *p, uint64_t id, const char *user, const char *via,
    time_t now, char *from, size_t fromlen)
{
	struct owned o = { .user = user };
	char by[QTOKEN_USER_MAX + 16];
	const char *rcpts[1] = { user };
	uint64_t qid;
	int rc;

	if (quarantine_find(&p->q, id, owned_row, &o) < 0 || !o.found)
		return -MG_ENOENT;
	if (!o.releasable)
		return -MG_EINVAL;
	snprintf(by, sizeof(by), "portal:%s", user);
	if ((rc = quarantine_release(&p->q, id, rcpts, 1, false, by, now, &qid)) < 0) {
		log_err("portal release user=%s id=%016" PRIx64 " status=failed error=\"%s\"",
		    user, id, mg_strerror(rc));
		return rc;
	}
	if (p->notify != NULL)
		p->notify(p->conf, qid);
	if (from != NULL)
		snprintf(from, fromlen, "%s", o.from);
	log_info("portal release user=%s id=%016" PRIx64 " via=%s qid=%016" PRIx64, user, id,
	    via, qid);
	return 0;
}

enum MHD_Result
portal_release_result(struct portal_req *r, int rc, const char *done)
{
	if (rc == -MG_ENOENT)
		return portal_not_found(r);
	if (rc == -MG_EINVAL)
		return portal_message(r, MHD_HTTP_FORBIDDEN, "Ask your administrator",
		    "This message was already released, or only your administrator can release"
		    " it.");
	if (rc < 0)
		return portal_message(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Try again later",
		    "The message could not be released right now.");
	return portal_message(r, MHD_HTTP_OK, "Released", done);
}

/* "Release and report as not spam": the held copy learned as ham by the
 * Bayes store of the configuration (learn/report.h). */
static void
portal_report_ham(struct portal *p, uint64_t id, const char *user)
{
	struct mg_buf msg;
	int rc;

	mg_buf_init(&msg, QUARANTINE_MAX_MESSAGE);
	if ((rc = quarantine_get(&p->q, id, &msg)) == 0)
		rc = learn_report(p->conf, msg.data, msg.len, false);
	log_info("portal report user=%s id=%016" PRIx64 " as=ham status=%s", user, id,
	    rc == 0 || rc == -MG_EEXIST ? "learned" : rc == -MG_ENOENT ? "no_bayes" :
	    "failed");
	mg_buf_release(&msg);
}

enum MHD_Result
portal_release(struct portal_req *r, uint64_t id)
{
	char csrf[PORTAL_ID_HEX + 1], report[8];
	int rc;

	if (r->sess == NULL)
		return portal_signin_needed(r);
	if (portal_field(r, false, "csrf", csrf, sizeof(csrf)) < 0 ||
	    !session_csrf_ok(r->sess, csrf)) {
		log_info("portal refused what=release user=%s reason=csrf ip=%s", r->sess->user,
		    r->ip);
		return portal_message(r, MHD_HTTP_FORBIDDEN, "Refused",
		    "This form has expired; open your quarantine again.");
	}
	rc = portal_release_to(r->p, id, r->sess->user, "session", r->now, NULL, 0);
	if (rc == 0 && portal_field(r, false, "report", report, sizeof(report)) == 0 &&
	    strcmp(report, "ham") == 0)
		portal_report_ham(r->p, id, r->sess->user);
	if (rc == -MG_ENOENT || rc == -MG_EINVAL)
		log_info("portal refused what=release user=%s id=%016" PRIx64 " reason=%s ip=%s",
		    r->sess->user, id, rc == -MG_ENOENT ? "not_found" : "needs_admin", r->ip);
	return portal_release_result(r, rc, "The message is on its way to your mailbox.");
}
