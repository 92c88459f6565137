/* The message's words as the classifiers see them (tokens.h): one pass
 * over each source, normalising into a fixed buffer (no allocation), with
 * an ASCII fast path and ICU character properties for the rest. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>

#include "learn/tokens.h"
#include "mime/attach.h"
#include "mime/html.h"
#include "mime/received.h"
#include "mime/url.h"

#define TOK_CUT_MARK	'~'	/* ends a cut word; never a word character */
#define TOK_SHAPE_MARK	'#'	/* "#N": a run of N digits; never a word character */
#define TOK_PATH_MAX	256	/* bytes of a URL path looked at */
#define TOK_MEMBERS_MAX	16	/* archive members whose extension is a token */
#define TOK_FIELDS_MAX	64	/* header field names that are tokens */
#define TOK_PARTS_MAX	32	/* parts whose type is a token */

/* What a code point does to the word being built. */
enum tok_class {
	C_SEP,		/* ends the word */
	C_LETTER,	/* part of a word */
	C_DIGIT,	/* ASCII digit: part of a word, long runs become a shape */
	C_INNER,	/* kept inside a word, stripped around it (. - ' _ @ &) */
	C_SINGLE,	/* a word by itself: ideographs, Thai and the like, emoji */
	C_MARK,		/* combining mark: joins the word before it */
	C_IGNORE,	/* invisible format character: dropped, the word goes on */
};

#define L	C_LETTER
#define D	C_DIGIT
#define I	C_INNER
static const uint8_t ascii_class[128] = {
	['0'] = D, D, D, D, D, D, D, D, D, D,
	['A'] = L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,
	['a'] = L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,
	['$'] = L, ['.'] = I, ['-'] = I, ['\''] = I, ['_'] = I, ['@'] = I, ['&'] = I,
};
#undef L
#undef D
#undef I

struct walk {
	tok_fn		*fn;
	void		*arg;
	struct tok	 t;
	unsigned	 count;		/* tokens handed to fn */
	int		 rc;		/* fn's non-zero value */
	bool		 stop;		/* fn said stop, or TOK_MAX_COUNT reached */
	/* the word being built */
	char		 buf[TOK_MAX_LEN + 8];
	size_t		 len;
	size_t		 keep;		/* len up to the last letter: inner punctuation after it goes */
	size_t		 digit_at;	/* where the current digit run began in buf */
	unsigned	 ndigits;
	bool		 in_word, single, cut;
};

static void
run_start(struct walk *w, enum tok_source src, const char *field)
{
	w->t.source = src;
	w->t.field = field;
	w->t.pos = 0;
}

static void
emit(struct walk *w, const char *text, size_t len)
{
	if (w->stop)
		return;
	w->t.text = text;
	w->t.len = len;
	w->rc = w->fn(w->arg, &w->t);
	w->t.pos++;
	if (w->rc != 0 || ++w->count >= TOK_MAX_COUNT)
		w->stop = true;
}

