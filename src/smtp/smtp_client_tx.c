/* SMTP delivery client, the transactions (see smtp_client.h): MAIL with
 * SIZE/BODY/SMTPUTF8/DSN parameters, RCPTs, DATA with dot-stuffing or BDAT,
 * pipelined when the server allows, the body streamed from the spool file
 * as the socket drains, and a result per recipient; probes stop at RSET. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "core/err.h"
#include "core/log.h"
#include "smtp/smtp_client_int.h"
#include "smtp/smtp_parse.h"

enum smtp_outcome
smtp_outcome_of(int code)
{
	if (code >= 200 && code < 300)
		return SMTP_OUT_OK;
	return code >= 500 && code < 600 ? SMTP_OUT_PERM : SMTP_OUT_TEMP;
}

size_t
smtp_dot_stuff(const uint8_t *in, size_t n, bool *bol, uint8_t *out)
{
	size_t o = 0, i = 0;

	while (i < n) {
		const uint8_t *nl;
		size_t seg;

		if (*bol && in[i] == '.')
			out[o++] = '.';
		nl = memchr(in + i, '\n', n - i);
		seg = nl ? (size_t)(nl - (in + i)) + 1 : n - i;
		memcpy(out + o, in + i, seg);
		o += seg;
		i += seg;
		*bol = nl != NULL;
	}
	return o;
}

int
smtp_xtext_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;
		bool plain = c >= '!' && c <= '~' && c != '+' && c != '=';
		if (o + (plain ? 1 : 3) >= outlen)
			return -MG_ELIMIT;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '+';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return -MG_ELIMIT;
	out[o] = '\0';
	return 0;
}

void
smtp_tx_clear_results(struct smtp_tx *tx)
{
	for (size_t i = 0; i < tx->nrcpts; i++) {
		free(tx->rcpts[i].reply);
		tx->rcpts[i].reply = NULL;
	}
}

static void
sc_set_reply(struct smtp_tx_rcpt *r, enum smtp_outcome o, const char *text, bool remote)
{
	free(r->reply);
	r->outcome = o;
	r->reply = strdup(text);	/* NULL on ENOMEM: the outcome still counts */
	r->remote = remote;
}

void
smtp_tx_fail(struct smtp_tx *tx, enum smtp_outcome o, const char *reply)
{
	for (size_t i = 0; i < tx->nrcpts; i++)
		if (tx->rcpts[i].reply == NULL)
			sc_set_reply(&tx->rcpts[i], o, reply, false);
}

void
smtpc__tx_finish(struct smtp_client *c)
{
	struct smtp_tx *tx = c->tx;

	c->tx = NULL;
	c->state = SC_READY;
	bufferevent_set_timeouts(c->bev, NULL, &c->reply_tv);
	c->cbs.done(c, tx, c->arg);
	if (c->state == SC_READY)
		c->cbs.ready(c, c->arg);
}

/* Ends a transaction that did not deliver a body: RSET first. */
static void
sc_tx_reset(struct smtp_client *c)
{
	smtpc__expect_reply(c, SC_RSET);
	smtpc__write(c, "RSET\r\n");
}

/* Applies a reply to every accepted recipient still without one. */
void
smtpc__tx_settle(struct smtp_client *c, const char *line)
{
	enum smtp_outcome o = smtp_outcome_of(c->reply.code);
	struct smtp_tx *tx = c->tx;

	for (size_t i = 0; i < tx->nrcpts; i++)
		if (tx->rcpts[i].reply == NULL)
			sc_set_reply(&tx->rcpts[i], o, line, true);
}

/* Reads the next body bytes into the socket's output until it holds
 * enough; called again from the write callback as it drains. */
void
smtpc__body_fill(struct smtp_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct smtp_tx *tx = c->tx;
	uint64_t hl = tx->headers_len;

	while (c->state == SC_BODY && evbuffer_get_length(out) < SC_BODY_LOWAT) {
		uint64_t left = c->body_total - c->body_off;
		size_t n = left < SC_CHUNK ? (size_t)left : SC_CHUNK;
		const uint8_t *src = c->chunk;

		if (c->body_off < hl) {
			src = (const uint8_t *)tx->headers + c->body_off;
			if (n > hl - c->body_off)
				n = (size_t)(hl - c->body_off);
		} else if (n > 0) {
			ssize_t r = pread(tx->data_fd, c->chunk, n, (off_t)(c->body_off - hl));
			if (r <= 0) {
				log_syserr("smtp_client read spool data relay=%s", c->relay);
				smtpc__close(c, -MG_EAGAIN, "cannot read the queued message");
				return;
			}
			n = (size_t)r;
		}
		if (c->data_sent) {	/* DATA: dot-stuffed */
			struct evbuffer_iovec v;
			if (n > 0 && evbuffer_reserve_space(out, (ev_ssize_t)(2 * n), &v, 1) < 1) {
				smtpc__close(c, -MG_EAGAIN, "out of memory");
				return;
			}
			if (n > 0) {
				v.iov_len = smtp_dot_stuff(src, n, &c->bol, v.iov_base);
				evbuffer_commit_space(out, &v, 1);
			}
		} else {
			evbuffer_add(out, src, n);
		}
		c->body_off += n;
		if (c->body_off == c->body_total) {
			if (c->data_sent)
				evbuffer_add_printf(out, "%s.\r\n", c->bol ? "" : "\r\n");
			c->state = SC_FINAL;
			smtp_reply_reset(&c->reply);
			bufferevent_set_timeouts(c->bev, &c->final_tv, &c->reply_tv);
		}
	}
}

