/* The built-in structure tests of "eval" rules (docs/rules.md): facts a
 * regex cannot see and no other check reports as a symbol, such as the
 * amount of visible text against the images, or how far the Date field is
 * from the time the message was received. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mime/html.h"
#include "mime/received.h"
#include "rules/rules_int.h"

#define SUBJECT_CAPS_MIN_LETTERS	12	/* shorter subjects are not judged */

static bool
is_body_text(const struct mime_part *p)
{
	return !p->is_attachment && p->type != NULL && strcmp(p->type, "text") == 0;
}

static bool
is_html(const struct mime_part *p)
{
	return p->subtype != NULL && strcmp(p->subtype, "html") == 0;
}

/* Code points other than white space and controls. */
static size_t
letters(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		n += c > 0x20 && c != 0x7f && (c & 0xc0) != 0x80;
	}
	return n;
}

/* The decoded value of the top-level field name, or NULL. */
static const char *
field_value(const struct mime_msg *m, const char *name)
{
	const struct mime_header *h = mime_header_find(m->root, name);

	return h != NULL ? h->value : NULL;
}

static const char *opt(struct mg_arena *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The option of a fired test, in the arena (NULL when it is exhausted). */
static const char *
opt(struct mg_arena *a, const char *fmt, ...)
{
	char buf[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mg_arena_strndup(a, buf, strlen(buf));
}

/* text/html body and no text/plain body with letters in it. */
static bool
eval_html_only(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	bool html = false;

	(void)arg;
	(void)env;
	(void)a;
	(void)option;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (!is_body_text(p))
			continue;
		if (is_html(p))
			html = true;
		else if (letters(p->text, p->text_len) > 0)
			return false;
	}
	return html;
}

/* Visible letters of the body text (plain parts and HTML) below arg. */
static bool
eval_text_below(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	size_t n = 0;

	(void)env;
	for (size_t i = 0; i < m->nparts && n < (size_t)arg; i++) {
		const struct mime_part *p = m->parts[i];
		if (!is_body_text(p))
			continue;
		if (p->html != NULL)
			n += letters(p->html->visible, p->html->visible_len);
		else if (!is_html(p))
			n += letters(p->text, p->text_len);
	}
	if (n >= (size_t)arg)
		return false;
	*option = opt(a, "letters %zu", n);
	return true;
}

/* <img> elements plus image parts: at least arg. */
static bool
eval_images_at_least(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	size_t n = 0;

	(void)env;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		n += p->html != NULL ? p->html->nimages : 0;
		n += p->type != NULL && strcmp(p->type, "image") == 0;
	}
	if (n < (size_t)arg)
		return false;
	*option = opt(a, "images %zu", n);
	return true;
}

/* Decoded bytes of image parts: at least arg. */
static bool
eval_image_bytes_at_least(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	size_t n = 0;

	(void)env;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (p->type != NULL && strcmp(p->type, "image") == 0)
			n += p->body.len;
	}
	if (n < (size_t)arg)
		return false;
	*option = opt(a, "bytes %zu", n);
	return true;
}

/* Date minus the time the message was received (the newest Received
 * field with a time, else now), in seconds; false without a valid Date. */
static bool
date_offset(const struct mime_msg *m, const struct rules_env *env, long *secs)
{
	const char *v = field_value(m, "date");
	time_t date, ref = env->now;

	if (v == NULL || !received_date_parse(v, strlen(v), &date))
		return false;
	for (size_t i = 0; m->received != NULL && i < m->received->nhops; i++) {
		if (m->received->hops[i].time != 0) {
			ref = m->received->hops[i].time;
			break;
		}
	}
	*secs = (long)(date - ref);
	return true;
}

static bool
eval_date_ahead_hours(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	long d;

	if (!date_offset(m, env, &d) || d <= arg * 3600)
		return false;
	*option = opt(a, "ahead %ldh", d / 3600);
	return true;
}

static bool
eval_date_behind_days(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	long d;

	if (!date_offset(m, env, &d) || -d <= arg * 86400)
		return false;
	*option = opt(a, "behind %ldd", -d / 86400);
	return true;
}

/* A Date field that is not an RFC 5322 date. */
static bool
eval_date_invalid(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	const char *v = field_value(m, "date");
	time_t t;

	(void)arg;
	(void)env;
	(void)a;
	(void)option;
	return v != NULL && !received_date_parse(v, strlen(v), &t);
}

/* At least arg percent of the subject's letters (at least a dozen) are
 * capitals. */
static bool
eval_subject_caps_percent(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	const char *v = field_value(m, "subject");
	long upper = 0, lower = 0;

	(void)env;
	if (v == NULL)
		return false;
	for (const char *s = v; *s != '\0'; s++) {
		upper += *s >= 'A' && *s <= 'Z';
		lower += *s >= 'a' && *s <= 'z';
	}
	if (upper + lower < SUBJECT_CAPS_MIN_LETTERS || upper * 100 < arg * (upper + lower))
		return false;
	*option = opt(a, "caps %ld of %ld", upper, upper + lower);
	return true;
}

/* At least arg distinct URLs. */
static bool
eval_urls_at_least(const struct mime_msg *m, long arg, const struct rules_env *env,
    struct mg_arena *a, const char **option)
{
	(void)env;
	if (m->nurls < (size_t)arg)
		return false;
	*option = opt(a, "urls %zu", m->nurls);
	return true;
}

const struct rules_eval_def rules_evals[] = {
	{ "html_only", false, eval_html_only },
	{ "text_below", true, eval_text_below },
	{ "images_at_least", true, eval_images_at_least },
	{ "image_bytes_at_least", true, eval_image_bytes_at_least },
	{ "date_ahead_hours", true, eval_date_ahead_hours },
	{ "date_behind_days", true, eval_date_behind_days },
	{ "date_invalid", false, eval_date_invalid },
	{ "subject_caps_percent", true, eval_subject_caps_percent },
	{ "urls_at_least", true, eval_urls_at_least },
};

const size_t rules_nevals = sizeof(rules_evals) / sizeof(rules_evals[0]);
