/* guard's greylisting state machine with an injected clock (new, early,
 * passed, allowed, expired), static recipient validation, and the MAIL and
 * RCPT checks with their replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "guard/guard.h"
#include "guard/verify.h"
#include "test_util.h"
#include "guard_fixture.h"

static const char *const grey_names[] = { "new", "early", "passed", "allowed" };

static void
test_greylist_states(void **state)
{
	/* delay 60 s, retry window 600 s, auto-allow 3600 s */
	static const struct conf_greylist gl = { true, 60, 600, 3600, NULL, 0 };
	static const struct { uint64_t dt; const char *key; int want; uint32_t wait; } steps[] = {
		{ 0, "t1", GUARD_GREY_NEW, 60 },
		{ 10, "t1", GUARD_GREY_EARLY, 50 },
		{ 0, "t2", GUARD_GREY_NEW, 60 },		/* another triplet */
		{ 49, "t1", GUARD_GREY_EARLY, 1 },
		{ 1, "t1", GUARD_GREY_PASSED, 0 },		/* at the delay */
		{ 1, "t1", GUARD_GREY_ALLOWED, 0 },
		{ 3000, "t1", GUARD_GREY_ALLOWED, 0 },	/* each use renews it */
		{ 3601, "t1", GUARD_GREY_NEW, 60 },		/* auto-allow over */
		{ 0, "t2", GUARD_GREY_NEW, 60 },		/* t2 missed its window */
		{ 660, "t2", GUARD_GREY_PASSED, 0 },	/* the window's last second */
		{ 0, "t3", GUARD_GREY_NEW, 60 },
		{ 661, "t3", GUARD_GREY_NEW, 60 },		/* past the window: over */
	};
	struct kv *kv = open_kv();
	char what[64], got[64], want[64];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint32_t wait;
		int rc;

		now_ms += steps[i].dt * 1000;
		rc = guard_greylist(kv, &gl, steps[i].key, (time_t)(now_ms / 1000), &wait);
		snprintf(what, sizeof(what), "step %zu (%s)", i, steps[i].key);
		snprintf(got, sizeof(got), "%s wait=%u", rc >= 0 && rc < 4 ? grey_names[rc] :
		    "error", wait);
		snprintf(want, sizeof(want), "%s wait=%u", grey_names[steps[i].want],
		    steps[i].wait);
		check_str(what, got, want);
	}
	kv_close(kv);
	check_failures();
}

static void
test_rcpt_static(void **state)
{
	static char *list[] = { "bob@example.test", "alice@example.test", "@catchall.test" };
	static const struct { const char *addr; int want; } cases[] = {
		{ "bob@example.test", 1 },
		{ "BOB@Example.TEST", 1 },
		{ "carol@example.test", 0 },
		{ "bob@example.testx", -1 },
		{ "bob@sub.example.test", -1 },
		{ "anyone@catchall.test", 1 },
		{ "x@other.test", -1 },
		{ "nodomain", -1 },
		{ "lice@example.test", 0 },
	};
	struct conf_guard c;

	conf_guard_defaults(&c);
	c.recipients.listed = list;
	c.recipients.nlisted = 3;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[16], want[16];
		int rc = verify_static(&c.recipients, cases[i].addr, strlen(cases[i].addr));

		snprintf(got, sizeof(got), "%d", rc);
		snprintf(want, sizeof(want), "%d", cases[i].want);
		check_str(cases[i].addr, got, want);
	}
	c.recipients.nlisted = 0;
	assert_int_equal(verify_static(&c.recipients, "bob@example.test", 16), -1);
	check_failures();
}

static void
client(struct guard_client *gc, const struct conf_guard *c, const char *ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(guard_client_init(gc, c, (struct sockaddr *)&sin), 0);
}

static void
test_door_rcpt(void **state)
{
	static char *list[] = { "bob@example.test" };
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct conf_guard c;
	struct guard_client a, b;
	char reply[GUARD_REPLY_MAX];

	conf_guard_defaults(&c);
	c.recipients.max_unknown = 2;
	c.greylist.enabled = true;
	c.greylist.delay = 5;
	client(&a, &c, "198.51.100.7");
	client(&b, &c, "198.51.100.8");		/* same /24 */
	assert_int_equal(guard_rcpt_unknown(&c, &a, reply, sizeof(reply)), GUARD_UNKNOWN_RCPT);
	check_str("unknown", reply, "550 5.1.1 User unknown");
	assert_int_equal(guard_rcpt_unknown(&c, &a, reply, sizeof(reply)), GUARD_UNKNOWN_RCPT);
	assert_int_equal(guard_rcpt_unknown(&c, &a, reply, sizeof(reply)), GUARD_UNKNOWN_LIMIT);
	check_str("limit", reply, "421 4.7.0 Too many unknown recipients, closing connection");
	/* known recipient: greylisted, by /24 across clients */
	assert_int_equal(guard_rcpt_accept(g, &c, &b, true, "S@X.test", "bob@example.test", reply,
	    sizeof(reply)), GUARD_GREYLISTED);
	check_str("grey", reply, "451 4.7.1 Greylisted, please try again in 5 seconds");
	assert_int_equal(guard_rcpt_accept(g, &c, &b, false, "s@x.test", "bob@example.test", reply,
	    sizeof(reply)), GUARD_PASS);		/* exempt listener or client */
	now_ms += 5000;
	assert_int_equal(guard_rcpt_accept(g, &c, &a, true, "s@x.test", "bob@example.test", reply,
	    sizeof(reply)), GUARD_PASS);
	/* greylisting limited to other domains */
	c.greylist.domains = list;		/* "bob@example.test" is no domain */
	c.greylist.ndomains = 1;
	assert_int_equal(guard_rcpt_accept(g, &c, &b, true, "new@x.test", "bob@example.test", reply,
	    sizeof(reply)), GUARD_PASS);
	guard_free(g);
	check_failures();
}

static void
test_door_mail(void **state)
{
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct conf_guard c;
	struct guard_client a, b;
	char reply[GUARD_REPLY_MAX];

	conf_guard_defaults(&c);
	c.rates[CONF_GUARD_MSG_SENDER] = (struct conf_guard_rate){ 2, 60, 2 };
	c.rates[CONF_GUARD_RCPT_IP] = (struct conf_guard_rate){ 1, 10, 1 };
	client(&a, &c, "203.0.113.1");
	client(&b, &c, "203.0.113.200");
	assert_int_equal(guard_mail(g, &c, &a, "Bulk@x.test", reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_mail(g, &c, &b, "bulk@X.test", reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_mail(g, &c, &a, "bulk@x.test", reply, sizeof(reply)),
	    GUARD_MSG_RATE_SENDER);
	check_str("sender", reply, "451 4.7.1 Message rate limit exceeded for this sender, "
	    "try again in 30 seconds");
	assert_int_equal(guard_mail(g, &c, &a, "", reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_rcpt(g, &c, &a, reply, sizeof(reply)), GUARD_PASS);
	assert_int_equal(guard_rcpt(g, &c, &a, reply, sizeof(reply)), GUARD_RCPT_RATE_IP);
	check_str("rcpt", reply, "451 4.7.1 Recipient rate limit exceeded for your address, "
	    "try again in 10 seconds");
	guard_free(g);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greylist_states),
		cmocka_unit_test(test_rcpt_static),
		cmocka_unit_test(test_door_rcpt),
		cmocka_unit_test(test_door_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
