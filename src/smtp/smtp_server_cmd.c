/* SMTP commands: reading bounded command lines, the RFC 5321 state
 * machine with its ESMTP extensions, the per-session limits and every
 * reply (docs/smtpd.md lists them). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "core/log.h"
#include "smtp/smtp_server_int.h"

#define R_LOCAL_ERROR	"451 4.3.0 Local error in processing"
#define R_NEED_HELO	"503 5.5.1 Error: send HELO/EHLO first"
#define R_NEED_MAIL	"503 5.5.1 Error: need MAIL command"
#define R_NEED_RCPT	"503 5.5.1 Error: need RCPT command"
#define R_NO_RCPT	"554 5.5.1 Error: no valid recipients"

typedef void	(*cmd_handler)(struct smtp_session *, const struct smtp_cmd *);

void
smtp__greet(struct smtp_session *s)
{
	smtp__replyf(s, "220 %s ESMTP mailgate", s->cfg->hostname);
}

void
smtp__tx_free(struct smtp_session *s)
{
	if (s->tx == NULL)
		return;
	mg_buf_release(&s->tx->stage);
	free(s->tx);
	s->tx = NULL;
}

void
smtp__tx_reset(struct smtp_session *s)
{
	if (s->tx == NULL)
		return;
	s->ops->on_reset(s);
	smtp__tx_free(s);
}

static void
ehlo_reply(struct smtp_session *s)
{
	char buf[768];

	snprintf(buf, sizeof(buf),
	    "250-%s\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE %" PRIu64 "\r\n"
	    "250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-CHUNKING\r\n"
	    "250-DSN\r\n"
	    "%s%s"
	    "250 HELP",
	    s->cfg->hostname, s->cfg->limits->max_message_size,
	    s->cfg->tls != NULL && s->info.tls == NULL ? "250-STARTTLS\r\n" : "",
	    smtp__auth_ehlo(s));
	smtp__reply(s, buf);
}

/* HELO and EHLO: a fresh start (RFC 5321 4.1.4), any transaction ends. */
static void
cmd_hello(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	char *helo;

	if ((helo = strndup((const char *)cmd->arg.ptr, cmd->arg.len)) == NULL) {
		smtp__refuse(s, "helo", NULL, R_LOCAL_ERROR, false);
		return;
	}
	smtp__tx_reset(s);
	free(s->info.helo);
	s->info.helo = helo;
	s->info.esmtp = cmd->type == SMTP_CMD_EHLO;
	if (s->info.esmtp)
		ehlo_reply(s);
	else
		smtp__replyf(s, "250 %s", s->cfg->hostname);
}

static void
cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const struct conf_limits *lim = s->cfg->limits;
	const char *why = NULL;

	if (s->info.helo == NULL)
		why = R_NEED_HELO;
	else if (s->cfg->tls_required && s->info.tls == NULL)
		why = "530 5.7.0 Must issue a STARTTLS command first";
	else if (s->tx != NULL)
		why = "503 5.5.1 Error: nested MAIL command";
	else if ((why = smtp__auth_mail_refusal(s)) != NULL)
		;
	else if (cmd->size_given && cmd->size > lim->max_message_size)
		why = "552 5.3.4 Message size exceeds fixed limit";
	else if (cmd->body == SMTP_BODY_BINARYMIME)
		why = "555 5.5.4 BODY=BINARYMIME is not supported";
	if (why == NULL && s->nmessages >= lim->max_messages) {
		log_info("%016" PRIx64 " smtp limit name=max_messages value=%u",
		    s->info.id, lim->max_messages);
		smtp__close(s, "421 4.7.0 Too many messages in this session, closing connection");
		return;
	}
	if (why == NULL && (s->tx = calloc(1, sizeof(*s->tx))) == NULL)
		why = R_LOCAL_ERROR;
	if (why == NULL) {
		s->tx->smtputf8 = cmd->smtputf8;
		if ((why = s->ops->on_mail(s, cmd)) != NULL)
			smtp__tx_free(s);	/* never began: no on_reset */
	}
	if (why != NULL)
		smtp__refuse(s, "mail", &cmd->path.mailbox, why, true);
	else
		smtp__reply(s, "250 2.1.0 Ok");
}

/* The backend looks the recipient up: nothing is read until it answers
 * (smtp_session_reply), and the wait does not count as the client's. */
static void
rcpt_wait(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	char what[256];

	smtp_printable(cmd->path.mailbox, what, sizeof(what));
	s->wait_rcpt = strdup(what);
	s->rcpt_later = true;
	s->phase = SMTP_PH_BACKEND;
	smtp__set_timeout(s, 0);
}

