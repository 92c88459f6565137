/* Authentication-Results (authres.h): resinfo built as words, folded as
 * they are appended; values checked against the RFC 8601 grammar (token,
 * local-part "@" domain, or quoted-string), comments stripped of
 * anything that could end them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/authres.h"
#include "core/buf.h"
#include "core/err.h"

#define AUTHRES_COLS	78
#define AUTHRES_MAX	8192	/* bytes of the whole value */
#define AUTHRES_VAL_MAX	256	/* bytes of one value or comment taken from input */

struct ar_out {
	struct mg_buf	 b;
	size_t		 col;	/* column of the end of the current line */
};

/* Appends one word, after a space or, when it would pass the margin (one
 * column kept for a ';'), on a new folded line; newline starts the word on
 * a new line anyway. */
static int
ar_word(struct ar_out *o, const char *w, bool newline)
{
	size_t len = strlen(w);
	int rc;

	if (newline || o->col + 1 + len + 1 > AUTHRES_COLS) {
		rc = mg_buf_append(&o->b, "\r\n\t", 3);
		o->col = 8;
	} else {
		rc = mg_buf_append(&o->b, " ", 1);
		o->col++;
	}
	o->col += len;
	return rc ? rc : mg_buf_append(&o->b, w, len);
}

static bool
ar_tspecial(unsigned char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* atext of RFC 5322 plus '.', for local parts and domains. */
static bool
ar_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL || c >= 0x80;
}

/* v as a token, as local@domain, or as a quoted-string (controls
 * dropped) into w, which has room for 2 * AUTHRES_VAL_MAX + 3 bytes. */
static void
ar_value(char *w, const char *v)
{
	size_t n = 0, len = strlen(v), ats = 0;
	bool token = len > 0, address = len > 0;

	if (len > AUTHRES_VAL_MAX)
		len = AUTHRES_VAL_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		ats += c == '@';
		token = token && c > 0x20 && c < 0x7f && !ar_tspecial(c);
		address = address && (c == '@' || ar_atext(c));
	}
	address = address && ats == 1 && v[len - 1] != '@';
	if (token || address) {
		memcpy(w, v, len);
		w[len] = '\0';
		return;
	}
	w[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == '"' || c == '\\')
			w[n++] = '\\';
		w[n++] = (char)c;
	}
	w[n++] = '"';
	w[n] = '\0';
}

static int
ar_prop(struct ar_out *o, const char *prop, const char *v)
{
	char w[AUTHRES_VAL_MAX * 2 + 64];
	size_t n = (size_t)snprintf(w, sizeof(w), "%s=", prop);

	ar_value(w + n, v);
	return ar_word(o, w, false);
}

/* "(text)" with what could end the comment or the line removed. */
static int
ar_comment(struct ar_out *o, const char *text)
{
	char w[AUTHRES_VAL_MAX + 3];
	size_t n = 0;

	w[n++] = '(';
	for (size_t i = 0; text[i] != '\0' && n < AUTHRES_VAL_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c != 0x7f && c != '(' && c != ')' && c != '\\')
			w[n++] = (char)c;
	}
	w[n++] = ')';
	w[n] = '\0';
	return ar_word(o, w, false);
}

/* "method=result" opening a resinfo on its own line (after the ';' of the
 * previous one). */
static int
ar_method(struct ar_out *o, const char *method, const char *result)
{
	char w[64];
	int rc = mg_buf_append(&o->b, ";", 1);

	o->col++;
	snprintf(w, sizeof(w), "%s=%s", method, result);
	return rc ? rc : ar_word(o, w, true);
}

static int
ar_spf(struct ar_out *o, const struct spf_outcome *s, bool helo)
{
	int rc = ar_method(o, "spf", spf_result_name(s->result));

	if (rc == 0 && s->problem != NULL && s->result != SPF_NONE)
		rc = ar_comment(o, s->problem);
	if (rc == 0 && helo)
		return ar_prop(o, "smtp.helo", s->domain ? s->domain : "");
	return rc ? rc : ar_prop(o, "smtp.mailfrom", s->sender ? s->sender : "");
}

