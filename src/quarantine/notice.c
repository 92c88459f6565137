/* Notices (notice.h): the header block every notice shares, the bodies of
 * the digest (text and HTML with signed links), of the policy notice and
 * of the login code, encoded quoted-printable, and their submission to
 * the spool's queue with the null reverse path. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/id.h"
#include "quarantine/notice.h"
#include "spool/spool.h"

#define QP_LINE		76	/* characters of an encoded line, '=' included */
#define WORD_PAYLOAD	63	/* 75 - strlen("=?utf-8?q?") - strlen("?=") */
#define TEXT_MAX	998	/* bytes shown of one subject or address */
#define FIELD_MAX	900	/* bytes of a field's value before encoding */
#define LINK_MAX	(CONF_PORTAL_URL_MAX + QTOKEN_TEXT_MAX + 32)

/* What a digest's body is made of, in both forms. */
struct notice_body {
	struct mg_buf	 text, html;
};

static bool
addr_ok(const char *a)
{
	size_t n = a ? strlen(a) : 0;

	if (n == 0 || n >= QTOKEN_USER_MAX || strchr(a, '@') == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] <= 0x20 || a[i] == 0x7f || a[i] == '<' || a[i] == '>' ||
		    a[i] == ',' || a[i] == '"')
			return false;
	return true;
}

/* s (UTF-8, maybe NULL) with controls as blanks and at most max bytes,
 * cut on a character boundary. */
static int
put_textn(struct mg_buf *b, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	int rc = 0;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = mg_buf_putc(b, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' :
		    (uint8_t)s[i]);
	return rc;
}

static int
put_text(struct mg_buf *b, const char *s)
{
	return put_textn(b, s, TEXT_MAX);
}

/* As put_text, HTML-escaped. */
static int
put_html(struct mg_buf *b, const char *s)
{
	struct mg_buf t;
	int rc;

	mg_buf_init(&t, TEXT_MAX + 1);
	rc = put_text(&t, s);
	for (size_t i = 0; rc == 0 && i < t.len; i++) {
		switch (t.data[i]) {
		case '<': rc = mg_buf_append(b, "&lt;", 4); break;
		case '>': rc = mg_buf_append(b, "&gt;", 4); break;
		case '&': rc = mg_buf_append(b, "&amp;", 5); break;
		case '"': rc = mg_buf_append(b, "&quot;", 6); break;
		case '\'': rc = mg_buf_append(b, "&#39;", 5); break;
		default: rc = mg_buf_putc(b, t.data[i]); break;
		}
	}
	mg_buf_release(&t);
	return rc;
}

/* Bytes of the UTF-8 sequence starting with c (1 for anything odd). */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	return c >= 0xc0 ? 2 : 1;
}

/* "Name: value" with value as RFC 2047 Q-encoded words, folded, when it
 * has a byte that is not printable ASCII; plain otherwise. */
static int
put_field(struct mg_buf *b, const char *name, const char *value)
{
	struct mg_buf v;
	size_t word = 0;
	bool plain = true;
	int rc;

	mg_buf_init(&v, FIELD_MAX + 1);
	if ((rc = put_textn(&v, value, FIELD_MAX)) < 0 || (rc = mg_buf_appendf(b, "%s:", name)) < 0)
		goto out;
	for (size_t i = 0; i < v.len; i++)
		plain = plain && v.data[i] < 0x80;
	if (plain) {
		rc = mg_buf_appendf(b, " %.*s\r\n", (int)v.len, (const char *)v.data);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < v.len;) {
		size_t n = utf8_len(v.data[i]), need;
		n = i + n > v.len ? v.len - i : n;
		need = 0;
		for (size_t k = 0; k < n; k++)
			need += (v.data[i + k] < 0x80 && (v.data[i + k] == ' ' ||
			    (v.data[i + k] >= '0' && v.data[i + k] <= '9') ||
			    ((v.data[i + k] | 0x20) >= 'a' && (v.data[i + k] | 0x20) <= 'z'))) ? 1 : 3;
		if (word != 0 && word + need > WORD_PAYLOAD) {
			rc = mg_buf_append(b, "?=\r\n", 4);
			word = 0;
		}
		if (rc == 0 && word == 0)
			rc = mg_buf_append(b, " =?utf-8?q?", 11);
		for (size_t k = 0; rc == 0 && k < n; k++, i++) {
			uint8_t c = v.data[i];
			rc = need == n && c == ' ' ? mg_buf_putc(b, '_') : need == n ?
			    mg_buf_putc(b, c) : mg_buf_appendf(b, "=%02X", c);
		}
		word += need;
	}
	rc = rc ? rc : mg_buf_append(b, "?=\r\n", 4);
out:
	mg_buf_release(&v);
	return rc;
}

