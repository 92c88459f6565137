/* The delivery client's reply parser: multi-line SMTP replies (RFC 5321
 * 4.2) fed one line at a time, the enhanced status code (RFC 3463, 2034)
 * and the EHLO keywords the client acts on. Bounded: 64 lines, 4 KiB. */
#ifndef MG_SMTP_REPLY_H
#define MG_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_REPLY_MAX_LINES	64
#define SMTP_REPLY_MAX_TEXT	4096

struct smtp_reply {
	int		 code;		/* 200..599; 0 before the first line */
	char		 status[12];	/* enhanced status "5.1.1" of line 1, or "" */
	/* Each line's text after "NNN-"/"NNN ", joined with '\n' and
	 * NUL-terminated; control characters are replaced by '?'. */
	char		 text[SMTP_REPLY_MAX_TEXT + 1];
	size_t		 text_len;
	unsigned	 lines;
	bool		 done;		/* the last line ("NNN text") was fed */
};

void	smtp_reply_reset(struct smtp_reply *);

/* Feeds one reply line without its CRLF. Returns 1 when the reply is
 * complete, 0 when more lines follow, -MG_EPROTO for a malformed line or a
 * code that differs from the first line's, -MG_ELIMIT past the limits,
 * -MG_EINVAL when the reply was already complete (reset it first). */
int	smtp_reply_feed(struct smtp_reply *, const uint8_t *line, size_t len);

/* EHLO extensions (smtp_ehlo.ext) and AUTH mechanisms (smtp_ehlo.auth) */
#define SMTP_EXT_PIPELINING	0x001u
#define SMTP_EXT_SIZE		0x002u
#define SMTP_EXT_8BITMIME	0x004u
#define SMTP_EXT_SMTPUTF8	0x008u
#define SMTP_EXT_CHUNKING	0x010u
#define SMTP_EXT_STARTTLS	0x020u
#define SMTP_EXT_DSN		0x040u
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x080u
#define SMTP_EXT_AUTH		0x100u

#define SMTP_AUTH_PLAIN		0x1u
#define SMTP_AUTH_LOGIN		0x2u

struct smtp_ehlo {
	unsigned	 ext;		/* SMTP_EXT_* */
	uint64_t	 size;		/* SIZE limit; 0 = none given (no limit) */
	unsigned	 auth;		/* SMTP_AUTH_* */
};

/* Reads the keywords of a complete 250 reply to EHLO (the first line, the
 * server's name, is skipped). Returns 0 or -MG_EPROTO. */
int	smtp_reply_ehlo(const struct smtp_reply *, struct smtp_ehlo *);

#endif
