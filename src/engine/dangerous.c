/* Stripping dangerous files (dangerous.h): which attachments go, the
 * notice that takes their place, the X-Mailgate-Stripped fields, and the
 * copy of the message written by mime_strip. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "engine/dangerous.h"
#include "mime/strip.h"

#define STRIP_REASONS_MAX	256	/* bytes of one part's symbol list */
#define STRIP_SLACK		(64 * 1024)	/* fields added, beyond the notices */

/* One attachment to replace and why. */
struct strip_entry {
	const struct mime_part *target;	/* the part replaced (mime_strip_target) */
	const char	*file;		/* the flagged attachment's name */
	char		 reasons[STRIP_REASONS_MAX];	/* "OFFICE_AUTOEXEC, ..." */
};

void
mg_strip_init(struct mg_strip *s)
{
	mg_buf_init(&s->message, 0);
	s->nstripped = 0;
}

void
mg_strip_clear(struct mg_strip *s)
{
	mg_buf_release(&s->message);
	s->nstripped = 0;
}

/* Appends s with control characters as '?' (a name never breaks a line). */
static int
append_clean(struct mg_buf *out, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++)
		rc = mg_buf_putc(out, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : (uint8_t)*s);
	return rc;
}

int
dangerous_notice(const char *tmpl, const char *file, const char *reason, struct mg_buf *out)
{
	int rc = 0;

	mg_buf_reset(out);
	out->max = MIME_STRIP_NOTICE_MAX;
	for (const char *p = tmpl; *p && rc == 0; p++) {
		if (p[0] == '%' && p[1] == 'f')
			rc = append_clean(out, file);
		else if (p[0] == '%' && p[1] == 'r')
			rc = append_clean(out, reason);
		else
			rc = mg_buf_putc(out, (uint8_t)*p);
		p += p[0] == '%' && (p[1] == 'f' || p[1] == 'r' || p[1] == '%');
	}
	if (rc == -MG_ELIMIT) {
		while (out->len > 0 && (out->data[out->len - 1] & 0xc0) == 0x80)
			out->len--;
		if (out->len > 0 && out->data[out->len - 1] >= 0xc0)
			out->len--;
		rc = 0;
	}
	return rc ? rc : mg_buf_cstr(out);
}

/* Adds reason to entry e's list (once). */
static void
entry_reason(struct strip_entry *e, const char *reason)
{
	size_t n = strlen(e->reasons), r = strlen(reason);
	const char *p = e->reasons;

	for (; (p = strstr(p, reason)) != NULL; p += r)
		if ((p == e->reasons || p[-1] == ' ') && (p[r] == ',' || p[r] == '\0'))
			return;
	if (n + 2 + r < sizeof(e->reasons))
		snprintf(e->reasons + n, sizeof(e->reasons) - n, "%s%s", n ? ", " : "", reason);
}

/* The attachments of the stripping symbols, one entry per target. */
static int
strip_entries(struct mg_task *t, struct strip_entry *ents, size_t *nents)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nsymbols; i++) {
		const struct task_symbol *s = &t->symbols[i];
		if (!verdict_strips(s))
			continue;
		for (size_t k = 0; k < s->nparts; k++) {
			const struct mime_part *tg = mime_strip_target(t->msg, s->parts[k]);
			size_t j;
			if (tg == NULL)
				return -MG_EINVAL;
			for (j = 0; j < n && ents[j].target != tg; j++)
				;
			if (j == n) {
				if (n == MIME_STRIP_MAX_ITEMS)
					return -MG_ELIMIT;
				ents[n].target = tg;
				ents[n].file = s->parts[k]->filename && *s->parts[k]->filename ?
				    s->parts[k]->filename : "(no name)";
				ents[n++].reasons[0] = '\0';
			}
			entry_reason(&ents[j], s->name);
		}
	}
	*nents = n;
	return 0;
}

/* X-Mailgate-Stripped: "NAME"; reason=A,B — bytes outside printable
 * ASCII, '"', '%' and '\\' of the name as %XX; folded between reasons. */
