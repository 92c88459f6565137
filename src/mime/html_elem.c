/* Open elements and their computed visibility: the forgiving tree building
 * of HTML reduced to what decides what a reader sees (implicit closing of
 * p, li, td, tr, option; end tags matched within scope or ignored; head
 * closed by body content; formatting elements reopened after a block
 * closes them), and inheritance of styles from parent to child. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/html_int.h"

static const struct {
	const char	*name;
	unsigned	 flags;
} tags[] = {
#define X(id, name, flags) { name, flags },
	HTML_TAG_LIST(X)
#undef X
	{ "", 0 },		/* T_UNKNOWN */
};

unsigned
html__tag_flags(enum html_tag t)
{
	return tags[t].flags;
}

const char *
html__tag_name(enum html_tag t)
{
	return tags[t].name;
}

/* Known names by FNV-1a hash of the lower-case name: slot holds tag + 1. */
#define TAG_SLOTS	512
static uint8_t tag_slots[TAG_SLOTS];
static pthread_once_t tag_slots_once = PTHREAD_ONCE_INIT;

static uint32_t
name_hash(const char *name, size_t len, char *low, size_t lowmax)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] + 32) : name[i];

		h = (h ^ (uint8_t)c) * 16777619u;
		if (i < lowmax)
			low[i] = c;
	}
	return h;
}

static void
tag_slots_init(void)
{
	char low[16];
	unsigned t, slot;

	for (t = 0; t < T_UNKNOWN; t++) {
		slot = name_hash(tags[t].name, strlen(tags[t].name), low, sizeof(low)) % TAG_SLOTS;
		while (tag_slots[slot] != 0)
			slot = (slot + 1) % TAG_SLOTS;
		tag_slots[slot] = (uint8_t)(t + 1);
	}
}

enum html_tag
html__tag_lookup(const char *name, size_t len, uint32_t *hash)
{
	char low[16];
	unsigned slot;

	*hash = name_hash(name, len, low, sizeof(low));
	if (len >= sizeof(low))
		return T_UNKNOWN;
	low[len] = '\0';
	pthread_once(&tag_slots_once, tag_slots_init);
	for (slot = *hash % TAG_SLOTS; tag_slots[slot] != 0; slot = (slot + 1) % TAG_SLOTS)
		if (strcmp(low, tags[tag_slots[slot] - 1].name) == 0)
			return (enum html_tag)(tag_slots[slot] - 1);
	return T_UNKNOWN;
}

/* Inheritance: the parent's state and the element's own declarations. */
static void
elem_compute(const struct html_elem *pa, struct html_elem *e, unsigned tflags, bool excl)
{
	const struct html_decl *d = &e->decl;
	uint8_t disp = d->display;

	e->flags = pa->flags & (EL_EXCLUDED | EL_NOBOX | EL_VISHID | EL_LHZERO |
	    EL_BGUNKNOWN | EL_FOREIGN);
	if (excl)
		e->flags |= EL_EXCLUDED | EL_NOBOX;
	if (tflags & F_FOREIGN)
		e->flags |= EL_FOREIGN;
	if (d->hide & (HTML_HID_DISPLAY_NONE | HTML_HID_VISIBILITY))
		e->flags |= EL_NOBOX;	/* display:none and the hidden attribute */
	if (disp == DISP_BLOCK || (disp == DISP_UNSET && (tflags & F_BLOCK)))
		e->flags |= EL_BLOCK;
	else if (disp == DISP_CELL || (disp == DISP_UNSET && (tflags & F_CELL)))
		e->flags |= EL_CELL;
	if (d->visibility >= 0)
		e->flags = d->visibility ? e->flags | EL_VISHID : e->flags & ~EL_VISHID;
	if (d->lh_zero >= 0)
		e->flags = d->lh_zero ? e->flags | EL_LHZERO : e->flags & ~EL_LHZERO;
	e->hard = pa->hard | d->hide;
	e->font = d->font_kind == FONT_PX ? d->font :
	    d->font_kind == FONT_FACTOR ? pa->font * d->font : pa->font;
	if (e->font > HTML_FONT_MAX)
		e->font = HTML_FONT_MAX;	/* no infinity, so 0em of it stays 0 */
	e->opacity = pa->opacity * d->opacity;
	if (e->opacity < HTML_OPACITY_MIN)
		e->hard |= HTML_HID_OPACITY;
	e->color = d->has_color ? d->color : pa->color;
	e->bg = pa->bg;
	if (d->bg_kind == BG_IMAGE) {
		e->flags |= EL_BGUNKNOWN;
	} else if (d->bg_kind == BG_COLOR && (d->bg >> 24) == 255) {
		e->bg = d->bg;
		e->flags &= ~EL_BGUNKNOWN;
	} else if (d->bg_kind == BG_COLOR && (d->bg >> 24) != 0) {
		e->bg = html__color_blend(d->bg, pa->bg);
	}
	e->text = e->hard;
	if (e->flags & EL_VISHID)
		e->text |= HTML_HID_VISIBILITY;
	if (e->font < HTML_FONT_TINY)
		e->text |= HTML_HID_FONT_SIZE;
	if (e->font <= 0 && (e->flags & EL_LHZERO))
		e->text |= HTML_HID_ZERO_SIZE;
	if (!d->has_color && d->bg_kind == BG_UNSET)
		e->text |= pa->text & HTML_HID_SAME_COLOR;	/* colours as the parent's */
	else if ((e->color >> 24) < 26 || (!(e->flags & EL_BGUNKNOWN) &&
	    html__color_near(html__color_blend(e->color, e->bg), e->bg)))
		e->text |= HTML_HID_SAME_COLOR;
}

