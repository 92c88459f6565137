/* What every result of mime_parse must satisfy, whatever the input: a
 * consistent tree whose parts array is its pre-order walk, limits kept,
 * the message's flags the union of its parts', every string NUL-terminated
 * valid UTF-8. Shared by the MIME unit tests, the corpus replay and the
 * fuzzer (header only, static functions). */
#ifndef MG_TESTS_MIME_CHECK_H
#define MG_TESTS_MIME_CHECK_H

#include <stdint.h>
#include <string.h>

#include "mime/mime.h"
#include "mime/mime_charset.h"

static inline int
mime_check_utf8(const char *s, size_t len)
{
	return s != NULL && s[len] == '\0' &&
	    mime_utf8_valid_span((const uint8_t *)s, len) == len;
}

static inline const char *
mime_check_part(const struct mime_part *p, const struct mime_limits *lim)
{
	const struct mime_part *c;
	size_t i;

	if (p->type == NULL || p->subtype == NULL || p->encoding == NULL)
		return "type, subtype or encoding missing";
	if (p->depth > lim->max_depth)
		return "part deeper than max_depth";
	if (p->nheaders > lim->max_headers)
		return "more fields than max_headers";
	for (i = 0; i < p->nheaders; i++) {
		if (p->headers[i].value == NULL ||
		    !mime_check_utf8(p->headers[i].value, strlen(p->headers[i].value)))
			return "header value missing or not UTF-8";
		if (p->headers[i].name.len == 0)
			return "empty header name";
	}
	if (strcmp(p->type, "text") == 0 && !mime_check_utf8(p->text, p->text_len))
		return "text part without valid UTF-8 text";
	if (strcmp(p->type, "text") != 0 && p->text != NULL)
		return "text on a part that is not text/*";
	for (c = p->first_child; c != NULL; c = c->next_sibling)
		if (c->parent != p || c->depth != p->depth + 1 || c->index <= p->index)
			return "child not linked to its parent";
	return NULL;
}

/* NULL when m is sound, else what is wrong. */
static inline const char *
mime_check(const struct mime_msg *m, const struct mime_limits *lim)
{
	const struct mime_part *p;
	const char *why;
	uint64_t all = 0;
	size_t k = 0, i;

	if (m->nparts == 0 || m->root == NULL || m->parts[0] != m->root ||
	    m->root->parent != NULL || m->root->depth != 0)
		return "no root";
	if (m->nparts > lim->max_parts)
		return "more parts than max_parts";
	if (m->decoded_total > lim->max_decoded)
		return "decoded more than max_decoded";
	for (i = 0; i < m->nparts; i++) {
		if (m->parts[i]->index != i)
			return "index is not the position in parts";
		if ((why = mime_check_part(m->parts[i], lim)) != NULL)
			return why;
		all |= m->parts[i]->flags;
	}
	if (all != m->flags)
		return "message flags are not the union of the parts'";
	for (p = m->root; p != NULL; ) {
		if (k >= m->nparts || m->parts[k++] != p)
			return "parts is not the pre-order walk of the tree";
		if (p->first_child != NULL) {
			p = p->first_child;
			continue;
		}
		while (p != NULL && p->next_sibling == NULL)
			p = p->parent;
		if (p != NULL)
			p = p->next_sibling;
	}
	return k == m->nparts ? NULL : "tree has fewer parts than the array";
}

#endif
