/* Routing: which next hop each recipient gets (protected domain, smart
 * host, MX lookup, or a permanent failure), which recipients share a
 * transaction, and MX ordering and null MX (RFC 5321 5.1, RFC 7505). Also
 * the DNS RDATA decoding the MX lookup relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "net/dns.h"
#include "queue/route.h"

static struct conf_route routes[] = {
	{ .domain = "example.test", .host = "10.0.0.1", .port = 2526, .tls = CONF_TLS_REQUIRED },
	{ .domain = "other.test", .host = "10.0.0.1", .port = 2526, .tls = CONF_TLS_REQUIRED },
	{ .domain = "auth.test", .host = "10.0.0.1", .port = 2526, .tls = CONF_TLS_VERIFY,
	  .auth_user = "gw", .auth_password = "pw" },
	{ .domain = "none.test", .host = "10.0.0.1", .port = 2526, .tls = CONF_TLS_NONE },
};

static struct mg_conf conf = {
	.routes = routes, .nroutes = 4,
	.outbound = { .tls = CONF_TLS_OPPORTUNISTIC },
	.queue = { .mx_port = 25 },
};

static void
test_route_for_rcpt(void **state)
{
	static const struct {
		bool outbound;
		const char *rcpt;
		int rc;
		enum route_kind kind;
		const char *host;
		uint16_t port;
		const char *why;	/* prefix of the reason when refused */
	} cases[] = {
		{ false, "a@example.test", 0, ROUTE_HOST, "10.0.0.1", 2526, NULL },
		{ false, "a@EXAMPLE.Test", 0, ROUTE_HOST, "10.0.0.1", 2526, NULL },
		{ true, "a@example.test", 0, ROUTE_HOST, "10.0.0.1", 2526, NULL },
		{ true, "a@remote.example", 0, ROUTE_MX, "remote.example", 25, NULL },
		{ true, "a@Remote.EXAMPLE", 0, ROUTE_MX, "remote.example", 25, NULL },
		{ true, "a@[192.0.2.7]", 0, ROUTE_HOST, "192.0.2.7", 25, NULL },
		{ true, "a@[IPv6:2001:db8::1]", 0, ROUTE_HOST, "2001:db8::1", 25, NULL },
		{ false, "a@remote.example", -MG_ENOENT, 0, NULL, 0, "5.7.1 " },
		{ false, "a@[192.0.2.7]", -MG_ENOENT, 0, NULL, 0, "5.7.1 " },
		{ true, "no-domain", -MG_ENOENT, 0, NULL, 0, "5.1.2 " },
		{ true, "a@", -MG_ENOENT, 0, NULL, 0, "5.1.2 " },
		{ true, "a@[]", -MG_ENOENT, 0, NULL, 0, "5.1.2 " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct route_hop hop;
		const char *why = NULL;
		int rc = route_for_rcpt(&conf, cases[i].outbound, cases[i].rcpt, &hop, &why);

		if (rc != cases[i].rc)
			fail_msg("case %zu (%s): got rc %d, want %d", i, cases[i].rcpt, rc,
			    cases[i].rc);
		if (rc < 0) {
			if (why == NULL || strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
				fail_msg("case %zu: got reason \"%s\", want \"%s...\"", i,
				    why ? why : "NULL", cases[i].why);
			continue;
		}
		if (hop.kind != cases[i].kind || strcmp(hop.host, cases[i].host) != 0 ||
		    hop.port != cases[i].port)
			fail_msg("case %zu (%s): got %d %s:%u, want %d %s:%u", i, cases[i].rcpt,
			    hop.kind, hop.host, hop.port, cases[i].kind, cases[i].host,
			    cases[i].port);
	}
}

/* Same host, port, TLS policy and AUTH: one transaction; else not. */
static void
test_grouping_keys(void **state)
{
	static const struct { const char *a, *b; bool same; } cases[] = {
		{ "x@example.test", "y@example.test", true },
		{ "x@example.test", "y@other.test", true },	/* same route */
		{ "x@example.test", "y@auth.test", false },	/* policy and AUTH differ */
		{ "x@example.test", "y@none.test", false },	/* TLS policy differs */
		{ "x@a.example", "y@A.example", true },
		{ "x@a.example", "y@b.example", false },	/* MX per domain */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct route_hop ha, hb;
		const char *why;
		bool same;

		assert_int_equal(route_for_rcpt(&conf, true, cases[i].a, &ha, &why), 0);
		assert_int_equal(route_for_rcpt(&conf, true, cases[i].b, &hb, &why), 0);
		same = strcmp(ha.key, hb.key) == 0;
		if (same != cases[i].same)
			fail_msg("case %zu: %s / %s: got same=%d, want %d (%s | %s)", i,
			    cases[i].a, cases[i].b, same, cases[i].same, ha.key, hb.key);
	}
}

static void
test_mx_sort(void **state)
{
	struct route_mx mx[] = {
		{ 20, "b20" }, { 10, "a10" }, { 30, "c30" }, { 10, "b10" }, { 0, "" }, { 10, "c10" },
	};
	unsigned first_seen = 0;

	for (uint32_t rnd = 1; rnd < 200; rnd++) {
		struct route_mx m[6];
		size_t n;

		memcpy(m, mx, sizeof(mx));
		n = route_mx_sort(m, 6, rnd);
		if (n != 5)
			fail_msg("rnd %u: got %zu exchangers, want 5 (root dropped)", rnd, n);
		for (size_t i = 0; i < 3; i++)
			if (m[i].pref != 10)
				fail_msg("rnd %u: position %zu has preference %u", rnd, i, m[i].pref);
		if (strcmp(m[3].name, "b20") != 0 || strcmp(m[4].name, "c30") != 0)
			fail_msg("rnd %u: got tail %s %s", rnd, m[3].name, m[4].name);
		first_seen |= 1u << (m[0].name[0] - 'a');
	}
	/* equal preferences are spread: each of a10, b10, c10 comes first */
	assert_int_equal(first_seen, 7);
	assert_true(route_mx_is_null((struct route_mx[]){ { 0, "" } }, 1));
	assert_false(route_mx_is_null((struct route_mx[]){ { 0, "" }, { 10, "a" } }, 2));
	assert_false(route_mx_is_null((struct route_mx[]){ { 0, "a" } }, 1));
	assert_false(route_mx_is_null(NULL, 0));
}

static void
test_dns_mx_decode(void **state)
{
	static const struct { const char *rdata; size_t len; int rc; uint16_t pref;
	    const char *name; } cases[] = {
		{ "\x00\x0a\x02mx\x07" "example\x03" "com\x00", 18, 0, 10, "mx.example.com" },
		{ "\x01\x00\x02MX\x01" "E\x00", 8, 0, 256, "mx.e" },
		{ "\x00\x00\x00", 3, 0, 0, "" },			/* null MX */
		{ "\x00\x0a\x02mx", 5, -MG_EPROTO, 0, NULL },		/* truncated */
		{ "\x00\x0a\x02mx\x00\x00", 7, -MG_EPROTO, 0, NULL },	/* trailing byte */
		{ "\x00\x0a\xc0\x0c", 4, -MG_EPROTO, 0, NULL },		/* compression */
		{ "\x00\x0a\x02m \x00", 6, -MG_EPROTO, 0, NULL },	/* space in label */
		{ "\x00\x0a", 2, -MG_EPROTO, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[DNS_NAME_MAX + 1] = "";
		uint16_t pref = 0;
		int rc = dns_mx_decode(mg_slice_make(cases[i].rdata, cases[i].len), &pref, name);

		if (rc != cases[i].rc)
			fail_msg("case %zu: got rc %d, want %d", i, rc, cases[i].rc);
		if (rc == 0 && (pref != cases[i].pref || strcmp(name, cases[i].name) != 0))
			fail_msg("case %zu: got %u %s, want %u %s", i, pref, name, cases[i].pref,
			    cases[i].name);
	}
}

/* A name longer than 255 characters is refused, not truncated. */
static void
test_dns_name_limit(void **state)
{
	uint8_t rdata[400];
	size_t len = 0, off = 0;
	char name[DNS_NAME_MAX + 1];

	for (int l = 0; l < 5; l++) {		/* 5 labels of 60: 304 characters */
		rdata[len++] = 60;
		memset(rdata + len, 'a', 60);
		len += 60;
	}
	rdata[len++] = 0;
	assert_true(len <= sizeof(rdata));
	assert_int_equal(dns_name_decode(mg_slice_make(rdata, len), &off, name), -MG_EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_for_rcpt),
		cmocka_unit_test(test_grouping_keys),
		cmocka_unit_test(test_mx_sort),
		cmocka_unit_test(test_dns_mx_decode),
		cmocka_unit_test(test_dns_name_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
