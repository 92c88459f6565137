/* Transfer decoders: base64, quoted-printable and uuencode (see
 * mime_decode.h). Written by hand rather than taken from a library because
 * they must decode hostile input as far as it goes, report what was wrong
 * and stop at a caller's output ceiling. */
#include <string.h>

#include "mime/mime_decode.h"

/* base64 alphabet: value + 1; B64_WS whitespace; B64_PAD '='; 0 junk */
#define B64_WS	0x80
#define B64_PAD	0x81

static const uint8_t b64_tab[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x40,
	0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x00, 0x00, 0x00, 0x81, 0x00, 0x00,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
	0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00,
};

struct b64_state {
	uint32_t	 acc;		/* sextets of the quantum being read */
	unsigned	 n;		/* how many */
	unsigned	 pad_due;	/* '=' still expected after a short quantum */
	bool		 padded;	/* padding seen: the data has ended */
};

/* Writes the k high bytes of the 24-bit v; false when out is full. */
static bool
put_bytes(uint8_t *out, size_t cap, size_t *o, uint32_t v, unsigned k, unsigned *dflags)
{
	unsigned i;

	for (i = 0; i < k; i++) {
		if (*o >= cap) {
			*dflags |= MIME_DEC_FULL;
			return false;
		}
		out[(*o)++] = (uint8_t)(v >> (16 - 8 * i));
	}
	return true;
}

/* Ends a short quantum (2 or 3 sextets): its bytes, and how many '=' a
 * well-formed input would have. */
static bool
b64_flush(struct b64_state *s, uint8_t *out, size_t cap, size_t *o, unsigned *dflags)
{
	bool ok = true;

	if (s->n == 1)
		*dflags |= MIME_DEC_BAD;	/* 6 bits cannot make a byte */
	else if (s->n > 1)
		ok = put_bytes(out, cap, o, s->acc << (6 * (4 - s->n)), s->n - 1, dflags);
	s->pad_due = s->n > 1 ? 4 - s->n : 0;
	s->n = 0;
	s->acc = 0;
	return ok;
}

