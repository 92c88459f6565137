/* Recipient validation against an LDAP directory (verify.h): one
 * connection on smtpd's event loop multiplexes every lookup (a search by
 * the configured filter; an entry found means the recipient exists). The
 * connection is opened on demand and again after a failure, at most once a
 * second; lookups in between fail at once. */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "guard/verify.h"

#define LOOKUP_MAX	10000		/* lookups pending at once */
#define RECONNECT_MS	1000		/* between two connection attempts */
#define FILTER_LEN_MAX	8192		/* the filter with the address in it */
#define NBUCKETS	1024		/* sent lookups, by message id */
#define INFLIGHT_MAX	64		/* searches sent and not answered: slapd
					 * drops an anonymous client with more
					 * than 100 (conn_max_pending) */

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_BINDING, CONN_READY };

struct lookup {
	struct verify_ldap *l;
	TAILQ_ENTRY(lookup) all;	/* every lookup not yet answered */
	TAILQ_ENTRY(lookup) queue;	/* waiting to be sent */
	LIST_ENTRY(lookup) bucket;	/* sent: by msgid */
	struct event	*ev;		/* the deadline, then the deferred answer */
	int		 msgid;		/* -1: not sent */
	uint64_t	 sent_ms;
	bool		 queued, sent, found, done;
	enum verify_result result;
	char		 detail[VERIFY_DETAIL_MAX];
	verify_cb	 cb;
	void		*arg;
	char		 addr[];
};

struct verify_ldap {
	struct event_base *base;
	const struct conf_rcpt_ldap *c;
	LDAP		*ld;
	struct event	*rd, *wr;	/* the connection's fd */
	enum conn_state	 state;
	int		 bind_msgid;
	bool		 nonblocking;	/* O_NONBLOCK set on the fd */
	bool		 failed;	/* the last connection failed */
	uint64_t	 connect_ms;	/* when the last attempt started */
	uint64_t	 rx_ms;		/* when the server last sent something */
	size_t		 n;		/* lookups not yet answered */
	size_t		 inflight;	/* of which sent */
	TAILQ_HEAD(, lookup) all, queue;
	LIST_HEAD(, lookup) sent[NBUCKETS];
};

static void	conn_fail(struct verify_ldap *, const char *detail);
static void	conn_event(evutil_socket_t, short, void *);
static void	send_queued(struct verify_ldap *);

/* The lookup's answer, given later on the loop (never inside the caller
 * that caused it, which may be verify_ldap_lookup or a loop over lists). */
static void __attribute__((format(printf, 3, 4)))
finish(struct lookup *lk, enum verify_result r, const char *fmt, ...)
{
	va_list ap;

	if (lk->done)
		return;
	if (lk->queued)
		TAILQ_REMOVE(&lk->l->queue, lk, queue);
	if (lk->sent) {
		LIST_REMOVE(lk, bucket);
		lk->l->inflight--;
	}
	lk->queued = lk->sent = false;
	lk->done = true;
	lk->result = r;
	va_start(ap, fmt);
	vsnprintf(lk->detail, sizeof(lk->detail), fmt, ap);
	va_end(ap);
	event_active(lk->ev, EV_TIMEOUT, 1);
}

static struct lookup *
lookup_by_msgid(struct verify_ldap *l, int msgid)
{
	struct lookup *lk;

	LIST_FOREACH(lk, &l->sent[(unsigned)msgid % NBUCKETS], bucket)
		if (lk->msgid == msgid)
			return lk;
	return NULL;
}

/* The text of the connection's last error. */
static const char *
ld_error(struct verify_ldap *l)
{
	int rc = LDAP_OTHER;

	if (l->ld != NULL)
		ldap_get_option(l->ld, LDAP_OPT_RESULT_CODE, &rc);
	return ldap_err2string(rc);
}

static void
conn_close(struct verify_ldap *l)
{
	if (l->rd != NULL)
		event_free(l->rd);
	if (l->wr != NULL)
		event_free(l->wr);
	l->rd = l->wr = NULL;
	if (l->ld != NULL)
		ldap_unbind_ext(l->ld, NULL, NULL);
	l->ld = NULL;
	l->state = CONN_DOWN;
	l->nonblocking = false;
}

