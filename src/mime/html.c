/* HTML analysis (html.h): a one-pass forgiving tokenizer (tags, attributes
 * quoted or not, comments, raw text of script/style, RCDATA of title and
 * textarea, CDATA) feeding the element stack and the text output, and the
 * copy of the results into the task's arena. Written by hand: the result
 * must be bounded in time and memory whatever the input, and no library
 * reports why text is hidden. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bitname.h"
#include "core/arena.h"
#include "core/buf.h"
#include "mime/html_int.h"

#define STACK_INITIAL	64

static const char *const hidden_names[HTML_HID_COUNT] = {
	"DISPLAY_NONE", "VISIBILITY", "FONT_SIZE", "OPACITY", "SAME_COLOR",
	"OFFSCREEN", "ZERO_SIZE", "ZERO_WIDTH", "BIDI", "COMMENT",
};

const char *
html_hidden_name(unsigned reason)
{
	return mg_bit_name(hidden_names, HTML_HID_COUNT, reason);
}

void
html_limits_default(struct html_limits *l)
{
	l->max_input = 8 * 1024 * 1024;
	l->max_text = 2 * 1024 * 1024;
	l->max_depth = 256;
	l->max_items = 4096;
}

void *
html__vec_push(struct html_state *st, struct html_vec *v, size_t size)
{
	char *slot;

	if (v->n >= st->lim.max_items) {
		st->out->truncated = true;
		return NULL;
	}
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 16;
		void *p;

		if (ncap > st->lim.max_items)
			ncap = st->lim.max_items;
		if ((p = realloc(v->v, ncap * size)) == NULL) {
			st->out->truncated = true;
			return NULL;
		}
		v->v = p;
		v->cap = ncap;
	}
	slot = (char *)v->v + v->n++ * size;
	memset(slot, 0, size);
	return slot;
}

char *
html__strdup(struct html_state *st, const char *p, size_t n)
{
	static char empty[1];
	char *s = mg_arena_strndup(st->arena, p, n);

	if (s == NULL) {
		st->arena_failed = true;
		empty[0] = '\0';
		return empty;
	}
	return s;
}

/* Bytes that end names and values inside tags. */
#define B_WS	0x1
#define B_SLASH	0x2
#define B_GT	0x4
#define B_EQ	0x8
static const uint8_t tag_class[256] = {
	['\t'] = B_WS, ['\n'] = B_WS, ['\f'] = B_WS, ['\r'] = B_WS, [' '] = B_WS,
	['/'] = B_SLASH, ['>'] = B_GT, ['='] = B_EQ,
};

