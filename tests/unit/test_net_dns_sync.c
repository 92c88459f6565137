/* The scanning threads' resolver (net/dns_sync.h) against a tiny DNS
 * responder run in the test: canned answers from a thread on a UDP socket
 * of 127.0.0.1, some delayed or never sent. Answers of every type, rcodes,
 * the deadline and the per-query timeout, concurrent batches from several
 * threads, and batches given up while their answers are on the way (under
 * ASan this catches a callback touching a finished batch). Also the TXT
 * and reverse-name helpers (net/dns_rr.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"
#include "net/dns_sync.h"

#define MS	1000000ull

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The responder: one thread, one socket; replies that must wait sit in
 * a small queue until due. */
struct responder {
	int		 fd, stop[2];
	uint16_t	 port;
	pthread_t	 thread;
	struct delayed { uint8_t pkt[512]; size_t len; struct sockaddr_in to; uint64_t due; } q[256];
	size_t		 nq;
	_Atomic unsigned queries;
};

/* Appends a name in wire form. */
static size_t
put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* One answer record pointing at the question name; returns its length. */
static size_t
put_rr(uint8_t *p, uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	uint8_t h[12] = { 0xc0, 12, type >> 8, type & 0xff, 0, 1, 0, 0, 0, 60,
		(uint8_t)(rdlen >> 8), (uint8_t)rdlen };
	memcpy(p, h, 12);
	memcpy(p + 12, rdata, rdlen);
	return 12 + rdlen;
}

/* Builds the reply to the question qname/qtype (lower case) into r; the
 * delay in ms through *delay, -1 for no reply at all. */