/* Drops the connection and fails every lookup still waiting on it. */
static void
conn_fail(struct verify_ldap *l, const char *detail)
{
	struct lookup *lk;

	log_warn("guard ldap error=\"%s\" uri=%s pending=%zu", detail, l->c->uri, l->n);
	conn_close(l);
	l->failed = true;
	TAILQ_FOREACH(lk, &l->all, all)
		finish(lk, VERIFY_FAILED, "%s", detail);
}

/* libldap makes the socket blocking again once connected: from the first
 * request on, it is ours to keep non-blocking (a partial answer must not
 * stall the loop; libldap resumes it on the next read). */
static void
conn_nonblock(struct verify_ldap *l)
{
	int fd, fl;

	if (l->nonblocking || ldap_get_option(l->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS)
		return;
	if ((fl = fcntl(fd, F_GETFL)) != -1 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1)
		l->nonblocking = true;
}

/* The connect completed: bind, or start sending. */
static void
conn_connected(struct verify_ldap *l, int fd)
{
	struct berval cred;
	char detail[VERIFY_DETAIL_MAX];
	socklen_t len = sizeof(int);
	int err = 0, rc;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		snprintf(detail, sizeof(detail), "ldap: connect: %s", strerror(err));
		conn_fail(l, detail);
		return;
	}
	event_add(l->rd, NULL);
	if (l->c->bind_dn == NULL) {
		l->state = CONN_READY;
		log_info("guard ldap connected uri=%s", l->c->uri);
		send_queued(l);
		return;
	}
	cred.bv_val = l->c->bind_password;
	cred.bv_len = strlen(l->c->bind_password);
	rc = ldap_sasl_bind(l->ld, l->c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    &l->bind_msgid);
	if (rc != LDAP_SUCCESS) {
		snprintf(detail, sizeof(detail), "ldap: bind: %s", ldap_err2string(rc));
		conn_fail(l, detail);
		return;
	}
	conn_nonblock(l);
	l->state = CONN_BINDING;
}

