/* Text as a reader sees it: character references decoded, invalid UTF-8
 * replaced, whitespace collapsed, line breaks between blocks. Each
 * character goes to the visible text or to a hidden run carrying the
 * reasons of its element; zero-width and bidi controls are taken out, and
 * comments or zero-width characters that split a word become evidence. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mime/html_int.h"

/* Reasons that leave a box in place: spaces inside still separate words. */
#define HID_BOXED	(HTML_HID_VISIBILITY | HTML_HID_OPACITY | HTML_HID_SAME_COLOR)

enum { C_PLAIN, C_SPACE, C_AMP, C_HIGH, C_CTRL };

static const uint8_t text_class[256] = {
	[0x00 ... 0x08] = C_CTRL, ['\t'] = C_SPACE, ['\n'] = C_SPACE, [0x0b] = C_CTRL,
	['\f'] = C_SPACE, ['\r'] = C_SPACE, [0x0e ... 0x1f] = C_CTRL, [' '] = C_SPACE,
	['&'] = C_AMP, [0x7f] = C_CTRL, [0x80 ... 0xff] = C_HIGH,
};

enum { CP_TEXT, CP_SPACE, CP_ZW, CP_BIDI, CP_DROP };

static int
cp_kind(uint32_t cp)
{
	if (cp < 0xa0)
		return cp < 0x80 ? CP_TEXT : CP_DROP;	/* C1 controls */
	if (cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
		return CP_SPACE;
	if (cp == 0xad || (cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) ||
	    cp == 0xfeff || cp == 0x180e)
		return CP_ZW;
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return CP_BIDI;
	return CP_TEXT;
}

static bool
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Letters of the scripts where zero-width characters inside a word are a
 * trick rather than orthography: Latin, Greek, Cyrillic, and digits. */
static bool
is_letter(uint32_t cp)
{
	if (cp < 0x80)
		return is_alnum((uint8_t)cp);
	return (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7) ||
	    (cp >= 0x370 && cp <= 0x52f);
}

size_t
html__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], v;

	*cp = 0xfffd;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (s[1] & 0xc0) == 0x80) {
			*cp = (c & 0x1f) << 6 | (s[1] & 0x3f);
			return 2;
		}
	} else if (c >= 0xe0 && c <= 0xef) {
		if (n >= 3 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
			v = (c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
			if (v >= 0x800 && (v < 0xd800 || v > 0xdfff)) {
				*cp = v;
				return 3;
			}
		}
	} else if (c >= 0xf0 && c <= 0xf4) {
		if (n >= 4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
		    (s[3] & 0xc0) == 0x80) {
			v = (c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
			    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
			if (v >= 0x10000 && v <= 0x10ffff) {
				*cp = v;
				return 4;
			}
		}
	}
	return 1;
}

size_t
html__utf8_encode(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Room for n more bytes of visible (hid = false) or hidden text. */
static bool
room(struct html_state *st, bool hid, size_t n)
{
	struct mg_buf *b = hid ? &st->hid : &st->vis;
	bool *full = hid ? &st->hid_full : &st->vis_full;

	if (*full)
		return false;
	if (b->cap - b->len >= n && b->len + n <= st->lim.max_text)
		return true;
	if (n > st->lim.max_text || b->len > st->lim.max_text - n ||
	    mg_buf_reserve(b, n) < 0) {
		*full = true;
		st->out->truncated = true;
		return false;
	}
	return true;
}

/* The run that text with these reasons goes to: the last one when merge
 * allows it and the reasons agree, else a new one; NULL when full. */
static struct html_run *
hid_run(struct html_state *st, unsigned reasons, bool merge)
{
	struct html_run *r = st->runs.n ? (struct html_run *)st->runs.v + st->runs.n - 1 : NULL;

	st->out->hidden_reasons |= reasons;
	if (r != NULL && merge && r->reasons == reasons)
		return r;
	if (st->runs.n >= st->lim.max_items) {
		st->out->truncated = true;
		return NULL;
	}
	if (st->hid_full || !room(st, true, 1))
		return NULL;
	if (r != NULL)
		st->hid.data[st->hid.len++] = '\0';	/* ends the previous run */
	if ((r = html__vec_push(st, &st->runs, sizeof(*r))) == NULL)
		return NULL;
	r->off = st->hid.len;
	r->reasons = reasons;
	st->hsep = SEP_NONE;
	return r;
}

static void
hid_append(struct html_state *st, struct html_run *r, const char *p, size_t n)
{
	if (r == NULL)
		return;
	if (st->hsep != SEP_NONE && r->len > 0 && room(st, true, 1)) {
		st->hid.data[st->hid.len++] = ' ';
		r->len++;
	}
	st->hsep = SEP_NONE;
	if (room(st, true, n)) {
		memcpy(st->hid.data + st->hid.len, p, n);
		st->hid.len += n;
		r->len += n;
	}
}

/* Text of a hidden element. */
static void
hid_put(struct html_state *st, unsigned reasons, const char *p, size_t n, size_t chars)
{
	struct html_run *r = hid_run(st, reasons, st->run_open);

	st->out->hidden_chars += chars;
	st->run_open = true;
	hid_append(st, r, p, n);
}

/* A comment or zero-width characters met inside a word are evidence only
 * if the word goes on: settled by the next visible character. */
static void
pend_settle(struct html_state *st, bool inword)
{
	struct html_run *r;

	if (inword && (st->pend & HTML_HID_COMMENT)) {
		r = hid_run(st, HTML_HID_COMMENT, false);
		st->run_open = r != NULL;
		if (r != NULL)
			html__text(st, (const char *)st->pend_comment.ptr, st->pend_comment.len,
			    HTML_HID_COMMENT, false);
	}
	if (inword && (st->pend & HTML_HID_ZERO_WIDTH)) {
		r = hid_run(st, HTML_HID_ZERO_WIDTH, true);
		st->hsep = SEP_NONE;
		hid_append(st, r, st->pend_zw, st->pend_zw_len);
		st->out->hidden_chars += st->pend_zw_chars;
	}
	st->run_open = false;
	st->pend = 0;
	st->pend_zw_len = st->pend_zw_chars = 0;
}

/* Everything visible goes through here: pending evidence is settled, the
 * separator written, then the bytes (whole characters). */
static void
vis_put(struct html_state *st, const char *p, size_t n, bool ascii, bool first_letter,
    bool last_letter)
{
	if (st->pend)
		pend_settle(st, first_letter && st->vsep == SEP_NONE);
	if (st->vsep != SEP_NONE && st->vis.len > 0 && room(st, false, 1))
		st->vis.data[st->vis.len++] = st->vsep == SEP_LINE ? '\n' : ' ';
	st->vsep = SEP_NONE;
	st->run_open = false;
	st->word = last_letter;
	if (ascii && !st->vis_full && n > st->lim.max_text - st->vis.len) {
		/* ASCII can be cut anywhere: fill up to the limit */
		n = st->lim.max_text - st->vis.len;
		if (n > 0 && room(st, false, n)) {
			memcpy(st->vis.data + st->vis.len, p, n);
			st->vis.len += n;
		}
		st->vis_full = true;
		st->out->truncated = true;
		return;
	}
	if (room(st, false, n)) {
		memcpy(st->vis.data + st->vis.len, p, n);
		st->vis.len += n;
	}
}

static void
text_space(struct html_state *st, unsigned ctx)
{
	if ((ctx & ~(unsigned)HID_BOXED) == 0 && st->vsep == SEP_NONE)
		st->vsep = SEP_SPACE;
	st->hsep = SEP_SPACE;
}

/* ASCII text with single spaces inside (already collapsed). */
static void
put_ascii(struct html_state *st, unsigned ctx, const char *p, size_t n, size_t spaces)
{
	if (ctx == 0) {
		vis_put(st, p, n, true, is_alnum((uint8_t)p[0]), is_alnum((uint8_t)p[n - 1]));
		return;
	}
	hid_put(st, ctx, p, n, n - spaces);
	if (spaces > 0 && (ctx & ~(unsigned)HID_BOXED) == 0 && st->vsep == SEP_NONE)
		st->vsep = SEP_SPACE;
}

/* One character; raw is its UTF-8 form in the input, or NULL. */
static void
put_cp(struct html_state *st, unsigned ctx, uint32_t cp, const char *raw, size_t rawlen)
{
	char buf[4];
	struct html_run *r;

	if (cp < 0x80) {
		buf[0] = (char)cp;
		if (text_class[cp] == C_SPACE)
			text_space(st, ctx);
		else if (text_class[cp] != C_CTRL)
			put_ascii(st, ctx, buf, 1, 0);
		return;
	}
	if (raw == NULL) {
		rawlen = html__utf8_encode(cp, buf);
		raw = buf;
	}
	switch (cp_kind(cp)) {
	case CP_SPACE:
		text_space(st, ctx);
		break;
	case CP_ZW:
		if (ctx == 0 && st->word && st->vsep == SEP_NONE) {
			st->pend |= HTML_HID_ZERO_WIDTH;
			if (st->pend_zw_len + rawlen <= sizeof(st->pend_zw)) {
				memcpy(st->pend_zw + st->pend_zw_len, raw, rawlen);
				st->pend_zw_len += rawlen;
			}
			st->pend_zw_chars++;
		}
		break;
	case CP_BIDI:
		if (ctx == 0) {
			r = hid_run(st, HTML_HID_BIDI, true);
			st->hsep = SEP_NONE;
			hid_append(st, r, raw, rawlen);
			st->out->hidden_chars++;
			st->run_open = false;
		}
		break;
	case CP_TEXT:
		if (ctx == 0)
			vis_put(st, raw, rawlen, false, is_letter(cp), is_letter(cp));
		else
			hid_put(st, ctx, raw, rawlen, 1);
		break;
	default:
		break;
	}
}

/* Text in context ctx (0 = visible, else the reasons hiding it); refs:
 * decode character references. */
void
html__text(struct html_state *st, const char *p, size_t n, unsigned ctx, bool refs)
{
	const uint8_t *s = (const uint8_t *)p;
	size_t i = 0, j, spaces;
	uint32_t cp;

	while (i < n) {
		switch (text_class[s[i]]) {
		case C_PLAIN:
			/* words and the single spaces between them in one go */
			for (j = i + 1, spaces = 0; j < n; j++) {
				if (text_class[s[j]] == C_PLAIN)
					continue;
				if (s[j] != ' ' || j + 1 >= n || text_class[s[j + 1]] != C_PLAIN)
					break;
				spaces++;
			}
			put_ascii(st, ctx, p + i, j - i, spaces);
			i = j;
			break;
		case C_SPACE:
			text_space(st, ctx);
			for (i++; i < n && text_class[s[i]] == C_SPACE; i++)
				;
			break;
		case C_AMP:
			if (refs && (j = html__entity(p + i, n - i, false, &cp)) > 0) {
				put_cp(st, ctx, cp, NULL, 0);
				i += j;
			} else {
				put_ascii(st, ctx, p + i, 1, 0);
				i++;
			}
			break;
		case C_HIGH:
			j = html__utf8_decode(s + i, n - i, &cp);
			put_cp(st, ctx, cp, j > 1 ? p + i : NULL, j);
			i += j;
			break;
		default:
			i++;
			break;
		}
	}
}

/* Text inside the current element. */
void
html__text_here(struct html_state *st, const char *p, size_t n, bool refs)
{
	const struct html_elem *top = &st->stack[st->depth];

	if (!(top->flags & EL_EXCLUDED))
		html__text(st, p, n, top->text, refs);
}

void
html__sep(struct html_state *st, enum html_sep sep, bool nobox)
{
	if (!nobox && sep > st->vsep)
		st->vsep = (uint8_t)sep;
	st->hsep = SEP_SPACE;
}

void
html__comment(struct html_state *st, const char *p, size_t n)
{
	const struct html_elem *top = &st->stack[st->depth];

	if ((top->flags & EL_EXCLUDED) || top->text != 0 || !st->word ||
	    st->vsep != SEP_NONE || (st->pend & HTML_HID_COMMENT))
		return;
	st->pend |= HTML_HID_COMMENT;
	st->pend_comment = mg_slice_make(p, n);
}

static bool
is_url_space(uint8_t c)
{
	return c <= 0x20;
}

/* Decodes an attribute value into b: references (HS_REFS),
 * invalid UTF-8 and NUL replaced, tabs and newlines dropped from URLs
 * (HS_URL) as browsers do. */
static int
attr_decode(struct mg_buf *b, const char *p, size_t n, unsigned how)
{
	size_t i = 0, j;
	uint32_t cp;
	char *o;

	mg_buf_reset(b);
	if (n > (SIZE_MAX - 8) / 3 || mg_buf_reserve(b, 3 * n + 8) < 0)
		return -1;
	o = (char *)b->data;
	while (i < n) {
		uint8_t c = (uint8_t)p[i];

		if (c == '&' && (how & HS_REFS) && (j = html__entity(p + i, n - i, true, &cp)) > 0) {
			i += j;
		} else if (c >= 0x80) {
			j = html__utf8_decode((const uint8_t *)p + i, n - i, &cp);
			if (j > 1) {
				memcpy(o, p + i, j);
				o += j;
				i += j;
				continue;
			}
			i++;
		} else {
			cp = c ? c : 0xfffd;
			i++;
		}
		if ((how & HS_URL) && (cp == '\t' || cp == '\n' || cp == '\r'))
			continue;
		o += html__utf8_encode(cp, o);
	}
	b->len = (size_t)(o - (char *)b->data);
	return 0;
}

struct mg_slice
html__attr_decode(struct html_state *st, struct mg_slice v, unsigned how, struct mg_buf *into)
{
	const char *p = (const char *)v.ptr;
	size_t n = v.len, i;

	static const uint8_t special[256] = {
		[0x00 ... 0x1f] = 1, ['&'] = 2, [0x7f ... 0xff] = 1,
	};
	const uint8_t mask = (how & HS_REFS) ? 3 : 1;

	for (i = 0; i < n; i++)
		if (special[(uint8_t)p[i]] & mask)
			break;
	if (i < n) {
		if (attr_decode(into, p, n, how) < 0) {
			st->out->truncated = true;
			return mg_slice_make("", 0);
		}
		p = (const char *)into->data;
		n = into->len;
	}
	if (how & HS_URL) {
		while (n > 0 && is_url_space((uint8_t)p[0]))
			p++, n--;
		while (n > 0 && is_url_space((uint8_t)p[n - 1]))
			n--;
	}
	return mg_slice_make(p, n);
}

char *
html__attr_str(struct html_state *st, struct mg_slice v, unsigned how)
{
	struct mg_slice s = html__attr_decode(st, v, how, &st->scratch);

	return html__strdup(st, (const char *)s.ptr, s.len);
}
