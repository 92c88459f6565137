/* Asynchronous DNS over libunbound inside the libevent loop (see dns.h).
 * libunbound's worker thread answers through a pipe whose read end
 * (ub_fd) we watch; ub_process() then runs our completion callback. The
 * per-query deadline is a libevent timer that cancels the query. */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <unbound.h>

#include "core/err.h"
#include "core/log.h"
#include "net/dns.h"
#include "net/dns_ub.h"

struct dns_query {
	struct dns	*dns;
	int		 async_id;
	struct event	*timer;
	dns_fn		*fn;
	void		*arg;
	TAILQ_ENTRY(dns_query) entry;
};

struct dns {
	struct event_base *base;
	struct ub_ctx	*ctx;
	struct event	*readable;
	uint32_t	 timeout;
	TAILQ_HEAD(, dns_query) queries;
};

static void
dns_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	int rc;

	if ((rc = ub_process(d->ctx)) != 0)
		log_err("dns process error=\"%s\"", ub_strerror(rc));
}

struct dns *
dns_open(struct event_base *base, const struct conf_resolver *rc, char *err, size_t errlen)
{
	struct dns *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->ctx = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "cannot create resolver context");
		free(d);
		return NULL;
	}
	d->base = base;
	dns_set_timeout(d, rc->timeout);
	TAILQ_INIT(&d->queries);
	if (dns_ub_configure(d->ctx, rc, err, errlen) < 0)
		goto fail;
	d->readable = event_new(base, ub_fd(d->ctx), EV_READ | EV_PERSIST,
	    dns_on_readable, d);
	if (d->readable == NULL || event_add(d->readable, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the resolver pipe");
		goto fail;
	}
	return d;
fail:
	dns_close(d);
	return NULL;
}

static void
dns_query_free(struct dns_query *q)
{
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	event_free(q->timer);
	free(q);
}

struct dns *
dns_close(struct dns *d)
{
	struct dns_query *q;

	if (d == NULL)
		return NULL;
	while ((q = TAILQ_FIRST(&d->queries)) != NULL)
		dns_cancel(q);
	if (d->readable != NULL)
		event_free(d->readable);
	ub_ctx_delete(d->ctx);
	free(d);
	return NULL;
}

void
dns_set_timeout(struct dns *d, uint32_t seconds)
{
	d->timeout = seconds ? seconds : 5;
}

static void
dns_on_result(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;
	struct mg_slice rr[DNS_MAX_RR];
	struct dns_answer ans = { 0 };
	dns_fn *fn = q->fn;
	void *fnarg = q->arg;

	dns_query_free(q);
	if (err != 0 || res == NULL) {
		log_debug("dns failed error=\"%s\"", ub_strerror(err));
		fn(-MG_EIO, NULL, fnarg);
		ub_resolve_free(res);
		return;
	}
	ans.rcode = res->rcode;
	ans.secure = res->secure != 0;
	ans.bogus = res->bogus != 0;
	for (size_t i = 0; res->havedata && i < DNS_MAX_RR && res->data[i] != NULL; i++)
		rr[ans.nrr++] = mg_slice_make(res->data[i], (size_t)res->len[i]);
	ans.rr = rr;
	fn(0, &ans, fnarg);
	ub_resolve_free(res);
}

static void
dns_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	dns_fn *fn = q->fn;
	void *fnarg = q->arg;

	(void)ub_cancel(q->dns->ctx, q->async_id);
	dns_query_free(q);
	fn(-MG_ETIMEOUT, NULL, fnarg);
}

int
dns_query(struct dns *d, const char *name, uint16_t rrtype, dns_fn *fn, void *arg,
    struct dns_query **out)
{
	struct dns_query *q = calloc(1, sizeof(*q));
	struct timeval tv = { .tv_sec = d->timeout };
	int rc;

	if (q == NULL)
		return -MG_ENOMEM;
	q->dns = d;
	q->fn = fn;
	q->arg = arg;
	if ((q->timer = evtimer_new(d->base, dns_on_timeout, q)) == NULL) {
		free(q);
		return -MG_ENOMEM;
	}
	if ((rc = ub_resolve_async(d->ctx, name, rrtype, 1, q, dns_on_result,
	    &q->async_id)) != 0) {
		log_err("dns query name=%s error=\"%s\"", name, ub_strerror(rc));
		event_free(q->timer);
		free(q);
		return rc == UB_NOMEM ? -MG_ENOMEM : -MG_EIO;
	}
	evtimer_add(q->timer, &tv);
	TAILQ_INSERT_TAIL(&d->queries, q, entry);
	if (out != NULL)
		*out = q;
	return 0;
}

void
dns_cancel(struct dns_query *q)
{
	(void)ub_cancel(q->dns->ctx, q->async_id);
	dns_query_free(q);
}

static bool
dns_label_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
dns_name_decode(struct mg_slice rdata, size_t *off, char out[DNS_NAME_MAX + 1])
{
	size_t pos = *off, n = 0;

	for (;;) {
		if (pos >= rdata.len)
			return -MG_EPROTO;
		uint8_t llen = rdata.ptr[pos++];
		if (llen == 0)
			break;
		/* compression pointers never appear in unbound's rdata */
		if (llen > 63 || llen > rdata.len - pos)
			return -MG_EPROTO;
		if (n + (n ? 1 : 0) + llen > DNS_NAME_MAX)
			return -MG_EPROTO;
		if (n)
			out[n++] = '.';
		for (uint8_t i = 0; i < llen; i++) {
			uint8_t c = rdata.ptr[pos++];
			if (!dns_label_char_ok(c))
				return -MG_EPROTO;
			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
	}
	out[n] = '\0';
	*off = pos;
	return 0;
}

int
dns_mx_decode(struct mg_slice rdata, uint16_t *pref, char out[DNS_NAME_MAX + 1])
{
	size_t off = 2;

	if (rdata.len < 3)
		return -MG_EPROTO;
	*pref = (uint16_t)(rdata.ptr[0] << 8 | rdata.ptr[1]);
	if (dns_name_decode(rdata, &off, out) < 0 || off != rdata.len)
		return -MG_EPROTO;
	return 0;
}
