/* QR codes drawn as HTML tables (html_qr.h): a one-pass tag scanner that
 * follows only table, tr, td and th and the colours of their attributes;
 * text, other tags and comments are skipped. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "files/html_qr.h"

#define HQ_NONE	(-1)	/* no colour set */

/* The grid of the innermost open table. */
struct hq_grid {
	uint8_t		 dark[HTML_QR_MAX_SIDE * HTML_QR_MAX_SIDE];
	unsigned	 rows, cols;	/* rows started, widest row */
	unsigned	 col;		/* cells of the current row */
	unsigned	 ndark;
	int		 active;	/* collecting: no table opened inside */
	int		 bad;		/* a limit was passed: no code */
	int		 table_luma, row_luma;
};

/* The attributes of one tag that matter here. */
struct hq_tag {
	char		 name[8];	/* lower case; "" when longer */
	int		 closing;
	const char	*bgcolor, *style;
	size_t		 bgcolor_len, style_len;
	unsigned	 colspan;
};

static const struct {
	const char	*name;
	unsigned	 luma;
} hq_names[] = {
	{ "black", 0 }, { "white", 255 }, { "navy", 14 }, { "blue", 29 },
	{ "maroon", 38 }, { "red", 76 }, { "green", 75 }, { "purple", 53 },
	{ "gray", 128 }, { "grey", 128 }, { "silver", 192 }, { "yellow", 226 },
};

static unsigned
hq_luma(unsigned r, unsigned g, unsigned b)
{
	return (r * 299 + g * 587 + b * 114) / 1000;
}

static int
hq_hex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* "#rgb", "#rrggbb" (alpha digits ignored), or six digits without '#'. */
static int
hq_hex_color(const char *s, size_t len, unsigned *luma)
{
	unsigned v[6], n = 0;

	if (len > 0 && s[0] == '#') {
		s++;
		len--;
	}
	while (n < len && n < 8 && hq_hex((unsigned char)s[n]) >= 0)
		n++;
	if (n != len || (n != 3 && n != 4 && n != 6 && n != 8))
		return -MG_EINVAL;
	for (unsigned i = 0; i < (n >= 6 ? 6 : 3); i++)
		v[i] = (unsigned)hq_hex((unsigned char)s[i]);
	if (n >= 6)
		*luma = hq_luma(v[0] * 16 + v[1], v[2] * 16 + v[3], v[4] * 16 + v[5]);
	else
		*luma = hq_luma(v[0] * 17, v[1] * 17, v[2] * 17);
	return 0;
}

/* "rgb(r, g, b)" or "rgba(r, g, b, a)", components 0..255. */
static int
hq_rgb_color(const char *s, size_t len, unsigned *luma)
{
	unsigned c[3] = { 0, 0, 0 };
	size_t i;

	i = len >= 5 && strncasecmp(s, "rgba(", 5) == 0 ? 5 :
	    len >= 4 && strncasecmp(s, "rgb(", 4) == 0 ? 4 : 0;
	if (i == 0)
		return -MG_EINVAL;
	for (unsigned k = 0; k < 3; k++) {
		while (i < len && (s[i] == ' ' || (k > 0 && s[i] == ',')))
			i++;
		if (i >= len || !isdigit((unsigned char)s[i]))
			return -MG_EINVAL;
		while (i < len && isdigit((unsigned char)s[i]) && c[k] <= 255)
			c[k] = c[k] * 10 + (unsigned)(s[i++] - '0');
		if (c[k] > 255)
			c[k] = 255;
	}
	*luma = hq_luma(c[0], c[1], c[2]);
	return 0;
}

int
html_qr_color_luma(const char *s, size_t len, unsigned *luma)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (hq_hex_color(s, len, luma) == 0 || hq_rgb_color(s, len, luma) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(hq_names) / sizeof(hq_names[0]); i++)
		if (strlen(hq_names[i].name) == len && strncasecmp(s, hq_names[i].name, len) == 0) {
			*luma = hq_names[i].luma;
			return 0;
		}
	return -MG_EINVAL;
}

/* The first colour among the words of a background shorthand value. */
static int
hq_background_value(const char *v, size_t len, unsigned *luma)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && isspace((unsigned char)v[i]))
			i++;
		start = i;
		if (len - i >= 3 && strncasecmp(v + i, "rgb", 3) == 0) {
			while (i < len && v[i] != ')')
				i++;
			i += i < len;
		} else
			while (i < len && !isspace((unsigned char)v[i]))
				i++;
		if (i > start && html_qr_color_luma(v + start, i - start, luma) == 0)
			return 0;
	}
	return -MG_EINVAL;
}

