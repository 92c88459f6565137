/* What HTML points at: links with the text they display, images with their
 * source, forms with their action and fields, and the other URLs a mail
 * client or browser would follow or fetch (frames, scripts, objects,
 * stylesheets, meta refresh), which are kept as links without text. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/html_int.h"

#define ATTR_UINT_MAX	1000000u

static bool
has(const struct html_tok *t, enum html_attr a)
{
	return (t->have & 1u << a) != 0;
}

/* width="120" -> 120; "50%" and garbage -> 0 (unknown). */
static unsigned
attr_uint(struct mg_slice v)
{
	const char *p = (const char *)v.ptr, *e = p + v.len;
	unsigned n = 0;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return 0;
	for (; p < e && *p >= '0' && *p <= '9'; p++)
		if (n < ATTR_UINT_MAX)
			n = n * 10 + (unsigned)(*p - '0');
	if (p < e && *p == '%')
		return 0;
	return n < ATTR_UINT_MAX ? n : ATTR_UINT_MAX;
}

static int
link_add(struct html_state *st, const char *href, size_t len, bool decoded)
{
	struct html_link *l;
	int idx = (int)st->links.n;

	if (len == 0 || (l = html__vec_push(st, &st->links, sizeof(*l))) == NULL)
		return -1;
	l->href = decoded ? html__strdup(st, href, len) :
	    html__attr_str(st, mg_slice_make(href, len), HS_REFS | HS_URL);
	l->text = "";
	return idx;
}

static void
link_attr(struct html_state *st, const struct html_tok *t, enum html_attr a)
{
	if (has(t, a))
		link_add(st, (const char *)t->attr[a].ptr, t->attr[a].len, false);
}

