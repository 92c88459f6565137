/* The Received chain: fields in the forms real MTAs write (Postfix, Exim,
 * Sendmail, qmail, Exchange and Microsoft 365, Gmail, our own smtpd),
 * written here by hand, each rendered as text against what is wanted;
 * RFC 5322 dates with their obsolete forms; the first external hop over
 * public and private IPv4 and IPv6 ranges; clock skew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include "core/arena.h"
#include "mime/mime.h"
#include "mime/received.h"

/* A top-level part holding the given header values (NULL-terminated
 * names and values alternate). */
static struct mime_part *
make_root(struct mg_arena *a, const char *const *fields, size_t n)
{
	struct mime_part *root = mg_arena_zalloc(a, sizeof(*root));
	size_t i;

	assert_non_null(root);
	root->headers = mg_arena_zalloc(a, (n ? n : 1) * sizeof(*root->headers));
	assert_non_null(root->headers);
	for (i = 0; i < n; i++) {
		const char *colon = strchr(fields[i], ':');
		struct mime_header *h = &root->headers[i];

		assert_non_null(colon);
		h->name = mg_slice_make(fields[i], (size_t)(colon - fields[i]));
		h->value = colon + 1;
		h->raw = mg_slice_make(colon + 1, strlen(colon + 1));
	}
	root->nheaders = n;
	return root;
}

/* "helo|rdns|ip|by|with|time", "-" for NULL; " unparsable" is added
 * by the caller. */
static void
render_hop(char *buf, size_t cap, const struct received_hop *h)
{
	snprintf(buf, cap, "%s|%s|%s|%s|%s|%lld", h->from_helo ? h->from_helo : "-",
	    h->from_rdns ? h->from_rdns : "-", h->from_ip ? h->from_ip : "-",
	    h->by ? h->by : "-", h->with ? h->with : "-", (long long)h->time);
}

