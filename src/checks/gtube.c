/* The GTUBE check (gtube.h). */
#include <string.h>

#include "checks/gtube.h"
#include "core/err.h"

static const char gtube[] = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

static bool
gtube_in(const void *p, size_t len)
{
	return p != NULL && memmem(p, len, gtube, sizeof(gtube) - 1) != NULL;
}

static int
gtube_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	struct mg_slice body = m->root->raw_body;

	/* The raw body covers 7bit and 8bit text; decoded parts cover
	 * base64 and quoted-printable. */
	if (gtube_in(body.ptr, body.len))
		return mg_task_symbol(t, "GTUBE", NULL);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		if (mg_task_expired(t))
			return -MG_ETIMEOUT;
		if (gtube_in(p->text, p->text_len))
			return mg_task_symbol(t, "GTUBE", NULL);
	}
	return 0;
}

const struct mg_check check_gtube = { .name = "gtube", .scan = gtube_scan };
