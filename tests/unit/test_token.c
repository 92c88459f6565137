/* Signed links (quarantine/token.h): a signed token verifies back to the
 * same fields; a changed payload or mac, another key, an expired token, a
 * truncated one and garbage are refused; the key file is created once
 * (0600) and a file of the wrong size is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/err.h"
#include "quarantine/token.h"

#define NOW	2000000000

static const uint8_t key[QTOKEN_KEY_LEN] = "0123456789abcdef0123456789abcdef";

static void
sign(struct qtoken *t, enum qtoken_action a, const char *user, uint64_t id,
    time_t expires, char *out, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->action = a;
	snprintf(t->user, sizeof(t->user), "%s", user);
	t->id = id;
	t->expires = expires;
	assert_int_equal(qtoken_sign(key, t, out, len), 0);
}

static void
test_round_trip(void **state)
{
	struct qtoken t, got;
	char text[QTOKEN_TEXT_MAX];
	static const struct {
		enum qtoken_action a;
		const char *user, *want_user;
		uint64_t id;
	} cases[] = {
		{ QTOKEN_LOGIN, "Alice@Example.TEST", "alice@example.test", 0 },
		{ QTOKEN_RELEASE, "bob@example.test", "bob@example.test", 0x0123456789abcdefull },
		{ QTOKEN_ALLOW, "x@y", "x@y", UINT64_MAX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sign(&t, cases[i].a, cases[i].user, cases[i].id, NOW + 60, text, sizeof(text));
		assert_null(strpbrk(text, "+/=?&% "));
		assert_int_equal(qtoken_verify(key, text, NOW, &got), 0);
		check_str("user", got.user, cases[i].want_user);
		check_str("nonce", got.nonce, t.nonce);
		check_str("action", qtoken_action_name(got.action),
		    qtoken_action_name(cases[i].a));
		if (got.id != cases[i].id || got.expires != NOW + 60) {
			print_error("case %zu: id %llx expires %lld\n", i,
			    (unsigned long long)got.id, (long long)got.expires);
			test_failures++;
		}
	}
	check_failures();
	/* Two tokens for the same thing differ by their nonce. */
	char other[QTOKEN_TEXT_MAX];
	struct qtoken t2;
	sign(&t2, QTOKEN_ALLOW, "x@y", UINT64_MAX, NOW + 60, other, sizeof(other));
	assert_string_not_equal(text, other);
	assert_string_equal(qtoken_action_name(QTOKEN_LOGIN), "login");
}

static void
test_refused(void **state)
{
	static const uint8_t other_key[QTOKEN_KEY_LEN] = "fedcba9876543210fedcba9876543210";
	struct qtoken t, got;
	char text[QTOKEN_TEXT_MAX], bad[QTOKEN_TEXT_MAX + 8], *dot;
	int rc;

	(void)state;
	sign(&t, QTOKEN_RELEASE, "alice@example.test", 42, NOW + 60, text, sizeof(text));
	dot = strchr(text, '.');
	assert_non_null(dot);

	struct { const char *what; int want; } cases[] = {
		{ "payload changed", -MG_EPROTO }, { "mac changed", -MG_EPROTO },
		{ "truncated mac", -MG_EPROTO }, { "truncated payload", -MG_EPROTO },
		{ "no dot", -MG_EPROTO }, { "empty", -MG_EPROTO },
		{ "garbage", -MG_EPROTO }, { "padding", -MG_EPROTO },
		{ "too long", -MG_EPROTO },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(bad, sizeof(bad), "%s", text);
		switch (i) {
		case 0: bad[3] = bad[3] == 'A' ? 'B' : 'A'; break;
		case 1: bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A'; break;
		case 2: bad[strlen(bad) - 1] = '\0'; break;
		case 3: memmove(bad + 1, bad + 5, strlen(bad + 5) + 1); break;
		case 4: bad[dot - text] = 'A'; break;
		case 5: bad[0] = '\0'; break;
		case 6: snprintf(bad, sizeof(bad), "%s", "<script>.</script>"); break;
		case 7: snprintf(bad, sizeof(bad), "%s=", text); break;
		case 8: memset(bad, 'A', sizeof(bad) - 1); bad[sizeof(bad) - 1] = '\0';
			bad[100] = '.'; break;
		}
		rc = qtoken_verify(key, bad, NOW, &got);
		if (rc != cases[i].want) {
			print_error("%s: got %d want %d\n", cases[i].what, rc, cases[i].want);
			test_failures++;
		}
	}
	check_failures();
	assert_int_equal(qtoken_verify(other_key, text, NOW, &got), -MG_EPROTO);
	assert_int_equal(qtoken_verify(key, text, NOW + 60, &got), -MG_ETIMEOUT);
	assert_int_equal(qtoken_verify(key, text, NOW + 59, &got), 0);
	t.user[0] = '\0';
	assert_int_equal(qtoken_sign(key, &t, text, sizeof(text)), -MG_EINVAL);
	snprintf(t.user, sizeof(t.user), "a b@c");
	assert_int_equal(qtoken_sign(key, &t, text, sizeof(text)), -MG_EINVAL);
	snprintf(t.user, sizeof(t.user), "a@c");
	assert_int_equal(qtoken_sign(key, &t, text, 40), -MG_ELIMIT);
}

static void
test_key_file(void **state)
{
	char dir[] = "/tmp/mg-token-XXXXXX", path[64];
	uint8_t k1[QTOKEN_KEY_LEN], k2[QTOKEN_KEY_LEN];
	struct stat sb;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/portal.key", dir);
	assert_int_equal(qtoken_key_load(path, k1), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, QTOKEN_KEY_LEN);
	assert_int_equal(qtoken_key_load(path, k2), 0);
	assert_memory_equal(k1, k2, QTOKEN_KEY_LEN);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputc('x', fp);
	fclose(fp);
	assert_int_equal(qtoken_key_load(path, k2), -MG_EPROTO);
	snprintf(path, sizeof(path), "%s/none/portal.key", dir);
	assert_int_equal(qtoken_key_load(path, k2), -MG_EIO);
	remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
