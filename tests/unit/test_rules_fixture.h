/* Shared by the rules unit tests: a rule text compiled into a set, a
 * message parsed and analysed as the engine does, and the rules that
 * fired as the string "NAME NAME=option ..." in definition order. */
#ifndef MG_TESTS_TEST_RULES_FIXTURE_H
#define MG_TESTS_TEST_RULES_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "rules/rules.h"

/* A compiled set of text; fails the test on any error. */
static inline struct rules_set *
fixture_set(const char *text, size_t max_scan)
{
	struct rules_limits lim = { max_scan, 10000 };
	struct rules_set *set = rules_new();
	char err[512];

	assert_non_null(set);
	if (rules_parse(set, "t.rules", text, strlen(text), err, sizeof(err)) != 0 ||
	    rules_compile(set, &lim, err, sizeof(err)) != 0)
		fail_msg("rule set: %s", err);
	return set;
}

/* What set fires on the message raw (fired: externals that fired,
 * space-separated, or ""), into got. */
static inline void
fixture_scan(const struct rules_set *set, const char *raw, struct rules_env *env,
    char *got, size_t gotlen)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 64u << 20);
	struct mime_analyze_ctx *ctx;
	struct mime_limits lim;
	struct rules_hits hits;
	struct mime_msg *m;
	char err[256];
	size_t n = 0;
	int rc;

	mime_limits_default(&lim);
	assert_non_null(m = mime_parse(a, (const uint8_t *)raw, strlen(raw), &lim));
	if ((ctx = mime_analyze_ctx_new(err, sizeof(err))) == NULL)
		fail_msg("mime_analyze_ctx_new: %s", err);
	assert_int_equal(mime_analyze(ctx, a, m), 0);
	mime_analyze_ctx_free(ctx);
	if ((rc = rules_scan(set, a, m, env, &hits)) != 0)
		fail_msg("rules_scan: %s", mg_strerror(rc));
	got[0] = '\0';
	for (size_t i = 0; i < rules_count(set) && n < gotlen; i++) {
		if (!hits.fired[i])
			continue;
		n += (size_t)snprintf(got + n, gotlen - n, "%s%s", n ? " " : "",
		    rules_get(set, i)->name);
		if (hits.option[i] != NULL && n < gotlen)
			n += (size_t)snprintf(got + n, gotlen - n, "=%s", hits.option[i]);
	}
	mg_arena_free(a);
}

#endif