static int
strip_field(struct mg_task *t, const struct strip_entry *e)
{
	struct mg_buf v;
	size_t col;
	int rc;

	mg_buf_init(&v, 4096);
	rc = mg_buf_putc(&v, '"');
	for (const unsigned char *p = (const unsigned char *)e->file; *p && rc == 0; p++)
		rc = *p < 0x20 || *p >= 0x7f || *p == '"' || *p == '%' || *p == '\\' ?
		    mg_buf_appendf(&v, "%%%02X", *p) : mg_buf_putc(&v, *p);
	rc = rc ? rc : mg_buf_appendf(&v, "\"; reason=");
	col = sizeof(MG_STRIP_FIELD ": ") - 1 + v.len;
	for (const char *r = e->reasons; rc == 0 && *r != '\0';) {
		size_t n = strcspn(r, ",");	/* the list is "A, B" */
		if (r != e->reasons) {
			rc = col + n + 1 > 76 ? mg_buf_append(&v, ",\r\n\t", 4) :
			    mg_buf_putc(&v, ',');
			col = col + n + 1 > 76 ? 1 : col + 1;
		}
		rc = rc ? rc : mg_buf_append(&v, r, n);
		col += n;
		r += n;
		r += strspn(r, ", ");
	}
	if (rc == 0)
		rc = mg_buf_cstr(&v);
	if (rc == 0)
		rc = mg_task_header(t, MG_STRIP_FIELD, (const char *)v.data);
	mg_buf_release(&v);
	return rc == -MG_ELIMIT ? 0 : rc;
}

/* The copy of the message without the entries' parts; the forged
 * Authentication-Results offsets follow it (those not copied are left). */
static int
strip_write(struct mg_task *t, const char *tmpl, const struct strip_entry *ents, size_t n,
    struct mg_strip *strip)
{
	struct mime_strip_item items[MIME_STRIP_MAX_ITEMS];
	struct mg_buf notices[MIME_STRIP_MAX_ITEMS];
	uint64_t map[MG_FORGED_AR_MAX];
	size_t k = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		mg_buf_init(&notices[i], MIME_STRIP_NOTICE_MAX);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = dangerous_notice(tmpl, ents[i].file, ents[i].reasons, &notices[i]);
		items[i] = (struct mime_strip_item){ ents[i].target, (const char *)notices[i].data };
	}
	mg_buf_init(&strip->message, t->len + n * 2 * MIME_STRIP_NOTICE_MAX + STRIP_SLACK);
	if (rc == 0)
		rc = mime_strip(t->msg, items, n, t->forged_ar, map, t->nforged_ar,
		    &strip->message);
	for (size_t i = 0; i < n; i++)
		mg_buf_release(&notices[i]);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < t->nforged_ar; i++)
		if (map[i] != MIME_STRIP_UNMAPPED)
			t->forged_ar[k++] = map[i];
	t->nforged_ar = k;
	strip->nstripped = n;
	return 0;
}

int
dangerous_strip(struct mg_task *t, const struct verdict_thresholds *th, const char *notice,
    struct verdict *v, struct mg_strip *strip)
{
	struct strip_entry *ents;
	struct verdict out;
	size_t n = 0;
	bool *covered;
	int rc;

	if (t->msg == NULL || v->category != MG_CAT_DANGEROUS || t->nsymbols == 0)
		return 0;
	if ((covered = mg_arena_zalloc(t->arena, t->nsymbols * sizeof(*covered))) == NULL ||
	    (ents = mg_arena_zalloc(t->arena, MIME_STRIP_MAX_ITEMS * sizeof(*ents))) == NULL)
		return -MG_ENOMEM;
	if (!verdict_strip(th, t->symbols, t->nsymbols, v, covered, &out))
		return 0;
	if ((rc = strip_entries(t, ents, &n)) == 0)
		rc = strip_write(t, notice, ents, n, strip);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = strip_field(t, &ents[i]);
	if (rc == -MG_ENOMEM)
		return rc;
	if (rc < 0) {
		log_warn("engine strip failed error=\"%s\" action=%s", mg_strerror(rc),
		    "quarantine");
		mg_strip_clear(strip);
		return 0;
	}
	*v = out;
	return 0;
}