static bool
is_ws(char c)
{
	return tag_class[(uint8_t)c] == B_WS;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *
tag_name_end(const char *p, const char *e)
{
	while (p < e && !(tag_class[(uint8_t)*p] & (B_WS | B_SLASH | B_GT)))
		p++;
	return p;
}

static int
attr_lookup(const char *n, size_t len)
{
	static const struct { const char *name; size_t len; } names[HA_COUNT] = {
#define A(id, s) [id] = { s, sizeof(s) - 1 }
		A(HA_STYLE, "style"), A(HA_HIDDEN, "hidden"), A(HA_HREF, "href"),
		A(HA_SRC, "src"), A(HA_ALT, "alt"), A(HA_WIDTH, "width"),
		A(HA_HEIGHT, "height"), A(HA_ACTION, "action"), A(HA_METHOD, "method"),
		A(HA_TYPE, "type"), A(HA_COLOR, "color"), A(HA_BGCOLOR, "bgcolor"),
		A(HA_BACKGROUND, "background"), A(HA_SIZE, "size"), A(HA_TEXT, "text"),
		A(HA_CONTENT, "content"), A(HA_HTTP_EQUIV, "http-equiv"), A(HA_DATA, "data"),
		A(HA_CLASS, "class"), A(HA_ID, "id"),
#undef A
	};
	int i;

	if (len < 2 || len > 10)
		return -1;
	for (i = 0; i < HA_COUNT; i++)
		if (names[i].len == len && (n[0] | 0x20) == names[i].name[0] &&
		    strncasecmp(n, names[i].name, len) == 0)
			return i;
	return -1;
}

/* Attributes up to the '>' closing the tag; NULL when the input ends
 * first (the tag is then dropped, as browsers do). */
static const char *
tag_attrs(const char *p, const char *e, struct html_tok *t)
{
	const char *name, *q, *close;
	struct mg_slice v;
	int a;

	for (;;) {
		while (p < e && (tag_class[(uint8_t)*p] & (B_WS | B_SLASH))) {
			if (*p == '/' && p + 1 < e && p[1] == '>')
				t->self_closing = true;
			p++;
		}
		if (p >= e)
			return NULL;
		if (*p == '>')
			return p + 1;
		name = p++;
		while (p < e && !(tag_class[(uint8_t)*p] & (B_WS | B_SLASH | B_GT | B_EQ)))
			p++;
		a = attr_lookup(name, (size_t)(p - name));
		for (q = p; q < e && is_ws(*q); q++)
			;
		v = mg_slice_make("", 0);
		if (q < e && *q == '=') {
			for (q++; q < e && is_ws(*q); q++)
				;
			if (q < e && (*q == '"' || *q == '\'')) {
				if ((close = memchr(q + 1, *q, (size_t)(e - q - 1))) == NULL)
					return NULL;
				v = mg_slice_make(q + 1, (size_t)(close - q - 1));
				p = close + 1;
			} else {
				for (p = q; p < e && !(tag_class[(uint8_t)*p] & (B_WS | B_GT)); p++)
					;
				v = mg_slice_make(q, (size_t)(p - q));
			}
		}
		if (a >= 0 && !(t->have & 1u << a)) {	/* the first one counts */
			t->have |= 1u << a;
			t->attr[a] = v;
		}
	}
}

/* "</name" followed by a space, '/' or '>' ends raw text. */
static const char *
raw_end(const char *p, const char *e, const char *name)
{
	size_t n = strlen(name);

	while ((p = memchr(p, '<', (size_t)(e - p))) != NULL) {
		if ((size_t)(e - p) >= n + 3 && p[1] == '/' && strncasecmp(p + 2, name, n) == 0 &&
		    (is_ws(p[2 + n]) || p[2 + n] == '/' || p[2 + n] == '>'))
			return p;
		p++;
	}
	return e;
}

static const char *
end_tag(struct html_state *st, const char *p)
{
	const char *e = st->end, *ne = tag_name_end(p, e);
	struct html_tok t;
	enum html_tag tag;
	uint32_t hash;

	tag = html__tag_lookup(p, (size_t)(ne - p), &hash);
	t.have = 0;
	if ((p = tag_attrs(ne, e, &t)) == NULL)
		return e;
	html__end_tag(st, tag, hash);
	return p;
}

/* Content of script, style, title, textarea, xmp, iframe... */
static const char *
raw_text(struct html_state *st, enum html_tag tag, const char *p)
{
	const char *e = st->end, *lt = raw_end(p, e, html__tag_name(tag));

	switch (tag) {
	case T_STYLE:
		html__css_urls(st, p, (size_t)(lt - p));
		html__sheet(st, p, (size_t)(lt - p));
		break;
	case T_TITLE: case T_TEXTAREA:
		html__text_here(st, p, (size_t)(lt - p), true);
		break;
	case T_XMP:
		html__text_here(st, p, (size_t)(lt - p), false);
		break;
	default:
		break;
	}
	return lt < e ? end_tag(st, lt + 2) : e;
}

static const char *
start_tag(struct html_state *st, const char *p)
{
	const char *e = st->end, *ne = tag_name_end(p, e);
	bool foreign = (st->stack[st->depth].flags & EL_FOREIGN) != 0;
	struct html_tok t;
	unsigned f;

	t.tag = html__tag_lookup(p, (size_t)(ne - p), &t.hash);
	t.have = 0;
	t.self_closing = false;
	if ((p = tag_attrs(ne, e, &t)) == NULL)
		return e;
	html__start_tag(st, &t);
	f = html__tag_flags(t.tag);
	if (t.tag == T_PLAINTEXT) {
		html__text_here(st, p, (size_t)(e - p), false);
		return e;
	}
	if ((f & (F_RAW | F_RCDATA)) && !foreign)
		return raw_text(st, t.tag, p);
	return p;
}

/* After "<!--": ends at "-->" or "--!>", or with the input. */
static const char *
comment(struct html_state *st, const char *p)
{
	const char *e = st->end, *q = p, *gt;

	if (q < e && *q == '>')
		return q + 1;
	if (e - q >= 2 && q[0] == '-' && q[1] == '>')
		return q + 2;
	while ((gt = memchr(q, '>', (size_t)(e - q))) != NULL) {
		if (gt - p >= 2 && gt[-1] == '-' && gt[-2] == '-') {
			html__comment(st, p, (size_t)(gt - 2 - p));
			return gt + 1;
		}
		if (gt - p >= 3 && gt[-1] == '!' && gt[-2] == '-' && gt[-3] == '-') {
			html__comment(st, p, (size_t)(gt - 3 - p));
			return gt + 1;
		}
		q = gt + 1;
	}
	html__comment(st, p, (size_t)(e - p));
	return e;
}

/* <!DOCTYPE>, <?xml>, </3> and the like: up to the next '>'. */
static const char *
bogus_comment(struct html_state *st, const char *p)
{
	const char *e = st->end, *gt = memchr(p, '>', (size_t)(e - p));

	html__comment(st, p, (size_t)((gt ? gt : e) - p));
	return gt ? gt + 1 : e;
}

/* CDATA is text inside svg and math, a bogus comment elsewhere. */
static const char *
cdata(struct html_state *st, const char *lt)
{
	const char *e = st->end, *p = lt + 9, *end;

	if (!(st->stack[st->depth].flags & EL_FOREIGN))
		return bogus_comment(st, lt + 2);
	end = memmem(p, (size_t)(e - p), "]]>", 3);
	html__text_here(st, p, (size_t)((end ? end : e) - p), false);
	return end ? end + 3 : e;
}

static bool
all_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_ws(p[i]))
			return false;
	return true;
}