/* Starts a connection; on failure the lookups fail (conn_fail). */
static void
conn_open(struct verify_ldap *l)
{
	const int v3 = LDAP_VERSION3;
	struct timeval net = { .tv_sec = l->c->timeout_ms / 1000 + 1 };
	char detail[VERIFY_DETAIL_MAX];
	int rc, fd = -1;

	l->connect_ms = mg_clock_ms();
	l->failed = false;
	if ((rc = ldap_initialize(&l->ld, l->c->uri)) != LDAP_SUCCESS)
		goto fail;
	/* without a network timeout libldap would connect blocking */
	if (ldap_set_option(l->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(l->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(l->ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(l->ld, LDAP_OPT_NETWORK_TIMEOUT, &net) != LDAP_OPT_SUCCESS) {
		rc = LDAP_LOCAL_ERROR;
		goto fail;
	}
	if ((rc = ldap_connect(l->ld)) != LDAP_SUCCESS)
		goto fail;
	if (ldap_get_option(l->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0) {
		rc = LDAP_LOCAL_ERROR;
		goto fail;
	}
	l->rd = event_new(l->base, fd, EV_READ | EV_PERSIST, conn_event, l);
	l->wr = event_new(l->base, fd, EV_WRITE, conn_event, l);
	if (l->rd == NULL || l->wr == NULL || event_add(l->wr, NULL) == -1) {
		rc = LDAP_NO_MEMORY;
		goto fail;
	}
	l->state = CONN_CONNECTING;
	log_debug("guard ldap connecting uri=%s", l->c->uri);
	return;
fail:
	snprintf(detail, sizeof(detail), "ldap: %s", ldap_err2string(rc));
	conn_fail(l, detail);
}

/* The filter with %s (address), %u (local part), %d (domain) replaced by
 * the values escaped as RFC 4515 says: 0, or -MG_ELIMIT. */
static int
filter_expand(const char *tmpl, const char *addr, char *out, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t n = 0, addr_len = strlen(addr);
	size_t local_len = at != NULL ? (size_t)(at - addr) : addr_len;
	const char *domain = at != NULL ? at + 1 : "";

	for (const char *p = tmpl; *p != '\0'; p++) {
		const char *v;
		size_t vlen;

		if (*p != '%' || (p[1] != 's' && p[1] != 'u' && p[1] != 'd')) {
			if (n + 1 >= size)
				return -MG_ELIMIT;
			out[n++] = *p;
			p += *p == '%' && p[1] == '%';
			continue;
		}
		p++;
		v = *p == 'd' ? domain : addr;
		vlen = *p == 's' ? addr_len : *p == 'u' ? local_len : strlen(domain);
		for (size_t i = 0; i < vlen; i++) {
			unsigned char ch = (unsigned char)v[i];

			if (n + 4 >= size)
				return -MG_ELIMIT;
			if (ch < 0x20 || ch >= 0x7f || strchr("*()\\", ch) != NULL)
				n += (size_t)snprintf(out + n, size - n, "\\%02x", ch);
			else
				out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
	return 0;
}

/* Sends one queued lookup: 0, or 1 when the connection cannot take it now. */
static int
send_one(struct verify_ldap *l, struct lookup *lk)
{
	static char *attrs[] = { LDAP_NO_ATTRS, NULL };
	struct timeval limit = { .tv_sec = (l->c->timeout_ms + 999) / 1000 };
	char filter[FILTER_LEN_MAX], detail[VERIFY_DETAIL_MAX];
	int rc, msgid;

	if (filter_expand(l->c->filter, lk->addr, filter, sizeof(filter)) < 0) {
		finish(lk, VERIFY_FAILED, "ldap: filter too long");
		return 0;
	}
	rc = ldap_search_ext(l->ld, l->c->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
	    NULL, NULL, &limit, 1, &msgid);
	switch (rc) {
	case LDAP_SUCCESS:
		conn_nonblock(l);
		TAILQ_REMOVE(&l->queue, lk, queue);
		lk->queued = false;
		lk->sent = true;
		lk->msgid = msgid;
		lk->sent_ms = mg_clock_ms();
		LIST_INSERT_HEAD(&l->sent[(unsigned)msgid % NBUCKETS], lk, bucket);
		l->inflight++;
		return 0;
	case LDAP_BUSY:			/* an earlier request is half written */
		event_add(l->wr, NULL);
		return 1;
	case LDAP_FILTER_ERROR:
	case LDAP_ENCODING_ERROR:
		finish(lk, VERIFY_FAILED, "ldap: %s", ldap_err2string(rc));
		return 0;
	default:
		snprintf(detail, sizeof(detail), "ldap: %s", ldap_err2string(rc));
		conn_fail(l, detail);
		return 1;
	}
}

static void
send_queued(struct verify_ldap *l)
{
	struct lookup *lk;

	while (l->state == CONN_READY && l->inflight < INFLIGHT_MAX &&
	    (lk = TAILQ_FIRST(&l->queue)) != NULL)
		if (send_one(l, lk) != 0)
			break;
}

/* A search's final result: the entry (if any) came before it. */
static void
search_done(struct verify_ldap *l, struct lookup *lk, LDAPMessage *msg)
{
	char *text = NULL;
	int err = LDAP_OTHER;

	if (ldap_parse_result(l->ld, msg, &err, NULL, &text, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_DECODING_ERROR;
	if (lk->found)
		finish(lk, VERIFY_KNOWN, "ldap: entry found");
	else if (err == LDAP_SUCCESS)
		finish(lk, VERIFY_UNKNOWN, "ldap: no entry");
	else
		finish(lk, VERIFY_FAILED, "ldap: %s%s%s", ldap_err2string(err),
		    text != NULL && *text != '\0' ? ": " : "", text != NULL ? text : "");
	ldap_memfree(text);
}

static void
bind_done(struct verify_ldap *l, LDAPMessage *msg)
{
	char detail[VERIFY_DETAIL_MAX];
	int err = LDAP_OTHER;

	if (ldap_parse_result(l->ld, msg, &err, NULL, NULL, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_DECODING_ERROR;
	if (err != LDAP_SUCCESS) {
		snprintf(detail, sizeof(detail), "ldap: bind: %s", ldap_err2string(err));
		conn_fail(l, detail);
		return;
	}
	l->state = CONN_READY;
	log_info("guard ldap connected uri=%s bind_dn=\"%s\"", l->c->uri, l->c->bind_dn);
	send_queued(l);
}

static void
handle_msg(struct verify_ldap *l, LDAPMessage *msg)
{
	int type = ldap_msgtype(msg), id = ldap_msgid(msg);
	struct lookup *lk;

	if (type == LDAP_RES_BIND && l->state == CONN_BINDING && id == l->bind_msgid) {
		bind_done(l, msg);
	} else if (id == 0) {		/* unsolicited: a notice of disconnection */
		conn_fail(l, "ldap: the server ended the connection");
	} else if ((lk = lookup_by_msgid(l, id)) != NULL) {
		if (type == LDAP_RES_SEARCH_ENTRY)
			lk->found = true;
		else if (type == LDAP_RES_SEARCH_RESULT)
			search_done(l, lk, msg);
	}
}

/* Reads every answer that has arrived, without waiting. */
static void
read_results(struct verify_ldap *l)
{
	struct timeval zero = { 0, 0 };
	char detail[VERIFY_DETAIL_MAX];
	LDAPMessage *msg;
	int rc;

	while (l->ld != NULL) {
		msg = NULL;
		rc = ldap_result(l->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &zero, &msg);
		if (rc == 0)
			break;
		if (rc == -1) {
			snprintf(detail, sizeof(detail), "ldap: %s", ld_error(l));
			conn_fail(l, detail);
			break;
		}
		l->rx_ms = mg_clock_ms();
		handle_msg(l, msg);
		ldap_msgfree(msg);
	}
}

static void
conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct verify_ldap *l = arg;

	if (l->state == CONN_CONNECTING) {
		conn_connected(l, fd);
		return;
	}
	read_results(l);		/* a write-ready wake-up flushes here too */
	send_queued(l);
}

/* The lookup's deadline passed or its answer was deferred to here. */
static void
lookup_event(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;
	struct verify_ldap *l = lk->l;
	bool dead;

	(void)fd;
	(void)what;
	if (!lk->done) {
		/* nothing heard since it was sent, or still not connected: the
		 * server or the path to it is gone */
		dead = l->state != CONN_READY || (lk->sent && l->rx_ms < lk->sent_ms);
		if (lk->sent)
			ldap_abandon_ext(l->ld, lk->msgid, NULL, NULL);
		finish(lk, VERIFY_FAILED, "ldap: timeout after %u ms", l->c->timeout_ms);
		if (dead && l->ld != NULL)
			conn_fail(l, lk->detail);
	}
	TAILQ_REMOVE(&l->all, lk, all);
	l->n--;
	lk->cb(lk->result, lk->detail, lk->arg);
	event_free(lk->ev);
	free(lk);
}

struct verify_ldap *
verify_ldap_new(struct event_base *base, const struct conf_rcpt_ldap *c)
{
	struct verify_ldap *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->base = base;
	l->c = c;
	TAILQ_INIT(&l->all);
	TAILQ_INIT(&l->queue);
	for (size_t i = 0; i < NBUCKETS; i++)
		LIST_INIT(&l->sent[i]);
	return l;
}

struct verify_ldap *
verify_ldap_free(struct verify_ldap *l)
{
	struct lookup *lk;

	if (l == NULL)
		return NULL;
	conn_close(l);
	while ((lk = TAILQ_FIRST(&l->all)) != NULL) {
		TAILQ_REMOVE(&l->all, lk, all);
		event_free(lk->ev);
		free(lk);
	}
	free(l);
	return NULL;
}

int
verify_ldap_lookup(struct verify_ldap *l, const char *addr, verify_cb cb, void *arg)
{
	struct timeval tv = { l->c->timeout_ms / 1000, (l->c->timeout_ms % 1000) * 1000 };
	size_t len = strlen(addr);
	struct lookup *lk;

	if (l->n >= LOOKUP_MAX)
		return -MG_ELIMIT;
	if ((lk = calloc(1, sizeof(*lk) + len + 1)) == NULL)
		return -MG_ENOMEM;
	if ((lk->ev = evtimer_new(l->base, lookup_event, lk)) == NULL ||
	    evtimer_add(lk->ev, &tv) == -1) {
		if (lk->ev != NULL)
			event_free(lk->ev);
		free(lk);
		return -MG_ENOMEM;
	}
	memcpy(lk->addr, addr, len + 1);
	lk->l = l;
	lk->msgid = -1;
	lk->cb = cb;
	lk->arg = arg;
	TAILQ_INSERT_TAIL(&l->all, lk, all);
	l->n++;
	TAILQ_INSERT_TAIL(&l->queue, lk, queue);
	lk->queued = true;
	if (l->state == CONN_DOWN) {
		if (l->failed && mg_clock_ms() < l->connect_ms + RECONNECT_MS)
			finish(lk, VERIFY_FAILED, "ldap: server unavailable");
		else
			conn_open(l);
	} else {
		send_queued(l);
	}
	return 0;
}
