/* The message-content filter between the SMTP wire and the spool: finds the
 * end of DATA, removes dot-stuffing, and makes content safe from SMTP
 * smuggling. Policy (docs/smtp-protocol.md): only <CRLF>.<CRLF> ends DATA; a bare LF
 * is normalised to CRLF; a bare CR makes the message refused (550 5.6.0)
 * after its real end. The same content rules apply to BDAT chunks (no dot
 * handling there). Streaming: bytes can arrive split anywhere. */
#ifndef MG_SMTP_DATA_H
#define MG_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SMTP_DATA_BARE_CR	0x1u	/* a CR not followed by LF was seen: refuse */
#define SMTP_DATA_BARE_LF	0x2u	/* a LF not preceded by CR was normalised */
#define SMTP_DATA_8BIT		0x4u	/* a byte >= 0x80 was seen */
#define SMTP_DATA_NUL		0x8u	/* a NUL byte was seen */
#define SMTP_DATA_LONG_LINE	0x10u	/* a line exceeded max_line */
#define SMTP_DATA_HAS_MSGID	0x20u	/* a Message-ID header field was seen */
#define SMTP_DATA_OVERSIZE	0x40u	/* output passed max_size; rest discarded */

struct smtp_data {
	bool		 dot_mode;	/* DATA: dot-stuffing and end marker */
	uint64_t	 max_size;	/* output ceiling; past it: OVERSIZE, discard */
	uint32_t	 max_line;	/* for LONG_LINE only (content is kept) */
	uint64_t	 size;		/* output bytes produced so far */
	unsigned	 flags;
	/* private state */
	int		 state;
	uint32_t	 line_len;
	bool		 in_header;
	uint8_t		 hdr_name[12];
	size_t		 hdr_name_len;
};

void	smtp_data_begin(struct smtp_data *, bool dot_mode, uint64_t max_size,
	    uint32_t max_line);

/* Consumes up to len input bytes, appending content to out. Returns the
 * number of bytes consumed; sets *done when the end-of-data marker was
 * consumed (dot_mode only; bytes after it are not consumed). Returns a
 * negative error only when out cannot grow. */
long	smtp_data_feed(struct smtp_data *, const uint8_t *in, size_t len,
	    struct mg_buf *out, bool *done);

/* BDAT LAST / end of input: flushes a pending CR (counted as bare). */
int	smtp_data_finish(struct smtp_data *, struct mg_buf *out);

#endif