/* Fields as MTAs write them, unfolded; want: "helo|rdns|ip|by|with|time". */
static const struct { const char *label, *field, *want; } field_cases[] = {
	{ "postfix tls",
	  "Received: from mail.example.org (mail.example.org [93.184.216.34])\t(using TLSv1.3"
	  " with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\t key-exchange X25519"
	  " server-signature RSA-PSS (2048 bits) server-digest SHA256)\t(No client"
	  " certificate requested)\tby mx.example.com (Postfix) with ESMTPS id 4DQ2Lk3Xz1z9"
	  "\tfor <user@example.com>; Mon,  1 Feb 2021 10:00:00 +0100 (CET)",
	  "mail.example.org|mail.example.org|93.184.216.34|mx.example.com|ESMTPS|1612170000" },
	{ "postfix unknown",
	  "Received: from helo.example (unknown [93.184.216.34]) by mx.example.com (Postfix)"
	  " with ESMTP id 4DQ2; Mon, 1 Feb 2021 09:00:00 +0000",
	  "helo.example|-|93.184.216.34|mx.example.com|ESMTP|1612170000" },
	{ "postfix ipv6",
	  "Received: from mail.example.net (mail.example.net [IPv6:2a00:1450:4864:20:0:0:0:42a])"
	  " by mx.example.com (Postfix) with ESMTPS id 4X; Mon, 1 Feb 2021 09:00:00 GMT",
	  "mail.example.net|mail.example.net|2a00:1450:4864:20::42a|mx.example.com|ESMTPS|"
	  "1612170000" },
	{ "postfix pickup",
	  "Received: by mx.example.com (Postfix, from userid 1000) id 4ABC; Mon, 1 Feb 2021"
	  " 10:00:00 +0100 (CET)",
	  "-|-|-|mx.example.com|-|1612170000" },
	{ "exim no rdns",
	  "Received: from [93.184.216.34] (helo=mail.example.org) by mx.example.com with esmtps"
	  " (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.92) (envelope-from"
	  " <a@example.org>) id 1abcde-0001xx-AB for b@example.com; Mon, 01 Feb 2021"
	  " 09:00:00 +0000",
	  "mail.example.org|-|93.184.216.34|mx.example.com|esmtps|1612170000" },
	{ "exim rdns",
	  "Received: from mail.example.org ([93.184.216.34] helo=smtp.example.org) by"
	  " mx.example.com with esmtp (Exim 4.94.2) id 1l6x; Mon, 01 Feb 2021 09:00:00 +0000",
	  "smtp.example.org|mail.example.org|93.184.216.34|mx.example.com|esmtp|1612170000" },
	{ "exim port",
	  "Received: from [93.184.216.34] (port=51234 helo=mail.example.org) by mx.example.com"
	  " with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1q; Mon, 01 Feb"
	  " 2021 09:00:00 +0000",
	  "mail.example.org|-|93.184.216.34|mx.example.com|esmtpsa|1612170000" },
	{ "exim ipv6 with port",
	  "Received: from [2001:4860:4860::8888]:51234 (helo=h.example) by mx.example.com"
	  " with esmtp id 1q; Mon, 01 Feb 2021 09:00:00 +0000",
	  "h.example|-|2001:4860:4860::8888|mx.example.com|esmtp|1612170000" },
	{ "sendmail",
	  "Received: from mail.example.org (mail.example.org [93.184.216.34]) by"
	  " mx.example.com (8.15.2/8.15.2) with ESMTP id 11AAB2c3012345 for"
	  " <b@example.com>; Mon, 1 Feb 2021 10:00:00 +0100",
	  "mail.example.org|mail.example.org|93.184.216.34|mx.example.com|ESMTP|1612170000" },
	{ "sendmail forged",
	  "Received: from helo.example (user@host.example.net [93.184.216.34] (may be"
	  " forged)) by mx.example.com (8.14.4/8.14.4) with ESMTP id x; Mon, 1 Feb 2021"
	  " 04:00:00 -0500",
	  "helo.example|host.example.net|93.184.216.34|mx.example.com|ESMTP|1612170000" },
	{ "exchange internal",
	  "Received: from AM6PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:20b:1::1) by"
	  " AM6PR01MB5678.eurprd01.prod.exchangelabs.com with HTTPS via"
	  " AM6P192CA0012.EURP192.PROD.OUTLOOK.COM; Mon, 1 Feb 2021 09:00:00 +0000",
	  "AM6PR01MB1234.eurprd01.prod.exchangelabs.com|-|2603:10a6:20b:1::1|"
	  "AM6PR01MB5678.eurprd01.prod.exchangelabs.com|HTTPS|1612170000" },
	{ "microsoft 365 inbound",
	  "Received: from EUR01-HE1-obe.outbound.protection.outlook.com (40.92.1.2) by"
	  " mail.example.com (10.0.0.5) with Microsoft SMTP Server (version=TLS1_2,"
	  " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2106.2; Mon, 1 Feb 2021"
	  " 09:00:00 +0000",
	  "EUR01-HE1-obe.outbound.protection.outlook.com|-|40.92.1.2|mail.example.com|"
	  "Microsoft SMTP Server|1612170000" },
	{ "gmail",
	  "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])"
	  "        by mx.google.com with SMTPS id x5sor1234567pjy.8.2021.02.01.01.00.00"
	  "        for <user@example.com>        (Google Transport Security);"
	  "        Mon, 01 Feb 2021 01:00:00 -0800 (PST)",
	  "mail-sor-f41.google.com|mail-sor-f41.google.com|209.85.220.41|mx.google.com|"
	  "SMTPS|1612170000" },
	{ "gmail first hop",
	  "Received: by 2002:a05:6402:1234:b0:4a0:1234:5678 with SMTP id x;        Mon, 1"
	  " Feb 2021 01:00:00 -0800 (PST)",
	  "-|-|-|2002:a05:6402:1234:b0:4a0:1234:5678|SMTP|1612170000" },
	{ "qmail",
	  "Received: from unknown (HELO mail.example.org) (93.184.216.34) by mx.example.com"
	  " with SMTP; 1 Feb 2021 09:00:00 -0000",
	  "mail.example.org|-|93.184.216.34|mx.example.com|SMTP|1612170000" },
	{ "qmail user@ip",
	  "Received: from unknown (HELO h) (user@93.184.216.34) by mx.example.com with SMTP;"
	  " 1 Feb 2021 09:00:00 -0000",
	  "h|-|93.184.216.34|mx.example.com|SMTP|1612170000" },
	{ "qmail local",
	  "Received: (qmail 12345 invoked by uid 89); 1 Feb 2021 09:00:00 -0000",
	  "-|-|-|-|-|1612170000" },
	{ "yahoo",
	  "Received: from 93.184.216.34 (EHLO mail.example.org) (93.184.216.34) by"
	  " mta1001.mail.gq1.yahoo.com with SMTP; Mon, 01 Feb 2021 09:00:00 +0000",
	  "mail.example.org|-|93.184.216.34|mta1001.mail.gq1.yahoo.com|SMTP|1612170000" },
	{ "mailgate",
	  "Received: from client.example ([192.0.2.1]) (using TLSv1.3 with cipher"
	  " TLS_AES_256_GCM_SHA384) by mx.test (mailgate) with ESMTPS id 6b05afe84e0874b4;"
	  " Tue, 24 Nov 2026 15:40:24 +0000",
	  "client.example|-|192.0.2.1|mx.test|ESMTPS|1795534824" },
	{ "localhost",
	  "Received: from localhost (localhost [127.0.0.1]) by mx.example.com (Postfix) with"
	  " ESMTP id X; Mon, 1 Feb 2021 09:00:00 +0000",
	  "localhost|localhost|127.0.0.1|mx.example.com|ESMTP|1612170000" },
	{ "lower case keywords, no spaces",
	  "received: FROM a.example(b.example[93.184.216.34])BY c.example WITH smtp;Mon,1 Feb"
	  " 2021 09:00:00 +0000",
	  "a.example|b.example|93.184.216.34|c.example|smtp|1612170000" },
	{ "no date", "Received: from a (a [93.184.216.34]) by b with SMTP",
	  "a|a|93.184.216.34|b|SMTP|0 unparsable" },
	{ "bad date", "Received: from a by b; Mon, 30 Feb 2021 10:00:00 +0000",
	  "a|-|-|b|-|0 unparsable" },
	{ "garbage", "Received: this is not a trace field; at all",
	  "-|-|-|-|-|0 unparsable" },
	{ "empty", "Received:", "-|-|-|-|-|0 unparsable" },
	{ "unbalanced comment", "Received: from a (b [93.184.216.34] by c; Mon, 1 Feb 2021"
	  " 09:00:00 +0000", "a|b|93.184.216.34|-|-|0 unparsable" },
	{ "address in a word only", "Received: from [not-an-ip] by b; Mon, 1 Feb 2021"
	  " 09:00:00 +0000", "[not-an-ip]|-|-|b|-|1612170000" },
};