/* Character data between tags. */
static void
text_data(struct html_state *st, const char *p, size_t n)
{
	if (((st->head > 0 && st->depth == st->head) || st->nreopen > 0 || !st->body_seen) &&
	    !all_space(p, n)) {
		html__head_close(st);
		st->body_seen = true;
		if (st->nreopen > 0)
			html__reopen(st);
	}
	html__text_here(st, p, n, true);
}

/* At a '<': markup, or a literal '<'. */
static const char *
markup(struct html_state *st, const char *lt)
{
	const char *p = lt + 1, *e = st->end;

	if (p < e && *p == '!') {
		if (e - p >= 3 && p[1] == '-' && p[2] == '-')
			return comment(st, lt + 4);
		if (e - p >= 8 && memcmp(p + 1, "[CDATA[", 7) == 0)
			return cdata(st, lt);
		return bogus_comment(st, p + 1);
	}
	if (p < e && *p == '?')
		return bogus_comment(st, p);
	if (p < e && *p == '/') {
		if (p + 1 < e && is_alpha(p[1]))
			return end_tag(st, p + 1);
		if (p + 1 < e && p[1] == '>')
			return p + 2;
		if (p + 1 < e)
			return bogus_comment(st, p + 1);
	}
	if (p < e && is_alpha(*p))
		return start_tag(st, p);
	text_data(st, lt, p < e && *p == '/' ? 2 : 1);
	return p < e && *p == '/' ? p + 1 : p;
}

static void
tokenize(struct html_state *st, const char *p)
{
	const char *e = st->end, *lt;

	while (p < e) {
		if ((lt = memchr(p, '<', (size_t)(e - p))) == NULL)
			lt = e;
		if (lt > p)
			text_data(st, p, (size_t)(lt - p));
		if (lt == e)
			break;
		p = markup(st, lt);
	}
}

static void *
arena_copy(struct html_state *st, const void *p, size_t n, size_t size)
{
	void *q;

	if (n == 0)
		return NULL;
	if ((q = mg_arena_alloc(st->arena, n * size)) == NULL) {
		st->arena_failed = true;
		return NULL;
	}
	memcpy(q, p, n * size);
	return q;
}

