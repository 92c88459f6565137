/* The bulk check (bulk.h): the header fields and envelope that show bulk
 * mail, and the review of mass mail to internal recipients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/account.h"
#include "checks/bulk.h"
#include "core/err.h"
#include "learn/reputation_addr.h"
#include "mime/mime.h"

static const struct symbol_def bulk_symbols[] = {
	CHECK_SYMBOL("BULK_MAIL", 0.2, BULK, ACCEPT, "bulk or group mail: list headers, an "
	    "e-mail service provider, a bounce return path or many recipients (options)"),
	CHECK_SYMBOL("BULK_MANY_INTERNAL", 1.0, BULK, HOLD, "an external sender writes to more "
	    "internal recipients than engine.bulk.review_recipients"),
	CHECK_SYMBOL("BULK_FAIL", 0.0, CLEAN, ACCEPT, "the bulk check failed or timed out"),
};

/* Header fields that show bulk mail (names starting with name when
 * prefix) and the option each gives. */
static const struct {
	const char	*name;
	const char	*option;
	bool		 prefix;
} bulk_fields[] = {
	{ "List-Unsubscribe", "list-unsubscribe", false },
	{ "List-Id", "list-id", false },
	{ "Feedback-ID", "feedback-id", false },
	{ "X-SES-Outgoing", "amazon-ses", false },
	{ "X-Mailgun-", "mailgun", true },
	{ "X-SG-EID", "sendgrid", false },
	{ "X-MC-User", "mailchimp", false },
	{ "X-Mandrill-User", "mandrill", false },
	{ "X-Mailjet-", "mailjet", true },
	{ "X-SFMC-Stack", "salesforce", false },
	{ "X-CSA-Complaints", "csa", false },
	{ "X-Campaign", "campaign", true },
};

struct bulk {
	struct account_site site;
	uint32_t	 recipients;
	uint32_t	 review;
};

static void
bulk_fini(void *state)
{
	struct bulk *b = state;

	if (b == NULL)
		return;
	account_site_fini(&b->site);
	free(b);
}

static int
bulk_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_bulk *c = &conf->engine.bulk;
	struct bulk *b;

	(void)err;
	(void)errlen;
	*state = NULL;
	if (!c->enabled)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -MG_ENOMEM;
	b->recipients = c->recipients;
	b->review = c->review_recipients;
	if (account_site_init(&b->site, conf) < 0) {
		bulk_fini(b);
		return -MG_ENOMEM;
	}
	*state = b;
	return 0;
}

static bool
bulk_name_is(const struct mime_header *h, const char *name, bool prefix)
{
	size_t n = strlen(name);

	if (prefix ? h->name.len < n : h->name.len != n)
		return false;
	return strncasecmp((const char *)h->name.ptr, name, n) == 0;
}

/* A return path of a bounce handler: "bounce" in the local part
 * (bounces+..., list-bounces, bounce-...) or a "bnc" prefix. */
static bool
bulk_bounce_path(const char *addr)
{
	char clean[ACCOUNT_ADDR_MAX + 1];
	char *at;

	if (addr == NULL || rep_addr_clean(addr, clean, sizeof(clean)) < 0 ||
	    (at = strrchr(clean, '@')) == NULL)
		return false;
	*at = '\0';
	return strstr(clean, "bounce") != NULL || strncmp(clean, "bnc", 3) == 0;
}

static bool
bulk_precedence(const char *v)
{
	static const char *const values[] = { "bulk", "list", "junk" };

	while (*v == ' ' || *v == '\t')
		v++;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		size_t n = strlen(values[i]);
		if (strncasecmp(v, values[i], n) == 0 &&
		    (v[n] == '\0' || v[n] == ' ' || v[n] == '\t' || v[n] == ';'))
			return true;
	}
	return false;
}

/* BULK_MAIL with an option per field or envelope property that shows it. */
static int
bulk_fields_scan(const struct bulk *b, struct mg_task *t)
{
	const struct mime_part *root = t->msg->root;
	char opt[32];
	int rc = 0;

	for (size_t i = 0; i < root->nheaders && rc == 0; i++) {
		const struct mime_header *h = &root->headers[i];
		for (size_t k = 0; k < sizeof(bulk_fields) / sizeof(bulk_fields[0]) && rc == 0; k++)
			if (bulk_name_is(h, bulk_fields[k].name, bulk_fields[k].prefix))
				rc = mg_task_symbol(t, "BULK_MAIL", bulk_fields[k].option);
		if (rc == 0 && h->value != NULL && bulk_name_is(h, "Precedence", false) &&
		    bulk_precedence(h->value))
			rc = mg_task_symbol(t, "BULK_MAIL", "precedence");
		if (rc == 0 && h->value != NULL && bulk_name_is(h, "Return-Path", false) &&
		    bulk_bounce_path(h->value))
			rc = mg_task_symbol(t, "BULK_MAIL", "bounce-path");
	}
	if (rc == 0 && t->env != NULL && bulk_bounce_path(t->env->mail_from))
		rc = mg_task_symbol(t, "BULK_MAIL", "bounce-path");
	if (rc == 0 && t->env != NULL && t->env->nrcpts >= b->recipients) {
		snprintf(opt, sizeof(opt), "recipients=%zu", t->env->nrcpts);
		rc = mg_task_symbol(t, "BULK_MAIL", opt);
	}
	return rc;
}

static int
bulk_scan(void *state, struct mg_task *t)
{
	const struct bulk *b = state;
	char sender[ACCOUNT_ADDR_MAX + 1], opt[32];
	size_t internal;
	int rc;

	if (b == NULL || t->msg == NULL || (t->env != NULL && t->env->outbound))
		return 0;
	if ((rc = bulk_fields_scan(b, t)) < 0 || t->env == NULL ||
	    account_site_internal_sender(&b->site, t->env, sender))
		return rc;
	if ((internal = account_site_internal_rcpts(&b->site, t->env)) > b->review) {
		snprintf(opt, sizeof(opt), "recipients=%zu", internal);
		return mg_task_symbol(t, "BULK_MANY_INTERNAL", opt);
	}
	return 0;
}

CHECK_SYMBOLS_HOOK(bulk_defs, bulk_symbols)

const struct mg_check check_bulk = {
	.name = "bulk",
	.init = bulk_init,
	.scan = bulk_scan,
	.fini = bulk_fini,
	.symbols = bulk_defs,
};