/* The colour of background or background-color in a style attribute. */
static int
hq_style_luma(const char *s, size_t len, unsigned *luma)
{
	size_t i = 0, end;

	while (i + 10 < len) {
		if (strncasecmp(s + i, "background", 10) != 0) {
			i++;
			continue;
		}
		i += 10;
		if (len - i >= 6 && strncasecmp(s + i, "-color", 6) == 0)
			i += 6;
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len || s[i] != ':')
			continue;
		for (end = ++i; end < len && s[end] != ';'; end++)
			;
		if (hq_background_value(s + i, end - i, luma) == 0)
			return 0;
		i = end;
	}
	return -MG_EINVAL;
}

/* The luma a tag sets (bgcolor wins over style), or HQ_NONE. */
static int
hq_tag_luma(const struct hq_tag *t)
{
	unsigned luma;

	if (t->bgcolor != NULL && html_qr_color_luma(t->bgcolor, t->bgcolor_len, &luma) == 0)
		return (int)luma;
	if (t->style != NULL && hq_style_luma(t->style, t->style_len, &luma) == 0)
		return (int)luma;
	return HQ_NONE;
}

static void
hq_attr(struct hq_tag *t, const char *an, size_t anlen, const char *v, size_t vlen)
{
	unsigned n = 0;

	if (anlen == 7 && strncasecmp(an, "bgcolor", 7) == 0) {
		t->bgcolor = v;
		t->bgcolor_len = vlen;
	} else if (anlen == 5 && strncasecmp(an, "style", 5) == 0) {
		t->style = v;
		t->style_len = vlen;
	} else if (anlen == 7 && strncasecmp(an, "colspan", 7) == 0) {
		for (size_t i = 0; i < vlen && isdigit((unsigned char)v[i]) && n <= HTML_QR_MAX_SIDE; i++)
			n = n * 10 + (unsigned)(v[i] - '0');
		t->colspan = n;
	}
}

/* One attribute value from s[*i] (after '='), quoted or not; -1 when a
 * quote is not closed. */
static int
hq_value(const char *s, size_t len, size_t *i, const char **v, size_t *vlen)
{
	const char *q;

	if (*i < len && (s[*i] == '"' || s[*i] == '\'')) {
		if ((q = memchr(s + *i + 1, s[*i], len - *i - 1)) == NULL)
			return -1;
		*v = s + *i + 1;
		*vlen = (size_t)(q - *v);
		*i = (size_t)(q - s) + 1;
		return 0;
	}
	*v = s + *i;
	while (*i < len && !isspace((unsigned char)s[*i]) && s[*i] != '>')
		(*i)++;
	*vlen = (size_t)(s + *i - *v);
	return 0;
}

/* The tag at s[0] == '<' into t: the bytes it takes (through '>'; 1 for
 * a '<' starting no tag name), or 0 when it does not end before len. */
static size_t
hq_tag_parse(const char *s, size_t len, struct hq_tag *t)
{
	size_t i = 1, n = 0, an, anlen;
	const char *v;
	size_t vlen;

	memset(t, 0, sizeof(*t));
	if (i < len && s[i] == '/') {
		t->closing = 1;
		i++;
	}
	for (; i < len && isalnum((unsigned char)s[i]); i++, n++)
		if (n < sizeof(t->name) - 1)
			t->name[n] = (char)tolower((unsigned char)s[i]);
	if (n == 0)
		return 1;	/* '<' not starting a tag: text */
	if (n >= sizeof(t->name))
		t->name[0] = '\0';
	for (;;) {
		while (i < len && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		if (i >= len)
			return 0;
		if (s[i] == '>')
			return i + 1;
		for (an = i; i < len && !isspace((unsigned char)s[i]) && s[i] != '=' &&
		    s[i] != '>' && s[i] != '/'; i++)
			;
		if ((anlen = i - an) == 0) {	/* a stray '=' */
			i++;
			continue;
		}
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len || s[i] != '=')
			continue;
		i++;
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (hq_value(s, len, &i, &v, &vlen) < 0)
			return 0;
		hq_attr(t, s + an, anlen, v, vlen);
	}
}

/* A new row: its cells start white. */
static void
hq_row(struct hq_grid *g, int luma)
{
	if (g->rows >= HTML_QR_MAX_SIDE) {
		g->bad = 1;
		return;
	}
	memset(g->dark + (size_t)g->rows * HTML_QR_MAX_SIDE, 0, HTML_QR_MAX_SIDE);
	g->rows++;
	g->col = 0;
	g->row_luma = luma;
}

