/* SMTP command parsing (RFC 5321, RFC 6531 SMTPUTF8, RFC 3461 DSN,
 * RFC 3030 CHUNKING, RFC 1870 SIZE): one command line in, a typed command
 * out. Pure functions over untrusted bytes; nothing is allocated, every
 * string in the result is a slice of the input line. */
#ifndef MG_SMTP_PARSE_H
#define MG_SMTP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

enum smtp_cmd_type {
	SMTP_CMD_HELO = 1, SMTP_CMD_EHLO, SMTP_CMD_MAIL, SMTP_CMD_RCPT,
	SMTP_CMD_DATA, SMTP_CMD_BDAT, SMTP_CMD_RSET, SMTP_CMD_NOOP,
	SMTP_CMD_QUIT, SMTP_CMD_VRFY, SMTP_CMD_EXPN, SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS, SMTP_CMD_AUTH,
};

enum smtp_body { SMTP_BODY_UNSET, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };
enum smtp_ret { SMTP_RET_UNSET, SMTP_RET_FULL, SMTP_RET_HDRS };

/* DSN NOTIFY= bits; 0 means the parameter was absent. */
#define SMTP_NOTIFY_NEVER	0x1u
#define SMTP_NOTIFY_SUCCESS	0x2u
#define SMTP_NOTIFY_FAILURE	0x4u
#define SMTP_NOTIFY_DELAY	0x8u

/* A parsed mailbox "local@domain"; both parts are slices of the line.
 * local keeps its quotes as written; null is the empty reverse path <>. */
struct smtp_path {
	struct mg_slice	 mailbox;	/* whole "local@domain" without < > */
	struct mg_slice	 local;
	struct mg_slice	 domain;
	bool		 null;
	bool		 utf8;		/* contains non-ASCII bytes */
};

struct smtp_cmd {
	enum smtp_cmd_type type;
	struct mg_slice	 arg;		/* HELO/EHLO domain, VRFY/HELP text, AUTH args */
	struct smtp_path path;		/* MAIL, RCPT */
	/* MAIL parameters */
	uint64_t	 size;		/* SIZE=, 0 when absent */
	bool		 size_given;
	enum smtp_body	 body;
	bool		 smtputf8;
	enum smtp_ret	 ret;
	struct mg_slice	 envid;		/* ENVID= xtext, undecoded; len 0 when absent */
	/* RCPT parameters */
	unsigned	 notify;
	struct mg_slice	 orcpt;		/* ORCPT= "rfc822;xtext", undecoded */
	/* BDAT */
	uint64_t	 chunk_size;
	bool		 last;
};

/* Why a line was refused; the server maps each to its reply. */
enum smtp_parse_err {
	SMTP_PERR_UNKNOWN_CMD = 1,	/* 500 5.5.1 */
	SMTP_PERR_SYNTAX,		/* 501 5.5.2 / 5.5.4 */
	SMTP_PERR_BAD_PATH,		/* 501 5.1.7 (MAIL) / 501 5.1.3 (RCPT) */
	SMTP_PERR_BAD_PARAM,		/* 555 5.5.4 unknown or malformed parameter */
	SMTP_PERR_NUL,			/* 500 5.5.2 NUL or bare CR in command */
};

/* Parses one command line (without its CRLF/LF). Returns 0 and fills cmd,
 * or a negative enum smtp_parse_err. utf8_ok allows UTF-8 in paths. */
int	smtp_parse_command(const uint8_t *line, size_t len, bool utf8_ok,
	    struct smtp_cmd *cmd);

/* Parses "<local@domain>" or "<>" (allow_null) with optional RFC 5321
 * source route, leaving *end at the first byte after '>'. Returns 0 or
 * -SMTP_PERR_BAD_PATH. Exposed for the address tests and fuzzer. */
int	smtp_parse_path(const uint8_t *p, size_t len, bool allow_null,
	    bool utf8_ok, struct smtp_path *out, size_t *end);

/* Decodes RFC 3461 xtext into out (bounded); 0 or negative error. */
int	smtp_xtext_decode(struct mg_slice in, struct mg_buf *out);

#endif
