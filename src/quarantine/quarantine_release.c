/* Release and forward (quarantine.h): the stored bytes go back into the
 * spool's queue as a new message, through spool_inject (the spool's commit:
 * fsync, rename, fsync), with one X-Mailgate-Released field before them,
 * for the original recipients or some of them, or (forward) anyone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "quarantine/quarantine.h"
#include "spool/spool.h"

#define ADDR_MAX	320	/* bytes of one recipient address */

/* What release needs of the row, copied (the row dies with the search). */
struct release_row {
	char		*mail_from;
	char		*rcpts;
	char		*category;
	double		 score;
};

static int
release_row_copy(const struct store_quarantine *row, void *arg)
{
	struct release_row *r = arg;

	r->mail_from = strdup(row->mail_from ? row->mail_from : "");
	r->rcpts = strdup(row->rcpts ? row->rcpts : "");
	r->category = strdup(row->category ? row->category : "");
	r->score = row->score;
	return r->mail_from && r->rcpts && r->category ? 0 : -MG_ENOMEM;
}

static void
release_row_clear(struct release_row *r)
{
	free(r->mail_from);
	free(r->rcpts);
	free(r->category);
}

/* Whether addr is one of the ", "-joined list (ASCII case ignored). */
static bool
rcpt_listed(const char *list, const char *addr)
{
	size_t len = strlen(addr);

	for (const char *p = list; *p != '\0';) {
		const char *end = strstr(p, ", ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncasecmp(p, addr, n) == 0)
			return true;
		p += n + (end ? 2 : 0);
	}
	return false;
}

/* A recipient the envelope can carry: no blank, control or angle bracket. */
static bool
rcpt_valid(const char *addr)
{
	size_t n = strlen(addr);

	if (n == 0 || n > ADDR_MAX || strchr(addr, '@') == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',')
			return false;
	}
	return true;
}

/* Adds the chosen recipients to env and joins them into to. */
static int
release_rcpts(struct envelope *env, const struct release_row *row, const char *const *rcpts,
    size_t n, bool any, struct mg_buf *to)
{
	int rc = 0;

	if (n > QUARANTINE_MAX_RCPTS)
		return -MG_ELIMIT;
	if (n == 0) {
		for (const char *p = row->rcpts; rc == 0 && *p != '\0';) {
			const char *end = strstr(p, ", ");
			size_t len = end ? (size_t)(end - p) : strlen(p);
			char *a = strndup(p, len);
			rc = a == NULL ? -MG_ENOMEM : envelope_add_rcpt(env, a, NULL, 0);
			free(a);
			p += len + (end ? 2 : 0);
		}
		return rc ? rc : mg_buf_append(to, row->rcpts, strlen(row->rcpts) + 1);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!rcpt_valid(rcpts[i]) || (!any && !rcpt_listed(row->rcpts, rcpts[i])))
			return -MG_EINVAL;
		rc = envelope_add_rcpt(env, rcpts[i], NULL, 0);
		rc = rc ? rc : mg_buf_appendf(to, "%s%s", i ? ", " : "", rcpts[i]);
	}
	return rc ? rc : mg_buf_cstr(to);
}

/* The envelope of the released copy. */
static int
release_envelope(struct envelope *env, const struct release_row *row, uint64_t id,
    const char *by, time_t now)
{
	char hex[MG_ID_STRLEN + 1], at[32], hdr[512];
	struct tm tm;

	mg_id_format(id, hex);
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(hdr, sizeof(hdr), "X-Mailgate-Released: by=%s; at=%s; id=%s\r\n", by, at, hex);
	env->created = now;
	env->mail_from = strdup(row->mail_from);
	env->headers = strdup(hdr);
	env->verdict = strdup(row->category);
	env->score = row->score;
	env->action = strdup("accept");
	env->smtputf8 = mg_has_8bit(row->mail_from, strlen(row->mail_from));
	for (size_t i = 0; i < env->nrcpts; i++)
		env->smtputf8 = env->smtputf8 || mg_has_8bit(env->rcpts[i].addr,
		    strlen(env->rcpts[i].addr));
	return env->mail_from && env->headers && env->verdict && env->action ? 0 : -MG_ENOMEM;
}

int
quarantine_release(const struct quarantine *q, uint64_t id, const char *const *rcpts,
    size_t n, bool any, const char *by, time_t now, uint64_t *new_id)
{
	struct release_row row = { 0 };
	struct envelope env = { 0 };
	struct mg_buf data, to;
	int rc;

	mg_buf_init(&data, QUARANTINE_MAX_MESSAGE);
	mg_buf_init(&to, 0);
	if ((rc = quarantine_find(q, id, release_row_copy, &row)) < 0 ||
	    (rc = release_rcpts(&env, &row, rcpts, n, any, &to)) < 0 ||
	    (rc = release_envelope(&env, &row, id, by, now)) < 0 ||
	    (rc = quarantine_get(q, id, &data)) < 0)
		goto out;
	env.eightbit = mg_has_8bit(data.data, data.len);
	if ((rc = spool_inject(q->spool, &env, data.data, data.len)) < 0)
		goto out;
	*new_id = env.id;
	log_info("%016" PRIx64 " quarantine released by=%s to=\"%s\" qid=%016" PRIx64, id, by,
	    (const char *)to.data, env.id);
	if ((rc = store_quar_released(q->store, id, now, (const char *)to.data)) < 0)
		log_warn("%016" PRIx64 " quarantine release not recorded", id);
	rc = 0;
out:
	release_row_clear(&row);
	envelope_clear(&env);
	mg_buf_release(&data);
	mg_buf_release(&to);
	return rc;
}
