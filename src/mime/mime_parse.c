/* The MIME tree: header sections, Content-* fields, multipart boundaries,
 * message/rfc822 nesting, the pre-order parts array, limits and anomaly
 * flags (mime.h). One forward pass per nesting level: boundaries are
 * found with memmem, so the work is linear in the input times the depth,
 * which max_depth bounds. Bodies are decoded in mime_body.c. */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "mime/mime.h"
#include "mime/mime_header.h"
#include "mime/mime_int.h"

#define DEPTH_HARD_MAX	256	/* recursion bound whatever the configuration */

void
mime_limits_default(struct mime_limits *l)
{
	l->max_header_len = 64 * 1024;
	l->max_headers = 1024;
	l->max_depth = 32;
	l->max_parts = 1024;
	l->max_decoded = 64ull * 1024 * 1024;
}

void
mime_limits_conf(struct mime_limits *l, const struct conf_mime *c)
{
	l->max_header_len = c->max_header_len;
	l->max_headers = c->max_headers;
	l->max_depth = c->max_depth;
	l->max_parts = c->max_parts;
	l->max_decoded = c->max_decoded;
}

const struct mime_header *
mime_header_find(const struct mime_part *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nheaders; i++)
		if (mg_slice_eq_nocase(p->headers[i].name, name))
			return &p->headers[i];
	return NULL;
}

static inline bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

struct mime_part *
mime__part_new(struct mparse *mp, struct mime_part *parent, struct mime_part *prev)
{
	struct mime_msg *m = mp->msg;
	struct mime_part *p, **grown;
	size_t cap;

	if (m->nparts >= mp->lim.max_parts) {
		if (parent != NULL)
			parent->flags |= MIME_F_PARTS_LIMIT;
		return NULL;
	}
	if (m->nparts == mp->cap) {
		cap = mp->cap ? mp->cap * 2 : 16;
		if (cap > mp->lim.max_parts)
			cap = mp->lim.max_parts;
		if ((grown = mg_arena_alloc(mp->a, cap * sizeof(*grown))) == NULL)
			goto nomem;
		if (m->nparts > 0)
			memcpy(grown, m->parts, m->nparts * sizeof(*grown));
		m->parts = grown;
		mp->cap = cap;
	}
	if ((p = mg_arena_zalloc(mp->a, sizeof(*p))) == NULL)
		goto nomem;
	p->parent = parent;
	p->depth = parent ? parent->depth + 1 : 0;
	p->index = (unsigned)m->nparts;
	m->parts[m->nparts++] = p;
	if (prev != NULL)
		prev->next_sibling = p;
	else if (parent != NULL)
		parent->first_child = p;
	return p;
nomem:
	mp->nomem = true;
	return NULL;
}

/* Header fields allowed once (RFC 5322 3.6, RFC 2045): a second one is
 * the kind of ambiguity filters and mail clients read differently. */
static const char *const once_fields[] = {
	"from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to",
	"references", "subject", "date", "mime-version", "content-type",
	"content-transfer-encoding", "content-disposition",
};

static void
check_duplicates(struct mime_part *part)
{
	uint32_t seen = 0, bit;
	size_t i, k;

	for (i = 0; i < part->nheaders; i++) {
		for (k = 0; k < sizeof(once_fields) / sizeof(once_fields[0]); k++) {
			if (!mg_slice_eq_nocase(part->headers[i].name, once_fields[k]))
				continue;
			bit = 1u << k;
			if (seen & bit)
				part->flags |= MIME_F_DUPLICATE_HEADER;
			seen |= bit;
			break;
		}
	}
}

/* Makes field h's raw value end at ve (never before it starts). */
static void
field_extend(struct mime_header *h, const uint8_t *ve)
{
	h->raw.len = ve > h->raw.ptr ? (size_t)(ve - h->raw.ptr) : 0;
}

/* Adds a field [name, value) of the line at i to part (cut at cap_end). */
static bool
field_add(struct mparse *mp, struct mime_part *part, size_t *cap, struct mg_slice name,
    const uint8_t *v, const uint8_t *ve)
{
	struct mime_header *grown;

	if (part->nheaders == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		if ((grown = mg_arena_alloc(mp->a, *cap * sizeof(*grown))) == NULL) {
			mp->nomem = true;
			return false;
		}
		if (part->nheaders > 0)
			memcpy(grown, part->headers, part->nheaders * sizeof(*grown));
		part->headers = grown;
	}
	part->headers[part->nheaders].name = name;
	part->headers[part->nheaders].raw = mg_slice_make(v, 0);
	part->headers[part->nheaders].value = NULL;
	field_extend(&part->headers[part->nheaders], ve);
	part->nheaders++;
	return true;
}