static void
test_fields(void **state)
{
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	char got[1024], what[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const char *f = field_cases[i].field;
		struct mime_received *r = received_parse(a, make_root(a, &f, 1));

		snprintf(what, sizeof(what), "field %zu (%s)", i, field_cases[i].label);
		if (r == NULL || r->nhops != 1) {
			print_error("%s: %s\n", what, r ? "not one hop" : "NULL");
			test_failures++;
			continue;
		}
		render_hop(got, sizeof(got), &r->hops[0]);
		if (r->unparsable)
			strcat(got, " unparsable");
		check_str(what, got, field_cases[i].want);
	}
	mg_arena_free(a);
	check_failures();
}

static void
test_dates(void **state)
{
	static const struct { const char *in; long long want; } cases[] = {
		{ "Mon, 1 Feb 2021 09:00:00 +0000", 1612170000 },
		{ "Mon,  1 Feb 2021 10:00:00 +0100 (CET)", 1612170000 },
		{ "Mon, 01 Feb 2021 01:00:00 -0800 (PST)", 1612170000 },
		{ "1 Feb 2021 09:00:00 -0000", 1612170000 },
		{ "Mon 1 Feb 2021 09:00:00 +0000", 1612170000 },
		{ "Monday, 1 February 2021 09:00:00 +0000", 1612170000 },
		{ "  (comment) Mon, 1 (c) Feb 2021 09:00 +0000", 1612170000 },
		{ "Mon, 1 Feb 2021 09:00:00 GMT", 1612170000 },
		{ "Mon, 1 Feb 2021 09:00:00 UT", 1612170000 },
		{ "Mon, 1 Feb 2021 09:00:00 Z", 1612170000 },		/* military: -0000 */
		{ "Mon, 1 Feb 2021 09:00:00 XYZ", 1612170000 },		/* unknown: -0000 */
		{ "Mon, 1 Feb 2021 09:00:00", 1612170000 },		/* no zone */
		{ "Mon, 1 Feb 2021 04:00:00 EST", 1612170000 },
		{ "Mon, 1 Feb 2021 05:00:00 EDT", 1612170000 },
		{ "Mon, 1 Feb 2021 03:00:00 CST", 1612170000 },
		{ "Mon, 1 Feb 2021 02:00:00 MST", 1612170000 },
		{ "Mon, 1 Feb 2021 01:00:00 pst", 1612170000 },
		{ "1 Feb 21 10:00 EST", 1612191600 },			/* 2-digit year */
		{ "Sun, 1 Feb 98 10:00:00 GMT", 886327200 },
		{ "Sun, 1 Feb 098 10:00:00 GMT", 886327200 },		/* 3-digit year */
		{ "Thu, 31 Dec 2020 23:59:60 +0000", 1609459199 },	/* leap second */
		{ "Mon, 1 Feb 2021 09:00:00 +0000 (UTC)", 1612170000 },
		{ "Mon, 30 Feb 2021 09:00:00 +0000", 0 },
		{ "Mon, 1 Foo 2021 09:00:00 +0000", 0 },
		{ "Mon, 1 Feb 2021 24:00:00 +0000", 0 },
		{ "Mon, 1 Feb 2021 09:60:00 +0000", 0 },
		{ "Mon, 1 Feb 2021 09:00:00 +2500", 0 },
		{ "Mon, 1 Feb 2021 09:00:00 +01", 0 },
		{ "Mon, 1 Feb 1969 09:00:00 +0000", 0 },
		{ "Mon, 1 Feb 2021", 0 },
		{ "2021-02-01T09:00:00Z", 0 },
		{ "", 0 },
		{ "Mon,", 0 },
	};
	char got[64], want[64], what[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t = 0;
		bool ok = received_date_parse(cases[i].in, strlen(cases[i].in), &t);

		snprintf(got, sizeof(got), "%s %lld", ok ? "ok" : "bad", ok ? (long long)t : 0);
		snprintf(want, sizeof(want), "%s %lld", cases[i].want ? "ok" : "bad", cases[i].want);
		snprintf(what, sizeof(what), "date %zu \"%s\"", i, cases[i].in);
		check_str(what, got, want);
	}
	check_failures();
}

