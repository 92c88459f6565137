/* Helpers shared by the unit tests: printing bytes readably in failure
 * messages, and table tests that report every failing case before failing. */
#ifndef MG_TESTS_TEST_UTIL_H
#define MG_TESTS_TEST_UTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* s[0..n) with bytes outside printable ASCII as \xNN, in one of four
 * rotating static buffers (so a message can show got and want). */
static inline const char *
esc(const void *p, size_t n)
{
	static char buf[4][2048];
	static int k;
	const uint8_t *s = p;
	char *b = buf[k++ % 4];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf[0]); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			b[o++] = (char)s[i];
		else
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\x%02x", s[i]);
	}
	b[o] = '\0';
	return b;
}

/* Failing cases counted by check_str, reported together by check_failures. */
static unsigned test_failures;

static inline void
check_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("%s:\n  got:  %s\n  want: %s\n", what, got, want);
		test_failures++;
	}
}

static inline void
check_failures(void)
{
	unsigned n = test_failures;

	test_failures = 0;
	if (n > 0)
		fail_msg("%u case(s) failed", n);
}

static inline int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a test's scratch directory and everything in it; 0 or -1. */
static inline int
remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A test file's scratch directory: TEST_SCRATCH_DIR("name") defines `dir`
 * ("/tmp/mg-name-XXXXXX") and the cmocka group functions scratch_setup
 * (makes it) and scratch_teardown (removes it with everything in it). */
#define TEST_SCRATCH_DIR(name)						\
	static char dir[] = "/tmp/mg-" name "-XXXXXX";			\
	static int							\
	scratch_setup(void **state)					\
	{								\
		(void)state;						\
		return mkdtemp(dir) == NULL ? -1 : 0;			\
	}								\
	static int							\
	scratch_teardown(void **state)					\
	{								\
		(void)state;						\
		return remove_tree(dir);				\
	}

#endif