void
html__link_close(struct html_state *st)
{
	struct html_link *l;
	const char *p;
	size_t start = st->link_start, end = st->vis.len, i;
	char *text;

	if (st->link < 0)
		return;
	l = (struct html_link *)st->links.v + st->link;
	st->link = -1;
	p = st->vis.data ? (const char *)st->vis.data : "";
	if (start > end)
		start = end;
	while (start < end && (p[start] == ' ' || p[start] == '\n'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\n'))
		end--;
	text = html__strdup(st, p + start, end - start);
	for (i = 0; i < end - start && !st->arena_failed; i++)
		if (text[i] == '\n')
			text[i] = ' ';
	l->text = text;
}

static void
image_add(struct html_state *st, struct mg_slice src, const struct html_tok *t,
    const struct html_decl *d)
{
	struct html_image *im;
	char *s;

	if (st->images.n >= st->lim.max_items) {
		st->out->truncated = true;
		return;
	}
	s = html__attr_str(st, src, HS_REFS | HS_URL);
	if (s[0] == '\0' || (im = html__vec_push(st, &st->images, sizeof(*im))) == NULL)
		return;
	im->src = s;
	im->alt = t && has(t, HA_ALT) ? html__attr_str(st, t->attr[HA_ALT], HS_REFS) : "";
	im->width = t && has(t, HA_WIDTH) ? attr_uint(t->attr[HA_WIDTH]) : d ? d->width : 0;
	im->height = t && has(t, HA_HEIGHT) ? attr_uint(t->attr[HA_HEIGHT]) : d ? d->height : 0;
}

static void
form_add(struct html_state *st, const struct html_tok *t, struct html_elem *el)
{
	struct html_form *f;
	char *m;
	size_t i;

	if ((f = html__vec_push(st, &st->forms, sizeof(*f))) == NULL)
		return;
	f->action = has(t, HA_ACTION) ?
	    html__attr_str(st, t->attr[HA_ACTION], HS_REFS | HS_URL) : "";
	m = has(t, HA_METHOD) ? html__attr_str(st, t->attr[HA_METHOD], HS_REFS) : NULL;
	if (m == NULL || m[0] == '\0')
		m = html__strdup(st, "get", 3);
	for (i = 0; m[i] != '\0'; i++)
		if (m[i] >= 'A' && m[i] <= 'Z')
			m[i] += 32;
	f->method = m;
	if (el != NULL) {
		st->form = (int)st->forms.n - 1;
		el->flags |= EL_FORM;
	}
}

/* A field a user fills in: not hidden, not a button. */
static void
form_input(struct html_state *st, const struct html_tok *t)
{
	static const char *const skip[] = { "hidden", "submit", "button", "reset", "image" };
	struct html_form *f;
	struct mg_slice type = mg_slice_make("", 0);
	size_t i;

	if (st->form < 0)
		return;
	f = (struct html_form *)st->forms.v + st->form;
	if (t->tag == T_INPUT && has(t, HA_TYPE))
		type = html__attr_decode(st, t->attr[HA_TYPE], HS_REFS | HS_URL, &st->scratch);
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (mg_slice_eq_nocase(type, skip[i]))
			return;
	f->inputs++;
	if (mg_slice_eq_nocase(type, "password"))
		f->password_fields++;
}

/* <meta http-equiv=refresh content="5; url=https://...">  */
static void
meta_refresh(struct html_state *st, const struct html_tok *t)
{
	struct mg_slice v;
	const char *p, *e;
	char q;

	if (!has(t, HA_HTTP_EQUIV) || !has(t, HA_CONTENT) ||
	    !mg_slice_eq_nocase(html__attr_decode(st, t->attr[HA_HTTP_EQUIV], HS_REFS | HS_URL,
	    &st->scratch), "refresh"))
		return;
	v = html__attr_decode(st, t->attr[HA_CONTENT], HS_REFS, &st->scratch);
	p = (const char *)v.ptr;
	e = p + v.len;
	while (p < e && ((*p >= '0' && *p <= '9') || *p == '.' || *p == ' '))
		p++;
	if (p >= e || (*p != ';' && *p != ','))
		return;
	for (p++; p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
		;
	if (e - p >= 3 && strncasecmp(p, "url", 3) == 0) {
		const char *q3 = p + 3;

		while (q3 < e && *q3 == ' ')
			q3++;
		if (q3 < e && *q3 == '=') {
			for (p = q3 + 1; p < e && *p == ' '; p++)
				;
		}
	}
	if (p < e && (*p == '"' || *p == '\'')) {
		const char *end;

		q = *p++;
		if ((end = memchr(p, q, (size_t)(e - p))) != NULL)
			e = end;
	}
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	link_add(st, p, (size_t)(e - p), true);
}

void
html__css_url_add(struct html_state *st, const char *p, size_t n)
{
	const char **slot;
	char *s;

	if (st->css.n >= st->lim.max_items) {
		st->out->truncated = true;
		return;
	}
	s = html__attr_str(st, mg_slice_make(p, n), HS_URL);
	if (s[0] != '\0' && (slot = html__vec_push(st, &st->css, sizeof(*slot))) != NULL)
		*slot = s;
}

/* Items of a start tag; pushed is its open element (NULL for void tags or
 * past the depth limit). */
void
html__items(struct html_state *st, const struct html_tok *t, const struct html_decl *d,
    struct html_elem *pushed)
{
	int idx;

	if (has(t, HA_BACKGROUND))
		image_add(st, t->attr[HA_BACKGROUND], NULL, NULL);
	switch (t->tag) {
	case T_A:
		if (!has(t, HA_HREF))
			break;
		idx = link_add(st, (const char *)t->attr[HA_HREF].ptr, t->attr[HA_HREF].len, false);
		if (idx >= 0 && pushed != NULL) {
			html__link_close(st);	/* an <a> outside the reach of this one */
			pushed->link = idx;
			st->link = idx;
			st->link_start = st->vis.len;
		}
		break;
	case T_AREA: case T_LINK:
		link_attr(st, t, HA_HREF);
		break;
	case T_IFRAME: case T_FRAME: case T_EMBED: case T_SCRIPT:
		link_attr(st, t, HA_SRC);
		break;
	case T_OBJECT:
		link_attr(st, t, HA_DATA);
		break;
	case T_META:
		meta_refresh(st, t);
		break;
	case T_IMG:
		if (has(t, HA_SRC))
			image_add(st, t->attr[HA_SRC], t, d);
		break;
	case T_INPUT:
		if (has(t, HA_SRC))
			image_add(st, t->attr[HA_SRC], t, d);
		form_input(st, t);
		break;
	case T_TEXTAREA: case T_SELECT:
		form_input(st, t);
		break;
	case T_FORM:
		form_add(st, t, pushed);
		break;
	default:
		break;
	}
}