/* A cell of colspan cells: its own colour, else its row's or table's. */
static void
hq_cell(struct hq_grid *g, const struct hq_tag *t)
{
	unsigned span = t->colspan > 0 ? t->colspan : 1;
	int luma = hq_tag_luma(t);
	uint8_t *row;

	if (g->rows == 0)
		hq_row(g, HQ_NONE);
	if (g->bad || g->col + span > HTML_QR_MAX_SIDE) {
		g->bad = 1;
		return;
	}
	if (luma == HQ_NONE)
		luma = g->row_luma != HQ_NONE ? g->row_luma : g->table_luma;
	row = g->dark + (size_t)(g->rows - 1) * HTML_QR_MAX_SIDE;
	if (luma != HQ_NONE && luma < HTML_QR_DARK) {
		memset(row + g->col, 1, span);
		g->ndark += span;
	}
	g->col += span;
	if (g->col > g->cols)
		g->cols = g->col;
}

/* The grid drawn with a quiet zone, HTML_QR_MODULE_PX per cell. */
static int
hq_bitmap(const struct hq_grid *g, struct image_gray *img)
{
	unsigned px = HTML_QR_MODULE_PX, q = HTML_QR_QUIET;

	img->w = (g->cols + 2 * q) * px;
	img->h = (g->rows + 2 * q) * px;
	if ((img->px = malloc((size_t)img->w * img->h)) == NULL)
		return -MG_ENOMEM;
	memset(img->px, 255, (size_t)img->w * img->h);
	for (unsigned y = 0; y < g->rows * px; y++)
		for (unsigned x = 0; x < g->cols * px; x++)
			if (g->dark[(size_t)(y / px) * HTML_QR_MAX_SIDE + x / px])
				img->px[(size_t)(y + q * px) * img->w + x + q * px] = 0;
	return 0;
}

/* A table closed: handed on when it could be a code. */
static int
hq_table_end(struct hq_grid *g, html_qr_fn fn, void *arg, unsigned *kept)
{
	struct image_gray img;
	int rc;

	if (!g->active || g->bad || g->rows < HTML_QR_MIN_SIDE || g->cols < HTML_QR_MIN_SIDE ||
	    g->ndark == 0 || g->ndark >= g->rows * g->cols || *kept >= HTML_QR_MAX_TABLES)
		return 0;
	(*kept)++;
	if ((rc = hq_bitmap(g, &img)) < 0)
		return rc;
	rc = fn(&img, arg);
	image_gray_free(&img);
	return rc;
}

/* One tag: tables (re)start the grid, rows and cells fill it. */
static int
hq_event(struct hq_grid *g, const struct hq_tag *t, html_qr_fn fn, void *arg, unsigned *kept)
{
	int rc = 0;

	if (strcmp(t->name, "table") == 0) {
		if (t->closing)
			rc = hq_table_end(g, fn, arg, kept);
		g->active = !t->closing;
		g->bad = 0;
		g->rows = g->cols = g->col = g->ndark = 0;
		g->table_luma = t->closing ? HQ_NONE : hq_tag_luma(t);
		g->row_luma = HQ_NONE;
	} else if (!g->active || t->closing)
		return 0;
	else if (strcmp(t->name, "tr") == 0)
		hq_row(g, hq_tag_luma(t));
	else if (strcmp(t->name, "td") == 0 || strcmp(t->name, "th") == 0)
		hq_cell(g, t);
	return rc;
}

int
html_qr_tables(const char *html, size_t len, html_qr_fn fn, void *arg)
{
	struct hq_grid *g;
	struct hq_tag t;
	const char *lt, *end;
	unsigned kept = 0;
	size_t used;
	int rc = 0;

	if (len > HTML_QR_MAX_INPUT)
		len = HTML_QR_MAX_INPUT;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -MG_ENOMEM;
	end = html + len;
	while (rc == 0 && (lt = memchr(html, '<', (size_t)(end - html))) != NULL) {
		if (end - lt >= 4 && memcmp(lt, "<!--", 4) == 0) {
			const char *c = memmem(lt + 4, (size_t)(end - lt - 4), "-->", 3);

			if (c == NULL)
				break;
			html = c + 3;
			continue;
		}
		if ((used = hq_tag_parse(lt, (size_t)(end - lt), &t)) == 0)
			break;		/* the rest is inside an unfinished tag */
		html = lt + used;
		rc = hq_event(g, &t, fn, arg, &kept);
	}
	free(g);
	return rc;
}