static struct html_elem *
elem_push(struct html_state *st, enum html_tag tag, uint32_t hash,
    const struct html_decl *d, bool excl)
{
	struct html_elem *e;

	if (st->depth >= st->lim.max_depth) {
		st->out->truncated = true;
		return NULL;
	}
	if (st->depth + 1 >= st->stack_cap) {
		size_t ncap = st->stack_cap * 2;
		struct html_elem *ns;

		if (ncap > (size_t)st->lim.max_depth + 1)
			ncap = (size_t)st->lim.max_depth + 1;
		if ((ns = realloc(st->stack, ncap * sizeof(*ns))) == NULL) {
			st->out->truncated = true;
			return NULL;
		}
		st->stack = ns;
		st->stack_cap = ncap;
	}
	e = &st->stack[st->depth + 1];
	e->tag = (uint16_t)tag;
	e->hash = hash;
	e->link = -1;
	e->decl = *d;
	e->tflags = (uint16_t)html__tag_flags(tag);
	elem_compute(&st->stack[st->depth], e, e->tflags, excl);
	st->depth++;
	st->open[tag]++;
	if (tag == T_UNKNOWN)
		st->open_unknown[hash % HTML_UNKNOWN_BUCKETS]++;
	if (tag == T_HEAD)
		st->head = st->depth;
	if (e->tflags & F_SCOPE)
		st->nreopen = 0;	/* formatting does not leak into cells */
	if (e->flags & (EL_BLOCK | EL_CELL))
		html__sep(st, (e->flags & EL_BLOCK) ? SEP_LINE : SEP_SPACE, e->flags & EL_NOBOX);
	return e;
}

static void
elem_pop(struct html_state *st)
{
	struct html_elem *e = &st->stack[st->depth];

	if (e->link >= 0 && e->link == st->link)
		html__link_close(st);
	if (e->flags & EL_FORM)
		st->form = -1;
	if (st->head == st->depth)
		st->head = 0;
	if (e->flags & (EL_BLOCK | EL_CELL))
		html__sep(st, (e->flags & EL_BLOCK) ? SEP_LINE : SEP_SPACE, e->flags & EL_NOBOX);
	st->open[e->tag]--;
	if (e->tag == T_UNKNOWN)
		st->open_unknown[e->hash % HTML_UNKNOWN_BUCKETS]--;
	st->depth--;
	if (e->tflags & F_SCOPE)
		st->nreopen = 0;
}

/* Pops everything above stack[i], then stack[i]; formatting elements
 * closed on the way are remembered, outermost first, to be reopened. */
static void
pop_to(struct html_state *st, unsigned i)
{
	unsigned k;

	for (k = i + 1; k <= st->depth; k++) {
		if (!(st->stack[k].tflags & F_FMT))
			continue;
		if (st->nreopen == HTML_REOPEN_MAX) {
			memmove(st->reopen, st->reopen + 1, sizeof(st->reopen[0]) * (HTML_REOPEN_MAX - 1));
			st->nreopen--;
		}
		st->reopen[st->nreopen].tag = st->stack[k].tag;
		st->reopen[st->nreopen].decl = st->stack[k].decl;
		st->nreopen++;
	}
	while (st->depth >= i && st->depth > 0)
		elem_pop(st);
}

/* The topmost open element among tags[0..n-1] above any element with
 * one of the stop flags; 0 when none. */
static unsigned
find_open(const struct html_state *st, const uint16_t *want, size_t n, uint32_t hash,
    unsigned stop)
{
	unsigned i;
	size_t k;

	for (k = 0; k < n; k++)
		if (st->open[want[k]] > 0 && (want[k] != T_UNKNOWN ||
		    st->open_unknown[hash % HTML_UNKNOWN_BUCKETS] > 0))
			break;
	if (k == n)
		return 0;
	for (i = st->depth; i > 0; i--) {
		const struct html_elem *e = &st->stack[i];

		for (k = 0; k < n; k++)
			if (e->tag == want[k] && (want[k] != T_UNKNOWN || e->hash == hash))
				return i;
		if (e->tflags & stop)
			return 0;
	}
	return 0;
}