/* Appends n bytes unless that would leave no room for the cut mark. */
static void
word_put(struct walk *w, const char *s, size_t n)
{
	if (w->len + n > TOK_MAX_LEN - 1) {
		w->cut = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
word_put_cp(struct walk *w, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	word_put(w, u, n);
}

/* Ends a digit run: a long one becomes "#N" (N capped at 99). */
static void
digits_end(struct walk *w)
{
	char shape[4];

	if (w->ndigits > TOK_DIGITS_KEEP) {
		unsigned n = w->ndigits > 99 ? 99 : w->ndigits;
		int k = snprintf(shape, sizeof(shape), "%c%u", TOK_SHAPE_MARK, n);
		word_put(w, shape, (size_t)k);
		w->keep = w->len;
	}
	w->ndigits = 0;
}

static void
word_end(struct walk *w)
{
	if (!w->in_word)
		return;
	digits_end(w);
	w->len = w->keep;
	if (w->cut)
		w->buf[w->len++] = TOK_CUT_MARK;
	/* a lone ASCII character says nothing; a lone ideograph does */
	if (w->len > 1 || (w->len == 1 && (w->single || (uint8_t)w->buf[0] >= 0x80)))
		emit(w, w->buf, w->len);
	w->len = w->keep = 0;
	w->ndigits = 0;
	w->in_word = w->single = w->cut = false;
}

/* Scripts written without spaces between words. */
static bool
cp_unspaced(uint32_t cp)
{
	return (cp >= 0x0e00 && cp <= 0x0eff) ||	/* Thai, Lao */
	    (cp >= 0x1000 && cp <= 0x109f) ||		/* Myanmar */
	    (cp >= 0x1780 && cp <= 0x17ff) ||		/* Khmer */
	    (cp >= 0x2e80 && cp <= 0x9fff) ||		/* CJK, kana, Bopomofo */
	    (cp >= 0xf900 && cp <= 0xfaff) ||		/* CJK compatibility */
	    (cp >= 0xff66 && cp <= 0xff9f) ||		/* half-width katakana */
	    (cp >= 0x20000 && cp <= 0x3ffff);		/* CJK extensions */
}

static enum tok_class
cp_class(uint32_t cp)
{
	if (cp == 0xfffd)	/* what undecodable bytes became */
		return C_SEP;
	switch (u_charType((UChar32)cp)) {
	case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
	case U_MODIFIER_LETTER: case U_OTHER_LETTER:
	case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
		return cp_unspaced(cp) ? C_SINGLE : C_LETTER;
	case U_NON_SPACING_MARK: case U_COMBINING_SPACING_MARK: case U_ENCLOSING_MARK:
		return C_MARK;
	case U_FORMAT_CHAR:
		return C_IGNORE;
	case U_OTHER_SYMBOL:
		return C_SINGLE;
	case U_CURRENCY_SYMBOL:
		return C_LETTER;
	default:
		return C_SEP;
	}
}

/* Decodes one UTF-8 sequence at s[0..n); its length, or 0 when invalid. */
static size_t
utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else if (c >= 0xe0)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else
		return 0;
	if (len > n || (len == 4 && s[0] > 0xf4))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* One code point of the given class into the word being built. */
static void
word_add(struct walk *w, uint32_t cp, enum tok_class cls)
{
	if (w->single && cls != C_MARK && cls != C_IGNORE)
		word_end(w);
	switch (cls) {
	case C_SEP:
		word_end(w);
		break;
	case C_SINGLE:
		word_end(w);
		/* FALLTHROUGH */
	case C_LETTER:
		if (w->ndigits > 0)
			digits_end(w);
		word_put_cp(w, cp);
		w->keep = w->len;
		w->in_word = true;
		w->single = cls == C_SINGLE;
		break;
	case C_DIGIT:
		if (w->ndigits++ == 0)
			w->digit_at = w->len;
		if (w->ndigits <= TOK_DIGITS_KEEP)
			word_put_cp(w, cp);
		else if (w->ndigits == TOK_DIGITS_KEEP + 1)
			w->len = w->digit_at;
		w->keep = w->len;
		w->in_word = true;
		break;
	case C_INNER:
		if (!w->in_word)
			break;
		if (w->ndigits > 0)
			digits_end(w);
		word_put_cp(w, cp);
		break;
	case C_MARK:
		if (!w->in_word)
			break;
		word_put_cp(w, cp);
		w->keep = w->len;
		break;
	case C_IGNORE:
		break;
	}
}

/* Splits s[0..n) into words and hands each over; ends the run's last word. */
static void
text_scan(struct walk *w, const char *text, size_t n)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0;

	while (i < n && !w->stop) {
		uint32_t cp = s[i];
		enum tok_class cls;
		if (cp < 0x80) {
			cls = ascii_class[cp];
			if (cls == C_LETTER && cp >= 'A' && cp <= 'Z')
				cp += 'a' - 'A';
			i++;
		} else {
			size_t k = utf8_next(s + i, n - i, &cp);
			if (k == 0) {
				word_add(w, 0, C_SEP);
				i++;
				continue;
			}
			i += k;
			if (cp >= 0xff01 && cp <= 0xff5e) {	/* full-width ASCII */
				cp -= 0xfee0;
				cls = ascii_class[cp];
				if (cls == C_LETTER && cp >= 'A' && cp <= 'Z')
					cp += 'a' - 'A';
			} else if (cp == 0x2019 || cp == 0x02bc) {	/* apostrophes */
				cp = '\'';
				cls = C_INNER;
			} else {
				cls = cp_class(cp);
				if (cls == C_LETTER)
					cp = (uint32_t)u_foldCase((UChar32)cp, U_FOLD_CASE_DEFAULT);
			}
		}
		word_add(w, cp, cls);
	}
	word_end(w);
}

/* A token made by us (a type, a host, a bucket): ASCII lower-cased and
 * cut, not split. */
static void
emit_whole(struct walk *w, const char *s, size_t n)
{
	char b[TOK_MAX_LEN + 1];
	size_t k = 0;

	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return;
	for (; k < n && k < TOK_MAX_LEN; k++)
		b[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + ('a' - 'A') : s[k]);
	if (k < n) {
		k = TOK_MAX_LEN - 1;
		while (k > 0 && ((uint8_t)b[k] & 0xc0) == 0x80)
			k--;
		b[k++] = TOK_CUT_MARK;
	}
	emit(w, b, k);
}

static void
emit_cstr(struct walk *w, const char *s)
{
	if (s != NULL)
		emit_whole(w, s, strlen(s));
}

/* The domain of the address in a From/Reply-To value ("Name <a@b>",
 * "a@b (Name)"), and where the display name ends. */
static void
addr_domain(const char *v, struct mg_slice *dom, size_t *name_len)
{
	const char *lt = strrchr(v, '<'), *at, *end;

	*name_len = lt != NULL ? (size_t)(lt - v) : 0;
	at = strrchr(lt != NULL ? lt : v, '@');
	dom->ptr = NULL;
	dom->len = 0;
	if (at == NULL)
		return;
	for (end = ++at; *end != '\0' && *end != '>' && *end != ' ' && *end != ')' &&
	    *end != '\t' && *end != ','; end++)
		;
	dom->ptr = (const uint8_t *)at;
	dom->len = (size_t)(end - at);
}

static const char *
header_value(const struct mime_msg *m, const char *name)
{
	const struct mime_header *h = mime_header_find(m->root, name);

	return h != NULL && h->value != NULL ? h->value : NULL;
}

/* A sender field: display name words (From only), then the domain. */
static void
walk_sender(struct walk *w, const struct mime_msg *m, const char *field, bool name)
{
	const char *v = header_value(m, field);
	struct mg_slice dom;
	size_t nlen;

	if (v == NULL)
		return;
	run_start(w, TOK_HEADER, field);
	addr_domain(v, &dom, &nlen);
	if (name)
		text_scan(w, v, nlen);
	if (dom.len > 0)
		emit_whole(w, (const char *)dom.ptr, dom.len);
}

static void
walk_words(struct walk *w, const struct mime_msg *m, const char *field)
{
	const char *v = header_value(m, field);

	if (v == NULL)
		return;
	run_start(w, TOK_HEADER, field);
	text_scan(w, v, strlen(v));
}

/* A non-alphanumeric byte in a shape: blanks, controls and non-ASCII
 * bytes become '_' (a shape stays ASCII and has no spaces). */
static char
shape_punct(char c)
{
	return (unsigned char)c <= ' ' || (unsigned char)c >= 0x7f ? '_' : c;
}

/* Received fields: how many hops, in buckets (a spam run often has one). */
static void
walk_hops(struct walk *w, const struct mime_msg *m)
{
	static const char *const bucket[] = { "0", "1", "2", "3", "4-5", "4-5", "6-9", "6-9",
	    "6-9", "6-9" };
	const struct mime_part *r = m->root;
	size_t n = 0;

	for (size_t i = 0; i < r->nheaders; i++)
		n += r->headers[i].name.len == 8 &&
		    strncasecmp((const char *)r->headers[i].name.ptr, "received", 8) == 0;
	run_start(w, TOK_HEADER, "received");
	emit_cstr(w, n < 10 ? bucket[n] : "10+");
	if (m->received != NULL)
		for (size_t i = 1; i < m->received->nhops && i < 4 && !w->stop; i++) {
			const struct received_hop *h = &m->received->hops[i];
			if (h->from_helo != NULL)
				text_scan(w, h->from_helo, strlen(h->from_helo));
			if (h->from_rdns != NULL)
				text_scan(w, h->from_rdns, strlen(h->from_rdns));
			if (h->with != NULL)
				emit_cstr(w, h->with);
		}
}

/* The Date field with digits as 9, words as a and blanks as _: the
 * format of the software that wrote it ("a,_99_a_9999_99:99:99_+9999"). */
static void
walk_date_shape(struct walk *w, const struct mime_msg *m)
{
	const char *v = header_value(m, "date");
	char shape[TOK_MAX_LEN + 1];
	size_t n = 0;

	if (v == NULL)
		return;
	for (; *v != '\0' && n < sizeof(shape) - 1; v++) {
		char c = isdigit((unsigned char)*v) ? '9' : isalpha((unsigned char)*v) ||
		    (unsigned char)*v >= 0x80 ? 'a' : shape_punct(*v);
		if (c != 'a' || n == 0 || shape[n - 1] != 'a')
			shape[n++] = c;
	}
	run_start(w, TOK_HEADER, "date");
	emit_whole(w, shape, n);
}

/* The local part of a Message-ID as runs of classes: digits "9", digits
 * with hex letters "x", letters "a", digits with other letters "z",
 * punctuation kept -- what the software that made it looks like ("9.9.a"
 * qmail, "x$x$x" Outlook). */
static void
walk_id_shape(struct walk *w, const struct mime_msg *m)
{
	const char *v = header_value(m, "message-id"), *at;
	char shape[TOK_MAX_LEN + 1];
	size_t n = 0;

	if (v == NULL || (at = strchr(v, '@')) == NULL)
		return;
	if (*v == '<')
		v++;
	while (v < at && n < sizeof(shape) - 1) {
		bool digit = false, hexa = false, letter = false, run = false;
		for (; v < at && isalnum((unsigned char)*v); v++) {
			digit |= isdigit((unsigned char)*v) != 0;
			hexa |= strchr("abcdefABCDEF", *v) != NULL;
			letter |= isalpha((unsigned char)*v) && !strchr("abcdefABCDEF", *v);
			run = true;
		}
		if (run)
			shape[n++] = letter ? (digit ? 'z' : 'a') : hexa && digit ? 'x' : digit ? '9' : 'a';
		if (v < at && n < sizeof(shape) - 1)
			shape[n++] = shape_punct(*v++);
	}
	run_start(w, TOK_HEADER, "message-id");
	emit_whole(w, shape, n);
}

/* The names of the top-level fields in order: which fields, and their
 * order, tell the software that wrote the message. */
static void
walk_field_names(struct walk *w, const struct mime_msg *m)
{
	const struct mime_part *r = m->root;

	run_start(w, TOK_HEADER, "fields");
	for (size_t i = 0; i < r->nheaders && i < TOK_FIELDS_MAX && !w->stop; i++)
		emit_whole(w, (const char *)r->headers[i].name.ptr, r->headers[i].name.len);
}

/* The MIME structure: type/subtype and transfer encoding of each part. */
static void
walk_structure(struct walk *w, const struct mime_msg *m)
{
	char ct[TOK_MAX_LEN + 1];

	run_start(w, TOK_HEADER, "content-type");
	for (size_t i = 0; i < m->nparts && i < TOK_PARTS_MAX && !w->stop; i++) {
		const struct mime_part *p = m->parts[i];
		int k;
		if (p->type == NULL || p->subtype == NULL)
			continue;
		k = snprintf(ct, sizeof(ct), "%s/%s", p->type, p->subtype);
		emit_whole(w, ct, k < 0 ? 0 : (size_t)k < sizeof(ct) ? (size_t)k : sizeof(ct) - 1);
		if (p->first_child == NULL && p->encoding != NULL)
			emit_cstr(w, p->encoding);
	}
	run_start(w, TOK_HEADER, "charset");
	for (size_t i = 0; i < m->nparts && !w->stop; i++)
		if (m->parts[i]->charset != NULL && !m->parts[i]->is_attachment)
			emit_cstr(w, m->parts[i]->charset);
}

static void
walk_headers(struct walk *w, const struct mime_msg *m)
{
	walk_sender(w, m, "from", true);
	walk_sender(w, m, "reply-to", false);
	walk_sender(w, m, "message-id", false);
	walk_id_shape(w, m);
	walk_words(w, m, "x-mailer");
	walk_words(w, m, "user-agent");
	walk_words(w, m, "precedence");
	walk_words(w, m, "x-priority");
	walk_date_shape(w, m);
	if (header_value(m, "list-id") != NULL) {
		run_start(w, TOK_HEADER, "list-id");
		emit_cstr(w, "present");
	}
	walk_field_names(w, m);
	walk_structure(w, m);
	walk_hops(w, m);
}

/* A text/plain part beside an analysed text/html one in a
 * multipart/alternative says the same thing (or hides what the reader
 * does not see): the HTML's visible text is what counts. */
static bool
plain_shadowed(const struct mime_part *p)
{
	const struct mime_part *q = p->parent;

	if (q == NULL || strcmp(q->type, "multipart") != 0 ||
	    strcmp(q->subtype, "alternative") != 0)
		return false;
	for (q = q->first_child; q != NULL; q = q->next_sibling)
		if (q->html != NULL && strcmp(q->subtype, "html") == 0)
			return true;
	return false;
}

static void
walk_text(struct walk *w, const struct mime_msg *m)
{
	for (size_t i = 0; i < m->nparts && !w->stop; i++) {
		const struct mime_part *p = m->parts[i];
		if (p->is_attachment || p->type == NULL || strcmp(p->type, "text") != 0)
			continue;
		run_start(w, TOK_TEXT, NULL);
		if (strcmp(p->subtype, "html") == 0 && p->html != NULL)
			text_scan(w, p->html->visible, p->html->visible_len);
		else if (strcmp(p->subtype, "plain") == 0 && p->text != NULL && !plain_shadowed(p))
			text_scan(w, p->text, p->text_len);
	}
}

static void
walk_urls(struct walk *w, const struct mime_msg *m)
{
	for (size_t i = 0; i < m->nurls && !w->stop; i++) {
		const struct mime_url *u = &m->urls[i];
		run_start(w, TOK_URL, NULL);
		if (u->host != NULL && u->host[0] != '\0')
			emit_cstr(w, u->host);
		if (u->domain != NULL && u->host != NULL && strcmp(u->domain, u->host) != 0)
			emit_cstr(w, u->domain);
		if (u->path != NULL) {
			size_t n = strlen(u->path);
			text_scan(w, u->path, n < TOK_PATH_MAX ? n : TOK_PATH_MAX);
		}
	}
}

/* The extension of the last path element, or NULL. */
static const char *
path_extension(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	dot = strrchr(base != NULL ? base : path, '.');
	return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

static void
walk_attachments(struct walk *w, const struct mime_msg *m)
{
	for (size_t i = 0; i < m->nparts && !w->stop; i++) {
		const struct mime_attachment *a = m->parts[i]->att;
		if (a == NULL)
			continue;
		run_start(w, TOK_ATTACH, NULL);
		if (a->name != NULL)
			text_scan(w, a->name, strlen(a->name));
		emit_cstr(w, a->extension);
		emit_cstr(w, a->declared_type);
		emit_cstr(w, a->real_type);
		for (size_t k = 0; k < a->nmembers && k < TOK_MEMBERS_MAX; k++)
			emit_cstr(w, path_extension(a->members[k].path));
	}
}

int
tokens_walk(const struct mime_msg *m, tok_fn *fn, void *arg)
{
	struct walk w;
	const char *subject;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.arg = arg;
	if (m == NULL || m->root == NULL)
		return 0;
	if ((subject = header_value(m, "subject")) != NULL) {
		run_start(&w, TOK_SUBJECT, NULL);
		text_scan(&w, subject, strlen(subject));
	}
	walk_headers(&w, m);
	walk_text(&w, m);
	walk_urls(&w, m);
	walk_attachments(&w, m);
	return w.rc;
}