static void
sc_body_start(struct smtp_client *c)
{
	struct smtp_tx *tx = c->tx;

	if (c->chunk == NULL && (c->chunk = malloc(SC_CHUNK)) == NULL) {
		smtpc__close(c, -MG_EAGAIN, "out of memory");
		return;
	}
	c->body_total = tx->headers_len + tx->data_len;
	c->body_off = 0;
	c->bol = true;
	c->body_started = true;
	if (!c->data_sent)
		smtpc__write(c, "BDAT %" PRIu64 " LAST\r\n", c->body_total);
	c->state = SC_BODY;
	bufferevent_set_timeouts(c->bev, NULL, &c->reply_tv);
	smtpc__body_fill(c);
}

static void
sc_send_rcpt(struct smtp_client *c, size_t i)
{
	const struct smtp_tx_rcpt *r = &c->tx->rcpts[i];
	char orcpt[1100] = "", param[1200] = "";

	if (c->ehlo.ext & SMTP_EXT_DSN) {
		size_t n = 0;
		if (r->notify & SMTP_NOTIFY_NEVER)
			n += (size_t)snprintf(param + n, sizeof(param) - n, " NOTIFY=NEVER");
		else if (r->notify)
			n += (size_t)snprintf(param + n, sizeof(param) - n, " NOTIFY=%s%s%s",
			    r->notify & SMTP_NOTIFY_SUCCESS ? "SUCCESS," : "",
			    r->notify & SMTP_NOTIFY_FAILURE ? "FAILURE," : "",
			    r->notify & SMTP_NOTIFY_DELAY ? "DELAY," : "");
		if (n > 0 && param[n - 1] == ',')
			param[--n] = '\0';
		if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL &&
		    smtp_xtext_encode(strchr(r->orcpt, ';') + 1, orcpt, sizeof(orcpt)) == 0)
			snprintf(param + n, sizeof(param) - n, " ORCPT=%.*s;%s",
			    (int)strcspn(r->orcpt, ";"), r->orcpt, orcpt);
	}
	smtpc__write(c, "RCPT TO:<%s>%s\r\n", r->addr, param);
	c->rcpt_sent++;
}

static void
sc_send_mail(struct smtp_client *c)
{
	const struct smtp_tx *tx = c->tx;
	unsigned ext = c->ehlo.ext;
	char envid[300] = "";

	if ((ext & SMTP_EXT_DSN) && tx->envid != NULL &&
	    smtp_xtext_encode(tx->envid, envid + 7, sizeof(envid) - 7) == 0)
		memcpy(envid, " ENVID=", 7);
	smtpc__write(c, "MAIL FROM:<%s>", tx->mail_from);
	if ((ext & SMTP_EXT_SIZE) && !tx->probe)
		smtpc__write(c, " SIZE=%" PRIu64, (uint64_t)tx->headers_len + tx->data_len);
	smtpc__write(c, "%s%s%s%s\r\n",
	    tx->eightbit && (ext & SMTP_EXT_8BITMIME) ? " BODY=8BITMIME" : "",
	    tx->smtputf8 ? " SMTPUTF8" : "",
	    (ext & SMTP_EXT_DSN) && tx->ret != ENV_RET_UNSET ?
	    (tx->ret == ENV_RET_FULL ? " RET=FULL" : " RET=HDRS") : "", envid);
}

/* Checks a transaction can go to this server at all; a reason if not. */
static bool
sc_tx_refused(struct smtp_client *c, char *why, size_t whylen)
{
	const struct smtp_tx *tx = c->tx;
	uint64_t size = (uint64_t)tx->headers_len + tx->data_len;

	if (tx->smtputf8 && !(c->ehlo.ext & SMTP_EXT_SMTPUTF8)) {
		snprintf(why, whylen, "553 5.6.7 SMTPUTF8 required but not offered by %s",
		    c->relay);
		return true;
	}
	if ((c->ehlo.ext & SMTP_EXT_SIZE) && c->ehlo.size > 0 && size > c->ehlo.size) {
		snprintf(why, whylen, "552 5.3.4 message size %" PRIu64
		    " exceeds the limit %" PRIu64 " of %s", size, c->ehlo.size, c->relay);
		return true;
	}
	return false;
}