/* Newest first: our internal hop, our edge receiving from the sender's
 * relay, the relay receiving from a laptop whose clock runs ahead, the
 * laptop's local submission. */
static void
test_chain(void **state)
{
	static const char *const fields[] = {
		"Subject: not a trace field",
		"Received: from mx.example.org (mx.example.org [10.1.2.3]) by mbox.example.org"
		" with LMTP id 1; Mon, 1 Feb 2021 10:00:05 +0000",
		"Received: from relay.example.net (relay.example.net [93.184.216.34]) by"
		" mx.example.org with ESMTPS id 2; Mon, 1 Feb 2021 10:00:03 +0000",
		"Received: from [192.168.1.10] (helo=laptop) by relay.example.net with esmtpsa"
		" id 3; Mon, 1 Feb 2021 11:00:10 +0100",
		"X-Other: between",
		"Received: by laptop (sendmail) id 4; Mon, 1 Feb 2021 10:00:01 +0000",
	};
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	struct mime_received *r;

	(void)state;
	r = received_parse(a, make_root(a, fields, sizeof(fields) / sizeof(fields[0])));
	assert_non_null(r);
	assert_int_equal(r->nhops, 4);
	assert_false(r->unparsable);
	assert_ptr_equal(r->first_external, &r->hops[1]);
	assert_string_equal(r->first_external->from_ip, "93.184.216.34");
	assert_string_equal(r->first_external->from_helo, "relay.example.net");
	/* 10:00:10 at the relay, then 10:00:03 at our edge */
	assert_int_equal(r->max_skew, 7);
	assert_string_equal(r->hops[3].by, "laptop");

	/* no Received field at all */
	r = received_parse(a, make_root(a, fields, 1));
	assert_non_null(r);
	assert_int_equal(r->nhops, 0);
	assert_null(r->first_external);
	assert_int_equal(r->max_skew, 0);
	assert_false(r->unparsable);
	mg_arena_free(a);
}