/* text (lines ending in '\n') as quoted-printable with CRLF line ends. */
static int
put_qp(struct mg_buf *b, const struct mg_buf *text)
{
	size_t col = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < text->len; i++) {
		uint8_t c = text->data[i];
		bool last = i + 1 == text->len || text->data[i + 1] == '\n';
		bool lit = (c >= 0x21 && c <= 0x7e && c != '=') ||
		    ((c == ' ' || c == '\t') && !last);
		size_t w = lit ? 1 : 3;
		if (c == '\n') {
			rc = mg_buf_append(b, "\r\n", 2);
			col = 0;
			continue;
		}
		if (col + w > QP_LINE - 1 && !(last && col + w <= QP_LINE)) {
			rc = mg_buf_append(b, "=\r\n", 3);
			col = 0;
		}
		rc = rc ? rc : lit ? mg_buf_putc(b, c) : mg_buf_appendf(b, "=%02X", c);
		col += w;
	}
	return rc;
}

/* The fields every notice starts with, up to and including MIME-Version. */
static int
put_head(const struct notice_ctx *ctx, struct mg_buf *b, const char *to, const char *subject,
    const char *kind, uint64_t unique)
{
	char from[CONF_PORTAL_ADDR_MAX], date[MG_DATE_LEN];
	int rc;

	if (conf_portal_from(ctx->conf, ctx->hostname, from, sizeof(from)) < 0)
		return -MG_ELIMIT;
	mg_date_rfc5322(ctx->now, date);
	rc = mg_buf_appendf(b, "Date: %s\r\nMessage-ID: <%016" PRIx64 ".%s.%016" PRIx64
	    "@%s>\r\nFrom: Mailgate <%s>\r\nTo: <%s>\r\n", date, (uint64_t)ctx->now, kind,
	    unique, ctx->hostname, from, to);
	rc = rc ? rc : put_field(b, "Subject", subject);
	return rc ? rc : mg_buf_appendf(b, "MIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\nX-Mailgate-Notice: %s\r\n", kind);
}

