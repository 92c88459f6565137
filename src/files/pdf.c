/* The PDF scanner (pdf.h). Written by hand rather than with poppler: we
 * need a linear pass that survives broken xref tables and hostile stream
 * lengths, hard ceilings on inflated bytes, and names read the way a
 * viewer reads them, not a renderer. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/err.h"
#include "files/pdf.h"

#define PDF_NAME_MAX	64	/* bytes of a normalised name kept */
#define PDF_URI_MAX	2048	/* bytes of one URI kept */
#define PDF_NUM_MAX	1000000000L
#define PDF_OBJSTM_MAX	100000	/* members of one object stream read */
#define PDF_INFLATE_FIRST (64u << 10)	/* first inflate buffer, doubled up to the ceiling */

static const char *const pdf_keys[PDF_K_COUNT] = {
	"JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile", "URI",
	"AcroForm", "SubmitForm", "RichMedia", "XFA", "Encrypt", "ObjStm",
};

enum pdf_tok {
	T_EOF, T_NAME, T_STRING, T_HEX, T_DICT_OPEN, T_DICT_CLOSE, T_ARRAY_OPEN,
	T_ARRAY_CLOSE, T_NUMBER, T_WORD, T_OTHER,
};

struct pdf_token {
	enum pdf_tok	 type;
	size_t		 start, len;	/* raw bytes (contents for strings) */
	char		 name[PDF_NAME_MAX];	/* T_NAME, #xx decoded, NUL-terminated */
	bool		 escaped;	/* the name had a #xx escape */
	bool		 integer;	/* T_NUMBER without a fraction */
	long		 num;
};

/* What the next token is the value of. */
enum pdf_pending {
	P_NONE, P_ACTION, P_FILTER, P_FILTER_ARRAY, P_TYPE, P_LENGTH, P_URI, P_N, P_FIRST,
};

/* One object being read: the keys of its dictionary that matter for its
 * stream, and the reference bookkeeping. */
struct pdf_obj {
	unsigned	 num;		/* object number, 0 when unknown */
	long		 nums[2];	/* the two last integers ("N G obj", "N G R") */
	unsigned	 nnums;
	enum pdf_pending pending;
	int		 action_depth;	/* dictionary depth of an inline action, or -1 */
	int		 depth;		/* << nesting */
	unsigned	 nfilters;
	bool		 flate, other_filter, objstm;
	long		 length, n, first;
};

struct pdf_ctx {
	struct mg_arena	*a;
	const struct pdf_limits *lim;
	struct pdf_report *r;
	uint64_t	 budget;	/* inflated bytes left */
	int		 err;
};

static void	pdf_scan_segment(struct pdf_ctx *, const uint8_t *, size_t, unsigned depth,
		    unsigned num);

void
pdf_limits_default(struct pdf_limits *l)
{
	l->max_input = 64u << 20;
	l->max_stream_out = 4u << 20;
	l->max_total_out = 32u << 20;
	l->max_streams = 4096;
	l->max_uris = 32;
	l->max_depth = 2;
}

const char *
pdf_key_name(enum pdf_key k)
{
	return (unsigned)k < PDF_K_COUNT ? pdf_keys[k] : NULL;
}

bool
pdf_detect(const uint8_t *data, size_t len)
{
	size_t n = len < 1024 ? len : 1024;

	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(data + i, "%PDF-", 5) == 0)
			return true;
	return false;
}

static bool
pdf_space(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool
pdf_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' ||
	    c == '{' || c == '}' || c == '/' || c == '%';
}

static int
pdf_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A name after its '/': regular characters, #xx decoded. */
static size_t
pdf_lex_name(const uint8_t *p, size_t len, size_t i, struct pdf_token *t)
{
	size_t n = 0;

	t->type = T_NAME;
	t->escaped = false;
	while (i < len && !pdf_space(p[i]) && !pdf_delim(p[i])) {
		uint8_t c = p[i++];
		if (c == '#' && i + 1 < len && pdf_hexval(p[i]) >= 0 && pdf_hexval(p[i + 1]) >= 0) {
			c = (uint8_t)(pdf_hexval(p[i]) << 4 | pdf_hexval(p[i + 1]));
			t->escaped = true;
			i += 2;
		}
		if (n + 1 < sizeof(t->name))
			t->name[n++] = (char)c;
	}
	t->name[n] = '\0';
	return i;
}