/* The oldest public hop wins; times that only go forward give no skew;
 * an unparsable field marks the chain and keeps its place. */
static void
test_chain_oldest(void **state)
{
	static const char *const fields[] = {
		"Received: from b.example (b.example [93.184.216.35]) by c.example with ESMTP;"
		" Mon, 1 Feb 2021 10:00:09 +0000",
		"Received: garbage",
		"Received: from a.example (a.example [93.184.216.34]) by b.example with ESMTP;"
		" Mon, 1 Feb 2021 10:00:02 +0000",
		"Received: from x ([10.0.0.1]) by a.example with ESMTP; Mon, 1 Feb 2021 10:00:01 +0000",
	};
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	struct mime_received *r;

	(void)state;
	r = received_parse(a, make_root(a, fields, 4));
	assert_non_null(r);
	assert_int_equal(r->nhops, 4);
	assert_true(r->unparsable);
	assert_null(r->hops[1].from_helo);
	assert_ptr_equal(r->first_external, &r->hops[2]);
	assert_int_equal(r->max_skew, 0);
	mg_arena_free(a);
}

/* Which addresses count as external. */
static void
test_public_ranges(void **state)
{
	static const struct { const char *ip; bool external; } cases[] = {
		{ "93.184.216.34", true }, { "8.8.8.8", true }, { "1.1.1.1", true },
		{ "10.1.2.3", false }, { "172.16.0.1", false }, { "172.31.255.255", false },
		{ "172.32.0.1", true }, { "192.168.0.1", false }, { "127.0.0.1", false },
		{ "169.254.1.1", false }, { "100.64.0.1", false }, { "100.127.255.255", false },
		{ "100.128.0.1", true }, { "192.0.2.1", false }, { "198.51.100.1", false },
		{ "203.0.113.1", false }, { "198.18.0.1", false }, { "0.1.2.3", false },
		{ "224.0.0.1", false }, { "240.0.0.1", false }, { "255.255.255.255", false },
		{ "192.0.0.8", false },
		{ "IPv6:2a00:1450:4864:20::42a", true }, { "2606:4700::1111", true },
		{ "IPv6:::1", false }, { "IPv6:::", false }, { "fe80::1", false },
		{ "fd12:3456::1", false }, { "fc00::1", false }, { "2001:db8::1", false },
		{ "3fff::1", false }, { "ff02::1", false }, { "fec0::1", false },
		{ "100::1", false },
		{ "IPv6:::ffff:10.0.0.1", false }, { "IPv6:::ffff:93.184.216.34", true },
		{ "64:ff9b::93.184.216.34", true }, { "64:ff9b::192.168.1.1", false },
	};
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	char field[256], what[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f = field;
		struct mime_received *r;

		snprintf(field, sizeof(field), "Received: from h (h [%s]) by mx; Mon, 1 Feb 2021"
		    " 09:00:00 +0000", cases[i].ip);
		r = received_parse(a, make_root(a, &f, 1));
		assert_non_null(r);
		snprintf(what, sizeof(what), "address %s", cases[i].ip);
		check_str(what, r->first_external ? "external" : "internal",
		    cases[i].external ? "external" : "internal");
	}
	mg_arena_free(a);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_oldest),
		cmocka_unit_test(test_public_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
