/* Inline CSS: the declarations of a style attribute that decide whether text
 * can be seen (display, visibility, font-size, font, line-height, opacity,
 * color, background, position and offsets, margins, text-indent, sizes with
 * overflow), and the url(...) references kept for the URL list. Values are
 * normalised first: comments dropped, escapes decoded, lower case. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/html_int.h"

#define CSS_NAME_MAX	32
#define CSS_VALUE_MAX	256

/* Properties whose last declaration wins (unless an earlier one was
 * !important); the box properties are kept as lengths in px. */
enum css_prop {
	P_LEFT, P_TOP, P_RIGHT, P_MLEFT, P_MTOP, P_INDENT,
	P_WIDTH, P_HEIGHT, P_MAXH, P_MAXW,
	P_NLENGTHS,
	P_DISPLAY = P_NLENGTHS, P_VISIBILITY, P_FONT, P_LINE_HEIGHT, P_OPACITY,
	P_COLOR, P_BG, P_POSITION, P_OVERFLOW,
};

/* What one style attribute says. */
struct css_box {
	unsigned	 given, important;	/* 1 << enum css_prop */
	float		 len[P_NLENGTHS];
	struct html_decl d;			/* display ... bg, as in a decl */
	bool		 moved;			/* position absolute, fixed or relative */
	bool		 overflow_hidden;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Whether a declaration of prop may replace what came before it. */
static bool
css_take(struct css_box *b, enum css_prop prop, bool important)
{
	unsigned bit = 1u << prop;

	if ((b->important & bit) && !important)
		return false;
	b->given |= bit;
	if (important)
		b->important |= bit;
	return true;
}

bool
html__number(const char **pp, const char *e, float *v)
{
	const char *p = *pp;
	float x = 0, scale = 0.1f;
	bool neg = false;
	int digits = 0, ex = 0, exsign = 1;

	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	for (; p < e && is_digit(*p); p++, digits++)
		if (x < 1e30f)
			x = x * 10 + (float)(*p - '0');
	if (p + 1 < e && *p == '.' && is_digit(p[1]))
		for (p++; p < e && is_digit(*p); p++, digits++, scale *= 0.1f)
			x += (float)(*p - '0') * scale;
	if (digits == 0)
		return false;
	if (p + 1 < e && (*p == 'e' || *p == 'E') && (is_digit(p[1]) ||
	    ((p[1] == '+' || p[1] == '-') && p + 2 < e && is_digit(p[2])))) {
		p++;
		if (*p == '+' || *p == '-')
			exsign = *p++ == '-' ? -1 : 1;
		for (; p < e && is_digit(*p); p++)
			if (ex < 40)
				ex = ex * 10 + (*p - '0');
		for (; ex > 0 && x != 0; ex--)
			x = exsign > 0 ? (x < 1e30f ? x * 10 : x) : x / 10;
	}
	*v = neg ? -x : x;
	*pp = p;
	return true;
}

/* Lower case, comments dropped, escapes decoded, spaces collapsed and
 * trimmed; "!important" cut off and reported. Returns the length. */
static size_t
css_norm(const char *p, const char *e, char *out, size_t max, bool *important)
{
	size_t n = 0;
	bool space = false;
	char c;

	while (p < e && n + 1 < max) {
		c = *p++;
		if (c == '/' && p < e && *p == '*') {
			const char *end = memmem(p + 1, (size_t)(e - p - 1), "*/", 2);

			p = end ? end + 2 : e;
			space = true;
			continue;
		}
		if (c == '\\' && p < e) {
			uint32_t cp = 0;
			int k;

			for (k = 0; k < 6 && p < e && html__hex_digit(*p) >= 0; k++)
				cp = cp << 4 | (uint32_t)html__hex_digit(*p++);
			if (k > 0 && p < e && is_space(*p))
				p++;
			c = k == 0 ? *p++ : cp > 0 && cp < 0x80 ? (char)cp : '?';
		}
		if (is_space(c)) {
			space = true;
			continue;
		}
		if (space && n > 0)
			out[n++] = ' ';
		space = false;
		if (n + 1 < max)
			out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out[n] = '\0';
	if (important != NULL) {
		char *bang = memchr(out, '!', n);

		*important = false;
		if (bang != NULL) {
			const char *w = bang + 1;

			while (*w == ' ')
				w++;
			*important = strcmp(w, "important") == 0;
			while (bang > out && bang[-1] == ' ')
				bang--;
			*bang = '\0';
			n = (size_t)(bang - out);
		}
	}
	return n;
}

/* A length in px; percentages only when zero. em counts as 16px. */
static bool
css_length(const char *v, float *px)
{
	static const struct { const char *unit; float px; } units[] = {
		{ "px", 1 }, { "pt", 4.0f / 3 }, { "pc", 16 }, { "in", 96 },
		{ "cm", 37.795f }, { "mm", 3.7795f }, { "q", 0.9449f },
		{ "em", 16 }, { "rem", 16 }, { "ex", 8 }, { "ch", 8 },
		{ "vw", 10 }, { "vh", 10 }, { "vmin", 10 }, { "vmax", 10 },
	};
	const char *p = v, *e = v + strlen(v);
	size_t i;
	float x;

	if (!html__number(&p, e, &x))
		return false;
	if (*p == '\0' || *p == ' ' || (*p == '%' && x == 0)) {
		if (x != 0 && *p != '%')
			return false;
		*px = 0;
		return true;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t ulen = strlen(units[i].unit);

		if (strncmp(p, units[i].unit, ulen) == 0 &&
		    (p[ulen] == '\0' || p[ulen] == ' ')) {
			*px = x * units[i].px;
			return true;
		}
	}
	return false;
}

static bool
css_font_size(const char *v, struct html_decl *d)
{
	static const struct { const char *kw; float px; } kw[] = {
		{ "xx-small", 9 }, { "x-small", 10 }, { "small", 13 }, { "medium", 16 },
		{ "large", 18 }, { "x-large", 24 }, { "xx-large", 32 }, { "xxx-large", 48 },
		{ "initial", 16 },
	};
	const char *p = v, *e = v + strlen(v);
	size_t i;
	float x;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(v, kw[i].kw) == 0) {
			d->font_kind = FONT_PX;
			d->font = kw[i].px;
			return true;
		}
	if (strcmp(v, "smaller") == 0 || strcmp(v, "larger") == 0) {
		d->font_kind = FONT_FACTOR;
		d->font = v[0] == 's' ? 1 / 1.2f : 1.2f;
		return true;
	}
	if (!html__number(&p, e, &x) || x < 0)
		return false;
	if (strcmp(p, "%") == 0 || strcmp(p, "em") == 0 || strcmp(p, "ex") == 0 ||
	    strcmp(p, "ch") == 0) {
		d->font_kind = FONT_FACTOR;
		d->font = p[0] == '%' ? x / 100 : p[1] == 'm' ? x : x / 2;
		return true;
	}
	if (!css_length(v, &x))
		return false;
	d->font_kind = FONT_PX;
	d->font = x;
	return true;
}

static bool
css_zero(const char *v)
{
	float x;

	return css_length(v, &x) && x == 0;
}

/* The next space-separated token of v, parentheses kept together. */
static bool
css_token(const char **pp, char *tok, size_t max)
{
	const char *p = *pp;
	size_t n = 0;
	int depth = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return false;
	for (; *p != '\0' && (depth > 0 || *p != ' '); p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (n + 1 < max)
			tok[n++] = *p;
	}
	tok[n] = '\0';
	*pp = p;
	return true;
}

/* font: [style variant weight] size[/line-height] family; the line
 * height not given is reset to normal. */
static void
css_font(const char *v, struct css_box *b, bool important)
{
	char tok[CSS_VALUE_MAX], more[CSS_VALUE_MAX], *slash;
	const char *lh = NULL, *save;
	struct html_decl d = { 0 };

	while (css_token(&v, tok, sizeof(tok))) {
		if ((slash = strchr(tok, '/')) != NULL)
			*slash = '\0';
		if (tok[0] == '\0' || !css_font_size(tok, &d))
			continue;
		if (slash != NULL) {
			lh = slash + 1;
		} else {
			save = v;
			if (css_token(&v, more, sizeof(more)) && more[0] == '/')
				lh = more + 1;
			else
				v = save;
		}
		if (lh != NULL && *lh == '\0')
			lh = css_token(&v, more, sizeof(more)) ? more : NULL;
		if (css_take(b, P_FONT, important)) {
			b->d.font_kind = d.font_kind;
			b->d.font = d.font;
		}
		if (css_take(b, P_LINE_HEIGHT, important))
			b->d.lh_zero = lh != NULL && css_zero(lh);
		return;
	}
}

static void
css_background(const char *v, struct css_box *b, bool important)
{
	char tok[CSS_VALUE_MAX];
	uint32_t argb;

	if (strstr(v, "url(") != NULL || strstr(v, "gradient(") != NULL ||
	    strstr(v, "image(") != NULL) {
		if (css_take(b, P_BG, important))
			b->d.bg_kind = BG_IMAGE;
		return;
	}
	while (css_token(&v, tok, sizeof(tok)))
		if (html__color_css(tok, strlen(tok), &argb)) {
			if (css_take(b, P_BG, important)) {
				b->d.bg_kind = BG_COLOR;
				b->d.bg = argb;
			}
			return;
		}
}

static void
css_display(const char *v, struct css_box *b, bool important)
{
	uint8_t disp;

	if (strcmp(v, "none") == 0)
		disp = DISP_NONE;
	else if (strncmp(v, "inline", 6) == 0 || strcmp(v, "contents") == 0 ||
	    strcmp(v, "initial") == 0 || strncmp(v, "ruby", 4) == 0)
		disp = DISP_INLINE;
	else if (strcmp(v, "table-cell") == 0)
		disp = DISP_CELL;
	else if (strcmp(v, "inherit") == 0 || strcmp(v, "unset") == 0 ||
	    strcmp(v, "revert") == 0 || v[0] == '\0')
		return;
	else
		disp = DISP_BLOCK;
	if (css_take(b, P_DISPLAY, important))
		b->d.display = disp;
}

static void
css_color(const char *v, struct css_box *b, bool important)
{
	uint32_t argb = HTML_BLACK;
	bool inherit = strcmp(v, "inherit") == 0 || strcmp(v, "currentcolor") == 0 ||
	    strcmp(v, "unset") == 0;

	if (!inherit && strcmp(v, "initial") != 0 && !html__color_css(v, strlen(v), &argb))
		return;
	if (css_take(b, P_COLOR, important)) {
		b->d.has_color = !inherit;
		b->d.color = argb;
	}
}

static void
css_opacity(const char *v, struct css_box *b, bool important)
{
	const char *p = v, *e = v + strlen(v);
	float x;

	if (!html__number(&p, e, &x))
		return;
	if (*p == '%')
		x /= 100;
	if (css_take(b, P_OPACITY, important))
		b->d.opacity = x < 0 ? 0 : x > 1 ? 1 : x;
}

static void
css_length_prop(const char *v, struct css_box *b, enum css_prop prop, bool important)
{
	float px;

	if (css_length(v, &px) && css_take(b, prop, important))
		b->len[prop] = px;
}

/* margin: top [right [bottom [left]]] */
static void
css_margin(const char *v, struct css_box *b, bool important)
{
	char tok[4][CSS_VALUE_MAX / 4];
	int n = 0;

	while (n < 4 && css_token(&v, tok[n], sizeof(tok[n])))
		n++;
	if (n == 0)
		return;
	css_length_prop(tok[0], b, P_MTOP, important);
	css_length_prop(tok[n == 4 ? 3 : n >= 2 ? 1 : 0], b, P_MLEFT, important);
}

enum css_kind {
	K_LENGTH, K_DISPLAY, K_FONT_SIZE, K_FONT, K_LINE_HEIGHT, K_OPACITY, K_COLOR,
	K_BACKGROUND, K_MARGIN, K_VISIBILITY, K_POSITION, K_OVERFLOW,
};

/* The properties read; every other declaration is skipped unparsed. */
static const struct {
	const char	*name;
	uint8_t		 len, kind, prop;
} css_props[] = {
	{ "left", 4, K_LENGTH, P_LEFT }, { "top", 3, K_LENGTH, P_TOP },
	{ "right", 5, K_LENGTH, P_RIGHT }, { "margin-left", 11, K_LENGTH, P_MLEFT },
	{ "margin-top", 10, K_LENGTH, P_MTOP }, { "text-indent", 11, K_LENGTH, P_INDENT },
	{ "width", 5, K_LENGTH, P_WIDTH }, { "height", 6, K_LENGTH, P_HEIGHT },
	{ "max-height", 10, K_LENGTH, P_MAXH }, { "max-width", 9, K_LENGTH, P_MAXW },
	{ "display", 7, K_DISPLAY, 0 }, { "font-size", 9, K_FONT_SIZE, 0 },
	{ "font", 4, K_FONT, 0 }, { "line-height", 11, K_LINE_HEIGHT, 0 },
	{ "opacity", 7, K_OPACITY, 0 }, { "color", 5, K_COLOR, 0 },
	{ "background", 10, K_BACKGROUND, 0 }, { "background-color", 16, K_BACKGROUND, 0 },
	{ "background-image", 16, K_BACKGROUND, 0 }, { "margin", 6, K_MARGIN, 0 },
	{ "visibility", 10, K_VISIBILITY, 0 }, { "position", 8, K_POSITION, 0 },
	{ "overflow", 8, K_OVERFLOW, 0 }, { "overflow-x", 10, K_OVERFLOW, 0 },
	{ "overflow-y", 10, K_OVERFLOW, 0 },
};

static void
css_decl(const char *np, const char *ne, const char *vp, const char *ve, struct css_box *b)
{
	char name[CSS_NAME_MAX], v[CSS_VALUE_MAX];
	const char *nm;
	struct html_decl d;
	size_t i, n;
	bool imp;

	/* plain names are compared as written, others normalised first */
	while (np < ne && is_space(*np))
		np++;
	while (ne > np && is_space(ne[-1]))
		ne--;
	n = (size_t)(ne - np);
	if (memchr(np, '\\', n) != NULL || memchr(np, '/', n) != NULL) {
		n = css_norm(np, ne, name, sizeof(name), NULL);
		nm = name;
	} else {
		nm = np;
	}
	for (i = 0; i < sizeof(css_props) / sizeof(css_props[0]); i++)
		if (css_props[i].len == n && css_props[i].name[0] == (nm[0] | 0x20) &&
		    strncasecmp(css_props[i].name, nm, n) == 0)
			break;
	if (i == sizeof(css_props) / sizeof(css_props[0]))
		return;
	css_norm(vp, ve, v, sizeof(v), &imp);
	switch (css_props[i].kind) {
	case K_LENGTH:
		css_length_prop(v, b, css_props[i].prop, imp);
		break;
	case K_DISPLAY:
		css_display(v, b, imp);
		break;
	case K_FONT_SIZE:
		d.font_kind = FONT_UNSET;
		if (css_font_size(v, &d) && css_take(b, P_FONT, imp)) {
			b->d.font_kind = d.font_kind;
			b->d.font = d.font;
		}
		break;
	case K_FONT:
		css_font(v, b, imp);
		break;
	case K_LINE_HEIGHT:
		if (css_take(b, P_LINE_HEIGHT, imp))
			b->d.lh_zero = css_zero(v);
		break;
	case K_OPACITY:
		css_opacity(v, b, imp);
		break;
	case K_COLOR:
		css_color(v, b, imp);
		break;
	case K_BACKGROUND:
		css_background(v, b, imp);
		break;
	case K_MARGIN:
		css_margin(v, b, imp);
		break;
	case K_VISIBILITY:
		if ((strcmp(v, "hidden") == 0 || strcmp(v, "collapse") == 0 ||
		    strcmp(v, "visible") == 0 || strcmp(v, "initial") == 0) &&
		    css_take(b, P_VISIBILITY, imp))
			b->d.visibility = v[0] == 'h' || v[0] == 'c';
		break;
	case K_POSITION:
		if (css_take(b, P_POSITION, imp))
			b->moved = strcmp(v, "absolute") == 0 || strcmp(v, "fixed") == 0 ||
			    strcmp(v, "relative") == 0;
		break;
	case K_OVERFLOW:
		if (css_take(b, P_OVERFLOW, imp))
			b->overflow_hidden = strstr(v, "hidden") != NULL || strstr(v, "clip") != NULL;
		break;
	}
}

static bool
given(const struct css_box *b, enum css_prop prop)
{
	return (b->given & 1u << prop) != 0;
}

static bool
given_at_most(const struct css_box *b, enum css_prop prop, float px)
{
	return given(b, prop) && b->len[prop] <= px;
}

static unsigned
css_px(const struct css_box *b, enum css_prop prop)
{
	return given(b, prop) && b->len[prop] >= 1 && b->len[prop] < 1e6f ?
	    (unsigned)(b->len[prop] + 0.5f) : 0;
}

/* Folds what the style says into the element's declarations. */
static void
css_resolve(const struct css_box *b, struct html_decl *d)
{
	if (given(b, P_DISPLAY)) {
		d->display = b->d.display;
		/* an author's display wins over the hidden attribute */
		d->hide &= ~(unsigned)HTML_HID_VISIBILITY;
		if (b->d.display == DISP_NONE)
			d->hide |= HTML_HID_DISPLAY_NONE;
	}
	if (given(b, P_VISIBILITY))
		d->visibility = b->d.visibility;
	if (given(b, P_FONT)) {
		d->font_kind = b->d.font_kind;
		d->font = b->d.font;
	}
	if (given(b, P_LINE_HEIGHT))
		d->lh_zero = b->d.lh_zero;
	if (given(b, P_OPACITY))
		d->opacity = b->d.opacity;
	if (given(b, P_COLOR)) {
		d->has_color = b->d.has_color;
		d->color = b->d.color;
	}
	if (given(b, P_BG)) {
		d->bg_kind = b->d.bg_kind;
		d->bg = b->d.bg;
	}
	if ((b->moved && (given_at_most(b, P_LEFT, HTML_OFFSCREEN_PX) ||
	    given_at_most(b, P_TOP, HTML_OFFSCREEN_PX) ||
	    given_at_most(b, P_RIGHT, HTML_OFFSCREEN_PX))) ||
	    given_at_most(b, P_MLEFT, HTML_OFFSCREEN_PX) ||
	    given_at_most(b, P_MTOP, HTML_OFFSCREEN_PX) ||
	    given_at_most(b, P_INDENT, HTML_INDENT_PX))
		d->hide |= HTML_HID_OFFSCREEN;
	if (b->overflow_hidden && (given_at_most(b, P_WIDTH, HTML_ZERO_BOX_PX) ||
	    given_at_most(b, P_HEIGHT, HTML_ZERO_BOX_PX) ||
	    given_at_most(b, P_MAXH, HTML_ZERO_BOX_PX) ||
	    given_at_most(b, P_MAXW, HTML_ZERO_BOX_PX)))
		d->hide |= HTML_HID_ZERO_SIZE;
	if (css_px(b, P_WIDTH))
		d->width = css_px(b, P_WIDTH);
	if (css_px(b, P_HEIGHT))
		d->height = css_px(b, P_HEIGHT);
}

/* Bytes the declaration splitter looks at. */
static const uint8_t css_special[256] = {
	['"'] = 1, ['\''] = 1, ['/'] = 1, ['('] = 1, [')'] = 1, [':'] = 1, [';'] = 1, ['\\'] = 1,
};

/* A style attribute's value (character references already decoded). */
void
html__style(struct html_state *st, const char *s, size_t n, struct html_decl *d)
{
	const char *p = s, *e = s + n, *start, *colon;
	struct css_box b;
	int depth;
	char q;

	memset(&b, 0, sizeof(b));
	html__css_urls(st, s, n);
	while (p < e) {
		start = p;
		colon = NULL;
		depth = 0;
		q = 0;
		for (; p < e; p++) {
			if (q == 0 && !css_special[(uint8_t)*p])
				continue;
			if (q != 0) {
				if (*p == q)
					q = 0;
				else if (*p == '\\' && p + 1 < e)
					p++;
			} else if (*p == '"' || *p == '\'') {
				q = *p;
			} else if (*p == '/' && p + 1 < e && p[1] == '*') {
				const char *end = memmem(p + 2, (size_t)(e - p - 2), "*/", 2);

				p = end ? end + 1 : e - 1;
			} else if (*p == '(') {
				depth++;
			} else if (*p == ')' && depth > 0) {
				depth--;
			} else if (*p == ':' && colon == NULL && depth == 0) {
				colon = p;
			} else if (*p == ';' && depth == 0) {
				break;
			} else if (*p == '\\' && p + 1 < e) {
				p++;
			}
		}
		if (colon != NULL)
			css_decl(start, colon, colon + 1, p, &b);
		if (p < e)
			p++;
	}
	css_resolve(&b, d);
}

/* url( at p: records the reference; returns where scanning goes on. */
static const char *
css_url(struct html_state *st, const char *p, const char *e)
{
	const char *v, *end;

	while (p < e && is_space(*p))
		p++;
	if (p < e && (*p == '"' || *p == '\'')) {
		v = p + 1;
		if ((end = memchr(v, *p, (size_t)(e - v))) == NULL)
			end = e;
	} else {
		v = p;
		if ((end = memchr(v, ')', (size_t)(e - v))) == NULL)
			end = e;
	}
	html__css_url_add(st, v, (size_t)(end - v));
	return end < e ? end + 1 : e;
}

/* url(...) anywhere, and @import "..." */
void
html__css_urls(struct html_state *st, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *q;

	while ((q = memchr(p, '(', (size_t)(e - p))) != NULL) {
		if (q - s >= 3 && strncasecmp(q - 3, "url", 3) == 0)
			p = css_url(st, q + 1, e);
		else
			p = q + 1;
	}
	for (p = s; (q = memchr(p, '@', (size_t)(e - p))) != NULL; ) {
		p = q + 1;
		if (e - p < 7 || strncasecmp(p, "import", 6) != 0 || !is_space(p[6]))
			continue;
		for (p += 6; p < e && is_space(*p); p++)
			;
		if (p < e && (*p == '"' || *p == '\''))
			p = css_url(st, p, e);
	}
}