static void
cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx *tx = s->tx;
	const char *why = NULL;

	if (tx == NULL) {
		smtp__refuse(s, "rcpt", &cmd->path.mailbox, R_NEED_MAIL, true);
		return;
	}
	if (tx->nrcpt >= s->cfg->limits->max_recipients) {
		/* RFC 5321 4.5.3.1.10: the client sends the rest later; not an error */
		smtp__refuse(s, "rcpt", &cmd->path.mailbox, "452 4.5.3 Too many recipients", false);
		return;
	}
	if (tx->bdat)
		why = "503 5.5.1 Error: RCPT after BDAT";
	else if (cmd->path.utf8 && !tx->smtputf8)
		why = "553 5.6.7 Non-ASCII recipient requires SMTPUTF8";
	else
		why = s->ops->on_rcpt(s, cmd);
	if (why == smtp_reply_later) {
		rcpt_wait(s, cmd);
		return;
	}
	if (why != NULL) {
		tx->nrcpt_refused++;
		smtp__refuse(s, "rcpt", &cmd->path.mailbox, why, true);
		return;
	}
	tx->nrcpt++;
	smtp__reply(s, "250 2.1.5 Ok");
}

/* Why a transaction cannot take content now, or NULL. */
static const char *
content_refusal(const struct smtp_session *s)
{
	if (s->tx == NULL)
		return R_NEED_MAIL;
	if (s->tx->nrcpt == 0)
		return s->tx->nrcpt_refused > 0 ? R_NO_RCPT : R_NEED_RCPT;
	return NULL;
}