/* Length of the field name at p[0..n) followed by optional blanks and ':'
 * (obsolete syntax); *colon gets the colon's offset. 0 if not a field. */
static size_t
field_name(const uint8_t *p, size_t n, size_t *colon)
{
	size_t k = 0, e;

	while (k < n && p[k] > ' ' && p[k] < 0x7f && p[k] != ':')
		k++;
	e = k;
	while (k < n && is_blank(p[k]))
		k++;
	if (e == 0 || k == n || p[k] != ':')
		return 0;
	*colon = k;
	return e;
}

/* After a line in a header section that is not a field: the offset of
 * the line after it and its continuations when a field or the empty line
 * follows (the junk is skipped, as mail clients do; stopping there would
 * hide the rest of the header, Content-Type included), else 0. */
static size_t
junk_line_end(const uint8_t *p, size_t len, size_t i)
{
	const uint8_t *nl;
	size_t e = len, colon;

	for (; i < len; i = nl ? e + 1 : len) {
		nl = memchr(p + i, '\n', len - i);
		e = nl ? (size_t)(nl - p) : len;
		if (!is_blank(p[i]))
			break;
	}
	if (i == len)
		return 0;
	if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
		return i;
	return field_name(p + i, e - i, &colon) > 0 ? i : 0;
}

/* Splits the header section at the start of p[0..len) into part's fields;
 * returns the offset where the body starts. Stops at an empty line, or at
 * a line that is neither a field nor a continuation and is not followed by
 * a field (that line then starts the body). Fields past max_header_len or
 * max_headers are not kept. */
static size_t
section_split(struct mparse *mp, struct mime_part *part, const uint8_t *p, size_t len,
    unsigned opts, size_t *nseen)
{
	size_t i = 0, e, le, next, cap = 0, cap_end, nlen, colon;
	struct mime_header *cur = NULL;
	const uint8_t *nl;

	if ((opts & ENT_MBOX) && len >= 5 && memcmp(p, "From ", 5) == 0) {
		nl = memchr(p, '\n', len);
		i = nl ? (size_t)(nl - p) + 1 : len;
	}
	cap_end = len - i > mp->lim.max_header_len ? i + mp->lim.max_header_len : len;
	for (*nseen = 0; i < len && !mp->nomem; i = next) {
		nl = memchr(p + i, '\n', len - i);
		e = nl ? (size_t)(nl - p) : len;
		next = nl ? e + 1 : len;
		le = e > i && p[e - 1] == '\r' ? e - 1 : e;
		if (le == i)
			return next;
		if (is_blank(p[i])) {
			if (*nseen == 0)
				break;
			if (le > cap_end)
				part->flags |= MIME_F_HEADER_TOO_LONG;
			if (cur != NULL && i < cap_end)
				field_extend(cur, p + (le < cap_end ? le : cap_end));
			continue;
		}
		if ((nlen = field_name(p + i, le - i, &colon)) == 0) {
			if (*nseen == 0 || (next = junk_line_end(p, len, next)) == 0)
				break;
			part->flags |= MIME_F_HEADER_NO_COLON;
			cur = NULL;
			continue;
		}
		if (le > cap_end)
			part->flags |= MIME_F_HEADER_TOO_LONG;
		(*nseen)++;
		cur = NULL;
		if (i >= cap_end || part->nheaders >= mp->lim.max_headers) {
			part->flags |= i >= cap_end ? MIME_F_HEADER_TOO_LONG : MIME_F_TOO_MANY_HEADERS;
			continue;
		}
		if (field_add(mp, part, &cap, mg_slice_make(p + i, nlen), p + i + colon + 1,
		    p + (le < cap_end ? le : cap_end)))
			cur = &part->headers[part->nheaders - 1];
	}
	if (i < len) {
		/* a line that is not a header: the body starts here */
		part->flags |= (opts & ENT_MESSAGE) && *nseen == 0 ? 0 : MIME_F_HEADER_NO_COLON;
		return i;
	}
	if (*nseen > 0)
		part->flags |= MIME_F_TRUNCATED;
	return len;
}