/* A literal string after its '(': balanced parentheses, escapes skipped. */
static size_t
pdf_lex_string(const uint8_t *p, size_t len, size_t i)
{
	unsigned nest = 1;

	while (i < len) {
		uint8_t c = p[i++];
		if (c == '\\')
			i++;
		else if (c == '(')
			nest++;
		else if (c == ')' && --nest == 0)
			return i;
	}
	return len;
}

static size_t
pdf_lex_number(const uint8_t *p, size_t len, size_t i, struct pdf_token *t)
{
	bool neg = false, dot = false, digits = false;
	long v = 0;

	if (p[i] == '+' || p[i] == '-')
		neg = p[i++] == '-';
	for (; i < len && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.'); i++) {
		if (p[i] == '.')
			dot = true;
		else if (!dot && v < PDF_NUM_MAX)
			v = v * 10 + (p[i] - '0');
		digits = true;
	}
	t->type = digits ? T_NUMBER : T_WORD;
	t->integer = !dot;
	t->num = neg ? -v : v;
	return i;
}

/* The token at *pos; advances *pos by at least one byte unless at the end. */
static void
pdf_lex(const uint8_t *p, size_t len, size_t *pos, struct pdf_token *t)
{
	size_t i = *pos;

	for (;;) {
		while (i < len && pdf_space(p[i]))
			i++;
		if (i >= len || p[i] != '%')
			break;
		while (i < len && p[i] != '\n' && p[i] != '\r')
			i++;
	}
	t->start = i;
	if (i >= len) {
		t->type = T_EOF;
		t->len = 0;
		*pos = len;
		return;
	}
	uint8_t c = p[i];
	if (c == '/') {
		i = pdf_lex_name(p, len, i + 1, t);
	} else if (c == '(') {
		t->type = T_STRING;
		t->start = i + 1;
		i = pdf_lex_string(p, len, i + 1);
	} else if (c == '<' && i + 1 < len && p[i + 1] == '<') {
		t->type = T_DICT_OPEN;
		i += 2;
	} else if (c == '>' && i + 1 < len && p[i + 1] == '>') {
		t->type = T_DICT_CLOSE;
		i += 2;
	} else if (c == '<') {
		const uint8_t *e = memchr(p + i, '>', len - i);
		t->type = T_HEX;
		t->start = i + 1;
		i = e ? (size_t)(e - p) + 1 : len;
	} else if (c == '[' || c == ']') {
		t->type = c == '[' ? T_ARRAY_OPEN : T_ARRAY_CLOSE;
		i++;
	} else if (pdf_delim(c)) {
		t->type = T_OTHER;
		i++;
	} else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		i = pdf_lex_number(p, len, i, t);
	} else {
		t->type = T_WORD;
		while (i < len && !pdf_space(p[i]) && !pdf_delim(p[i]))
			i++;
	}
	t->len = i - t->start;
	*pos = i;
}

static bool
pdf_word(const uint8_t *p, const struct pdf_token *t, const char *w)
{
	size_t n = strlen(w);

	return t->type == T_WORD && t->len == n && memcmp(p + t->start, w, n) == 0;
}