/* A single text/plain notice: head, then the body encoded. */
static int
put_single(const struct notice_ctx *ctx, struct mg_buf *out, const char *to,
    const char *subject, const char *kind, const struct mg_buf *text)
{
	int rc = put_head(ctx, out, to, subject, kind, mg_id_random());

	rc = rc ? rc : mg_buf_appendf(out, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	return rc ? rc : put_qp(out, text);
}

/* "2026-11-24 15:30 UTC" */
static void
short_date(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* One signed link for user: url + path + token. */
static int
make_link(const struct notice_ctx *ctx, const char *url, const char *user,
    enum qtoken_action action, uint64_t id, char out[LINK_MAX])
{
	struct qtoken t = { .action = action, .id = id };
	char tok[QTOKEN_TEXT_MAX];
	int rc;

	snprintf(t.user, sizeof(t.user), "%s", user);
	t.expires = ctx->now + (time_t)ctx->conf->link_days * 86400;
	if ((rc = qtoken_sign(ctx->key, &t, tok, sizeof(tok))) < 0)
		return rc;
	snprintf(out, LINK_MAX, "%s%s%s", url, action == QTOKEN_LOGIN ? NOTICE_LOGIN_PATH :
	    NOTICE_ACTION_PATH, tok);
	return 0;
}

/* Whether only an administrator may release q. */
static bool
admin_only(const struct store_quarantine *q)
{
	return q->hold || (q->category != NULL && (strcmp(q->category, "malware") == 0 ||
	    strcmp(q->category, "phishing") == 0));
}

/* The links of one item in both forms. */
static int
digest_links(const struct notice_ctx *ctx, const char *url, const char *user,
    const struct store_quarantine *q, struct notice_body *nb)
{
	char rel[LINK_MAX], allow[LINK_MAX];
	int rc;

	if (admin_only(q)) {
		rc = mg_buf_appendf(&nb->text, "   Only an administrator can release this "
		    "message: ask your administrator.\n");
		return rc ? rc : mg_buf_appendf(&nb->html, "<br><em>Only an administrator can "
		    "release this message: ask your administrator.</em>");
	}
	if ((rc = make_link(ctx, url, user, QTOKEN_RELEASE, q->id, rel)) < 0 ||
	    (rc = make_link(ctx, url, user, QTOKEN_ALLOW, q->id, allow)) < 0)
		return rc;
	rc = mg_buf_appendf(&nb->text, "   Release: %s\n   Release and always allow this "
	    "sender: %s\n", rel, allow);
	return rc ? rc : mg_buf_appendf(&nb->html, "<br><a href=\"%s\">Release</a> | "
	    "<a href=\"%s\">Release and always allow this sender</a>", rel, allow);
}

/* One item of the list in both forms. */
static int
digest_item(const struct notice_ctx *ctx, const char *url, const char *user,
    const struct store_quarantine *q, size_t i, struct notice_body *nb)
{
	const char *from = q->mail_from && *q->mail_from ? q->mail_from : "<>";
	char when[32];
	int rc;

	short_date(q->time, when);
	rc = mg_buf_appendf(&nb->text, "%zu. %s  From: ", i + 1, when);
	rc = rc ? rc : put_text(&nb->text, from);
	rc = rc ? rc : mg_buf_appendf(&nb->text, "\n   Subject: ");
	rc = rc ? rc : put_text(&nb->text, q->subject);
	rc = rc ? rc : mg_buf_appendf(&nb->text, "\n   Held as: ");
	rc = rc ? rc : put_text(&nb->text, q->category);
	rc = rc ? rc : mg_buf_appendf(&nb->text, " (");
	rc = rc ? rc : put_text(&nb->text, q->reason);
	rc = rc ? rc : mg_buf_appendf(&nb->text, "), %" PRIu64 " KB\n",
	    (q->size + 1023) / 1024);
	rc = rc ? rc : mg_buf_appendf(&nb->html, "<li>%s &mdash; <b>", when);
	rc = rc ? rc : put_html(&nb->html, from);
	rc = rc ? rc : mg_buf_appendf(&nb->html, "</b><br>Subject: ");
	rc = rc ? rc : put_html(&nb->html, q->subject);
	rc = rc ? rc : mg_buf_appendf(&nb->html, "<br>Held as: ");
	rc = rc ? rc : put_html(&nb->html, q->category);
	rc = rc ? rc : mg_buf_appendf(&nb->html, " (");
	rc = rc ? rc : put_html(&nb->html, q->reason);
	rc = rc ? rc : mg_buf_appendf(&nb->html, "), %" PRIu64 " KB", (q->size + 1023) / 1024);
	rc = rc ? rc : digest_links(ctx, url, user, q, nb);
	return rc ? rc : mg_buf_appendf(&nb->html, "</li>\n");
}

/* Both bodies of the digest. */
static int
digest_bodies(const struct notice_ctx *ctx, const char *user, const struct store_quarantine *items,
    size_t n, size_t total, struct notice_body *nb)
{
	char url[CONF_PORTAL_URL_MAX], login[LINK_MAX];
	int rc;

	if (conf_portal_url(ctx->conf, ctx->hostname, url, sizeof(url)) < 0)
		return -MG_ELIMIT;
	rc = mg_buf_appendf(&nb->text, "Messages for %s were held by the mail gateway since "
	    "the last digest (%zu new).\nThe links work for %u days.\n\n", user, total,
	    ctx->conf->link_days);
	rc = rc ? rc : mg_buf_appendf(&nb->html, "<!DOCTYPE html>\n<html><head><meta "
	    "charset=\"utf-8\"><title>Quarantine digest</title></head><body>\n<p>Messages for ");
	rc = rc ? rc : put_html(&nb->html, user);
	rc = rc ? rc : mg_buf_appendf(&nb->html, " were held by the mail gateway since the "
	    "last digest (%zu new). The links work for %u days.</p>\n<ol>\n", total,
	    ctx->conf->link_days);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = digest_item(ctx, url, user, &items[i], i, nb);
	if (rc == 0 && total > n) {
		rc = mg_buf_appendf(&nb->text, "\n%zu more are not listed here.\n", total - n);
		rc = rc ? rc : mg_buf_appendf(&nb->html, "</ol>\n<p>%zu more are not listed "
		    "here.</p>\n<ol>", total - n);
	}
	rc = rc ? rc : make_link(ctx, url, user, QTOKEN_LOGIN, 0, login);
	rc = rc ? rc : mg_buf_appendf(&nb->text, "\nSee all your held messages in the "
	    "portal: %s\n", login);
	return rc ? rc : mg_buf_appendf(&nb->html, "</ol>\n<p><a href=\"%s\">See all your "
	    "held messages in the portal</a></p>\n</body></html>\n", login);
}

int
notice_digest(const struct notice_ctx *ctx, const char *user,
    const struct store_quarantine *items, size_t n, size_t total, struct mg_buf *out)
{
	struct notice_body nb;
	char lower[QTOKEN_USER_MAX], subject[96], boundary[48];
	uint64_t unique = mg_id_random();
	int rc;

	if (!addr_ok(user))
		return -MG_EINVAL;
	for (size_t i = 0; (lower[i] = user[i]) != '\0'; i++)
		lower[i] = lower[i] >= 'A' && lower[i] <= 'Z' ? lower[i] + 32 : lower[i];
	mg_buf_init(&nb.text, NOTICE_MAX_LEN / 4);
	mg_buf_init(&nb.html, NOTICE_MAX_LEN / 4);
	snprintf(subject, sizeof(subject), "Quarantine digest: %zu new held message%s", total,
	    total == 1 ? "" : "s");
	snprintf(boundary, sizeof(boundary), "=_mailgate_digest_%016" PRIx64, unique);
	rc = digest_bodies(ctx, lower, items, n, total, &nb);
	rc = rc ? rc : put_head(ctx, out, user, subject, "digest", unique);
	rc = rc ? rc : mg_buf_appendf(out, "Content-Type: multipart/alternative;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, boundary);
	rc = rc ? rc : put_qp(out, &nb.text);
	rc = rc ? rc : mg_buf_appendf(out, "\r\n--%s\r\nContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
	rc = rc ? rc : put_qp(out, &nb.html);
	rc = rc ? rc : mg_buf_appendf(out, "\r\n--%s--\r\n", boundary);
	mg_buf_release(&nb.text);
	mg_buf_release(&nb.html);
	return rc;
}

/* One "Label: value" line of the policy notice, skipped when value is NULL. */
static int
event_line(struct mg_buf *b, const char *label, const char *value)
{
	int rc;

	if (value == NULL)
		return 0;
	rc = mg_buf_appendf(b, "  %-11s ", label);
	rc = rc ? rc : put_text(b, *value ? value : "<>");
	return rc ? rc : mg_buf_putc(b, '\n');
}

int
notice_policy(const struct notice_ctx *ctx, enum notice_target target, const char *to,
    const struct notice_event *ev, struct mg_buf *out)
{
	static const char *const intro[] = {
		[NOTICE_SENDER] = "A message you sent was stopped by the mail gateway's policy.",
		[NOTICE_RECIPIENT] = "A message addressed to you was stopped by the mail "
		    "gateway's policy.",
		[NOTICE_ADMIN] = "A policy filter with the notify action matched a message.",
	};
	struct mg_buf text;
	char when[32], qid[MG_ID_STRLEN + 1];
	int rc;

	if (!addr_ok(to))
		return -MG_EINVAL;
	mg_buf_init(&text, NOTICE_MAX_LEN / 4);
	short_date(ev->time, when);
	mg_id_format(ev->id, qid);
	rc = mg_buf_appendf(&text, "%s\n\nThe message:\n", intro[target]);
	rc = rc ? rc : event_line(&text, "Sender:", ev->mail_from);
	rc = rc ? rc : event_line(&text, "Recipients:", ev->rcpts);
	rc = rc ? rc : event_line(&text, "Subject:", ev->subject);
	rc = rc ? rc : event_line(&text, "Date:", when);
	rc = rc ? rc : event_line(&text, "Queue id:", qid);
	rc = rc ? rc : mg_buf_appendf(&text, "\nWhat happened:\n");
	rc = rc ? rc : event_line(&text, "Action:", ev->action);
	rc = rc ? rc : event_line(&text, "Filter:", ev->filter);
	rc = rc ? rc : event_line(&text, "Reason:", ev->reason);
	rc = rc ? rc : mg_buf_appendf(&text, "\nThe content of the message is not included. "
	    "Ask your administrator if you think this is wrong.\n");
	if (rc == 0) {
		char subject[TEXT_MAX + 32];
		snprintf(subject, sizeof(subject), "Mail policy notice: %s",
		    ev->subject && *ev->subject ? ev->subject : "(no subject)");
		rc = put_single(ctx, out, to, subject, "notify", &text);
	}
	mg_buf_release(&text);
	return rc;
}

int
notice_code(const struct notice_ctx *ctx, const char *user, const char *code,
    struct mg_buf *out)
{
	struct mg_buf text;
	char url[CONF_PORTAL_URL_MAX];
	int rc;

	if (!addr_ok(user) || code == NULL || *code == '\0' || strlen(code) > 64)
		return -MG_EINVAL;
	if (conf_portal_url(ctx->conf, ctx->hostname, url, sizeof(url)) < 0)
		return -MG_ELIMIT;
	mg_buf_init(&text, 4096);
	rc = mg_buf_appendf(&text, "Your one-time code for the quarantine portal at %s/portal "
	    "is:\n\n    ", url);
	rc = rc ? rc : put_text(&text, code);
	rc = rc ? rc : mg_buf_appendf(&text, "\n\nIt is valid for %u minutes and works once.\n"
	    "If you did not ask for it, ignore this message.\n", ctx->conf->code_minutes);
	rc = rc ? rc : put_single(ctx, out, user, "Your quarantine portal login code", "code",
	    &text);
	mg_buf_release(&text);
	return rc;
}

int
notice_submit(struct spool *sp, const char *rcpt, const struct mg_buf *msg, time_t now,
    uint64_t *id)
{
	struct envelope env = { .created = now, .outbound = true, .is_dsn = true };
	int rc = -MG_ENOMEM;

	if (!addr_ok(rcpt))
		return -MG_EINVAL;
	env.smtputf8 = mg_has_8bit(rcpt, strlen(rcpt));
	env.eightbit = mg_has_8bit(msg->data, msg->len);
	if ((env.mail_from = strdup("")) != NULL && (env.verdict = strdup("clean")) != NULL &&
	    (env.action = strdup("accept")) != NULL)
		rc = envelope_add_rcpt(&env, rcpt, NULL, 0);
	rc = rc ? rc : spool_inject(sp, &env, msg->data, msg->len);
	if (rc == 0)
		*id = env.id;
	envelope_clear(&env);
	return rc;
}