static int
ar_dkim(struct ar_out *o, const struct dkim_result *d)
{
	int rc = ar_method(o, "dkim", dkim_status_name(d->status));

	if (rc == 0 && d->reason != NULL && d->status != DKIM_PASS)
		rc = ar_comment(o, d->reason);
	if (rc == 0 && d->domain != NULL)
		rc = ar_prop(o, "header.d", d->domain);
	if (rc == 0 && d->selector != NULL)
		rc = ar_prop(o, "header.s", d->selector);
	if (rc == 0 && d->header_b != NULL)
		rc = ar_prop(o, "header.b", d->header_b);
	return rc;
}

static int
ar_dmarc(struct ar_out *o, const struct dmarc_outcome *d)
{
	char c[96];
	int rc = ar_method(o, "dmarc", dmarc_result_name(d->result));

	if (rc == 0 && d->record_domain != NULL && (d->result == DMARC_PASS ||
	    d->result == DMARC_FAIL)) {
		snprintf(c, sizeof(c), "p=%s sp=%s dis=%s%s", dmarc_policy_name(d->rec.p),
		    dmarc_policy_name(d->rec.sp), dmarc_policy_name(d->disposition),
		    d->sampled_out ? " pct" : "");
		rc = ar_comment(o, c);
	} else if (rc == 0 && d->problem != NULL && d->result != DMARC_NONE) {
		rc = ar_comment(o, d->problem);
	}
	if (rc == 0 && d->from_domain != NULL)
		rc = ar_prop(o, "header.from", d->from_domain);
	return rc;
}

const char *
authres_build(struct mg_arena *a, const struct authres_input *in)
{
	struct ar_out o = { .col = sizeof(AUTHRES_NAME ": ") - 1 };
	char id[AUTHRES_VAL_MAX * 2 + 3], *s = NULL;
	int rc;

	mg_buf_init(&o.b, AUTHRES_MAX);
	ar_value(id, in->authserv_id);
	rc = mg_buf_append(&o.b, id, strlen(id));
	o.col += strlen(id);
	if (rc == 0 && in->spf_mailfrom != NULL)
		rc = ar_spf(&o, in->spf_mailfrom, false);
	if (rc == 0 && in->spf_helo != NULL)
		rc = ar_spf(&o, in->spf_helo, true);
	if (rc == 0 && in->dkim_checked && in->ndkim == 0)
		rc = ar_method(&o, "dkim", "none");
	for (size_t i = 0; rc == 0 && in->dkim_checked && i < in->ndkim; i++)
		rc = ar_dkim(&o, &in->dkim[i]);
	if (rc == 0 && in->dmarc != NULL)
		rc = ar_dmarc(&o, in->dmarc);
	if (rc == 0 && in->arc != NULL)
		rc = ar_method(&o, "arc", arc_status_name(in->arc->status));
	if (rc == 0 && in->spf_mailfrom == NULL && in->spf_helo == NULL && !in->dkim_checked &&
	    in->dmarc == NULL && in->arc == NULL)
		rc = mg_buf_append(&o.b, "; none", 6);
	if (rc == 0 && (s = mg_arena_strndup(a, o.b.data, o.b.len)) == NULL)
		rc = -MG_ENOMEM;
	mg_buf_release(&o.b);
	return rc == 0 ? s : NULL;
}

static size_t
ar_skip_cfws(const char *v, size_t len, size_t i)
{
	size_t depth = 0;

	for (; i < len; i++) {
		char c = v[i];
		if (depth > 0 && c == '\\')
			i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	return i;
}

bool
authres_is_ours(const char *v, size_t len, const char *authserv_id)
{
	char id[AUTHRES_VAL_MAX + 1];
	size_t i = ar_skip_cfws(v, len, 0), n = 0;

	if (i < len && v[i] == '"') {
		for (i++; i < len && v[i] != '"' && n < AUTHRES_VAL_MAX; i++) {
			if (v[i] == '\\' && i + 1 < len)
				i++;
			id[n++] = v[i];
		}
	} else {
		for (; i < len && n < AUTHRES_VAL_MAX && v[i] != ';' && v[i] != '(' &&
		    v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n'; i++)
			id[n++] = v[i];
	}
	id[n] = '\0';
	return n > 0 && strcasecmp(id, authserv_id) == 0;
}