/* Parses the header section of part: fields, values, section flags. */
static size_t
section_parse(struct mparse *mp, struct mime_part *part, const uint8_t *p, size_t len,
    unsigned opts)
{
	size_t body, nseen, i, n;
	struct mime_header *h;

	body = section_split(mp, part, p, len, opts, &nseen);
	if (memchr(p, '\0', body) != NULL)
		part->flags |= MIME_F_NUL_BYTES;
	for (i = 0; i < part->nheaders && !mp->nomem; i++) {
		h = &part->headers[i];
		n = 0;
		h->value = mime_hdr_decode(mp->a, h->raw.ptr, h->raw.len, mime__budget_left(mp), &n,
		    &part->flags);
		if (h->value == NULL)
			mp->nomem = true;
		mp->msg->decoded_total += n;
	}
	check_duplicates(part);
	if ((opts & ENT_MESSAGE) && nseen == 0)
		part->flags |= MIME_F_NO_HEADERS;
	return body;
}

static char *
lower_dup(struct mparse *mp, const char *s, size_t n)
{
	char *r = mg_arena_strndup(mp->a, s, n);
	size_t i;

	if (r == NULL) {
		mp->nomem = true;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] |= 0x20;
	return r;
}

/* An RFC 2045 token: printable ASCII without blanks and tspecials. */
static bool
is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] <= ' ' || (uint8_t)s[i] >= 0x7f || strchr("()<>@,;:\\\"/[]?=", s[i]))
			return false;
	return n > 0;
}

/* Parameters of the first field called name; false when absent. */
static bool
field_params(struct mparse *mp, struct mime_part *part, const char *name,
    struct mime_hvalue *hv)
{
	const struct mime_header *h = mime_header_find(part, name);

	if (h == NULL)
		return false;
	if (mime_hdr_params(mp->a, h->raw.ptr, h->raw.len, hv, &part->flags) < 0) {
		mp->nomem = true;
		return false;
	}
	return true;
}

/* A parameter's value, or NULL when absent or empty. */
static const char *
param_value(const struct mime_hvalue *hv, const char *name, bool raw)
{
	const struct mime_param *pm = mime_hvalue_param(hv, name);
	const char *v = pm ? (raw ? pm->raw : pm->value) : NULL;

	return v && v[0] != '\0' ? v : NULL;
}

static void
content_type(struct mparse *mp, struct mime_part *part, unsigned opts)
{
	struct mime_hvalue hv;
	const char *slash, *v;

	part->type = opts & ENT_DIGEST ? "message" : "text";
	part->subtype = opts & ENT_DIGEST ? "rfc822" : "plain";
	if (!field_params(mp, part, "content-type", &hv))
		return;
	slash = strchr(hv.token, '/');
	if (slash != NULL && is_token(hv.token, (size_t)(slash - hv.token)) &&
	    is_token(slash + 1, strlen(slash + 1))) {
		part->type = lower_dup(mp, hv.token, (size_t)(slash - hv.token));
		part->subtype = slash + 1;
	} else {
		part->flags |= MIME_F_BAD_CONTENT_TYPE;
	}
	if (hv.bad)
		part->flags |= MIME_F_BAD_CONTENT_TYPE;
	if ((v = param_value(&hv, "charset", false)) != NULL)
		part->charset = lower_dup(mp, v, strlen(v));
	part->boundary = param_value(&hv, "boundary", true);
	part->filename = param_value(&hv, "name", false);
}

/* Content-Transfer-Encoding, Content-Disposition and Content-ID. */
static void
content_other(struct mparse *mp, struct mime_part *part)
{
	const struct mime_header *h;
	struct mime_hvalue hv;
	const char *v, *fn;
	size_t n;

	part->encoding = "7bit";
	if ((h = mime_header_find(part, "content-transfer-encoding")) != NULL) {
		v = h->value;
		n = strcspn(v, " \t(;");
		if (n > 0)
			part->encoding = lower_dup(mp, v, n);
	}
	if (field_params(mp, part, "content-disposition", &hv)) {
		if (hv.token[0] != '\0')
			part->disposition = hv.token;
		if ((fn = param_value(&hv, "filename", false)) != NULL)
			part->filename = fn;
	}
	if ((h = mime_header_find(part, "content-id")) != NULL) {
		v = h->value + (h->value[0] == '<');
		n = strcspn(v, ">");
		if (n > 0 && (part->content_id = mg_arena_strndup(mp->a, v, n)) == NULL)
			mp->nomem = true;
	}
}