/* The URI string of t, decoded (escapes, hex) and cut at PDF_URI_MAX. */
static void
pdf_keep_uri(struct pdf_ctx *c, const uint8_t *p, const struct pdf_token *t)
{
	size_t end = t->start + t->len, n = 0;
	char *s;

	if (t->type == T_STRING && end > t->start)
		end--;			/* the closing parenthesis */
	if (c->r->nuris >= c->lim->max_uris)
		return;
	if ((s = mg_arena_alloc(c->a, PDF_URI_MAX + 1)) == NULL) {
		c->err = -MG_ENOMEM;
		return;
	}
	for (size_t i = t->start; i < end && n < PDF_URI_MAX; i++) {
		if (t->type == T_HEX) {
			int hi = pdf_hexval(p[i]), lo = i + 1 < end ? pdf_hexval(p[i + 1]) : 0;
			if (hi < 0)
				continue;
			s[n++] = (char)(hi << 4 | (lo < 0 ? 0 : lo));
			i++;
		} else if (p[i] == '\\' && i + 1 < end) {
			uint8_t e = p[++i];
			s[n++] = (char)(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
		} else {
			s[n++] = (char)p[i];
		}
	}
	s[n] = '\0';
	c->r->uris[c->r->nuris++] = s;
}

static void
pdf_add_ref(unsigned *arr, size_t *n, size_t max, unsigned v)
{
	for (size_t i = 0; i < *n; i++)
		if (arr[i] == v)
			return;
	if (*n < max)
		arr[(*n)++] = v;
}

/* A key name: counted, and what its value means noted in o->pending. */
static void
pdf_on_name(struct pdf_ctx *c, struct pdf_obj *o, const struct pdf_token *t)
{
	struct pdf_report *r = c->r;

	if (o->pending == P_FILTER || o->pending == P_FILTER_ARRAY) {
		bool fl = strcmp(t->name, "FlateDecode") == 0 || strcmp(t->name, "Fl") == 0;
		o->flate = fl && ++o->nfilters == 1;
		o->other_filter |= !fl || o->nfilters > 1;
		if (o->pending == P_FILTER)
			o->pending = P_NONE;
		return;
	}
	if (o->pending == P_TYPE && strcmp(t->name, "ObjStm") == 0)
		o->objstm = true;
	o->pending = P_NONE;
	for (unsigned k = 0; k < PDF_K_COUNT; k++) {
		if (strcmp(t->name, pdf_keys[k]) != 0)
			continue;
		r->escaped_names += t->escaped;
		if (k == PDF_K_URI) {
			o->pending = P_URI;	/* counted with its string */
			return;
		}
		if (k != PDF_K_OBJSTM)
			r->counts[k]++;
		if (k == PDF_K_OPENACTION || k == PDF_K_AA)
			o->pending = P_ACTION;
		if (k == PDF_K_JAVASCRIPT || k == PDF_K_JS) {
			if (o->action_depth >= 0)
				r->openaction_js = true;
			if (o->num != 0)
				pdf_add_ref(r->js_objects, &r->njs, PDF_MAX_JSOBJ, o->num);
		}
		return;
	}
	if (strcmp(t->name, "Filter") == 0)
		o->pending = P_FILTER;
	else if (strcmp(t->name, "Type") == 0)
		o->pending = P_TYPE;
	else if (strcmp(t->name, "Length") == 0)
		o->pending = P_LENGTH;
	else if (strcmp(t->name, "N") == 0)
		o->pending = P_N;
	else if (strcmp(t->name, "First") == 0)
		o->pending = P_FIRST;
}

static void
pdf_on_number(struct pdf_obj *o, const struct pdf_token *t)
{
	if (o->pending == P_LENGTH)
		o->length = t->num;
	else if (o->pending == P_N)
		o->n = t->num;
	else if (o->pending == P_FIRST)
		o->first = t->num;
	if (o->pending != P_ACTION)
		o->pending = P_NONE;
	if (!t->integer || t->num < 0) {
		o->nnums = 0;
		return;
	}
	o->nums[0] = o->nums[1];
	o->nums[1] = t->num;
	o->nnums = o->nnums < 2 ? o->nnums + 1 : 2;
}

static void
pdf_new_object(struct pdf_ctx *c, struct pdf_obj *o, unsigned num)
{
	*o = (struct pdf_obj){ .num = num, .action_depth = -1, .length = -1 };
	c->r->objects++;
}

/* Inflates src into a buffer grown up to the per-stream and per-file
 * ceilings; *outlen is what came out (also when the data is corrupt).
 * NULL when nothing may be inflated any more or memory ran out. */
static uint8_t *
pdf_inflate(struct pdf_ctx *c, const uint8_t *src, size_t len, size_t *outlen)
{
	size_t max = c->lim->max_stream_out < c->budget ? c->lim->max_stream_out :
	    (size_t)c->budget;
	size_t cap, n = 0;
	z_stream z = { 0 };
	uint8_t *out = NULL, *grown;
	int rc = Z_OK;

	*outlen = 0;
	max = max > UINT32_MAX ? UINT32_MAX : max;
	if (max == 0) {
		c->r->limit = true;
		return NULL;
	}
	if (inflateInit2(&z, 15 + 32) != Z_OK) {	/* zlib or gzip header */
		c->err = -MG_ENOMEM;
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	for (cap = max < PDF_INFLATE_FIRST ? max : PDF_INFLATE_FIRST;; cap = cap > max / 2 ?
	    max : cap * 2) {
		if ((grown = realloc(out, cap)) == NULL) {
			c->err = -MG_ENOMEM;
			break;
		}
		out = grown;
		z.next_out = out + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (rc != Z_OK || n < cap || cap == max)
			break;
	}
	inflateEnd(&z);
	if (c->err != 0) {
		free(out);
		return NULL;
	}
	if (rc != Z_STREAM_END && n == max)
		c->r->limit = true;		/* a bomb, or just big: cut */
	else if (rc != Z_STREAM_END)
		c->r->inflate_errors++;
	*outlen = n;
	c->budget -= n;
	c->r->inflated++;
	c->r->inflated_bytes += n;
	return out;
}

/* An object stream: "num offset" pairs, then the members from /First. */
static void
pdf_scan_objstm(struct pdf_ctx *c, const uint8_t *p, size_t len, const struct pdf_obj *o,
    unsigned depth)
{
	size_t pos = 0, n = o->n > PDF_OBJSTM_MAX ? PDF_OBJSTM_MAX : (size_t)o->n;
	size_t first = (size_t)o->first;
	long prev_num = -1, prev_off = -1;
	struct pdf_token t;

	if (o->first < 0 || first > len) {
		pdf_scan_segment(c, p, len, depth, o->num);
		return;
	}
	for (size_t i = 0; i <= n && c->err == 0; i++) {
		long num = -1, off = (long)(len - first);
		if (i < n) {
			pdf_lex(p, first, &pos, &t);
			num = t.type == T_NUMBER ? t.num : -1;
			pdf_lex(p, first, &pos, &t);
			off = t.type == T_NUMBER ? t.num : -1;
			if (num < 0 || off < 0 || (size_t)off > len - first)
				off = (long)(len - first);
		}
		if (prev_off >= 0 && off >= prev_off) {
			c->r->objects++;
			pdf_scan_segment(c, p + first + prev_off, (size_t)(off - prev_off),
			    depth, (unsigned)prev_num);
		}
		prev_num = num;
		prev_off = num < 0 ? -1 : off;
		if (num < 0 && i < n)
			break;
	}
}

/* The data of a stream at *pos (just after the "stream" keyword): found
 * by /Length when it ends at "endstream", else by searching for it. */
static void
pdf_on_stream(struct pdf_ctx *c, const uint8_t *p, size_t len, size_t *pos,
    struct pdf_obj *o, unsigned depth)
{
	size_t s = *pos, e;
	const uint8_t *end;
	bool found = false;

	if (s < len && p[s] == '\r')
		s++;
	if (s < len && p[s] == '\n')
		s++;
	e = len;
	*pos = len;
	if (o->length >= 0 && (size_t)o->length <= len - s) {
		size_t k = s + (size_t)o->length;
		while (k < len && pdf_space(p[k]))
			k++;
		if (len - k >= 9 && memcmp(p + k, "endstream", 9) == 0) {
			e = s + (size_t)o->length;
			*pos = k + 9;
			found = true;
		}
	}
	if (!found && (end = memmem(p + s, len - s, "endstream", 9)) != NULL) {
		e = (size_t)(end - p);
		*pos = e + 9;
	}
	c->r->streams++;
	if (o->objstm)
		c->r->counts[PDF_K_OBJSTM]++;
	if (o->other_filter) {
		c->r->other_filters++;
		return;
	}
	if (!o->flate)
		return;
	if (depth >= c->lim->max_depth || c->r->inflated >= c->lim->max_streams) {
		c->r->limit = true;
		return;
	}
	size_t outlen;
	uint8_t *out = pdf_inflate(c, p + s, e - s, &outlen);
	if (out == NULL)
		return;
	if (o->objstm)
		pdf_scan_objstm(c, out, outlen, o, depth + 1);
	else
		pdf_scan_segment(c, out, outlen, depth + 1, o->num);
	free(out);
}

/* One token's effect on the object being read. */
static void
pdf_on_token(struct pdf_ctx *c, const uint8_t *p, size_t len, size_t *pos,
    struct pdf_obj *o, const struct pdf_token *t, unsigned depth)
{
	switch (t->type) {
	case T_NAME:
		pdf_on_name(c, o, t);
		return;
	case T_NUMBER:
		pdf_on_number(o, t);
		return;
	case T_STRING:
	case T_HEX:
		if (o->pending == P_URI) {
			c->r->counts[PDF_K_URI]++;
			pdf_keep_uri(c, p, t);
		}
		break;
	case T_DICT_OPEN:
		if (o->pending == P_ACTION && o->action_depth < 0)
			o->action_depth = o->depth;
		o->depth++;
		break;
	case T_DICT_CLOSE:
		if (o->depth > 0 && --o->depth == o->action_depth)
			o->action_depth = -1;
		break;
	case T_ARRAY_OPEN:
		if (o->pending == P_FILTER) {
			o->pending = P_FILTER_ARRAY;
			return;
		}
		break;
	case T_WORD:
		if (pdf_word(p, t, "R") && o->nnums == 2 &&
		    (o->pending == P_ACTION || o->action_depth >= 0))
			pdf_add_ref(c->r->action_refs, &c->r->nactions, PDF_MAX_REFS,
			    (unsigned)o->nums[0]);
		else if (pdf_word(p, t, "obj") && o->nnums == 2)
			pdf_new_object(c, o, (unsigned)o->nums[0]);
		else if (pdf_word(p, t, "stream"))
			pdf_on_stream(c, p, len, pos, o, depth);
		else if (pdf_word(p, t, "endobj"))
			o->num = 0;
		break;
	default:
		break;
	}
	o->nnums = 0;
	o->pending = P_NONE;
}

/* Reads p[0..len) linearly as a sequence of objects; num is the object
 * the bytes belong to (object-stream members, inflated streams). */
static void
pdf_scan_segment(struct pdf_ctx *c, const uint8_t *p, size_t len, unsigned depth,
    unsigned num)
{
	struct pdf_obj o = { .num = num, .action_depth = -1, .length = -1 };
	struct pdf_token t;
	size_t pos = 0;

	while (c->err == 0) {
		pdf_lex(p, len, &pos, &t);
		if (t.type == T_EOF)
			break;
		pdf_on_token(c, p, len, &pos, &o, &t, depth);
	}
}

int
pdf_scan(struct mg_arena *a, const uint8_t *data, size_t len, const struct pdf_limits *lim,
    struct pdf_report *r)
{
	struct pdf_ctx c = { a, lim, r, lim->max_total_out, 0 };

	memset(r, 0, sizeof(*r));
	if ((r->uris = mg_arena_alloc(a, (lim->max_uris + 1) * sizeof(*r->uris))) == NULL)
		return -MG_ENOMEM;
	if (len > lim->max_input) {
		len = lim->max_input;
		r->limit = true;
	}
	pdf_scan_segment(&c, data, len, 0, 0);
	for (size_t i = 0; i < r->nactions && !r->openaction_js; i++)
		for (size_t j = 0; j < r->njs; j++)
			if (r->action_refs[i] == r->js_objects[j])
				r->openaction_js = true;
	return c.err;
}
