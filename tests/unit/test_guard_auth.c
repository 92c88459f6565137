/* guard's scopes for authenticated submission: messages_per_user at MAIL
 * and auth_failures_per_ip around AUTH (looked at without taking, taken
 * on a failure), on the injected clock; their settings and reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/conf.h"
#include "guard/guard.h"
#include "test_util.h"
#include "guard_fixture.h"
#include "conf_fixture.h"

static char dir[] = "/tmp/test_guard_auth.XXXXXX";

static void
client(struct guard_client *gc, const struct conf_guard *c, const char *ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(guard_client_init(gc, c, (struct sockaddr *)&sin), 0);
}

static void
test_conf(void **state)
{
	char err[512];
	struct mg_conf *c = conf_fixture_load(dir, CONF_BASE "guard = { rate_limits = {\n"
	    " messages_per_user = { rate = 100; per = 3600; burst = 20; };\n"
	    " auth_failures_per_ip = { rate = 5; per = 600; }; }; };\n", err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_USER].rate, 100);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_USER].per, 3600);
	assert_int_equal(c->guard.rates[CONF_GUARD_MSG_USER].burst, 20);
	assert_int_equal(c->guard.rates[CONF_GUARD_AUTH_FAIL_IP].rate, 5);
	assert_int_equal(c->guard.rates[CONF_GUARD_AUTH_FAIL_IP].burst, 5);
	conf_free(c);
	conf_fixture_expect_error(dir, "per out of range", CONF_BASE
	    "guard = { rate_limits = {\n auth_failures_per_ip = { rate = 5; per = 0; }; }; };\n",
	    "test.conf:6: guard.rate_limits.auth_failures_per_ip.per = 0 is out of range "
	    "[1, 86400]");
	conf_fixture_expect_error(dir, "unknown key", CONF_BASE
	    "guard = { rate_limits = {\n messages_per_user = { rate = 5; bucket = 2; }; }; };\n",
	    "test.conf:6: unknown setting 'bucket' in guard.rate_limits.messages_per_user");
	check_str("reason name", guard_reason_names[GUARD_MSG_RATE_USER], "msg_rate_user");
	check_str("reason name", guard_reason_names[GUARD_AUTH_FAILURES], "auth_failures");
	assert_null(guard_reason_names[GUARD_NREASONS]);
	check_failures();
}

static void
test_messages_per_user(void **state)
{
	static const struct {
		const char	*user;
		uint64_t	 advance_ms;	/* before the MAIL */
		enum guard_reason want;
	} steps[] = {
		{ "alice", 0, GUARD_PASS }, { "alice", 0, GUARD_PASS },
		{ "alice", 0, GUARD_MSG_RATE_USER },	/* burst 2 used */
		{ "bob", 0, GUARD_PASS },		/* another bucket */
		{ "Alice", 0, GUARD_PASS },		/* user names are case-sensitive */
		{ "alice", 29000, GUARD_MSG_RATE_USER },	/* one every 30 s */
		{ "alice", 1000, GUARD_PASS },
		{ "alice", 0, GUARD_MSG_RATE_USER },
	};
	struct conf_guard c;
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct guard_client gc;
	char reply[GUARD_REPLY_MAX], what[64];

	conf_guard_defaults(&c);
	c.rates[CONF_GUARD_MSG_USER] = (struct conf_guard_rate){ 2, 60, 2 };
	client(&gc, &c, "192.0.2.1");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum guard_reason r;

		now_ms += steps[i].advance_ms;
		reply[0] = '\0';
		r = guard_mail_user(g, &c, &gc, steps[i].user, reply, sizeof(reply));
		snprintf(what, sizeof(what), "step %zu (%s)", i, steps[i].user);
		check_str(what, guard_reason_names[r], guard_reason_names[steps[i].want]);
		if (r != GUARD_PASS && strncmp(reply, "451 4.7.1 Message rate limit exceeded for "
		    "this user, try again in ", 64) != 0)
			check_str(what, reply, "451 4.7.1 Message rate limit exceeded for this user, ...");
	}
	gc.allowed = true;	/* allow_ip: exempt */
	check_str("allowed", guard_reason_names[guard_mail_user(g, &c, &gc, "alice", reply,
	    sizeof(reply))], "pass");
	guard_free(g);
	check_failures();
}

static void
test_auth_failures(void **state)
{
	struct conf_guard c;
	struct guard *g = guard_new(open_kv(), guard_clock);
	struct guard_client gc, other;
	char reply[GUARD_REPLY_MAX];

	conf_guard_defaults(&c);
	client(&gc, &c, "192.0.2.9");
	client(&other, &c, "192.0.2.10");
	/* off: never refused */
	guard_auth_failed(g, &c, &gc);
	assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_PASS);
	c.rates[CONF_GUARD_AUTH_FAIL_IP] = (struct conf_guard_rate){ 3, 60, 3 };
	/* looking does not take */
	for (int i = 0; i < 10; i++)
		assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_PASS);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_PASS);
		guard_auth_failed(g, &c, &gc);
	}
	assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_AUTH_FAILURES);
	check_str("reply", reply, "421 4.7.0 Too many failed authentications from your "
	    "address, try again in 20 seconds");
	assert_int_equal(guard_auth(g, &c, &other, reply, sizeof(reply)), GUARD_PASS);
	now_ms += 20000;	/* one token back */
	assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_PASS);
	guard_auth_failed(g, &c, &gc);
	assert_int_equal(guard_auth(g, &c, &gc, reply, sizeof(reply)), GUARD_AUTH_FAILURES);
	guard_free(g);
	check_failures();
}

static int
setup(void **state)
{
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	remove_tree(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_messages_per_user),
		cmocka_unit_test(test_auth_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
