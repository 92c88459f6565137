/* The files of a message (files.h). */
#include <stdio.h>

#include "mime/attach.h"
#include "mime/files.h"

static int
attachment_files(const struct mime_part *p, int (*fn)(const struct mime_file *, void *),
    void *arg)
{
	const struct mime_attachment *a = p->att;
	const char *name = *a->name ? a->name : "(no name)";
	struct mime_file f = { .data = p->body.ptr, .len = p->body.len,
	    .real_type = a->real_type, .part = p };
	int rc;

	snprintf(f.name, sizeof(f.name), "%s", name);
	if ((rc = fn(&f, arg)) != 0)
		return rc;
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct attach_member *m = &a->members[i];

		if (m->data == NULL)
			continue;
		snprintf(f.name, sizeof(f.name), "%s/%s", name, m->path);
		f.data = m->data;
		f.len = m->len;
		f.real_type = m->real_type;
		f.depth = m->depth;
		if ((rc = fn(&f, arg)) != 0)
			return rc;
	}
	return 0;
}

int
mime_files_each(const struct mime_msg *m, int (*fn)(const struct mime_file *, void *),
    void *arg)
{
	int rc;

	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i]->att != NULL &&
		    (rc = attachment_files(m->parts[i], fn, arg)) != 0)
			return rc;
	return 0;
}
