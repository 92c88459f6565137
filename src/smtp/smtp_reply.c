/* Reply parsing for the SMTP delivery client: accumulates the lines of one
 * reply within fixed bounds, checks their codes agree, and reads the
 * enhanced status code and EHLO keywords. */
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "smtp/smtp_reply.h"

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->status[0] = '\0';
	r->text[0] = '\0';
	r->text_len = 0;
	r->lines = 0;
	r->done = false;
}

/* 1 to 3 digits at p; returns how many, or 0. */
static size_t
digits13(const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && n < 4 && p[n] >= '0' && p[n] <= '9')
		n++;
	return n <= 3 ? n : 0;
}

/* RFC 3463 class.subject.detail at the start of the text, followed by SP
 * or the end; its class must be the reply code's first digit (RFC 2034). */
static void
parse_status(struct smtp_reply *r, const uint8_t *p, size_t len)
{
	size_t i = 2, n;

	if (len < 5 || r->code / 100 == 3 || p[0] != '0' + r->code / 100 ||
	    p[1] != '.')
		return;
	if ((n = digits13(p + i, len - i)) == 0 || (i += n) >= len || p[i] != '.')
		return;
	i++;
	if ((n = digits13(p + i, len - i)) == 0)
		return;
	i += n;
	if (i < len && p[i] != ' ')
		return;
	memcpy(r->status, p, i);
	r->status[i] = '\0';
}

int
smtp_reply_feed(struct smtp_reply *r, const uint8_t *line, size_t len)
{
	const uint8_t *text = line + 4;
	size_t tlen = len > 4 ? len - 4 : 0, sep = r->lines > 0, i;
	int code;

	if (r->done)
		return -MG_EINVAL;
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (len > 3 && line[3] != '-' && line[3] != ' '))
		return -MG_EPROTO;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code)
		return -MG_EPROTO;
	if (r->lines == SMTP_REPLY_MAX_LINES ||
	    tlen + sep > SMTP_REPLY_MAX_TEXT - r->text_len)
		return -MG_ELIMIT;
	if (r->lines == 0) {
		r->code = code;
		parse_status(r, text, tlen);
	}
	if (sep)
		r->text[r->text_len++] = '\n';
	for (i = 0; i < tlen; i++)
		r->text[r->text_len++] = text[i] < 0x20 || text[i] == 0x7f ?
		    '?' : (char)text[i];
	r->text[r->text_len] = '\0';
	r->lines++;
	r->done = len == 3 || line[3] == ' ';
	return r->done ? 1 : 0;
}

/* SIZE's argument; a missing or malformed number means no limit, an
 * overlong one saturates. */
static uint64_t
ehlo_size(struct mg_slice arg)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < arg.len; i++) {
		if (arg.ptr[i] < '0' || arg.ptr[i] > '9')
			return 0;
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (arg.ptr[i] - '0');
	}
	return v;
}

/* AUTH's mechanisms, separated by spaces. */
static unsigned
ehlo_auth(struct mg_slice arg)
{
	unsigned mech = 0;
	size_t i = 0, start;

	while (i < arg.len) {
		struct mg_slice m;

		for (start = i; i < arg.len && arg.ptr[i] != ' '; i++)
			;
		m = mg_slice_make(arg.ptr + start, i - start);
		if (mg_slice_eq_nocase(m, "PLAIN"))
			mech |= SMTP_AUTH_PLAIN;
		else if (mg_slice_eq_nocase(m, "LOGIN"))
			mech |= SMTP_AUTH_LOGIN;
		i++;
	}
	return mech;
}

/* One EHLO line: keyword, then SP (or '=' in the pre-RFC "AUTH=" form)
 * and arguments. */
static void
ehlo_line(struct smtp_ehlo *e, struct mg_slice line)
{
	static const struct {
		const char	*name;
		unsigned	 ext;
	} kws[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING }, { "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME }, { "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "CHUNKING", SMTP_EXT_CHUNKING }, { "STARTTLS", SMTP_EXT_STARTTLS },
		{ "DSN", SMTP_EXT_DSN },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "AUTH", SMTP_EXT_AUTH },
	};
	struct mg_slice kw, arg;
	size_t i, k;

	for (i = 0; i < line.len && line.ptr[i] != ' ' && line.ptr[i] != '='; i++)
		;
	kw = mg_slice_make(line.ptr, i);
	arg = i < line.len ? mg_slice_make(line.ptr + i + 1, line.len - i - 1) :
	    mg_slice_make(line.ptr + i, 0);
	for (k = 0; k < sizeof(kws) / sizeof(kws[0]); k++) {
		if (!mg_slice_eq_nocase(kw, kws[k].name))
			continue;
		e->ext |= kws[k].ext;
		if (kws[k].ext == SMTP_EXT_SIZE)
			e->size = ehlo_size(arg);
		else if (kws[k].ext == SMTP_EXT_AUTH)
			e->auth |= ehlo_auth(arg);
		return;
	}
}

int
smtp_reply_ehlo(const struct smtp_reply *r, struct smtp_ehlo *e)
{
	const uint8_t *p = (const uint8_t *)r->text, *end = p + r->text_len, *nl;

	memset(e, 0, sizeof(*e));
	if (!r->done || r->code != 250)
		return -MG_EPROTO;
	/* the first line is the server's name and greeting */
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
		ehlo_line(e, mg_slice_make(p, (size_t)((nl ? nl : end) - p)));
	}
	return 0;
}