static size_t
answer(uint8_t *r, size_t qend, const char *qname, uint16_t qtype, int *delay)
{
	size_t n = qend;
	unsigned an = 0, rcode = 0;
	uint8_t rd[300];

	*delay = 0;
	if (strcmp(qname, "a.test") == 0 && qtype == DNS_TYPE_A) {
		n += put_rr(r + n, DNS_TYPE_A, (const uint8_t *)"\xc0\x00\x02\x01", 4);
		n += put_rr(r + n, DNS_TYPE_A, (const uint8_t *)"\xc0\x00\x02\x02", 4);
		an = 2;
	} else if (strcmp(qname, "a.test") == 0 && qtype == DNS_TYPE_AAAA) {
		n += put_rr(r + n, DNS_TYPE_AAAA,
		    (const uint8_t *)"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		an = 1;
	} else if (strcmp(qname, "txt.test") == 0 && qtype == DNS_TYPE_TXT) {
		n += put_rr(r + n, DNS_TYPE_TXT, (const uint8_t *)"\x06v=spf1\x05 -all", 13);
		an = 1;
	} else if (strcmp(qname, "mx.test") == 0 && qtype == DNS_TYPE_MX) {
		rd[0] = 0;
		rd[1] = 10;
		n += put_rr(r + n, DNS_TYPE_MX, rd, 2 + put_name(rd + 2, "mail.a.test"));
		an = 1;
	} else if (strcmp(qname, "nx.test") == 0) {
		rcode = 3;
	} else if (strcmp(qname, "fail.test") == 0) {
		rcode = 2;
	} else if (strcmp(qname, "slow.test") == 0) {
		*delay = -1;
	} else if (strstr(qname, ".delay.test") != NULL) {
		*delay = atoi(qname);	/* "12-x.delay.test": 12 ms */
		n += put_rr(r + n, DNS_TYPE_A, (const uint8_t *)"\x7f\0\0\x02", 4);
		an = 1;
	} else if (strstr(qname, ".many.test") != NULL) {
		rd[0] = 10;
		rd[1] = 0;
		rd[2] = 0;
		rd[3] = (uint8_t)atoi(qname);	/* "7.many.test": 10.0.0.7 */
		n += put_rr(r + n, DNS_TYPE_A, rd, 4);
		an = 1;
	}
	r[2] = 0x84 | (r[2] & 0x01);	/* QR, AA, RD copied */
	r[3] = 0x80 | (uint8_t)rcode;	/* RA */
	r[6] = 0;
	r[7] = (uint8_t)an;
	r[8] = r[9] = r[10] = r[11] = 0;	/* no authority, no EDNS */
	return n;
}

/* Decodes the question of q into name (lower case) and type; the offset
 * past the question, or 0 when malformed. */
static size_t
question(const uint8_t *q, size_t len, char *name, size_t cap, uint16_t *type)
{
	size_t off = 12, n = 0;

	while (off < len && q[off] != 0) {
		size_t l = q[off++];
		if (off + l > len || n + l + 2 > cap)
			return 0;
		if (n)
			name[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)q[off + i];
			name[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		off += l;
	}
	name[n] = '\0';
	if (off + 5 > len)
		return 0;
	*type = (uint16_t)(q[off + 1] << 8 | q[off + 2]);
	return off + 5;
}

static void
respond(struct responder *rs, const uint8_t *q, size_t len, const struct sockaddr_in *from)
{
	struct delayed *d;
	char name[256];
	uint16_t type;
	size_t qend = question(q, len, name, sizeof(name), &type);
	int delay;

	if (qend == 0 || rs->nq == sizeof(rs->q) / sizeof(rs->q[0]))
		return;
	rs->queries++;
	d = &rs->q[rs->nq];
	memcpy(d->pkt, q, qend);
	d->len = answer(d->pkt, qend, name, type, &delay);
	d->to = *from;
	if (delay < 0)
		return;
	d->due = now_ns() + (uint64_t)delay * MS;
	rs->nq++;
}

/* Sends the replies that are due; returns the poll timeout in ms. */
static int
flush_due(struct responder *rs)
{
	uint64_t now = now_ns(), next = UINT64_MAX;
	size_t k = 0;

	for (size_t i = 0; i < rs->nq; i++) {
		struct delayed *d = &rs->q[i];
		if (d->due <= now) {
			(void)sendto(rs->fd, d->pkt, d->len, 0, (const struct sockaddr *)&d->to,
			    sizeof(d->to));
			continue;
		}
		if (d->due < next)
			next = d->due;
		rs->q[k++] = *d;
	}
	rs->nq = k;
	return next == UINT64_MAX ? -1 : (int)((next - now) / MS) + 1;
}

static void *
responder_run(void *arg)
{
	struct responder *rs = arg;

	for (;;) {
		struct pollfd p[2] = { { rs->fd, POLLIN, 0 }, { rs->stop[0], POLLIN, 0 } };
		uint8_t buf[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(p, 2, flush_due(rs)) == -1 || p[1].revents)
			break;
		if (p[0].revents && (n = recvfrom(rs->fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fl)) > 0)
			respond(rs, buf, (size_t)n, &from);
	}
	return NULL;
}

static void
responder_start(struct responder *rs)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);

	memset(rs, 0, sizeof(*rs));
	assert_true((rs->fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(rs->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(rs->fd, (struct sockaddr *)&sin, &sl), 0);
	rs->port = ntohs(sin.sin_port);
	assert_int_equal(pipe(rs->stop), 0);
	assert_int_equal(pthread_create(&rs->thread, NULL, responder_run, rs), 0);
}

static void
responder_stop(struct responder *rs)
{
	assert_int_equal(write(rs->stop[1], "x", 1), 1);
	pthread_join(rs->thread, NULL);
	close(rs->fd);
	close(rs->stop[0]);
	close(rs->stop[1]);
}

static struct dns_resolver *
open_resolver(const struct responder *rs, uint32_t timeout)
{
	char up[64], err[256];
	struct conf_resolver rc = { .upstream = up, .timeout = timeout };
	struct dns_resolver *r;

	snprintf(up, sizeof(up), "127.0.0.1@%u", rs->port);
	if ((r = dns_sync_open(&rc, err, sizeof(err))) == NULL)
		fail_msg("dns_sync_open: %s", err);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "err/rcode/n:rdata-hex,..." with the records in sorted order (libunbound
 * rotates the order of an RRset). */
static void
render(const struct dns_lookup *q, char *out, size_t cap)
{
	char hex[8][128];
	const char *sorted[8];
	size_t n = q->err ? 0 : q->nrr < 8 ? q->nrr : 8;
	size_t o = (size_t)snprintf(out, cap, "%d/%d/%zu", q->err, q->err ? -1 : q->rcode,
	    q->err ? 0 : q->nrr);

	for (size_t i = 0; i < n; i++) {
		hex[i][0] = '\0';
		for (size_t j = 0; j < q->rr[i].len && 2 * j + 2 < sizeof(hex[i]); j++)
			snprintf(hex[i] + 2 * j, 3, "%02x", q->rr[i].ptr[j]);
		sorted[i] = hex[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (size_t i = 0; i < n && o + 2 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%c%s", i ? ',' : ':', sorted[i]);
}

static const struct { const char *name; uint16_t type; const char *want; } answer_cases[] = {
	{ "a.test", DNS_TYPE_A, "0/0/2:c0000201,c0000202" },
	{ "A.Test", DNS_TYPE_AAAA, "0/0/1:20010db8000000000000000000000001" },
	{ "txt.test", DNS_TYPE_TXT, "0/0/1:06763d7370663105202d616c6c" },
	{ "mx.test", DNS_TYPE_MX, "0/0/1:000a046d61696c016104746573740" "0" },
	{ "a.test", DNS_TYPE_MX, "0/0/0" },	/* NODATA */
	{ "nx.test", DNS_TYPE_A, "0/3/0" },
	{ "fail.test", DNS_TYPE_TXT, "0/2/0" },
	{ "bad..name", DNS_TYPE_A, "-4/-1/0" },	/* refused by libunbound: -MG_EIO */
};

/* Every case in one batch: answers land in the right slots. */
static void
test_answers(void **state)
{
	size_t n = sizeof(answer_cases) / sizeof(answer_cases[0]);
	struct dns_lookup q[sizeof(answer_cases) / sizeof(answer_cases[0])];
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct responder rs;
	struct dns_resolver *r;
	char got[256];

	responder_start(&rs);
	r = open_resolver(&rs, 5);
	for (size_t i = 0; i < n; i++)
		q[i] = (struct dns_lookup){ .name = answer_cases[i].name, .type = answer_cases[i].type };
	assert_int_equal(r->resolve(r->ctx, q, n, now_ns() + 5000 * MS, a), 0);
	for (size_t i = 0; i < n; i++) {
		render(&q[i], got, sizeof(got));
		char what[64];
		snprintf(what, sizeof(what), "case %zu %s", i, answer_cases[i].name);
		check_str(what, got, answer_cases[i].want);
	}
	/* the same again comes from libunbound's cache */
	unsigned before = rs.queries;
	assert_int_equal(r->resolve(r->ctx, q, 1, now_ns() + 5000 * MS, a), 0);
	assert_int_equal(q[0].err, 0);
	assert_int_equal(q[0].nrr, 2);
	assert_int_equal(rs.queries, before);
	assert_int_equal(r->resolve(r->ctx, q, 0, now_ns() + 5000 * MS, a), 0);
	dns_sync_close(r);
	responder_stop(&rs);
	mg_arena_free(a);
	check_failures();
}

/* An unanswered lookup ends at the deadline, or at the per-query timeout
 * when that comes first; the answered ones of the batch are kept. */
static void
test_timeouts(void **state)
{
	static const struct { uint64_t deadline_ms; uint32_t timeout_s; uint64_t min_ms, max_ms; } c[] = {
		{ 200, 5, 190, 900 },
		{ 10000, 1, 990, 1900 },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct responder rs;

	responder_start(&rs);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dns_resolver *r = open_resolver(&rs, c[i].timeout_s);
		struct dns_lookup q[2] = { { .name = "slow.test", .type = DNS_TYPE_A },
			{ .name = "a.test", .type = DNS_TYPE_A } };
		uint64_t t0 = now_ns(), ms;

		assert_int_equal(r->resolve(r->ctx, q, 2, t0 + c[i].deadline_ms * MS, a), 0);
		ms = (now_ns() - t0) / MS;
		if (q[0].err != -MG_ETIMEOUT || q[1].err != 0 || q[1].nrr != 2 ||
		    ms < c[i].min_ms || ms > c[i].max_ms)
			fail_msg("case %zu: got err %d/%d nrr %zu after %llu ms, want %d/0 2 in "
			    "[%llu, %llu] ms", i, q[0].err, q[1].err, q[1].nrr,
			    (unsigned long long)ms, -MG_ETIMEOUT,
			    (unsigned long long)c[i].min_ms, (unsigned long long)c[i].max_ms);
		dns_sync_close(r);
	}
	responder_stop(&rs);
	mg_arena_free(a);
}

struct worker {
	struct dns_resolver *r;
	unsigned id, bad;
};

/* Batches of distinct names each answered by its own address. */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct mg_arena *a = mg_arena_new(4096, 0);

	for (unsigned round = 0; round < 10; round++) {
		char names[8][64];
		struct dns_lookup q[8];
		for (unsigned i = 0; i < 8; i++) {
			snprintf(names[i], sizeof(names[i]), "%u.w%ur%u.many.test",
			    (w->id * 8 + i) % 250, w->id, round);
			q[i] = (struct dns_lookup){ .name = names[i], .type = DNS_TYPE_A };
		}
		if (w->r->resolve(w->r->ctx, q, 8, now_ns() + 5000 * MS, a) != 0)
			w->bad++;
		for (unsigned i = 0; i < 8; i++)
			if (q[i].err != 0 || q[i].nrr != 1 || q[i].rr[0].len != 4 ||
			    q[i].rr[0].ptr[3] != (w->id * 8 + i) % 250)
				w->bad++;
	}
	mg_arena_free(a);
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct responder rs;
	struct worker w[6];
	pthread_t th[6];
	struct dns_resolver *r;

	responder_start(&rs);
	r = open_resolver(&rs, 5);
	for (unsigned i = 0; i < 6; i++) {
		w[i] = (struct worker){ .r = r, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (unsigned i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		if (w[i].bad)
			fail_msg("thread %u: %u wrong answers, want 0", i, w[i].bad);
	}
	dns_sync_close(r);
	responder_stop(&rs);
}

/* Answers delayed around the deadline: some arrive in time, some after
 * the batch returned; either way each lookup is answered or timed out and
 * nothing touches freed memory. */
static void
test_cancel_race(void **state)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct responder rs;
	struct dns_resolver *r;
	unsigned answered = 0, late = 0;

	responder_start(&rs);
	r = open_resolver(&rs, 5);
	for (unsigned round = 0; round < 60; round++) {
		char names[4][64];
		struct dns_lookup q[4];
		for (unsigned i = 0; i < 4; i++) {
			snprintf(names[i], sizeof(names[i]), "%u-r%ui%u.delay.test",
			    (round + i) % 8, round, i);
			q[i] = (struct dns_lookup){ .name = names[i], .type = DNS_TYPE_A };
		}
		assert_int_equal(r->resolve(r->ctx, q, 4, now_ns() + 4 * MS, a), 0);
		for (unsigned i = 0; i < 4; i++) {
			if (q[i].err == 0 && q[i].nrr == 1)
				answered++;
			else if (q[i].err == -MG_ETIMEOUT)
				late++;
			else
				fail_msg("round %u lookup %u: err %d nrr %zu", round, i, q[i].err,
				    q[i].nrr);
		}
	}
	print_message("cancel race: %u answered in time, %u timed out\n", answered, late);
	assert_true(answered + late == 240);
	dns_sync_close(r);
	responder_stop(&rs);
	mg_arena_free(a);
}

static void
test_txt_and_reverse(void **state)
{
	static const struct { const char *rdata; size_t len; int rc; const char *want; } txt[] = {
		{ "\x06v=spf1\x05 -all", 13, 0, "v=spf1 -all" },
		{ "", 0, 0, "" },
		{ "\x00\x03" "abc", 5, 0, "abc" },
		{ "\x05" "abc", 4, -MG_EPROTO, "" },
	};
	static const struct { int af; const char *ip, *zone, *want; } rev[] = {
		{ AF_INET, "192.0.2.10", NULL, "10.2.0.192.in-addr.arpa" },
		{ AF_INET, "127.0.0.2", "zen.example", "2.0.0.127.zen.example" },
		{ AF_INET6, "2001:db8::1", NULL, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		  "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	char got[128];

	for (size_t i = 0; i < sizeof(txt) / sizeof(txt[0]); i++) {
		const char *s = "";
		size_t len = 0;
		int rc = dns_txt_join(a, mg_slice_make(txt[i].rdata, txt[i].len), &s, &len);
		if (rc != txt[i].rc || strcmp(s, txt[i].want) != 0 || len != strlen(txt[i].want))
			fail_msg("txt %zu: got %d \"%s\", want %d \"%s\"", i, rc, s, txt[i].rc,
			    txt[i].want);
	}
	for (size_t i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
		uint8_t ip[16];
		assert_int_equal(inet_pton(rev[i].af, rev[i].ip, ip), 1);
		assert_int_equal(dns_reverse_name(rev[i].af, ip, rev[i].zone, got, sizeof(got)), 0);
		check_str(rev[i].ip, got, rev[i].want);
	}
	assert_int_equal(dns_reverse_name(AF_INET, (const uint8_t *)"\x01\x02\x03\x04", NULL,
	    got, 10), -MG_ELIMIT);
	mg_arena_free(a);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_cancel_race),
		cmocka_unit_test(test_txt_and_reverse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
