/* The Received field smtpd adds (RFC 5321 4.4): clauses, the TLS comment,
 * RFC 3848 protocol names, untrusted HELO text made safe, and folding at
 * 78 columns; and the Message-ID added to outbound mail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "daemon/smtpd_int.h"

#define QID	0x6b05afe84e0874b4ull
#define WHEN	((time_t)1795534824)		/* Tue, 24 Nov 2026 15:40:24 UTC */

struct received_case {
	const char	*name;
	const char	*ip;
	const char	*helo;
	bool		 esmtp;
	const char	*tls;
	const char	*rcpt;
	const char	*want;		/* exact, or NULL to check the shape only */
	const char	*user;		/* authenticated (SMTP AUTH), or NULL */
};

static const struct received_case cases[] = {
	{ "plain, one recipient", "192.0.2.1", "client.example", true, NULL, "x@example.test",
	  "Received: from client.example ([192.0.2.1]) by mx.test (mailgate) with ESMTP\r\n"
	  "\tid 6b05afe84e0874b4 for <x@example.test>; Tue, 24 Nov 2026 15:40:24 +0000\r\n", NULL },
	{ "tls, several recipients", "192.0.2.1", "client.example", true,
	  "TLSv1.3 TLS_AES_256_GCM_SHA384", NULL,
	  "Received: from client.example ([192.0.2.1])\r\n"
	  "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) by mx.test (mailgate)\r\n"
	  "\twith ESMTPS id 6b05afe84e0874b4; Tue, 24 Nov 2026 15:40:24 +0000\r\n", NULL },
	{ "tls, authenticated", "192.0.2.1", "client.example", true,
	  "TLSv1.3 TLS_AES_256_GCM_SHA384", NULL,
	  "Received: from client.example ([192.0.2.1])\r\n"
	  "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) by mx.test (mailgate)\r\n"
	  "\twith ESMTPSA id 6b05afe84e0874b4; Tue, 24 Nov 2026 15:40:24 +0000\r\n", "alice" },
	{ "authenticated in clear", "192.0.2.1", "client.example", true, NULL, NULL,
	  "Received: from client.example ([192.0.2.1]) by mx.test (mailgate) with ESMTPA\r\n"
	  "\tid 6b05afe84e0874b4; Tue, 24 Nov 2026 15:40:24 +0000\r\n", "alice" },
	{ "helo, ipv6", "2001:db8::1", "h", false, NULL, NULL,
	  "Received: from h ([IPv6:2001:db8::1]) by mx.test (mailgate) with SMTP\r\n"
	  "\tid 6b05afe84e0874b4; Tue, 24 Nov 2026 15:40:24 +0000\r\n", NULL },
	{ "hostile helo", "192.0.2.1", "a\r\nX-Injected: 1", true, NULL, NULL,
	  "Received: from a??X-Injected:?1 ([192.0.2.1]) by mx.test (mailgate) with ESMTP\r\n"
	  "\tid 6b05afe84e0874b4; Tue, 24 Nov 2026 15:40:24 +0000\r\n", NULL },
	{ "long helo", "192.0.2.1", NULL, true, "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256",
	  "a-rather-long-local-part.with.dots@a-rather-long-domain-name.example.test", NULL, NULL },
};

/* Every line but a lone overlong word fits in 78 columns; continuation
 * lines start with a tab; the field ends with CRLF. */
static void
check_shape(const char *name, const char *h)
{
	const char *line = h, *eol;

	while ((eol = strstr(line, "\r\n")) != NULL) {
		size_t len = (size_t)(eol - line);

		if (len > 78 && memchr(line + 1, ' ', len - 1) != NULL)
			fail_msg("%s: line of %zu columns: %.*s", name, len, (int)len, line);
		if (line != h && line[0] != '\t')
			fail_msg("%s: continuation without a tab: %.*s", name, (int)len, line);
		line = eol + 2;
	}
	if (*line != '\0')
		fail_msg("%s: does not end with CRLF: %s", name, h);
}

static void
fill_info(struct smtp_session_info *info, const struct received_case *c, char *helo)
{
	memset(info, 0, sizeof(*info));
	if (strchr(c->ip, ':') != NULL) {
		info->peer.sin6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, c->ip, &info->peer.sin6.sin6_addr);
	} else {
		info->peer.sin.sin_family = AF_INET;
		inet_pton(AF_INET, c->ip, &info->peer.sin.sin_addr);
	}
	snprintf(info->ip, sizeof(info->ip), "%s", c->ip);
	info->helo = helo;
	info->esmtp = c->esmtp;
	info->tls = (char *)c->tls;
	info->user = c->user;
}

static void
test_received(void **state)
{
	char longhelo[400];

	memset(longhelo, 'h', sizeof(longhelo) - 1);
	longhelo[sizeof(longhelo) - 1] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct received_case *c = &cases[i];
		struct smtp_session_info info;
		struct mg_buf b;

		fill_info(&info, c, c->helo != NULL ? (char *)c->helo : longhelo);
		mg_buf_init(&b, 0);
		assert_int_equal(smtpd_received(&b, &info, "mx.test", QID, c->rcpt, WHEN), 0);
		assert_int_equal(mg_buf_cstr(&b), 0);
		if (c->want != NULL && strcmp((char *)b.data, c->want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", c->name, (char *)b.data, c->want);
		check_shape(c->name, (char *)b.data);
		if (c->helo == NULL && (strstr((char *)b.data, longhelo) != NULL ||
		    strstr((char *)b.data, longhelo + 400 - 1 - 255) == NULL))
			fail_msg("%s: HELO not cut at 255: %s", c->name, (char *)b.data);
		mg_buf_release(&b);
	}
}

static void
test_message_id(void **state)
{
	struct mg_buf a, b;

	mg_buf_init(&a, 0);
	mg_buf_init(&b, 0);
	assert_int_equal(smtpd_message_id(&a, QID, "mx.test"), 0);
	assert_int_equal(smtpd_message_id(&b, QID, "mx.test"), 0);
	assert_int_equal(mg_buf_cstr(&a), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	if (strncmp((char *)a.data, "Message-ID: <6b05afe84e0874b4.", 30) != 0 ||
	    strstr((char *)a.data, "@mx.test>\r\n") == NULL)
		fail_msg("got \"%s\"", (char *)a.data);
	if (strcmp((char *)a.data, (char *)b.data) == 0)
		fail_msg("two Message-IDs for one queue id are equal: %s", (char *)a.data);
	mg_buf_release(&a);
	mg_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_received),
		cmocka_unit_test(test_message_id),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
