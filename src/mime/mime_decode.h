/* Content-Transfer-Encoding decoders (base64, quoted-printable, uuencode)
 * for bodies and RFC 2047 words. Pure functions on caller-supplied buffers:
 * they never allocate, never read past len, never write past cap, and
 * decode everything they can, reporting junk instead of refusing it. */
#ifndef MG_MIME_MIME_DECODE_H
#define MG_MIME_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a decoder met (the dflags out-parameter, or-ed in). */
enum mime_dec_flag {
	MIME_DEC_BAD	= 1u << 0,	/* junk bytes, bad length, padding or escapes */
	MIME_DEC_FULL	= 1u << 1,	/* output reached cap before the input ended */
};

/* Output never exceeds this for len input bytes (every decoder here). */
#define MIME_DEC_MAXOUT(len)	((len) / 4 * 3 + 3)
/* Quoted-printable never grows its input. */
#define MIME_QP_MAXOUT(len)	(len)

/* Base64 (RFC 2045 6.8): whitespace and line breaks skipped; other bytes
 * outside the alphabet skipped and flagged; padding ends the data (data
 * after it is flagged, not decoded); a partial last quantum decoded and
 * flagged. Returns the bytes written to out. */
size_t	mime_base64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
	    unsigned *dflags);

/* Quoted-printable (RFC 2045 6.7): =XX (either case), soft line breaks
 * ("=" then optional blanks then LF or CRLF), literal blanks at the end of
 * a line dropped. A bad escape is copied literally and flagged. With
 * q_word, RFC 2047 "Q": "_" is a space and line breaks are not special. */
size_t	mime_qp_decode(const uint8_t *in, size_t len, bool q_word, uint8_t *out,
	    size_t cap, unsigned *dflags);

/* One uuencoded block found in a text: the "begin MODE NAME" line, the
 * encoded lines, and the "end" line (absent when the text ends first). */
struct mime_uu_block {
	size_t		 start;		/* offset of "begin" */
	size_t		 data;		/* offset of the first encoded line */
	size_t		 data_end;	/* offset after the last encoded line */
	size_t		 end;		/* offset after the "end" line (or len) */
	size_t		 name_off, name_len;	/* file name on the begin line */
	bool		 terminated;	/* an "end" line was found */
};

/* Finds the first block starting at a line beginning at or after from;
 * false when there is none. Linear in len - from. */
bool	mime_uu_find(const uint8_t *text, size_t len, size_t from,
	    struct mime_uu_block *);

/* Decodes the encoded lines in[0..len) (one block's data..data_end). Lines
 * whose length character disagrees with their size are decoded as far as
 * they go and flagged. */
size_t	mime_uu_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
	    unsigned *dflags);

#endif
