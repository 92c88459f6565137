/* The MIME anomaly check (mime_anomaly.h). */
#include <stdio.h>

#include "checks/mime_anomaly.h"
#include "core/err.h"

/* Adds MIME_<FLAG> for each flag set in flags; option names the part. */
static int
mime_anomaly_flags(struct mg_task *t, uint64_t flags, const struct mime_part *p)
{
	char name[64], option[96];
	int rc;

	for (unsigned bit = 0; bit < MIME_F_COUNT; bit++) {
		const char *fn = (flags >> bit) & 1 ? mime_flag_name(1ull << bit) : NULL;
		if (fn == NULL)
			continue;
		snprintf(name, sizeof(name), "MIME_%s", fn);
		if (p != NULL)
			snprintf(option, sizeof(option), "part %u %s/%s", p->index, p->type,
			    p->subtype);
		if ((rc = mg_task_symbol(t, name, p ? option : NULL)) < 0)
			return rc;
	}
	return 0;
}

static int
mime_anomaly_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	uint64_t seen = 0;
	int rc;

	for (size_t i = 0; i < m->nparts; i++) {
		if ((rc = mime_anomaly_flags(t, m->parts[i]->flags, m->parts[i])) < 0)
			return rc;
		seen |= m->parts[i]->flags;
	}
	/* Flags of the message as a whole. */
	return mime_anomaly_flags(t, m->flags & ~seen, NULL);
}

const struct mg_check check_mime_anomaly = { .name = "mime_anomaly", .scan = mime_anomaly_scan };