static void
close_open(struct html_state *st, const uint16_t *want, size_t n, unsigned stop)
{
	unsigned i = find_open(st, want, n, 0, stop);

	if (i > 0)
		pop_to(st, i);
}

#define CLOSE(st, stop, ...) do {						\
	static const uint16_t want_[] = { __VA_ARGS__ };			\
	close_open(st, want_, sizeof(want_) / sizeof(want_[0]), stop);		\
} while (0)

void
html__head_close(struct html_state *st)
{
	if (st->head > 0)
		pop_to(st, st->head);
}

void
html__reopen(struct html_state *st)
{
	unsigned i, n = st->nreopen;

	st->nreopen = 0;
	for (i = 0; i < n; i++)
		elem_push(st, st->reopen[i].tag, 0, &st->reopen[i].decl, false);
}

void
html__close_all(struct html_state *st)
{
	if (st->depth > 0)
		pop_to(st, 1);
}

/* Implicit closes a start tag causes; false when the tag is ignored. */
static bool
before_start(struct html_state *st, enum html_tag tag, unsigned f)
{
	const struct html_elem *top;

	if (st->head > 0 && !(f & F_HEAD) && tag != T_HEAD && tag != T_HTML)
		html__head_close(st);
	top = &st->stack[st->depth];
	switch (tag) {
	case T_HTML:
		if (st->html_seen || st->depth > 0 || st->body_seen)
			return false;
		st->html_seen = true;
		return true;
	case T_HEAD:
		if (st->head_seen || st->body_seen)
			return false;
		st->head_seen = true;
		return true;
	case T_BODY:
		if (st->body_open)
			return false;
		st->body_open = true;
		break;
	case T_FORM:
		if (st->form >= 0)
			return false;
		break;
	case T_A:
		CLOSE(st, F_SCOPE, T_A);
		break;
	case T_LI:
		CLOSE(st, F_SCOPE | F_LSCOPE, T_LI);
		break;
	case T_DD: case T_DT:
		CLOSE(st, F_SCOPE | F_LSCOPE, T_DD, T_DT);
		break;
	case T_OPTION: case T_OPTGROUP:
		if (top->tag == T_OPTION || (tag == T_OPTGROUP && top->tag == T_OPTGROUP))
			pop_to(st, st->depth);
		break;
	case T_TR:
		CLOSE(st, F_TSCOPE, T_TD, T_TH, T_TR);
		break;
	case T_TD: case T_TH:
		CLOSE(st, F_TSCOPE, T_TD, T_TH);
		break;
	case T_TBODY: case T_THEAD: case T_TFOOT:
		CLOSE(st, F_TSCOPE, T_TD, T_TH, T_TR, T_TBODY, T_THEAD, T_TFOOT);
		break;
	case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6:
		if (top->tag >= T_H1 && top->tag <= T_H6)
			pop_to(st, st->depth);
		break;
	default:
		break;
	}
	if (f & F_CLOSEP)
		CLOSE(st, F_SCOPE, T_P);
	if (!(f & F_HEAD))
		st->body_seen = true;
	if (st->nreopen > 0 && !(f & F_BLOCK))
		html__reopen(st);
	return true;
}

/* <font size=N>: 1..7 or relative to 3; every size is readable. */
static void
font_size_attr(struct mg_slice v, struct html_decl *d)
{
	static const float px[] = { 10, 13, 16, 18, 24, 32, 48 };
	const char *p = (const char *)v.ptr, *e = p + v.len;
	int n = 0, sign = 0;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p < e && (*p == '+' || *p == '-'))
		sign = *p++ == '-' ? -1 : 1;
	if (p >= e || *p < '0' || *p > '9')
		return;
	for (; p < e && *p >= '0' && *p <= '9' && n < 100; p++)
		n = n * 10 + (*p - '0');
	if (sign != 0)
		n = 3 + sign * n;
	n = n < 1 ? 1 : n > 7 ? 7 : n;
	d->font_kind = FONT_PX;
	d->font = px[n - 1];
}

static void
legacy_color(struct html_state *st, const struct html_tok *t, enum html_attr a,
    uint32_t *argb, bool *ok)
{
	struct mg_slice v;

	if (!(t->have & 1u << a))
		return;
	v = html__attr_decode(st, t->attr[a], HS_REFS, &st->scratch);
	if (html__color_legacy((const char *)v.ptr, v.len, argb))
		*ok = true;
}

