/* What <style> blocks say about backgrounds: the classes, ids and tags
 * whose rules set one. Styles from stylesheets are not applied, but text
 * coloured inline over a background set by a class (a white "Shop now" on a
 * styled button) must not look white-on-white: such elements get an
 * unknown background, which turns the colour rule off inside them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime/html_int.h"

#define SHEET_SLOTS	1024		/* power of two */
#define SHEET_MAX	512		/* names kept; past it any class or id counts */

static bool
is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || (unsigned char)c >= 0x80;
}

/* FNV-1a of the sigil ('.' or '#') and the lower-case name. */
static uint32_t
sel_hash(char sigil, const char *p, size_t n)
{
	uint32_t h = (2166136261u ^ (uint8_t)sigil) * 16777619u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i])) * 16777619u;
	return h ? h : 1;	/* 0 marks a free slot */
}

static void
sheet_add(struct html_state *st, uint32_t h)
{
	size_t slot;

	if (st->sheet_overflow)
		return;
	if (st->sheet == NULL && (st->sheet = calloc(SHEET_SLOTS, sizeof(*st->sheet))) == NULL) {
		st->sheet_overflow = true;
		return;
	}
	for (slot = h & (SHEET_SLOTS - 1); st->sheet[slot] != 0; slot = (slot + 1) & (SHEET_SLOTS - 1))
		if (st->sheet[slot] == h)
			return;
	if (st->nsheet >= SHEET_MAX) {
		st->sheet_overflow = true;
		return;
	}
	st->sheet[slot] = h;
	st->nsheet++;
}

static bool
sheet_has(const struct html_state *st, uint32_t h)
{
	size_t slot;

	if (st->sheet == NULL)
		return false;
	for (slot = h & (SHEET_SLOTS - 1); st->sheet[slot] != 0; slot = (slot + 1) & (SHEET_SLOTS - 1))
		if (st->sheet[slot] == h)
			return true;
	return false;
}

static bool
is_combinator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '>' ||
	    c == '+' || c == '~';
}

/* One selector: its subject, the compound after the last combinator. */
static void
sheet_selector(struct html_state *st, const char *s, const char *e)
{
	const char *q, *n;
	enum html_tag t;
	uint32_t hash;

	while (e > s && is_combinator(e[-1]))
		e--;
	for (q = e; q > s && !is_combinator(q[-1]); q--)
		;
	/* a background shown only under the pointer or focus does not count */
	for (n = q; (n = memchr(n, ':', (size_t)(e - n))) != NULL; n++)
		if ((size_t)(e - n) > 5 && (strncasecmp(n + 1, "hover", 5) == 0 ||
		    strncasecmp(n + 1, "focus", 5) == 0 || strncasecmp(n + 1, "activ", 5) == 0))
			return;
	if (e - q == 1 && *q == '*')
		st->sheet_all = true;
	for (n = q; q < e && is_ident(*q); q++)
		;
	if (q > n && (t = html__tag_lookup(n, (size_t)(q - n), &hash)) != T_UNKNOWN)
		st->sheet_tags[t / 8] |= (uint8_t)(1u << (t % 8));
	for (; q < e; q++) {
		if ((*q != '.' && *q != '#') || q + 1 >= e || !is_ident(q[1]))
			continue;
		for (n = q + 1; n < e && is_ident(*n); n++)
			;
		sheet_add(st, sel_hash(*q, q + 1, (size_t)(n - q - 1)));
		q = n - 1;
	}
}

static void
sheet_selectors(struct html_state *st, const char *p, const char *e)
{
	const char *comma;

	while ((comma = memchr(p, ',', (size_t)(e - p))) != NULL) {
		sheet_selector(st, p, comma);
		p = comma + 1;
	}
	sheet_selector(st, p, e);
}

/* Whether a declaration block sets a background. */
static bool
block_has_background(const char *p, const char *e)
{
	static const char kw[] = "background";
	const char *q;

	for (; e - p >= (ptrdiff_t)sizeof(kw) - 1; p++) {
		if ((*p | 0x20) != 'b' || strncasecmp(p, kw, sizeof(kw) - 1) != 0)
			continue;
		for (q = p + sizeof(kw) - 1; q < e && (is_ident(*q) || *q == ' '); q++)
			;
		if (q < e && *q == ':')
			return true;
	}
	return false;
}

/* Skips the balanced block that starts at p ('{'). */
static const char *
skip_block(const char *p, const char *e)
{
	int depth = 0;

	for (; p < e; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth <= 0)
			return p + 1;
	}
	return e;
}

void
html__sheet(struct html_state *st, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *open, *close, *c;

	while (p < e) {
		while (p < e && (*p == '}' || *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r' || *p == '\f' || *p == ';'))
			p++;
		if (e - p >= 2 && p[0] == '/' && p[1] == '*') {
			c = memmem(p + 2, (size_t)(e - p - 2), "*/", 2);
			p = c ? c + 2 : e;
			continue;
		}
		if ((open = memchr(p, '{', (size_t)(e - p))) == NULL)
			break;
		if (*p == '@') {
			/* rules inside @media and the like count; other blocks not */
			if (strncasecmp(p, "@media", 6) == 0 || strncasecmp(p, "@supports", 9) == 0 ||
			    strncasecmp(p, "@document", 9) == 0)
				p = open + 1;
			else
				p = skip_block(open, e);
			continue;
		}
		if ((close = memchr(open, '}', (size_t)(e - open))) == NULL)
			close = e;
		if (block_has_background(open + 1, close))
			sheet_selectors(st, p, open);
		p = close < e ? close + 1 : e;
	}
}

/* Whether a stylesheet may give this start tag a background. */
bool
html__sheet_bg(const struct html_state *st, const struct html_tok *t)
{
	static const enum html_attr attrs[] = { HA_CLASS, HA_ID };
	size_t i;

	if (st->sheet_all || (st->sheet_tags[t->tag / 8] & 1u << (t->tag % 8)))
		return true;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		const char *p = (const char *)t->attr[attrs[i]].ptr, *e, *w;

		if (!(t->have & 1u << attrs[i]))
			continue;
		if (st->sheet_overflow)
			return true;
		for (e = p + t->attr[attrs[i]].len; p < e; p = w) {
			while (p < e && !is_ident(*p))
				p++;
			for (w = p; w < e && is_ident(*w); w++)
				;
			if (w > p && sheet_has(st, sel_hash(attrs[i] == HA_CLASS ? '.' : '#',
			    p, (size_t)(w - p))))
				return true;
		}
	}
	return false;
}
