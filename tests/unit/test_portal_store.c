/* The portal's store tables (SQLite in a temporary directory): a link
 * nonce is used once, a second use is refused until the link expires and
 * is purged, and each user's last digest time is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"

#include "core/err.h"
#include "store/store.h"

struct fixture {
	char		 root[64];
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128], err[512] = "";

	assert_non_null(f);
	strcpy(f->root, "/tmp/mg-pstore-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/log.db", f->root);
	if ((f->st = store_open(path, false, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	f->st = store_close(f->st);
	remove_tree(f->root);
	free(f);
	return 0;
}

static void
test_token_single_use(void **state)
{
	struct fixture *f = *state;
	char longnonce[80];
	/* Steps run in order against the same store. */
	static const struct {
		const char *nonce;
		time_t expires, now;
		int want;
	} steps[] = {
		{ "aa", 100, 10, 0 },
		{ "aa", 100, 20, -MG_EEXIST },		/* second use */
		{ "bb", 200, 20, 0 },
		{ "aa", 100, 100, -MG_EEXIST },		/* expires at 100: still kept */
		{ "aa", 300, 101, 0 },			/* purged, so new again */
		{ "bb", 200, 150, -MG_EEXIST },
		{ "", 200, 150, -MG_EINVAL },
	};
	int rc;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = store_token_use(f->st, steps[i].nonce, steps[i].expires, steps[i].now);
		if (rc != steps[i].want) {
			print_error("step %zu nonce %s now %lld: got %d want %d\n", i,
			    steps[i].nonce, (long long)steps[i].now, rc, steps[i].want);
			test_failures++;
		}
	}
	check_failures();
	memset(longnonce, 'a', sizeof(longnonce) - 1);
	longnonce[sizeof(longnonce) - 1] = '\0';
	assert_int_equal(store_token_use(f->st, longnonce, 500, 150), -MG_EINVAL);
}

static void
test_digest(void **state)
{
	struct fixture *f = *state;
	time_t last = 99;

	assert_int_equal(store_digest_get(f->st, "alice@example.test", &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(store_digest_set(f->st, "alice@example.test", 1000), 0);
	assert_int_equal(store_digest_set(f->st, "bob@example.test", 2000), 0);
	assert_int_equal(store_digest_set(f->st, "alice@example.test", 3000), 0);
	assert_int_equal(store_digest_get(f->st, "alice@example.test", &last), 0);
	assert_int_equal(last, 3000);
	assert_int_equal(store_digest_get(f->st, "bob@example.test", &last), 0);
	assert_int_equal(last, 2000);
	assert_int_equal(store_digest_get(f->st, "carol@example.test", &last), 0);
	assert_int_equal(last, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_single_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
