/* Bodies of MIME parts: transfer decoding within the message's decoded
 * budget, text converted to UTF-8, and uuencoded blocks in text bodies
 * turned into attachment parts of their own. */
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "mime/mime_int.h"

enum enc_kind { ENC_7BIT, ENC_8BIT, ENC_BINARY, ENC_BASE64, ENC_QP, ENC_UU, ENC_UNKNOWN };

static enum enc_kind
enc_kind(const char *e)
{
	static const struct {
		const char	*name;
		enum enc_kind	 kind;
	} encs[] = {
		{ "7bit", ENC_7BIT }, { "8bit", ENC_8BIT }, { "binary", ENC_BINARY },
		{ "base64", ENC_BASE64 }, { "quoted-printable", ENC_QP },
		{ "x-uuencode", ENC_UU }, { "x-uue", ENC_UU }, { "uuencode", ENC_UU },
		{ "uue", ENC_UU },
	};
	size_t i;

	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		if (strcmp(e, encs[i].name) == 0)
			return encs[i].kind;
	return ENC_UNKNOWN;
}

/* Decodes in[0..len) with kind into the arena, within the budget. */
static struct mg_slice
decode_bounded(struct mparse *mp, struct mime_part *part, enum enc_kind kind,
    const uint8_t *in, size_t len)
{
	size_t cap = kind == ENC_QP ? MIME_QP_MAXOUT(len) : MIME_DEC_MAXOUT(len);
	size_t left = mime__budget_left(mp), n;
	unsigned d = 0;
	uint8_t *out;

	if (cap > left)
		cap = left;
	if ((out = mg_arena_alloc(mp->a, cap ? cap : 1)) == NULL) {
		mp->nomem = true;
		return mg_slice_make("", 0);
	}
	if (kind == ENC_BASE64)
		n = mime_base64_decode(in, len, out, cap, &d);
	else if (kind == ENC_QP)
		n = mime_qp_decode(in, len, false, out, cap, &d);
	else
		n = mime_uu_decode(in, len, out, cap, &d);
	if (d & MIME_DEC_FULL)
		part->flags |= MIME_F_DECODED_LIMIT;
	if (d & MIME_DEC_BAD)
		part->flags |= kind == ENC_BASE64 ? MIME_F_BAD_BASE64 :
		    kind == ENC_QP ? MIME_F_BAD_QP : 0;
	mp->msg->decoded_total += n;
	return mg_slice_make(out, n);
}

void
mime__body_decode(struct mparse *mp, struct mime_part *part, bool composite)
{
	struct mg_slice raw = part->raw_body;
	enum enc_kind kind = enc_kind(part->encoding);
	struct mime_uu_block b;

	part->body = raw;
	if (!composite && kind != ENC_BINARY && memchr(raw.ptr, '\0', raw.len) != NULL)
		part->flags |= MIME_F_NUL_BYTES;
	switch (kind) {
	case ENC_7BIT:
		if (!composite && mime_ascii_span(raw.ptr, raw.len) < raw.len)
			part->flags |= MIME_F_8BIT_IN_7BIT;
		return;
	case ENC_8BIT:
	case ENC_BINARY:
		return;
	case ENC_UNKNOWN:
		part->flags |= MIME_F_UNKNOWN_ENCODING;
		return;
	case ENC_UU:
		if (mime_uu_find(raw.ptr, raw.len, 0, &b))
			raw = mg_slice_make(raw.ptr + b.data, b.data_end - b.data);
		break;
	case ENC_BASE64:
	case ENC_QP:
		break;
	}
	part->body = decode_bounded(mp, part, kind, raw.ptr, raw.len);
}

/* One uuencoded block of a text part as an attachment part c. */
static void
uu_child(struct mparse *mp, struct mime_part *c, const uint8_t *t,
    const struct mime_uu_block *b)
{
	c->type = "application";
	c->subtype = "octet-stream";
	c->encoding = "x-uuencode";
	c->raw_body = mg_slice_make(t + b->start, b->end - b->start);
	c->filename = mime_hdr_decode(mp->a, t + b->name_off, b->name_len, SIZE_MAX, NULL,
	    &c->flags);
	if (c->filename == NULL) {
		mp->nomem = true;
		return;
	}
	c->body = decode_bounded(mp, c, ENC_UU, t + b->data, b->data_end - b->data);
	c->is_attachment = true;
}

/* Finds the uuencoded blocks of part's body: each becomes a child part;
 * the text around them is appended to kept. 0 or -MG_ENOMEM. */
static int
uu_extract(struct mparse *mp, struct mime_part *part, struct mg_buf *kept)
{
	const uint8_t *t = part->body.ptr;
	size_t n = part->body.len, from = 0;
	struct mime_part *prev = NULL, *c;
	struct mime_uu_block b;

	while (!mp->nomem && mime_uu_find(t, n, from, &b)) {
		part->flags |= MIME_F_UUENCODE;
		if (mg_buf_append(kept, t + from, b.start - from) < 0)
			return -MG_ENOMEM;
		from = b.end;
		if (part->depth >= mp->lim.max_depth) {
			part->flags |= MIME_F_DEPTH_LIMIT;
			continue;
		}
		if ((c = mime__part_new(mp, part, prev)) == NULL)
			continue;
		uu_child(mp, c, t, &b);
		prev = c;
	}
	return mg_buf_append(kept, t + from, n - from) < 0 ? -MG_ENOMEM : 0;
}

/* Stores the converted text (a leading byte order mark dropped). */
static void
text_store(struct mparse *mp, struct mime_part *part, const struct mg_buf *out,
    const char *charset)
{
	const uint8_t *p = out->len ? out->data : (const uint8_t *)"";
	size_t n = out->len;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	part->text = mg_arena_strndup(mp->a, p, n);
	part->text_charset = mg_arena_strndup(mp->a, charset, strlen(charset));
	if (part->text == NULL || part->text_charset == NULL)
		mp->nomem = true;
	part->text_len = n;
	mp->msg->decoded_total += n;
}

void
mime__text_convert(struct mparse *mp, struct mime_part *part)
{
	const uint8_t *src = part->body.ptr;
	size_t len = part->body.len, left;
	struct mg_buf kept, out;
	struct mime_conv cv;
	unsigned opts = strcmp(part->subtype, "html") == 0 ? MIME_CS_HTML : 0;

	mg_buf_init(&kept, 0);
	if (len >= 6 && memmem(src, len, "begin ", 6) != NULL) {
		if (uu_extract(mp, part, &kept) < 0)
			mp->nomem = true;
		if (part->flags & MIME_F_UUENCODE) {
			src = kept.len ? kept.data : (const uint8_t *)"";
			len = kept.len;
		}
	}
	/* after the blocks: their decoding counts too */
	left = mime__budget_left(mp);
	mg_buf_init(&out, left ? left : 1);
	if (mp->nomem)
		goto out;
	if (left == 0) {
		part->flags |= len > 0 ? MIME_F_DECODED_LIMIT : 0;
		cv.charset[0] = '\0';
	} else if (mime_charset_to_utf8(part->charset, src, len, opts, &out, &cv) < 0) {
		mp->nomem = true;
		goto out;
	} else {
		part->flags |= cv.flags;
	}
	text_store(mp, part, &out, cv.charset);
out:
	mg_buf_release(&kept);
	mg_buf_release(&out);
}