/* Moves the results into the arena. */
static void
finish(struct html_state *st)
{
	struct mime_html *o = st->out;
	const struct html_run *r = st->runs.v;
	const char *hid;
	size_t i;

	o->visible = html__strdup(st, st->vis.data ? (const char *)st->vis.data : "", st->vis.len);
	o->visible_len = st->arena_failed ? 0 : st->vis.len;
	if (st->runs.n > 0) {
		hid = html__strdup(st, (const char *)st->hid.data, st->hid.len);
		o->hidden = mg_arena_zalloc(st->arena, st->runs.n * sizeof(*o->hidden));
		if (o->hidden == NULL || st->arena_failed) {
			st->arena_failed = true;
			return;
		}
		for (i = 0; i < st->runs.n; i++) {
			o->hidden[i].text = hid + r[i].off;
			o->hidden[i].len = r[i].len;
			o->hidden[i].reasons = r[i].reasons;
		}
		o->nhidden = st->runs.n;
	}
	o->links = arena_copy(st, st->links.v, st->links.n, sizeof(*o->links));
	o->nlinks = o->links ? st->links.n : 0;
	o->images = arena_copy(st, st->images.v, st->images.n, sizeof(*o->images));
	o->nimages = o->images ? st->images.n : 0;
	o->forms = arena_copy(st, st->forms.v, st->forms.n, sizeof(*o->forms));
	o->nforms = o->forms ? st->forms.n : 0;
	o->css_urls = arena_copy(st, st->css.v, st->css.n, sizeof(*o->css_urls));
	o->ncss_urls = o->css_urls ? st->css.n : 0;
}

static void
state_release(struct html_state *st)
{
	mg_buf_release(&st->vis);
	mg_buf_release(&st->hid);
	mg_buf_release(&st->scratch);
	mg_buf_release(&st->stylebuf);
	free(st->runs.v);
	free(st->links.v);
	free(st->images.v);
	free(st->forms.v);
	free(st->css.v);
	free(st->sheet);
	free(st->stack);
	free(st);
}

static struct html_state *
state_new(struct mg_arena *a, const struct html_limits *lim)
{
	struct html_state *st = calloc(1, sizeof(*st));
	struct html_elem *root;

	if (st == NULL)
		return NULL;
	st->arena = a;
	if (lim != NULL)
		st->lim = *lim;
	else
		html_limits_default(&st->lim);
	st->stack_cap = STACK_INITIAL;
	if ((st->stack = malloc(st->stack_cap * sizeof(*st->stack))) == NULL) {
		free(st);
		return NULL;
	}
	mg_buf_init(&st->vis, 0);
	mg_buf_init(&st->hid, 0);
	mg_buf_init(&st->scratch, 0);
	mg_buf_init(&st->stylebuf, 0);
	st->link = st->form = -1;
	root = &st->stack[0];
	memset(root, 0, sizeof(*root));
	root->tag = T_UNKNOWN;
	root->link = -1;
	root->font = HTML_FONT_DEFAULT;
	root->opacity = 1;
	root->color = HTML_BLACK;
	root->bg = HTML_WHITE;
	return st;
}

struct mime_html *
html_analyze(struct mg_arena *a, const char *html, size_t len, const struct html_limits *lim)
{
	struct html_state *st;
	struct mime_html *out = NULL;

	if ((st = state_new(a, lim)) == NULL)
		return NULL;
	if ((st->out = mg_arena_zalloc(a, sizeof(*st->out))) == NULL)
		goto done;
	if (html == NULL) {
		html = "";
		len = 0;
	}
	if (len > st->lim.max_input) {
		len = st->lim.max_input;
		st->out->truncated = true;
	}
	st->end = html + len;
	if (len >= 3 && memcmp(html, "\xef\xbb\xbf", 3) == 0)
		html += 3;
	tokenize(st, html);
	html__close_all(st);
	finish(st);
	if (!st->arena_failed)
		out = st->out;
done:
	state_release(st);
	return out;
}