static bool
all_blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_blank(p[i]) && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static bool
is_type(const struct mime_part *p, const char *type)
{
	return strcmp(p->type, type) == 0;
}

/* message/rfc822 and the kinds of message/ that hold a whole message. */
static bool
is_nested_message(const struct mime_part *p)
{
	return is_type(p, "message") && (strcmp(p->subtype, "rfc822") == 0 ||
	    strcmp(p->subtype, "global") == 0 || strcmp(p->subtype, "news") == 0);
}

/* A delimiter line "--boundary[--] blanks EOL" of a multipart body. */
struct delim {
	size_t		 start;		/* where the line break before it begins */
	size_t		 next;		/* first byte after its line */
	bool		 close;		/* "--boundary--" */
	bool		 eol;		/* the line ends with a line break */
};

/* Whether what follows "--boundary" at b[j] completes a delimiter line. */
static bool
delim_tail(const uint8_t *b, size_t n, size_t j, struct delim *d)
{
	d->close = j + 1 < n && b[j] == '-' && b[j + 1] == '-';
	if (d->close)
		j += 2;
	while (j < n && is_blank(b[j]))
		j++;
	d->eol = true;
	if (j == n) {
		d->eol = false;
		d->next = n;
	} else if (b[j] == '\n') {
		d->next = j + 1;
	} else if (b[j] == '\r' && j + 1 < n && b[j + 1] == '\n') {
		d->next = j + 2;
	} else {
		return false;	/* a longer boundary, or junk: not ours */
	}
	return true;
}

/* The first delimiter line starting at or after from (which follows a
 * line break, or is 0); needle is "\n--boundary". */
static bool
delim_find(const uint8_t *b, size_t n, size_t from, const char *needle, size_t nlen,
    struct delim *d)
{
	const uint8_t *q;
	size_t i, k;

	if (from == 0 && n >= nlen - 1 && memcmp(b, needle + 1, nlen - 1) == 0 &&
	    delim_tail(b, n, nlen - 1, d)) {
		d->start = 0;
		return true;
	}
	for (i = from > 0 ? from - 1 : 0; i < n; i = k + 1) {
		if ((q = memmem(b + i, n - i, needle, nlen)) == NULL)
			return false;
		k = (size_t)(q - b);
		if (delim_tail(b, n, k + nlen, d)) {
			d->start = k > 0 && b[k - 1] == '\r' ? k - 1 : k;
			return true;
		}
	}
	return false;
}

/* A multipart whose parts cannot be told apart: its body becomes one
 * headerless text/plain part. */
static void
implicit_text(struct mparse *mp, struct mime_part *part)
{
	struct mime_part *c;

	if ((c = mime__part_new(mp, part, NULL)) == NULL)
		return;
	c->type = "text";
	c->subtype = "plain";
	c->encoding = "7bit";
	c->raw_body = part->body;
	mime__body_decode(mp, c, false);
	mime__text_convert(mp, c);
}

static void entity_parse(struct mparse *, struct mime_part *, const uint8_t *, size_t,
	    unsigned);

