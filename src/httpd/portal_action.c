/* The action links of the digests (/portal/a?t=TOKEN): GET only shows
 * what the link would do with a button, so that link scanners fetching
 * URLs change nothing; POST verifies the token, spends its nonce (single
 * use), checks that the message is the token user's and releasable,
 * releases it to that user and, for QTOKEN_ALLOW, adds a user-scope
 * allow filter for the sender. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "httpd/portal_int.h"
#include "policy/policy.h"
#include "store/store.h"

static const char *
refusal(int rc)
{
	return rc == -MG_ETIMEOUT ? "expired" : "invalid";
}

static enum MHD_Result
confirm_page(struct portal_req *r, const struct qtoken *t, const char *text)
{
	char hex[MG_ID_STRLEN + 1];
	struct mg_buf b;
	enum MHD_Result ret;
	int rc;

	mg_id_format(t->id, hex);
	mg_buf_init(&b, PORTAL_PAGE_MAX);
	rc = html_escf(&b, "<p>Release message %s", hex);
	rc = rc ? rc : html_escf(&b, " to %s", t->user);
	rc = rc ? rc : mg_buf_appendf(&b, "%s?</p>", t->action == QTOKEN_ALLOW ?
	    " and always accept mail from its sender" : "");
	rc = rc ? rc : html_escf(&b, "<form method=\"post\" action=\"/portal/a\">"
	    "<input type=\"hidden\" name=\"t\" value=\"%s\">"
	    "<button type=\"submit\">Confirm</button></form>", text);
	if (rc < 0)
		mg_buf_reset(&b);
	ret = portal_page(r, MHD_HTTP_OK, "Confirm", &b, NULL);
	mg_buf_release(&b);
	return ret;
}

/* A user-scope filter accepting mail from sender for user. */
static int
allow_sender(struct portal *p, const char *user, const char *sender, time_t now)
{
	char cond[1024], name[POLICY_NAME_MAX];
	struct store_policy row = { .priority = 0, .scope = "user", .scope_value = user,
		.state = "enabled", .action = "accept", .action_args = "",
		.created = now, .updated = now };
	uint64_t id;
	int rc;

	if (sender[0] == '\0' || policy_list_cond(sender, cond, sizeof(cond)) < 0)
		return -MG_EINVAL;
	snprintf(name, sizeof(name), "allow %s (portal)", sender);
	row.name = name;
	row.condition = cond;
	if ((rc = store_pol_add(p->store, &row, &id)) == 0)
		log_info("portal allow user=%s sender=%s filter=%" PRIu64, user, sender, id);
	return rc;
}

static enum MHD_Result
execute(struct portal_req *r, const struct qtoken *t)
{
	char from[QTOKEN_USER_MAX] = "";
	int rc;

	rc = store_token_use(r->p->store, t->nonce, t->expires, r->now);
	if (rc == -MG_EEXIST) {
		log_info("portal refused what=%s user=%s id=%016" PRIx64 " reason=used ip=%s",
		    qtoken_action_name(t->action), t->user, t->id, r->ip);
		return portal_message(r, MHD_HTTP_FORBIDDEN, "Link already used",
		    "This link was already used. Open your quarantine to see the message.");
	}
	if (rc == 0)
		rc = portal_release_to(r->p, t->id, t->user, "link", r->now, from, sizeof(from));
	if (rc == -MG_ENOENT || rc == -MG_EINVAL)
		log_info("portal refused what=%s user=%s id=%016" PRIx64 " reason=%s ip=%s",
		    qtoken_action_name(t->action), t->user, t->id,
		    rc == -MG_ENOENT ? "not_found" : "needs_admin", r->ip);
	if (rc == 0 && t->action == QTOKEN_ALLOW && allow_sender(r->p, t->user, from,
	    r->now) < 0)
		return portal_message(r, MHD_HTTP_OK, "Released",
		    "The message is on its way to your mailbox; its sender could not be added"
		    " to your allowed senders.");
	return portal_release_result(r, rc, t->action == QTOKEN_ALLOW ?
	    "The message is on its way to your mailbox, and mail from its sender will be"
	    " accepted from now on." : "The message is on its way to your mailbox.");
}

enum MHD_Result
portal_action(struct portal_req *r)
{
	char text[QTOKEN_TEXT_MAX];
	struct qtoken t;
	int rc;

	if (portal_field(r, !r->post, "t", text, sizeof(text)) < 0)
		return portal_invalid_link(r);
	rc = qtoken_verify(r->p->key, text, r->now, &t);
	if (rc == 0 && t.action == QTOKEN_LOGIN)
		rc = -MG_EPROTO;
	if (rc < 0) {
		log_info("portal refused what=action reason=%s ip=%s", refusal(rc), r->ip);
		return portal_invalid_link(r);
	}
	return r->post ? execute(r, &t) : confirm_page(r, &t, text);
}
