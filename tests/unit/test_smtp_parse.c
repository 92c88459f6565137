/* SMTP command and address parsing: every command, its parameters and the
 * malformed forms clients send, as tables of input and the parse rendered
 * as text, so that a failure shows what was got and what was wanted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "smtp/smtp_parse.h"

#define L(s)	s, sizeof(s) - 1

#define A10	"aaaaaaaaaa"
#define A60	A10 A10 A10 A10 A10 A10
#define LABEL63	A60 "bbb"

static void put(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends formatted text to the NUL-terminated buf. */
static void
put(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* Appends s, escaping bytes outside printable ASCII as \xNN. */
static void
put_slice(char *buf, size_t cap, struct mg_slice s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.ptr[i] >= 0x20 && s.ptr[i] < 0x7f)
			put(buf, cap, "%c", s.ptr[i]);
		else
			put(buf, cap, "\\x%02x", s.ptr[i]);
	}
}

static const char *
err_name(int rc)
{
	switch (-rc) {
	case SMTP_PERR_UNKNOWN_CMD:	return "ERR_UNKNOWN";
	case SMTP_PERR_SYNTAX:		return "ERR_SYNTAX";
	case SMTP_PERR_BAD_PATH:	return "ERR_BAD_PATH";
	case SMTP_PERR_BAD_PARAM:	return "ERR_BAD_PARAM";
	case SMTP_PERR_NUL:		return "ERR_NUL";
	default:			return "ERR_OTHER";
	}
}

/* "[local|domain]" or "[]" for <>; checks the slices agree. */
static void
put_path(char *buf, size_t cap, const struct smtp_path *p)
{
	if (p->null) {
		put(buf, cap, "[]");
		return;
	}
	if (p->domain.len > 0 && (p->mailbox.ptr != p->local.ptr ||
	    p->domain.ptr != p->local.ptr + p->local.len + 1 ||
	    p->mailbox.len != p->local.len + 1 + p->domain.len))
		put(buf, cap, "INCONSISTENT");
	put(buf, cap, "[");
	put_slice(buf, cap, p->local);
	put(buf, cap, "|");
	put_slice(buf, cap, p->domain);
	put(buf, cap, "]%s", p->utf8 ? " utf8" : "");
}

static void
render_cmd(int rc, const struct smtp_cmd *c, char *buf, size_t cap)
{
	static const char *types[] = { "?", "HELO", "EHLO", "MAIL", "RCPT", "DATA",
	    "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS",
	    "AUTH" };
	static const char *bodies[] = { "", "7BIT", "8BITMIME", "BINARYMIME" };
	static const char *rets[] = { "", "FULL", "HDRS" };

	buf[0] = '\0';
	if (rc < 0) {
		put(buf, cap, "%s", err_name(rc));
		return;
	}
	put(buf, cap, "%s", types[c->type]);
	if (c->arg.len > 0) {
		put(buf, cap, " arg=");
		put_slice(buf, cap, c->arg);
	}
	if (c->type == SMTP_CMD_MAIL || c->type == SMTP_CMD_RCPT) {
		put(buf, cap, " path=");
		put_path(buf, cap, &c->path);
	}
	if (c->size_given)
		put(buf, cap, " size=%llu", (unsigned long long)c->size);
	if (c->body != SMTP_BODY_UNSET)
		put(buf, cap, " body=%s", bodies[c->body]);
	if (c->smtputf8)
		put(buf, cap, " smtputf8");
	if (c->ret != SMTP_RET_UNSET)
		put(buf, cap, " ret=%s", rets[c->ret]);
	if (c->envid.len > 0) {
		put(buf, cap, " envid=");
		put_slice(buf, cap, c->envid);
	}
	if (c->notify)
		put(buf, cap, " notify=%s%s%s%s",
		    c->notify & SMTP_NOTIFY_NEVER ? "N" : "",
		    c->notify & SMTP_NOTIFY_SUCCESS ? "S" : "",
		    c->notify & SMTP_NOTIFY_FAILURE ? "F" : "",
		    c->notify & SMTP_NOTIFY_DELAY ? "D" : "");
	if (c->orcpt.len > 0) {
		put(buf, cap, " orcpt=");
		put_slice(buf, cap, c->orcpt);
	}
	if (c->type == SMTP_CMD_BDAT)
		put(buf, cap, " chunk=%llu%s", (unsigned long long)c->chunk_size,
		    c->last ? " last" : "");
}