static void
multipart_parse(struct mparse *mp, struct mime_part *part)
{
	const uint8_t *b = part->body.ptr;
	size_t n = part->body.len, bl, start, end;
	struct mime_part *prev = NULL, *c;
	struct delim d, nd;
	unsigned opts = strcmp(part->subtype, "digest") == 0 ? ENT_DIGEST : 0;
	char *needle;
	bool found;

	if (part->boundary == NULL) {
		part->flags |= MIME_F_MISSING_BOUNDARY;
		implicit_text(mp, part);
		return;
	}
	bl = strlen(part->boundary);
	if ((needle = mg_arena_alloc(mp->a, bl + 4)) == NULL) {
		mp->nomem = true;
		return;
	}
	memcpy(needle, "\n--", 3);
	memcpy(needle + 3, part->boundary, bl + 1);
	if (!delim_find(b, n, 0, needle, bl + 3, &d)) {
		part->flags |= MIME_F_BOUNDARY_NOT_FOUND;
		implicit_text(mp, part);
		return;
	}
	while (!mp->nomem) {
		/* parts after the close delimiter (hidden from parsers that stop
		 * there, or a nested multipart reusing the boundary) are read too */
		if (d.close && (!d.eol || !delim_find(b, n, d.next, needle, bl + 3, &d)))
			break;
		if (d.close)
			continue;
		if (!d.eol) {
			part->flags |= MIME_F_UNTERMINATED_MULTIPART;
			break;
		}
		start = d.next;
		found = delim_find(b, n, start, needle, bl + 3, &nd);
		end = !found ? n : nd.start > start ? nd.start : start;
		if ((c = mime__part_new(mp, part, prev)) == NULL)
			break;
		entity_parse(mp, c, b + start, end - start, opts);
		prev = c;
		if (!found) {
			part->flags |= MIME_F_UNTERMINATED_MULTIPART;
			break;
		}
		d = nd;
	}
}

/* message/rfc822: the body is a message of its own, the only child. */
static void
message_parse(struct mparse *mp, struct mime_part *part)
{
	struct mime_part *c;

	if ((c = mime__part_new(mp, part, NULL)) != NULL)
		entity_parse(mp, c, part->body.ptr, part->body.len, ENT_MESSAGE);
}

static bool
attachment_like(const struct mime_part *p)
{
	if (p->disposition != NULL && strcmp(p->disposition, "attachment") == 0)
		return true;
	if (p->filename != NULL)
		return true;
	return p->first_child == NULL && !is_type(p, "text") && !is_type(p, "multipart") &&
	    !is_type(p, "message");
}

/* Header section, then the body by type: children or decoded content. */
static void
entity_parse(struct mparse *mp, struct mime_part *part, const uint8_t *p, size_t len,
    unsigned opts)
{
	size_t body = section_parse(mp, part, p, len, opts);
	bool multi, nested;

	if (mp->nomem)
		return;
	content_type(mp, part, opts);
	content_other(mp, part);
	if (mp->nomem)
		return;
	part->raw_body = mg_slice_make(p + body, len - body);
	if ((opts & ENT_MESSAGE) && all_blank(p + body, len - body))
		part->flags |= MIME_F_EMPTY_MESSAGE;
	multi = is_type(part, "multipart");
	nested = is_nested_message(part);
	if ((multi || nested) && part->depth >= mp->lim.max_depth) {
		part->flags |= MIME_F_DEPTH_LIMIT;
		multi = nested = false;
	}
	mime__body_decode(mp, part, multi || nested);
	if (multi)
		multipart_parse(mp, part);
	else if (nested)
		message_parse(mp, part);
	else if (is_type(part, "text"))
		mime__text_convert(mp, part);
	part->is_attachment = attachment_like(part);
}

struct mime_msg *
mime_parse(struct mg_arena *a, const uint8_t *msg, size_t len, const struct mime_limits *lim)
{
	struct mparse mp;
	struct mime_part *root;
	size_t i;

	memset(&mp, 0, sizeof(mp));
	mp.a = a;
	if (msg == NULL)
		msg = (const uint8_t *)"";
	if (lim != NULL)
		mp.lim = *lim;
	else
		mime_limits_default(&mp.lim);
	if (mp.lim.max_depth > DEPTH_HARD_MAX)
		mp.lim.max_depth = DEPTH_HARD_MAX;
	if (mp.lim.max_parts == 0)
		mp.lim.max_parts = 1;
	if ((mp.msg = mg_arena_zalloc(a, sizeof(*mp.msg))) == NULL)
		return NULL;
	mp.msg->raw = mg_slice_make(msg, len);
	if ((root = mime__part_new(&mp, NULL, NULL)) == NULL)
		return NULL;
	mp.msg->root = root;
	entity_parse(&mp, root, msg, len, ENT_MESSAGE | ENT_MBOX);
	if (mp.nomem)
		return NULL;
	for (i = 0; i < mp.msg->nparts; i++)
		mp.msg->flags |= mp.msg->parts[i]->flags;
	return mp.msg;
}