/* Presentational attributes, then the inline style over them. */
static void
elem_decl(struct html_state *st, const struct html_tok *t, struct html_decl *d)
{
	bool bg = false;
	struct mg_slice v;

	memset(d, 0, sizeof(*d));
	d->opacity = 1;
	d->visibility = -1;
	d->lh_zero = -1;
	if (t->have & 1u << HA_HIDDEN)
		d->hide |= HTML_HID_VISIBILITY;
	switch (t->tag) {
	case T_SMALL: case T_SUB: case T_SUP: case T_BIG:
		d->font_kind = FONT_FACTOR;
		d->font = t->tag == T_BIG ? 1.2f : 1 / 1.2f;
		break;
	case T_A:
		if (t->have & 1u << HA_HREF) {
			d->has_color = true;
			d->color = HTML_LINK_BLUE;
		}
		break;
	case T_FONT:
		legacy_color(st, t, HA_COLOR, &d->color, &d->has_color);
		if (t->have & 1u << HA_SIZE)
			font_size_attr(t->attr[HA_SIZE], d);
		break;
	case T_BODY:
		legacy_color(st, t, HA_TEXT, &d->color, &d->has_color);
		break;
	default:
		break;
	}
	legacy_color(st, t, HA_BGCOLOR, &d->bg, &bg);
	if (bg)
		d->bg_kind = BG_COLOR;
	if ((t->have & 1u << HA_BACKGROUND) || (!bg && html__sheet_bg(st, t)))
		d->bg_kind = BG_IMAGE;	/* unknown: colours cannot be compared */
	if (t->have & 1u << HA_STYLE) {
		v = html__attr_decode(st, t->attr[HA_STYLE], HS_REFS, &st->stylebuf);
		html__style(st, (const char *)v.ptr, v.len, d);
	}
}

static void
void_sep(struct html_state *st, enum html_tag tag, const struct html_decl *d)
{
	bool nobox = (st->stack[st->depth].flags & EL_NOBOX) || d->display == DISP_NONE ||
	    (d->hide & HTML_HID_VISIBILITY);

	if (tag == T_BR || tag == T_HR)
		html__sep(st, SEP_LINE, nobox);
	else if (tag == T_IMG || tag == T_INPUT || tag == T_EMBED || tag == T_KEYGEN)
		html__sep(st, SEP_SPACE, nobox);
}

void
html__start_tag(struct html_state *st, const struct html_tok *t)
{
	unsigned f = html__tag_flags(t->tag);
	struct html_elem *el = NULL;
	struct html_decl d;
	bool excl = (f & F_EXCL) != 0;

	if (!before_start(st, t->tag, f))
		return;
	elem_decl(st, t, &d);
	if (t->tag == T_TITLE) {
		/* the document's title is not text; a title in the body hides */
		if (st->head > 0 || !st->body_seen)
			excl = true;
		else
			d.hide |= HTML_HID_DISPLAY_NONE;
	}
	if ((f & F_VOID) || (t->self_closing &&
	    ((f & F_FOREIGN) || (st->stack[st->depth].flags & EL_FOREIGN))))
		void_sep(st, t->tag, &d);
	else
		el = elem_push(st, t->tag, t->hash, &d, excl);
	html__items(st, t, &d, el);
}

void
html__end_tag(struct html_state *st, enum html_tag tag, uint32_t hash)
{
	const uint16_t want[1] = { (uint16_t)tag };
	unsigned f = html__tag_flags(tag), stop = F_SCOPE, i, k;

	switch (tag) {
	case T_BODY: case T_HTML:
		return;		/* what follows is still in the body */
	case T_BR:
		html__sep(st, SEP_LINE, st->stack[st->depth].flags & EL_NOBOX);
		return;
	case T_TABLE: case T_TBODY: case T_THEAD: case T_TFOOT: case T_TR:
	case T_TD: case T_TH: case T_CAPTION:
		stop = F_TSCOPE;
		break;
	case T_LI: case T_DD: case T_DT:
		stop = F_SCOPE | F_LSCOPE;
		break;
	default:
		break;
	}
	if ((i = find_open(st, want, 1, hash, stop)) > 0) {
		pop_to(st, i);
	} else if (tag == T_P) {
		html__sep(st, SEP_LINE, st->stack[st->depth].flags & EL_NOBOX);
	} else if (f & F_FMT) {
		/* closes a formatting element waiting to be reopened */
		for (k = st->nreopen; k-- > 0; )
			if (st->reopen[k].tag == tag) {
				memmove(st->reopen + k, st->reopen + k + 1,
				    sizeof(st->reopen[0]) * (st->nreopen - k - 1));
				st->nreopen--;
				break;
			}
	}
}
