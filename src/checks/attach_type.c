/* The attachment type and name check (attach_type.h). */
#include <stdio.h>

#include "checks/attach_type.h"
#include "core/err.h"
#include "mime/attach.h"

/* The flags worth a symbol (ATT_F_ARCHIVE and ATT_F_NO_NAME are facts). */
#define ATT_SCORED	(ATT_F_TYPE_MISMATCH | ATT_F_DOUBLE_EXT | ATT_F_RTLO | \
	ATT_F_DANGEROUS_EXT | ATT_F_EXECUTABLE | ATT_F_ENCRYPTED | ATT_F_BOMB | \
	ATT_F_DEPTH_LIMIT | ATT_F_CORRUPT_ARCHIVE | ATT_F_PASSWORD_IN_BODY)

/* The option naming a file: for ATT_RTLO also as a reader sees it. */
static void
attach_option(char *out, size_t outlen, const char *name, const char *visual,
    unsigned flag)
{
	if (flag == ATT_F_RTLO && visual != NULL)
		snprintf(out, outlen, "%s shown as %s", name, visual);
	else
		snprintf(out, outlen, "%s", name);
}

/* One flag of one attachment: the members that have it are named as
 * "archive.zip/member.exe", else the attachment itself. */
static int
attach_flag(struct mg_task *t, const struct mime_part *p, unsigned flag)
{
	const struct mime_attachment *a = p->att;
	const char *name = *a->name ? a->name : "(no name)";
	char sym[64], path[512], option[1024];
	bool member = false;
	int rc;

	snprintf(sym, sizeof(sym), "ATT_%s", attach_flag_name(flag));
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct attach_member *m = &a->members[i];
		if (!(m->flags & flag))
			continue;
		member = true;
		snprintf(path, sizeof(path), "%s/%s", name, m->path);
		attach_option(option, sizeof(option), path, m->visual_path, flag);
		if ((rc = mg_task_symbol_part(t, sym, option, p)) < 0)
			return rc;
	}
	if (member)
		return 0;
	attach_option(option, sizeof(option), name, a->visual_name, flag);
	return mg_task_symbol_part(t, sym, option, p);
}

static int
attach_type_scan(void *state, struct mg_task *t)
{
	const struct mime_msg *m = t->msg;
	int rc;

	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = m->parts[i];
		const struct mime_attachment *a = p->att;
		if (a == NULL)
			continue;
		if (mg_task_expired(t))
			return -MG_ETIMEOUT;
		for (unsigned bit = 0; bit < 32; bit++) {
			unsigned flag = 1u << bit;
			if ((a->flags & flag & ATT_SCORED) && (rc = attach_flag(t, p, flag)) < 0)
				return rc;
		}
	}
	return 0;
}

const struct mg_check check_attach_type = { .name = "attach_type", .scan = attach_type_scan };