static const struct cmd_case {
	const char	*line;
	size_t		 len;
	bool		 utf8_ok;
	const char	*want;
} cmd_cases[] = {
	/* HELO / EHLO */
	{ L("HELO example.com"), false, "HELO arg=example.com" },
	{ L("helo example.com"), false, "HELO arg=example.com" },
	{ L("EHLO mail.example.org"), false, "EHLO arg=mail.example.org" },
	{ L("eHlO [192.0.2.1]"), false, "EHLO arg=[192.0.2.1]" },
	{ L("EHLO [IPv6:2001:db8::1]"), false, "EHLO arg=[IPv6:2001:db8::1]" },
	{ L("EHLO [ipv6:::1]"), false, "EHLO arg=[ipv6:::1]" },
	{ L("EHLO [IPv6:::ffff:192.0.2.1]"), false, "EHLO arg=[IPv6:::ffff:192.0.2.1]" },
	{ L("EHLO DESKTOP_ABC-12"), false, "EHLO arg=DESKTOP_ABC-12" },
	{ L("EHLO localhost"), false, "EHLO arg=localhost" },
	{ L("EHLO 192.0.2.1"), false, "EHLO arg=192.0.2.1" },
	{ L("EHLO  example.com  "), false, "EHLO arg=example.com" },
	{ L("EHLO x." LABEL63), false, "EHLO arg=x." LABEL63 },
	{ L("EHLO x." LABEL63 "c"), false, "ERR_SYNTAX" },
	{ L("EHLO"), false, "ERR_SYNTAX" },
	{ L("EHLO "), false, "ERR_SYNTAX" },
	{ L("EHLO foo bar"), false, "ERR_SYNTAX" },
	{ L("EHLO -foo.example"), false, "ERR_SYNTAX" },
	{ L("EHLO foo-.example"), false, "ERR_SYNTAX" },
	{ L("EHLO foo..example"), false, "ERR_SYNTAX" },
	{ L("EHLO foo.example."), false, "ERR_SYNTAX" },
	{ L("EHLO .example"), false, "ERR_SYNTAX" },
	{ L("EHLO [300.1.1.1]"), false, "ERR_SYNTAX" },
	{ L("EHLO [1.2.3]"), false, "ERR_SYNTAX" },
	{ L("EHLO [IPv6:1.2.3.4]"), false, "ERR_SYNTAX" },
	{ L("EHLO [IPv6:gggg::1]"), false, "ERR_SYNTAX" },
	{ L("EHLO [1.2.3.4"), false, "ERR_SYNTAX" },
	{ L("EHLO [1.2.3.4]x"), false, "ERR_SYNTAX" },
	{ L("EHLO [x-tag:foo]"), false, "ERR_SYNTAX" },
	{ L("EHLO []"), false, "ERR_SYNTAX" },
	{ L("EHLO [IPv6:]"), false, "ERR_SYNTAX" },
	{ L("EHLO ex@mple.com"), false, "ERR_SYNTAX" },
	{ L("EHLO b\xc3\xbc" "cher.example"), true, "ERR_SYNTAX" },
	{ L("EHLO\texample.com"), false, "ERR_UNKNOWN" },
	{ L("HELO"), false, "ERR_SYNTAX" },

	/* MAIL: path forms */
	{ L("MAIL FROM:<a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("mail from:<a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<>"), false, "MAIL path=[]" },
	{ L("MAIL FROM: <a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:  <a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<a@b.example>   "), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<A.B@C.Example>"), false, "MAIL path=[A.B|C.Example]" },
	{ L("MAIL FROM:<@relay.example:a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<@r1.example,@r2.example:a@b.example>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<\"john doe\"@b.example>"), false, "MAIL path=[\"john doe\"|b.example]" },
	{ L("MAIL FROM:<a@[192.0.2.1]>"), false, "MAIL path=[a|[192.0.2.1]]" },
	{ L("MAIL FROM:<a@[IPv6:2001:db8::1]>"), false, "MAIL path=[a|[IPv6:2001:db8::1]]" },
	{ L("MAIL FROM:a@b.example"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM: a@b.example"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:"), false, "ERR_SYNTAX" },
	{ L("MAIL FROM: "), false, "ERR_SYNTAX" },
	{ L("MAIL FROM"), false, "ERR_SYNTAX" },
	{ L("MAIL"), false, "ERR_SYNTAX" },
	{ L("MAIL TO:<a@b.example>"), false, "ERR_SYNTAX" },
	{ L("MAIL FROM :<a@b.example>"), false, "ERR_SYNTAX" },
	{ L("MAILFROM:<a@b.example>"), false, "ERR_UNKNOWN" },
	{ L("MAIL FROM:<a@b.example"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<a@b.example>x"), false, "ERR_SYNTAX" },
	{ L("MAIL FROM:<a@b.example>>"), false, "ERR_SYNTAX" },
	{ L("MAIL FROM:<a b@c.example>"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<<>>"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<a>"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<@r1.example a@b.example>"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<a@b_c.example>"), false, "ERR_BAD_PATH" },

	/* MAIL: parameters */
	{ L("MAIL FROM:<a@b.example> SIZE=1000"), false, "MAIL path=[a|b.example] size=1000" },
	{ L("MAIL FROM:<> size=0"), false, "MAIL path=[] size=0" },
	{ L("MAIL FROM:<a@b.example> SIZE=18446744073709551615"), false,
	  "MAIL path=[a|b.example] size=18446744073709551615" },
	{ L("MAIL FROM:<a@b.example> SIZE=18446744073709551616"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE="), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=12a"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=-1"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=+1"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=10 SIZE=10"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=10 size=11"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> BODY=7BIT"), false, "MAIL path=[a|b.example] body=7BIT" },
	{ L("MAIL FROM:<a@b.example> BODY=8BITMIME"), false, "MAIL path=[a|b.example] body=8BITMIME" },
	{ L("MAIL FROM:<a@b.example> body=8bitmime"), false, "MAIL path=[a|b.example] body=8BITMIME" },
	{ L("MAIL FROM:<a@b.example> BODY=BINARYMIME"), false, "MAIL path=[a|b.example] body=BINARYMIME" },
	{ L("MAIL FROM:<a@b.example> BODY=9BIT"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> BODY"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> BODY=7BIT BODY=8BITMIME"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SMTPUTF8"), false, "MAIL path=[a|b.example] smtputf8" },
	{ L("MAIL FROM:<a@b.example> smtputf8"), true, "MAIL path=[a|b.example] smtputf8" },
	{ L("MAIL FROM:<a@b.example> SMTPUTF8=yes"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> RET=FULL"), false, "MAIL path=[a|b.example] ret=FULL" },
	{ L("MAIL FROM:<a@b.example> ret=hdrs"), false, "MAIL path=[a|b.example] ret=HDRS" },
	{ L("MAIL FROM:<a@b.example> RET=NONE"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> RET"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> ENVID=QQ314159"), false, "MAIL path=[a|b.example] envid=QQ314159" },
	{ L("MAIL FROM:<a@b.example> ENVID=a+2Bb"), false, "MAIL path=[a|b.example] envid=a+2Bb" },
	{ L("MAIL FROM:<a@b.example> ENVID=a+2bb"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> ENVID=a+2"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> ENVID=+0D"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> ENVID"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> ENVID=" A60 A10 A10 A10 A10), false,
	  "MAIL path=[a|b.example] envid=" A60 A10 A10 A10 A10 },
	{ L("MAIL FROM:<a@b.example> ENVID=" A60 A10 A10 A10 A10 "a"), false,
	  "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> AUTH=<>"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com"), false, "MAIL path=[a|b.example]" },
	{ L("MAIL FROM:<a@b.example> AUTH"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> AUTH=a+zz"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> XFOO=bar"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> NOTIFY=NEVER"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> =x"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> -X=1"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=1=2"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> SIZE=10\tBODY=7BIT"), false, "ERR_BAD_PARAM" },
	{ L("MAIL FROM:<a@b.example> BODY=8BITMIME  SIZE=10"), false,
	  "MAIL path=[a|b.example] size=10 body=8BITMIME" },
	{ L("MAIL FROM:<a@b.example> SIZE=5 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>"), false,
	  "MAIL path=[a|b.example] size=5 body=8BITMIME smtputf8 ret=HDRS envid=x" },

	/* MAIL: SMTPUTF8 */
	{ L("MAIL FROM:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a> SMTPUTF8"),
	  true, "MAIL path=[\\xe7\\x94\\xa8\\xe6\\x88\\xb7|\\xe4\\xbe\\x8b\\xe5\\xad\\x90.\\xe5\\xb9\\xbf\\xe5\\x91\\x8a] utf8 smtputf8" },
	{ L("MAIL FROM:<\xe7\x94\xa8@b.example>"), true, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<\xe7\x94\xa8@b.example> SMTPUTF8"), false, "ERR_BAD_PATH" },
	{ L("MAIL FROM:<a@b\xc3\xbc" "cher.example> SMTPUTF8"), true,
	  "MAIL path=[a|b\\xc3\\xbccher.example] utf8 smtputf8" },
	{ L("MAIL FROM:<a\xc0\xaf@b.example> SMTPUTF8"), true, "ERR_BAD_PATH" },

	/* RCPT */
	{ L("RCPT TO:<b@c.example>"), false, "RCPT path=[b|c.example]" },
	{ L("rcpt to:<b@c.example>"), false, "RCPT path=[b|c.example]" },
	{ L("RCPT TO: <b@c.example>"), false, "RCPT path=[b|c.example]" },
	{ L("RCPT TO:<postmaster>"), false, "RCPT path=[postmaster|]" },
	{ L("RCPT TO:<Postmaster>"), false, "RCPT path=[Postmaster|]" },
	{ L("RCPT TO:<POSTMASTER> NOTIFY=NEVER"), false, "RCPT path=[POSTMASTER|] notify=N" },
	{ L("RCPT TO:<postmaster@c.example>"), false, "RCPT path=[postmaster|c.example]" },
	{ L("RCPT TO:<postmasterx>"), false, "ERR_BAD_PATH" },
	{ L("RCPT TO:<postmaster>x"), false, "ERR_SYNTAX" },
	{ L("RCPT TO:<>"), false, "ERR_BAD_PATH" },
	{ L("RCPT TO:b@c.example"), false, "ERR_BAD_PATH" },
	{ L("RCPT TO:"), false, "ERR_SYNTAX" },
	{ L("RCPT TO"), false, "ERR_SYNTAX" },
	{ L("RCPT"), false, "ERR_SYNTAX" },
	{ L("RCPT FROM:<b@c.example>"), false, "ERR_SYNTAX" },
	{ L("RCPT TO:<@hop.example:b@c.example>"), false, "RCPT path=[b|c.example]" },
	{ L("RCPT TO:<b@c.example> NOTIFY=NEVER"), false, "RCPT path=[b|c.example] notify=N" },
	{ L("RCPT TO:<b@c.example> NOTIFY=SUCCESS,FAILURE,DELAY"), false,
	  "RCPT path=[b|c.example] notify=SFD" },
	{ L("RCPT TO:<b@c.example> notify=success,delay"), false, "RCPT path=[b|c.example] notify=SD" },
	{ L("RCPT TO:<b@c.example> NOTIFY=FAILURE"), false, "RCPT path=[b|c.example] notify=F" },
	{ L("RCPT TO:<b@c.example> NOTIFY=NEVER,SUCCESS"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY=DELAY,NEVER"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY="), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY=SUCCESS,"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY=,SUCCESS"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY=SOMETIMES"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> NOTIFY=NEVER NOTIFY=NEVER"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> ORCPT=rfc822;b@c.example"), false,
	  "RCPT path=[b|c.example] orcpt=rfc822;b@c.example" },
	{ L("RCPT TO:<b@c.example> ORCPT=rfc822;b+2Bx@c.example NOTIFY=FAILURE,DELAY"), false,
	  "RCPT path=[b|c.example] notify=FD orcpt=rfc822;b+2Bx@c.example" },
	{ L("RCPT TO:<b@c.example> ORCPT=rfc822;"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> ORCPT=;b@c.example"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> ORCPT=rfc822"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> ORCPT=rfc822;a+zz"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> ORCPT=rf(c;a"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> SIZE=10"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<b@c.example> BODY=8BITMIME"), false, "ERR_BAD_PARAM" },
	{ L("RCPT TO:<\xc3\xbc@c.example>"), true, "RCPT path=[\\xc3\\xbc|c.example] utf8" },
	{ L("RCPT TO:<\xc3\xbc@c.example>"), false, "ERR_BAD_PATH" },
	{ L("RCPT TO:<b@c.example> "), false, "RCPT path=[b|c.example]" },

	/* commands without an argument */
	{ L("DATA"), false, "DATA" },
	{ L("data"), false, "DATA" },
	{ L("DATA "), false, "DATA" },
	{ L("DATA x"), false, "ERR_SYNTAX" },
	{ L("RSET"), false, "RSET" },
	{ L("RSET x"), false, "ERR_SYNTAX" },
	{ L("QUIT"), false, "QUIT" },
	{ L("Quit"), false, "QUIT" },
	{ L("QUIT now"), false, "ERR_SYNTAX" },
	{ L("STARTTLS"), false, "STARTTLS" },
	{ L("starttls"), false, "STARTTLS" },
	{ L("STARTTLS x"), false, "ERR_SYNTAX" },

	/* optional and required arguments */
	{ L("NOOP"), false, "NOOP" },
	{ L("NOOP hello there"), false, "NOOP arg=hello there" },
	{ L("HELP"), false, "HELP" },
	{ L("help MAIL"), false, "HELP arg=MAIL" },
	{ L("VRFY"), false, "ERR_SYNTAX" },
	{ L("VRFY user"), false, "VRFY arg=user" },
	{ L("VRFY <user@b.example>"), false, "VRFY arg=<user@b.example>" },
	{ L("EXPN list"), false, "EXPN arg=list" },
	{ L("EXPN"), false, "ERR_SYNTAX" },
	{ L("AUTH PLAIN dGVzdA=="), false, "AUTH arg=PLAIN dGVzdA==" },
	{ L("AUTH"), false, "ERR_SYNTAX" },

	/* BDAT */
	{ L("BDAT 1000"), false, "BDAT chunk=1000" },
	{ L("BDAT 0 LAST"), false, "BDAT chunk=0 last" },
	{ L("bdat 5 last"), false, "BDAT chunk=5 last" },
	{ L("BDAT 10  LAST"), false, "BDAT chunk=10 last" },
	{ L("BDAT 9223372036854775807"), false, "BDAT chunk=9223372036854775807" },
	{ L("BDAT 9223372036854775808"), false, "ERR_SYNTAX" },
	{ L("BDAT 99999999999999999999"), false, "ERR_SYNTAX" },
	{ L("BDAT"), false, "ERR_SYNTAX" },
	{ L("BDAT x"), false, "ERR_SYNTAX" },
	{ L("BDAT -1"), false, "ERR_SYNTAX" },
	{ L("BDAT 1e3"), false, "ERR_SYNTAX" },
	{ L("BDAT 10 FIRST"), false, "ERR_SYNTAX" },
	{ L("BDAT 10 LAST x"), false, "ERR_SYNTAX" },
	{ L("BDAT LAST"), false, "ERR_SYNTAX" },

	/* unknown commands */
	{ L(""), false, "ERR_UNKNOWN" },
	{ L("   "), false, "ERR_UNKNOWN" },
	{ L("FOO"), false, "ERR_UNKNOWN" },
	{ L("DAT"), false, "ERR_UNKNOWN" },
	{ L("DATAX"), false, "ERR_UNKNOWN" },
	{ L("STARTTL"), false, "ERR_UNKNOWN" },
	{ L(" DATA"), false, "ERR_UNKNOWN" },
	{ L("GET / HTTP/1.1"), false, "ERR_UNKNOWN" },
	{ L("\xff\xfe"), false, "ERR_UNKNOWN" },

	/* NUL, CR and LF inside the line */
	{ L("DATA\0"), false, "ERR_NUL" },
	{ L("\0"), false, "ERR_NUL" },
	{ L("MAIL FROM:<a@b.example>\r"), false, "ERR_NUL" },
	{ L("NOOP a\rb"), false, "ERR_NUL" },
	{ L("NOOP a\nb"), false, "ERR_NUL" },
	{ L("RCPT TO:<a\0@b.example>"), false, "ERR_NUL" },
	{ L("XYZZY\0"), false, "ERR_NUL" },
};

static void
test_commands(void **state)
{
	struct smtp_cmd cmd;
	char got[1024];
	size_t i, failed = 0;
	int rc;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];

		rc = smtp_parse_command((const uint8_t *)c->line, c->len, c->utf8_ok, &cmd);
		render_cmd(rc, &cmd, got, sizeof(got));
		if (strcmp(got, c->want) != 0) {
			print_message("command case %zu \"%s\": got \"%s\", want \"%s\"\n",
			    i, c->line, got, c->want);
			failed++;
		}
	}
	print_message("%zu command cases\n", i);
	if (failed)
		fail_msg("%zu of %zu command cases failed", failed, i);
}

static const struct path_case {
	const char	*in;
	size_t		 len;
	bool		 allow_null;
	bool		 utf8_ok;
	const char	*want;		/* "[local|domain] end=N" */
} path_cases[] = {
	{ L("<a@b>"), false, false, "[a|b] end=5" },
	{ L("<a@b> SIZE=1"), false, false, "[a|b] end=5" },
	{ L("<a@b>>"), false, false, "[a|b] end=5" },
	{ L("<>"), true, false, "[] end=2" },
	{ L("<> BODY=7BIT"), true, false, "[] end=2" },
	{ L("<>"), false, false, "ERR_BAD_PATH" },
	{ L(""), true, false, "ERR_BAD_PATH" },
	{ L("<"), true, false, "ERR_BAD_PATH" },
	{ L(">"), true, false, "ERR_BAD_PATH" },
	{ L("a@b"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b "), false, false, "ERR_BAD_PATH" },
	{ L("<a>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@>"), false, false, "ERR_BAD_PATH" },
	{ L("<@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("< a@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b >"), false, false, "ERR_BAD_PATH" },
	/* source routes */
	{ L("<@a:b@c>"), false, false, "[b|c] end=8" },
	{ L("<@a.example,@b.example:c@d>"), false, false, "[c|d] end=27" },
	{ L("<@a,b:c@d>"), false, false, "ERR_BAD_PATH" },
	{ L("<@a:>"), false, false, "ERR_BAD_PATH" },
	{ L("<@:a@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<@a,:b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<@[1.2.3.4]:a@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<@\xc3\xbc.example:a@b>"), false, true, "ERR_BAD_PATH" },
	/* dot-string local parts */
	{ L("<first.last@b>"), false, false, "[first.last|b] end=14" },
	{ L("<a!#$%&'*+-/=?^_`{|}~@b>"), false, false, "[a!#$%&'*+-/=?^_`{|}~|b] end=24" },
	{ L("<.a@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a.@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a..b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a(b)@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a,b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a:b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a[b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a\\b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a\"b\"@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a\0@b>"), false, false, "ERR_BAD_PATH" },
	/* quoted local parts */
	{ L("<\"a b\"@c>"), false, false, "[\"a b\"|c] end=9" },
	{ L("<\"\"@c>"), false, false, "[\"\"|c] end=6" },
	{ L("<\"a\\\"b\"@c>"), false, false, "[\"a\\\"b\"|c] end=10" },
	{ L("<\"a\\\\b\"@c>"), false, false, "[\"a\\\\b\"|c] end=10" },
	{ L("<\"a@b\"@c>"), false, false, "[\"a@b\"|c] end=9" },
	{ L("<\"a>b\"@c>"), false, false, "[\"a>b\"|c] end=9" },
	{ L("<\"a\"b@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"ab@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"a\\\x01\"@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"a\x01\"@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"a\x7f\"@c>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"a\\"), false, false, "ERR_BAD_PATH" },
	/* domains */
	{ L("<a@b.c-d.e>"), false, false, "[a|b.c-d.e] end=11" },
	{ L("<a@-b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b->"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b_c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b..c>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@.b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b.>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[1.2.3.4]>"), false, false, "[a|[1.2.3.4]] end=13" },
	{ L("<a@[IPv6:::1]>"), false, false, "[a|[IPv6:::1]] end=14" },
	{ L("<a@[1.2.3.256]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[01.2.3.4]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[IPv6:1::2::3]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[tag:x]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[1.2.3.4>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[1.2.3.4]x>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[1.2.3.4\0x]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[ 1.2.3.4]>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@[1.2.3.4> x]"), false, false, "ERR_BAD_PATH" },
	/* SMTPUTF8 */
	{ L("<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>"), false, true,
	  "[\\xe7\\x94\\xa8\\xe6\\x88\\xb7|\\xe4\\xbe\\x8b\\xe5\\xad\\x90.\\xe5\\xb9\\xbf\\xe5\\x91\\x8a] utf8 end=22" },
	{ L("<\xe7\x94\xa8@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<a@b\xc3\xbc>"), false, true, "[a|b\\xc3\\xbc] utf8 end=7" },
	{ L("<a@b\xc3\xbc>"), false, false, "ERR_BAD_PATH" },
	{ L("<\"\xc3\xbc x\"@b>"), false, true, "[\"\\xc3\\xbc x\"|b] utf8 end=10" },
	{ L("<\"\xc3\xbc x\"@b>"), false, false, "ERR_BAD_PATH" },
	{ L("<\xf0\x9f\x98\x80@b>"), false, true, "[\\xf0\\x9f\\x98\\x80|b] utf8 end=8" },
	{ L("<\xc0\xaf@b>"), false, true, "ERR_BAD_PATH" },		/* overlong */
	{ L("<\xe0\x80\xaf@b>"), false, true, "ERR_BAD_PATH" },	/* overlong */
	{ L("<a\xed\xa0\x80@b>"), false, true, "ERR_BAD_PATH" },	/* surrogate */
	{ L("<a\xf4\x90\x80\x80@b>"), false, true, "ERR_BAD_PATH" },	/* > U+10FFFF */
	{ L("<a\xe4\xbd@b>"), false, true, "ERR_BAD_PATH" },		/* truncated */
	{ L("<\x80@b>"), false, true, "ERR_BAD_PATH" },		/* lone continuation */
	{ L("<a@b\xff>"), false, true, "ERR_BAD_PATH" },
	{ L("<a\xc3"), false, true, "ERR_BAD_PATH" },
};

static void
render_path(int rc, const struct smtp_path *p, size_t end, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (rc < 0) {
		put(buf, cap, "%s", err_name(rc));
		return;
	}
	put_path(buf, cap, p);
	put(buf, cap, " end=%zu", end);
}

static void
test_paths(void **state)
{
	struct smtp_path path;
	char got[512];
	size_t i, end, failed = 0;
	int rc;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];

		end = 0;
		rc = smtp_parse_path((const uint8_t *)c->in, c->len, c->allow_null,
		    c->utf8_ok, &path, &end);
		render_path(rc, &path, end, got, sizeof(got));
		if (strcmp(got, c->want) != 0) {
			print_message("path case %zu \"%s\": got \"%s\", want \"%s\"\n",
			    i, c->in, got, c->want);
			failed++;
		}
	}
	print_message("%zu path cases\n", i);
	if (failed)
		fail_msg("%zu of %zu path cases failed", failed, i);
}

/* Length limits: local part 64, path 256 with brackets, label 63, domain
 * 255 (reachable only in EHLO, since a path stops at 256). */
static const struct len_case {
	char		 kind;		/* 'p': <L@D> path, 'q': quoted local, 'h': EHLO */
	size_t		 local, domain;
	int		 want;
} len_cases[] = {
	{ 'p', 64, 10, 0 },
	{ 'p', 65, 10, -SMTP_PERR_BAD_PATH },
	{ 'q', 64, 10, 0 },
	{ 'q', 65, 10, -SMTP_PERR_BAD_PATH },
	{ 'p', 64, 189, 0 },		/* 1 + 64 + 1 + 189 + 1 = 256 */
	{ 'p', 64, 190, -SMTP_PERR_BAD_PATH },
	{ 'p', 1, 252, 0 },
	{ 'p', 1, 253, -SMTP_PERR_BAD_PATH },
	{ 'h', 0, 255, 0 },
	{ 'h', 0, 256, -SMTP_PERR_SYNTAX },
};

/* Fills n bytes with a domain of labels of at most 51 bytes. */
static void
fill_domain(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (i % 51 == 50 && i + 1 < n) ? '.' : 'a';
}

static void
test_lengths(void **state)
{
	char line[1024];
	struct smtp_path path;
	struct smtp_cmd cmd;
	size_t i, n, end;
	int rc;

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		const struct len_case *c = &len_cases[i];

		if (c->kind == 'h') {
			n = (size_t)snprintf(line, sizeof(line), "EHLO ");
			fill_domain(line + n, c->domain);
			rc = smtp_parse_command((const uint8_t *)line, n + c->domain,
			    false, &cmd);
		} else {
			n = 0;
			line[n++] = '<';
			if (c->kind == 'q') {
				line[n++] = '"';
				memset(line + n, 'x', c->local - 2);
				n += c->local - 2;
				line[n++] = '"';
			} else {
				memset(line + n, 'x', c->local);
				n += c->local;
			}
			line[n++] = '@';
			fill_domain(line + n, c->domain);
			n += c->domain;
			line[n++] = '>';
			rc = smtp_parse_path((const uint8_t *)line, n, false, false,
			    &path, &end);
		}
		if (rc != c->want)
			fail_msg("length case %zu (%c local=%zu domain=%zu): got %d, want %d",
			    i, c->kind, c->local, c->domain, rc, c->want);
	}
}

static const struct xtext_case {
	const char	*in;
	size_t		 len;
	int		 want;
	const char	*out;
} xtext_cases[] = {
	{ L(""), 0, "" },
	{ L("abc"), 0, "abc" },
	{ L("a+2Bb"), 0, "a+b" },
	{ L("+3D"), 0, "=" },
	{ L("~!+2B+3D"), 0, "~!+=" },
	{ L("rfc822;a+2Bb@c.example"), 0, "rfc822;a+b@c.example" },
	{ L("+C3+A9"), 0, "\xc3\xa9" },
	{ L("a+2bb"), -MG_EPROTO, NULL },
	{ L("a+2"), -MG_EPROTO, NULL },
	{ L("+"), -MG_EPROTO, NULL },
	{ L("+G0"), -MG_EPROTO, NULL },
	{ L("a b"), -MG_EPROTO, NULL },
	{ L("a=b"), -MG_EPROTO, NULL },
	{ L("a\x80"), -MG_EPROTO, NULL },
	{ L("a\0"), -MG_EPROTO, NULL },
	{ L("+0A"), -MG_EPROTO, NULL },
	{ L("+00"), -MG_EPROTO, NULL },
	{ L("+7F"), -MG_EPROTO, NULL },
};

static void
test_xtext(void **state)
{
	struct mg_buf out;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(xtext_cases) / sizeof(xtext_cases[0]); i++) {
		const struct xtext_case *c = &xtext_cases[i];

		mg_buf_init(&out, 1024);
		rc = smtp_xtext_decode(mg_slice_make(c->in, c->len), &out);
		if (rc != c->want)
			fail_msg("xtext case %zu \"%s\": got %d, want %d", i, c->in, rc, c->want);
		if (rc == 0 && (out.len != strlen(c->out) ||
		    (out.len > 0 && memcmp(out.data, c->out, out.len) != 0)))
			fail_msg("xtext case %zu \"%s\": got \"%.*s\", want \"%s\"", i,
			    c->in, (int)out.len, (const char *)out.data, c->out);
		mg_buf_release(&out);
	}
	/* the output buffer's ceiling is respected */
	mg_buf_init(&out, 2);
	rc = smtp_xtext_decode(mg_slice_make("abc", 3), &out);
	mg_buf_release(&out);
	if (rc != -MG_ELIMIT)
		fail_msg("xtext into a 2-byte buffer: got %d, want %d", rc, -MG_ELIMIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_xtext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
