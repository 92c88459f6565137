/* mime_analyze: HTML, URLs, attachments and Received over a parsed
 * message (analyze.h). Text comes first, wherever it sits in the message,
 * so that the archive walk can try the passwords it gives (passwords.h).
 * Every limit is a constant of analyze.h or a limits structure of the
 * analyzer it calls. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mime/analyze.h"
#include "mime/attach.h"
#include "mime/html.h"
#include "mime/passwords.h"
#include "mime/received.h"
#include "mime/url.h"

struct mime_analyze_ctx {
	struct attach_ctx *attach;
	struct html_limits html;
	struct attach_limits att;
};

struct url_sink {
	struct url_set	*set;
	int		 err;		/* -MG_ENOMEM once the arena is exhausted */
};

struct mime_analyze_ctx *
mime_analyze_ctx_new(char *err, size_t errlen)
{
	struct mime_analyze_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		strncpy(err, "out of memory", errlen - 1);
		err[errlen - 1] = '\0';
		return NULL;
	}
	if ((c->attach = attach_ctx_new(err, errlen)) == NULL) {
		free(c);
		return NULL;
	}
	html_limits_default(&c->html);
	attach_limits_default(&c->att);
	return c;
}

struct mime_analyze_ctx *
mime_analyze_ctx_free(struct mime_analyze_ctx *c)
{
	if (c != NULL) {
		attach_ctx_free(c->attach);
		free(c);
	}
	return NULL;
}

/* Adds one URL; non-zero stops the extraction (set full or no memory). */
static int
analyze_url(const char *raw, size_t len, unsigned flags, void *arg)
{
	struct url_sink *sink = arg;
	int rc = url_set_add(sink->set, raw, len, flags);

	if (rc == -MG_ENOMEM)
		sink->err = rc;
	return rc == -MG_ENOMEM || rc == -MG_ELIMIT;
}

static void
analyze_text_urls(struct url_sink *sink, const char *text, size_t len, size_t max)
{
	if (text != NULL && sink->err == 0)
		url_extract_text(text, len < max ? len : max, ANALYZE_MAX_CANDIDATES,
		    analyze_url, sink);
}

static void
analyze_html_url(struct url_sink *sink, const char *url)
{
	if (url != NULL && *url != '\0' && sink->err == 0)
		analyze_url(url, strlen(url), URL_F_FROM_HTML, sink);
}

/* The HTML of one text/html part and the URLs in it. */
static int
analyze_html(struct mime_analyze_ctx *c, struct mg_arena *a, struct mime_part *p,
    struct url_sink *sink)
{
	const char *src = p->text ? p->text : (const char *)p->body.ptr;
	size_t len = p->text ? p->text_len : p->body.len;
	struct mime_html *h;

	if (src == NULL)
		src = "";
	if ((h = p->html = html_analyze(a, src, len, &c->html)) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < h->nlinks; i++)
		analyze_html_url(sink, h->links[i].href);
	for (size_t i = 0; i < h->nimages; i++)
		analyze_html_url(sink, h->images[i].src);
	for (size_t i = 0; i < h->nforms; i++)
		analyze_html_url(sink, h->forms[i].action);
	for (size_t i = 0; i < h->ncss_urls; i++)
		analyze_html_url(sink, h->css_urls[i]);
	analyze_text_urls(sink, h->visible, h->visible_len, ANALYZE_TEXT_MAX);
	return sink->err;
}

/* budget: what is left of the message's archive limits; each attachment
 * spends from it, so that many attachments cannot multiply the ceiling. */
static int
analyze_attachment(struct mime_analyze_ctx *c, struct mg_arena *a, struct mime_part *p,
    struct attach_limits *budget)
{
	size_t tl = strlen(p->type), sl = strlen(p->subtype);
	char *type = mg_arena_alloc(a, tl + sl + 2);

	if (type == NULL)
		return -MG_ENOMEM;
	memcpy(type, p->type, tl);
	type[tl] = '/';
	memcpy(type + tl + 1, p->subtype, sl + 1);
	p->att = attach_analyze(c->attach, a, p->filename, type, p->body.ptr, p->body.len,
	    budget);
	if (p->att == NULL)
		return -MG_ENOMEM;
	budget->max_expanded -= p->att->expanded < budget->max_expanded ?
	    p->att->expanded : budget->max_expanded;
	budget->max_members -= p->att->nmembers < budget->max_members ?
	    (unsigned)p->att->nmembers : budget->max_members;
	return 0;
}

/* Multipart and message/rfc822 parts: their parts come on their own. */
static bool
is_container(const struct mime_part *p)
{
	return p->first_child != NULL && strcmp(p->type, "text") != 0;
}

/* A text part: HTML, URLs, and password candidates from the body text. */
static int
analyze_text(struct mime_analyze_ctx *c, struct mg_arena *a, struct mime_part *p,
    struct url_sink *sink, struct mime_passwords *pw)
{
	const char *text = p->text;
	size_t len = p->text_len;
	int rc;

	if (strcmp(p->subtype, "html") == 0) {
		if ((rc = analyze_html(c, a, p, sink)) != 0)
			return rc;
		text = p->html->visible;
		len = p->html->visible_len;
	} else {
		analyze_text_urls(sink, p->text, p->text_len,
		    p->is_attachment ? ANALYZE_TEXT_ATT_MAX : ANALYZE_TEXT_MAX);
		if (sink->err != 0)
			return sink->err;
	}
	return p->is_attachment ? 0 : passwords_from_text(pw, a, text, len);
}

int
mime_analyze(struct mime_analyze_ctx *c, struct mg_arena *a, struct mime_msg *msg)
{
	struct url_sink sink = { url_set_new(a, ANALYZE_MAX_URLS), 0 };
	struct attach_limits budget = c->att;
	struct mime_passwords pw = { .n = 0 };
	const struct mime_header *subject;
	size_t i;
	int rc = 0;

	if (sink.set == NULL)
		return -MG_ENOMEM;
	if (msg->root != NULL && (subject = mime_header_find(msg->root, "Subject")) != NULL &&
	    subject->value != NULL)
		rc = passwords_from_text(&pw, a, subject->value, strlen(subject->value));
	for (i = 0; i < msg->nparts && rc == 0; i++)
		if (!is_container(msg->parts[i]) && strcmp(msg->parts[i]->type, "text") == 0)
			rc = analyze_text(c, a, msg->parts[i], &sink, &pw);
	budget.passwords = pw.v;
	budget.npasswords = pw.n;
	for (i = 0; i < msg->nparts && rc == 0; i++)
		if (!is_container(msg->parts[i]) && msg->parts[i]->is_attachment)
			rc = analyze_attachment(c, a, msg->parts[i], &budget);
	msg->urls = url_set_items(sink.set, &msg->nurls);
	if (rc == 0 && msg->root != NULL &&
	    (msg->received = received_parse(a, msg->root)) == NULL)
		rc = -MG_ENOMEM;
	return rc;
}