int
smtp_client_send(struct smtp_client *c, struct smtp_tx *tx)
{
	char why[SC_WHY_MAX];

	if (c->state != SC_READY || tx->nrcpts == 0)
		return -MG_EINVAL;
	c->tx = tx;
	c->rcpt_sent = c->rcpt_replied = c->accepted = 0;
	c->mail_ok = c->data_sent = c->body_started = false;
	tx->mail_refused = false;
	for (size_t i = 0; i < tx->nrcpts; i++) {
		tx->rcpts[i].outcome = SMTP_OUT_OK;	/* until a reply says otherwise */
		tx->rcpts[i].reply = NULL;
		tx->rcpts[i].remote = false;
	}
	tx->eightbit_unannounced = tx->eightbit && !(c->ehlo.ext & SMTP_EXT_8BITMIME);
	if (sc_tx_refused(c, why, sizeof(why))) {
		smtp_tx_fail(tx, SMTP_OUT_PERM, why);
		c->state = SC_MAIL;	/* finished from the loop, not inside this call */
		event_active(c->later, EV_TIMEOUT, 0);
		return 0;
	}
	sc_send_mail(c);
	if (c->pipelining) {
		while (c->rcpt_sent < tx->nrcpts)
			sc_send_rcpt(c, c->rcpt_sent);
		if (!tx->probe && !(c->ehlo.ext & SMTP_EXT_CHUNKING)) {
			smtpc__write(c, "DATA\r\n");
			c->data_sent = true;
		}
	}
	smtpc__expect_reply(c, SC_MAIL);
	return 0;
}

/* All RCPT replies are in: on to the body, or end the transaction. */
static void
sc_after_rcpts(struct smtp_client *c)
{
	if (c->data_sent) {
		smtpc__expect_reply(c, SC_DATA);
	} else if (!c->mail_ok) {
		smtpc__tx_finish(c);
	} else if (c->accepted == 0) {		/* always for a probe */
		sc_tx_reset(c);
	} else if (c->ehlo.ext & SMTP_EXT_CHUNKING) {
		sc_body_start(c);
	} else {
		smtpc__write(c, "DATA\r\n");
		c->data_sent = true;
		smtpc__expect_reply(c, SC_DATA);
	}
}

/* A complete reply during a transaction. */
void
smtpc__tx_reply(struct smtp_client *c)
{
	char line[SC_REPLY_TEXT_MAX];
	int code = c->reply.code;

	smtpc__reply_line(c, line, sizeof(line));
	switch (c->state) {
	case SC_MAIL:
		if ((c->mail_ok = code / 100 == 2) == false) {
			c->tx->mail_refused = true;
			smtpc__tx_settle(c, line);
		}
		if (!c->pipelining && !c->mail_ok) {
			smtpc__tx_finish(c);
			return;
		}
		if (!c->pipelining)
			sc_send_rcpt(c, 0);
		smtpc__expect_reply(c, SC_RCPT);
		return;
	case SC_RCPT:
		/* a probe keeps every reply and accepts nothing: RSET */
		if (c->mail_ok && code / 100 == 2 && !c->tx->probe)
			c->accepted++;
		else if (c->mail_ok)
			sc_set_reply(&c->tx->rcpts[c->rcpt_replied], smtp_outcome_of(code),
			    line, true);
		if (++c->rcpt_replied < c->tx->nrcpts) {
			if (!c->pipelining)
				sc_send_rcpt(c, c->rcpt_replied);
			smtpc__expect_reply(c, SC_RCPT);
			return;
		}
		sc_after_rcpts(c);
		return;
	case SC_DATA:
		if (code == 354 && c->accepted > 0 && c->mail_ok) {
			sc_body_start(c);
		} else if (code == 354) {
			/* nothing to send (RFC 2920 3.1): an empty, refused message */
			smtpc__expect_reply(c, SC_DOT);
			smtpc__write(c, ".\r\n");
		} else if (c->mail_ok) {
			smtpc__tx_settle(c, line);
			sc_tx_reset(c);
		} else {
			smtpc__tx_finish(c);
		}
		return;
	case SC_FINAL:
		smtpc__tx_settle(c, line);
		smtpc__tx_finish(c);
		return;
	default:	/* SC_DOT, SC_RSET */
		smtpc__tx_finish(c);
		return;
	}
}

/* Something went wrong: during setup try the next peer, afterwards the
 * connection is lost. */
