/* The DATA/BDAT content filter: a streaming state machine that finds
 * <CRLF>.<CRLF>, removes dot-stuffing, normalises bare LF, flags bare CR
 * and gathers the facts the session needs (8-bit, NUL, long lines,
 * Message-ID, size). Policy and reasons: docs/smtp-protocol.md. */
#include <string.h>

#include "core/err.h"
#include "smtp/smtp_data.h"

enum data_state {
	DS_BOL,		/* line start after CRLF, or the start of the data */
	DS_BOL_LF,	/* line start after a bare LF: never the end marker */
	DS_DOT,		/* DS_BOL then '.': the dot is removed */
	DS_DOT_CR,	/* DS_BOL "." CR: an LF now ends the data */
	DS_TEXT,	/* inside a line */
	DS_CR,		/* after a CR inside a line (already written out) */
	DS_END,		/* end marker consumed */
};

/* hdr_name_len value once the current line's field name is decided */
#define HDR_DONE	(sizeof(((struct smtp_data *)0)->hdr_name) + 1)

/* Where the next CR and LF are in the current input, found with memchr
 * and reused until passed, so that scanning stays linear whatever mix of
 * CR and LF the input holds. */
struct data_scan {
	const uint8_t	*end;
	const uint8_t	*cr;
	const uint8_t	*lf;
};

void
smtp_data_begin(struct smtp_data *d, bool dot_mode, uint64_t max_size,
    uint32_t max_line)
{
	memset(d, 0, sizeof(*d));
	d->dot_mode = dot_mode;
	d->max_size = max_size;
	d->max_line = max_line;
	d->state = DS_BOL;
	d->in_header = true;
}

/* Appends output, truncating it for good at max_size (0: no ceiling). The
 * cut depends only on the output byte count, never on how input was split. */
static int
data_emit(struct smtp_data *d, struct mg_buf *out, const uint8_t *p, size_t n)
{
	int rc;

	if (d->max_size != 0 && n > d->max_size - d->size) {
		n = (size_t)(d->max_size - d->size);
		d->flags |= SMTP_DATA_OVERSIZE;
	}
	if (n == 0)
		return 0;
	if ((rc = mg_buf_append(out, p, n)) < 0)
		return rc;
	d->size += n;
	return 0;
}

static void
line_grow(struct smtp_data *d, size_t n)
{
	if (n > UINT32_MAX - d->line_len)
		d->line_len = UINT32_MAX;
	else
		d->line_len += (uint32_t)n;
	if (d->max_line != 0 && d->line_len > d->max_line)
		d->flags |= SMTP_DATA_LONG_LINE;
}

static void
line_end(struct smtp_data *d)
{
	if (d->line_len == 0)
		d->in_header = false;
	d->line_len = 0;
	d->hdr_name_len = 0;
}

static void
bare_cr(struct smtp_data *d)
{
	d->flags |= SMTP_DATA_BARE_CR;
	d->hdr_name_len = HDR_DONE;
	line_grow(d, 1);
}

/* Collects the start of a header line up to its ':' (at most 12 bytes) and
 * notes a Message-ID field; WSP before the colon is obsolete but allowed. */
static void
header_name(struct smtp_data *d, const uint8_t *p, size_t n)
{
	size_t i, len;

	for (i = 0; i < n && d->hdr_name_len < HDR_DONE; i++) {
		if (p[i] == ':') {
			len = d->hdr_name_len;
			while (len > 0 && (d->hdr_name[len - 1] == ' ' ||
			    d->hdr_name[len - 1] == '\t'))
				len--;
			if (mg_slice_eq_nocase(mg_slice_make(d->hdr_name, len), "Message-ID"))
				d->flags |= SMTP_DATA_HAS_MSGID;
			d->hdr_name_len = HDR_DONE;
		} else if (d->hdr_name_len == sizeof(d->hdr_name)) {
			d->hdr_name_len = HDR_DONE;
		} else {
			d->hdr_name[d->hdr_name_len++] = p[i];
		}
	}
}

/* Consumes line content up to the next CR or LF (or the end); returns
 * where it stopped. */
