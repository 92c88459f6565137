/* Configuration files in unit tests: the smallest valid file (4 lines, so
 * a setting added after it is on line 5), written into the test's scratch
 * directory and loaded; and the check of an expected "test.conf:LINE:
 * reason" error. Include after cmocka.h and test_util.h. */
#ifndef MG_TESTS_CONF_FIXTURE_H
#define MG_TESTS_CONF_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"

#define CONF_BASE \
	"spool = \"s\";\nstore = \"d/x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"

/* Writes text to dir/test.conf and loads it (NULL with the reason in err). */
static inline struct mg_conf *
conf_fixture_load(const char *dir, const char *text, char *err, size_t errlen)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/test.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return conf_load(path, err, errlen);
}

/* CONF_BASE, then snippet inside engine = { reputation = { ... }; }; so
 * that the snippet's first line is line 6 of the file. */
static inline struct mg_conf *
conf_fixture_load_reputation(const char *dir, const char *snippet, char *err, size_t errlen)
{
	static const char open[] = CONF_BASE "engine = { reputation = {\n", close[] = "\n}; };\n";
	size_t n = sizeof(open) + strlen(snippet) + sizeof(close);
	char *text = malloc(n);
	struct mg_conf *c;

	assert_non_null(text);
	snprintf(text, n, "%s%s%s", open, snippet, close);
	c = conf_fixture_load(dir, text, err, errlen);
	free(text);
	return c;
}

/* Counts a failure (check_str) unless text is refused with want, the
 * error from "test.conf" on (the directory left out). */
static inline void
conf_fixture_expect_error(const char *dir, const char *what, const char *text,
    const char *want)
{
	char err[512], got[512];
	struct mg_conf *c = conf_fixture_load(dir, text, err, sizeof(err));
	const char *name;

	if (c != NULL) {
		conf_free(c);
		check_str(what, "(loaded)", want);
		return;
	}
	name = strstr(err, "test.conf");
	snprintf(got, sizeof(got), "%s", name ? name : err);
	check_str(what, got, want);
}

/* A table of texts each refused with its error ("error case N" in the
 * report); check_failures() is left to the caller. */
struct conf_error_case {
	const char	*text;
	const char	*want;
};

static inline void
conf_fixture_expect_errors(const char *dir, const struct conf_error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char what[64];

		snprintf(what, sizeof(what), "error case %zu", i);
		conf_fixture_expect_error(dir, what, cases[i].text, cases[i].want);
	}
}

#endif
