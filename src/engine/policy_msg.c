/* The policy's view of a scanned message (policy_msg.h). */
#include <string.h>

#include "core/err.h"
#include "engine/policy_msg.h"
#include "mime/attach.h"
#include "mime/mime.h"

/* The address inside <...> of a From value, or the value. */
static const char *
from_addr(struct mg_arena *a, const char *v)
{
	const char *lt = v ? strrchr(v, '<') : NULL, *gt = lt ? strchr(lt, '>') : NULL;

	return gt ? mg_arena_strndup(a, lt + 1, (size_t)(gt - lt - 1)) : v;
}

static int
fill_headers(struct mg_arena *a, const struct mime_part *root, struct policy_msg *pm)
{
	size_t nh = root->nheaders < POLICY_MSG_HEADERS_MAX ? root->nheaders :
	    POLICY_MSG_HEADERS_MAX;
	struct policy_header *hs = mg_arena_alloc(a, (nh + 1) * sizeof(*hs));
	const struct mime_header *h;

	if (hs == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < nh; i++) {
		hs[i].name = mg_arena_strndup(a, (const char *)root->headers[i].name.ptr,
		    root->headers[i].name.len);
		hs[i].value = root->headers[i].value;
		if (hs[i].name == NULL)
			return -MG_ENOMEM;
	}
	pm->headers = hs;
	pm->nheaders = nh;
	pm->subject = (h = mime_header_find(root, "Subject")) ? h->value : NULL;
	pm->header_from = (h = mime_header_find(root, "From")) ? from_addr(a, h->value) : NULL;
	return 0;
}

static int
fill_attachments(struct mg_arena *a, const struct mime_msg *m, struct policy_msg *pm)
{
	struct policy_attachment *as = mg_arena_alloc(a, (m->nparts + 1) * sizeof(*as));

	if (as == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_attachment *at = m->parts[i]->att;
		if (at != NULL)
			as[pm->natts++] = (struct policy_attachment){ at->name, at->real_type,
			    at->extension };
	}
	pm->atts = as;
	return 0;
}

int
policy_msg_from_scan(struct mg_arena *a, const struct mime_msg *m, const struct mg_result *res,
    struct policy_msg *pm)
{
	const char **syms = mg_arena_alloc(a, (res->nsymbols + 1) * sizeof(*syms));
	int rc;

	if (syms == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < res->nsymbols; i++)
		syms[i] = res->symbols[i].name;
	pm->symbols = syms;
	pm->nsymbols = res->nsymbols;
	pm->category = res->verdict;
	pm->score = res->score;
	if (m == NULL || m->root == NULL)
		return 0;
	if ((rc = fill_headers(a, m->root, pm)) < 0)
		return rc;
	return fill_attachments(a, m, pm);
}