size_t
mime_base64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, unsigned *dflags)
{
	struct b64_state s = { 0, 0, 0, false };
	size_t i = 0, o = 0;
	uint8_t c;

	while (i < len) {
		if (s.n == 0 && !s.padded && len - i >= 4 && cap - o >= 3) {
			uint8_t t0 = b64_tab[in[i]] - 1, t1 = b64_tab[in[i + 1]] - 1;
			uint8_t t2 = b64_tab[in[i + 2]] - 1, t3 = b64_tab[in[i + 3]] - 1;

			if ((t0 | t1 | t2 | t3) < 64) {
				uint32_t v = (uint32_t)t0 << 18 | (uint32_t)t1 << 12 |
				    (uint32_t)t2 << 6 | t3;
				out[o++] = (uint8_t)(v >> 16);
				out[o++] = (uint8_t)(v >> 8);
				out[o++] = (uint8_t)v;
				i += 4;
				continue;
			}
		}
		c = b64_tab[in[i++]];
		if (c == B64_WS)
			continue;
		if (c == B64_PAD) {
			if (s.n >= 2) {
				if (!b64_flush(&s, out, cap, &o, dflags))
					return o;
				s.pad_due--;
				s.padded = true;
			} else if (s.padded && s.pad_due > 0) {
				s.pad_due--;
			} else {		/* a stray '=' (and a lone sextet) */
				*dflags |= MIME_DEC_BAD;
				s.n = 0;
				s.acc = 0;
			}
			continue;
		}
		if (c == 0) {
			*dflags |= MIME_DEC_BAD;
			continue;
		}
		/* padding ends the data (RFC 2045 6.8): what follows is junk,
		 * often a mailing list footer appended to the encoded body */
		if (s.padded) {
			*dflags |= MIME_DEC_BAD;
			return o;
		}
		s.acc = s.acc << 6 | (uint32_t)(c - 1);
		if (++s.n == 4) {
			if (!put_bytes(out, cap, &o, s.acc, 3, dflags))
				return o;
			s.n = 0;
			s.acc = 0;
		}
	}
	if (s.n > 0) {
		b64_flush(&s, out, cap, &o, dflags);
		*dflags |= MIME_DEC_BAD;	/* missing padding or a lone sextet */
	} else if (s.pad_due > 0) {
		*dflags |= MIME_DEC_BAD;
	}
	return o;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of the soft line break starting at in[i] == '=' (the '=', blanks
 * and the line end), or 0 when it is not one. */
static size_t
qp_soft_break(const uint8_t *in, size_t len, size_t i)
{
	size_t j = i + 1;

	while (j < len && (in[j] == ' ' || in[j] == '\t'))
		j++;
	if (j == len)
		return j - i;
	if (in[j] == '\n')
		return j + 1 - i;
	if (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n')
		return j + 2 - i;
	return 0;
}

size_t
mime_qp_decode(const uint8_t *in, size_t len, bool q_word, uint8_t *out, size_t cap,
    unsigned *dflags)
{
	size_t i = 0, o = 0, keep = 0, n;
	uint8_t c;
	int hi, lo;

	while (i < len) {
		if (o >= cap) {
			*dflags |= MIME_DEC_FULL;
			return o;
		}
		c = in[i];
		if (c == '=') {
			if (i + 2 < len && (hi = hexval(in[i + 1])) >= 0 &&
			    (lo = hexval(in[i + 2])) >= 0) {
				out[o++] = (uint8_t)(hi << 4 | lo);
				keep = o;
				i += 3;
				continue;
			}
			if (!q_word && (n = qp_soft_break(in, len, i)) > 0) {
				keep = o;
				i += n;
				continue;
			}
			*dflags |= MIME_DEC_BAD;
			out[o++] = c;
			keep = o;
			i++;
			continue;
		}
		if (!q_word && (c == '\n' || (c == '\r' && i + 1 < len && in[i + 1] == '\n'))) {
			o = keep;		/* blanks at a line end are padding */
			n = c == '\r' ? 2 : 1;
			if (cap - o < n) {
				*dflags |= MIME_DEC_FULL;
				return o;
			}
			memcpy(out + o, in + i, n);
			o += n;
			keep = o;
			i += n;
			continue;
		}
		if (q_word && c == '_')
			c = ' ';
		out[o++] = c;
		if (q_word || (c != ' ' && c != '\t'))
			keep = o;
		i++;
	}
	return q_word ? o : keep;
}

/* End of the line starting at i (index of '\n' or len). */
static size_t
line_end(const uint8_t *p, size_t len, size_t i)
{
	const uint8_t *nl = memchr(p + i, '\n', len - i);

	return nl ? (size_t)(nl - p) : len;
}

/* Line [i, e) without a trailing CR and blanks. */
static size_t
trim_end(const uint8_t *p, size_t i, size_t e)
{
	while (e > i && (p[e - 1] == '\r' || p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	return e;
}

/* Line [i, e) without a trailing CR (a space is uuencode data). */
static size_t
trim_cr(const uint8_t *p, size_t i, size_t e)
{
	return e > i && p[e - 1] == '\r' ? e - 1 : e;
}

/* A uuencoded line: a length character and encoded characters, all in the
 * printable range uuencode uses, and about as long as announced. */
static bool
uu_line_ok(const uint8_t *p, size_t i, size_t e)
{
	size_t n, k, want;

	e = trim_cr(p, i, e);
	if (e <= i || p[i] < 32 || p[i] > 96)
		return false;
	for (k = i; k < e; k++)
		if (p[k] < 32 || p[k] > 96)
			return false;
	n = (size_t)(p[i] - 32) & 63;
	want = (n + 2) / 3 * 4;
	return e - i - 1 + 2 >= want && e - i - 1 <= want + 2;
}

/* "begin MODE NAME": parses the line [i, e) into b. */
static bool
uu_begin_line(const uint8_t *p, size_t i, size_t e, struct mime_uu_block *b)
{
	size_t k = i + 6, digits = 0;

	e = trim_end(p, i, e);
	while (k < e && p[k] >= '0' && p[k] <= '7') {
		k++;
		digits++;
	}
	if (digits < 3 || digits > 4 || k >= e || p[k] != ' ')
		return false;
	while (k < e && p[k] == ' ')
		k++;
	if (k == e)
		return false;
	b->start = i;
	b->name_off = k;
	b->name_len = e - k;
	return true;
}

/* Reads the encoded lines after the begin line up to "end", a line that
 * is not uuencode, or the end of the text. False when there is no data. */
static bool
uu_body(const uint8_t *p, size_t len, size_t i, struct mime_uu_block *b)
{
	size_t e, t;

	b->data = i;
	b->terminated = false;
	while (i < len) {
		e = line_end(p, len, i);
		t = trim_end(p, i, e);
		if (t - i == 3 && memcmp(p + i, "end", 3) == 0) {
			b->data_end = i;
			b->end = e < len ? e + 1 : len;
			b->terminated = true;
			return b->data_end > b->data;
		}
		if (!uu_line_ok(p, i, e))
			break;
		i = e < len ? e + 1 : len;
	}
	b->data_end = b->end = i;
	return b->data_end > b->data;
}

bool
mime_uu_find(const uint8_t *text, size_t len, size_t from, struct mime_uu_block *b)
{
	const uint8_t *hit;
	size_t i, e;

	while (from < len && (hit = memmem(text + from, len - from, "begin ", 6)) != NULL) {
		i = (size_t)(hit - text);
		e = line_end(text, len, i);
		from = e < len ? e + 1 : len;
		if (i > 0 && text[i - 1] != '\n')
			continue;
		if (uu_begin_line(text, i, e, b) && uu_body(text, len, from, b))
			return true;
	}
	return false;
}

size_t
mime_uu_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, unsigned *dflags)
{
	size_t i = 0, o = 0, e, t, k, n, got;
	uint32_t v;
	unsigned j;

	while (i < len) {
		e = line_end(in, len, i);
		t = trim_cr(in, i, e);
		if (t > i) {
			n = (size_t)(in[i] - 32) & 63;
			for (k = i + 1, got = 0; got < n && k < t; k += 4) {
				v = 0;
				for (j = 0; j < 4; j++)
					v = v << 6 | ((k + j < t ? (uint32_t)in[k + j] - 32 : 0) & 63);
				if (k + 4 > t)
					*dflags |= MIME_DEC_BAD;
				for (j = 0; j < 3 && got < n; j++, got++) {
					if (o >= cap) {
						*dflags |= MIME_DEC_FULL;
						return o;
					}
					out[o++] = (uint8_t)(v >> (16 - 8 * j));
				}
			}
			if (got < n)
				*dflags |= MIME_DEC_BAD;
		}
		i = e < len ? e + 1 : len;
	}
	return o;
}