static void
cmd_data(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *why = content_refusal(s);

	if (why == NULL && s->tx->bdat)
		why = "503 5.5.1 Error: DATA after BDAT";
	if (why != NULL) {
		smtp__refuse(s, "data", NULL, why, true);
		return;
	}
	if ((why = s->ops->on_data_begin(s)) != NULL) {
		smtp__tx_reset(s);
		smtp__refuse(s, "data", NULL, why, true);
		return;
	}
	smtp__data_begin(s, true);
	s->phase = SMTP_PH_DATA;
	smtp__set_timeout(s, s->cfg->limits->data_timeout);
	smtp__reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* BDAT (RFC 3030): the chunk's bytes are always read, even when the
 * command is refused, so that they are never taken for commands. A
 * refusal is sent at once; the order of replies is the same. */
static void
cmd_bdat(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *why = content_refusal(s);

	s->chunk_size = s->chunk_left = cmd->chunk_size;
	s->chunk_last = cmd->last;
	s->chunk_discard = false;
	s->phase = SMTP_PH_BDAT;
	smtp__set_timeout(s, s->cfg->limits->data_timeout);
	if (why == NULL && !s->tx->bdat) {
		if ((why = s->ops->on_data_begin(s)) != NULL) {
			smtp__tx_reset(s);
		} else {
			smtp__data_begin(s, false);
			s->tx->bdat = true;
		}
	}
	if (why != NULL) {
		s->chunk_discard = true;
		smtp__refuse(s, "bdat", NULL, why, true);
	}
}

static void
cmd_rset(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__tx_reset(s);
	smtp__reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__close(s, "221 2.0.0 Bye");
}

static void
cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__reply(s, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_expn(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__refuse(s, "cmd", NULL, "502 5.5.1 EXPN not available", true);
}

static void
cmd_help(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp__reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP"
	    " QUIT VRFY HELP STARTTLS AUTH");
}

static void
cmd_starttls(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (s->cfg->tls == NULL) {
		smtp__refuse(s, "cmd", NULL, "502 5.5.1 STARTTLS not available", true);
		return;
	}
	if (s->info.tls != NULL) {
		smtp__refuse(s, "cmd", NULL, "503 5.5.1 Error: TLS already active", true);
		return;
	}
	smtp__tx_reset(s);
	smtp__auth_forget(s);
	smtp__reply(s, "220 2.0.0 Ready to start TLS");
	s->phase = SMTP_PH_TLS_WAIT;	/* the handshake starts once it is written */
}

static const cmd_handler handlers[] = {
	[SMTP_CMD_HELO] = cmd_hello,	[SMTP_CMD_EHLO] = cmd_hello,
	[SMTP_CMD_MAIL] = cmd_mail,	[SMTP_CMD_RCPT] = cmd_rcpt,
	[SMTP_CMD_DATA] = cmd_data,	[SMTP_CMD_BDAT] = cmd_bdat,
	[SMTP_CMD_RSET] = cmd_rset,	[SMTP_CMD_NOOP] = cmd_noop,
	[SMTP_CMD_QUIT] = cmd_quit,	[SMTP_CMD_VRFY] = cmd_vrfy,
	[SMTP_CMD_EXPN] = cmd_expn,	[SMTP_CMD_HELP] = cmd_help,
	[SMTP_CMD_STARTTLS] = cmd_starttls, [SMTP_CMD_AUTH] = smtp__auth,
};

static void
parse_error(struct smtp_session *s, const struct smtp_cmd *cmd, int rc)
{
	const char *stage = cmd->type == SMTP_CMD_MAIL ? "mail" :
	    cmd->type == SMTP_CMD_RCPT ? "rcpt" : "cmd";
	const char *line;

	switch (-rc) {
	case SMTP_PERR_UNKNOWN_CMD:
		line = "500 5.5.1 Command unrecognized";
		break;
	case SMTP_PERR_BAD_PATH:
		line = cmd->type == SMTP_CMD_MAIL ? "501 5.1.7 Bad sender address syntax" :
		    "501 5.1.3 Bad recipient address syntax";
		break;
	case SMTP_PERR_BAD_PARAM:
		line = "555 5.5.4 Unsupported or malformed parameter";
		break;
	case SMTP_PERR_NUL:
		line = "500 5.5.2 Invalid character in command";
		break;
	default:
		line = "501 5.5.4 Syntax error in parameters or arguments";
		break;
	}
	smtp__refuse(s, stage, NULL, line, true);
}

/* max_idle_commands (RSET, NOOP, HELP and VRFY together) and each one's
 * own ceiling (max_each, in that order). */
static bool
idle_exceeded(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	static const struct {
		enum smtp_cmd_type type;
		const char	*name;
	} idle[] = { { SMTP_CMD_RSET, "max_rset" }, { SMTP_CMD_NOOP, "max_noop" },
		{ SMTP_CMD_HELP, "max_help" }, { SMTP_CMD_VRFY, "max_vrfy" } };
	uint32_t max = s->cfg->max_idle_commands, each;
	size_t k = 0;

	while (k < sizeof(idle) / sizeof(idle[0]) && idle[k].type != cmd->type)
		k++;
	if (k == sizeof(idle) / sizeof(idle[0]))
		return false;
	each = s->cfg->max_each != NULL ? s->cfg->max_each[k] : 0;
	if (each != 0 && ++s->nidle_each[k] > each) {
		log_info("%016" PRIx64 " smtp limit name=%s value=%u", s->info.id, idle[k].name,
		    each);
		return true;
	}
	if (max == 0 || ++s->nidle <= max)
		return false;
	log_info("%016" PRIx64 " smtp limit name=max_idle_commands value=%u", s->info.id, max);
	return true;
}

/* pending: input follows the line, so the client did not wait for this
 * reply; without PIPELINING offered (EHLO answered) that is refused under
 * strict_pipelining. */
static void
command(struct smtp_session *s, const uint8_t *line, size_t len, bool pending)
{
	const struct conf_limits *lim = s->cfg->limits;
	struct smtp_cmd cmd;
	int rc;

	if (++s->ncommands > lim->max_commands) {
		log_info("%016" PRIx64 " smtp limit name=max_commands value=%u",
		    s->info.id, lim->max_commands);
		smtp__close(s, "421 4.7.0 Too many commands, closing connection");
		return;
	}
	if (pending && !s->info.esmtp && s->cfg->strict_pipelining) {
		smtp__abuse(s, SMTP_ABUSE_PIPELINING, "554 5.5.1 Pipelining not offered");
		return;
	}
	rc = smtp_parse_command(line, len, true, &cmd);
	if (s->draining && s->tx == NULL && !(rc == 0 && cmd.type == SMTP_CMD_QUIT)) {
		smtp__close(s, "421 4.3.2 Service shutting down");
		return;
	}
	if (rc < 0)
		parse_error(s, &cmd, rc);
	else if (idle_exceeded(s, &cmd))
		smtp__abuse(s, SMTP_ABUSE_IDLE,
		    "421 4.7.0 Too many RSET/NOOP/HELP/VRFY commands, closing connection");
	else
		handlers[cmd.type](s, &cmd);
}

/* Also ends an AUTH exchange: its response is refused with the line. */
static void
line_too_long(struct smtp_session *s)
{
	s->ncommands++;
	s->auth_step = SMTP_AUTH_IDLE;
	smtp__refuse(s, "cmd", NULL, "500 5.5.2 Line too long", true);
}

/* Reads one line of at most max_line_length bytes (CRLF or LF ends it);
 * a longer one is refused and discarded up to its end, never parsed. */
bool
smtp__read_command(struct smtp_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t avail = evbuffer_get_length(in), max = s->cfg->limits->max_line_length;
	size_t eol_len = 0, total;
	struct evbuffer_ptr eol;
	const uint8_t *line;

	if (avail == 0)
		return false;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1) {
		evbuffer_drain(in, s->discard_line ? avail : 0);
		if (s->discard_line || avail <= max + 1)
			return false;
		evbuffer_drain(in, avail);
		s->discard_line = true;
		line_too_long(s);
		return true;
	}
	total = (size_t)eol.pos + eol_len;
	if (s->discard_line || (size_t)eol.pos > max) {
		evbuffer_drain(in, total);
		if (!s->discard_line)
			line_too_long(s);
		s->discard_line = false;
		return true;
	}
	if ((line = evbuffer_pullup(in, (ev_ssize_t)total)) == NULL) {
		smtp__close(s, "421 4.3.0 Local error in processing, closing connection");
		return false;
	}
	if (s->auth_step != SMTP_AUTH_IDLE)
		smtp__auth_line(s, line, (size_t)eol.pos);
	else
		command(s, line, (size_t)eol.pos, avail > total);
	evbuffer_drain(in, total);
	return true;
}