static const uint8_t *
text_run(struct smtp_data *d, const uint8_t *p, struct data_scan *sc)
{
	const uint8_t *stop;

	if ((sc->lf == NULL || sc->lf < p) &&
	    (sc->lf = memchr(p, '\n', (size_t)(sc->end - p))) == NULL)
		sc->lf = sc->end;
	if ((sc->cr == NULL || sc->cr < p) &&
	    (sc->cr = memchr(p, '\r', (size_t)(sc->end - p))) == NULL)
		sc->cr = sc->end;
	stop = sc->cr < sc->lf ? sc->cr : sc->lf;
	if (d->in_header && d->hdr_name_len < HDR_DONE)
		header_name(d, p, (size_t)(stop - p));
	line_grow(d, (size_t)(stop - p));
	return stop;
}

/* 8BIT and NUL over the consumed input: a loop compilers vectorise. */
static void
byte_flags(struct smtp_data *d, const uint8_t *p, size_t n)
{
	uint8_t any = 0, least = 0xff;
	size_t i;

	if ((d->flags & (SMTP_DATA_8BIT | SMTP_DATA_NUL)) ==
	    (SMTP_DATA_8BIT | SMTP_DATA_NUL))
		return;
	for (i = 0; i < n; i++) {
		any |= p[i];
		least = p[i] < least ? p[i] : least;
	}
	if (any & 0x80)
		d->flags |= SMTP_DATA_8BIT;
	if (n > 0 && least == 0)
		d->flags |= SMTP_DATA_NUL;
}

/* One step of the machine at *pp; output that differs from the input is
 * emitted here, verbatim input is left to the caller's span. Returns 1
 * at the end marker, 0 to go on, or a negative error. */
static int
data_step(struct smtp_data *d, const uint8_t **pp, const uint8_t **span,
    struct data_scan *sc, struct mg_buf *out)
{
	const uint8_t *p = *pp;
	int rc = 0;

	switch (d->state) {
	case DS_BOL:
	case DS_BOL_LF:
		if (d->dot_mode && *p == '.') {
			rc = data_emit(d, out, *span, (size_t)(p - *span));
			*span = ++p;
			d->state = d->state == DS_BOL ? DS_DOT : DS_TEXT;
		} else {
			d->state = DS_TEXT;
		}
		break;
	case DS_DOT:
		if (*p == '\r') {
			*span = ++p;	/* held back: part of the end marker? */
			d->state = DS_DOT_CR;
		} else {
			d->state = DS_TEXT;
		}
		break;
	case DS_DOT_CR:
		if (*p == '\n') {
			*span = ++p;
			d->state = DS_END;
			rc = 1;
			break;
		}
		rc = data_emit(d, out, (const uint8_t *)"\r", 1);
		bare_cr(d);
		d->state = DS_TEXT;
		break;
	case DS_TEXT:
		p = text_run(d, p, sc);
		if (p == sc->end)
			break;
		if (*p++ == '\r') {
			d->state = DS_CR;
			break;
		}
		/* bare LF: write CR, then the LF as part of the span */
		if ((rc = data_emit(d, out, *span, (size_t)(p - 1 - *span))) == 0)
			rc = data_emit(d, out, (const uint8_t *)"\r", 1);
		*span = p - 1;
		d->flags |= SMTP_DATA_BARE_LF;
		line_end(d);
		d->state = DS_BOL_LF;
		break;
	case DS_CR:
		if (*p == '\n') {
			p++;
			line_end(d);
			d->state = DS_BOL;
		} else {
			bare_cr(d);
			d->state = DS_TEXT;
		}
		break;
	default:
		return 1;
	}
	*pp = p;
	return rc;
}

long
smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
    struct mg_buf *out, bool *done)
{
	struct data_scan sc = { in + len, NULL, NULL };
	const uint8_t *p = in, *span = in;
	int rc = 0;

	*done = false;
	if (len == 0 || d->state == DS_END) {
		*done = d->state == DS_END;
		return 0;
	}
	while (p < sc.end && (rc = data_step(d, &p, &span, &sc, out)) == 0)
		;
	if (rc < 0 || (rc = data_emit(d, out, span, (size_t)(p - span))) < 0)
		return rc;
	*done = d->state == DS_END;
	byte_flags(d, in, (size_t)(p - in));
	return (long)(p - in);
}

int
smtp_data_finish(struct smtp_data *d, struct mg_buf *out)
{
	int rc = 0;

	if (d->state == DS_DOT_CR)
		rc = data_emit(d, out, (const uint8_t *)"\r", 1);
	if (d->state == DS_DOT_CR || d->state == DS_CR) {
		bare_cr(d);
		d->state = DS_TEXT;
	}
	return rc;
}
