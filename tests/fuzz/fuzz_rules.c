/* libFuzzer target: a rule file as an administrator (or a broken
 * deployment) may write it, through the parser; when it parses and its
 * patterns are small enough to compile quickly (no bounded repeats, whose
 * Hyperscan compilation can take seconds), compiled and matched against a
 * fixed message with one external symbol fired. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "mime/mime.h"
#include "rules/rules.h"

#define FUZZ_PATTERN_MAX	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char message[] =
    "Received: from a.example by b.example; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "From: \"PayPal\" <x@evil.example>\r\n"
    "Subject: =?UTF-8?B?RlJFRSBWaWFncmEhISE=?=\r\n"
    "Date: Mon, 8 Jan 2024 10:00:00 +0000\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Cheap v1agra at http://bit.ly/x caf\xc3\xa9\r\n"
    "--b\r\nContent-Type: application/zip; name=\"invoice.pdf.exe\"\r\n\r\nPK\r\n"
    "--b--\r\n";

static bool
fuzz_fired(void *arg, const char *name)
{
	size_t n = strlen(name);

	(void)arg;
	return n > 3 && strcmp(name + n - 3, "_ON") == 0;
}

/* Whether every pattern is short and without {n,m}. */
static bool
fuzz_quick(const struct rules_set *set)
{
	for (size_t i = 0; i < rules_count(set); i++) {
		const char *p = rules_get(set, i)->pattern;
		if (p != NULL && (strlen(p) > FUZZ_PATTERN_MAX || strchr(p, '{') != NULL))
			return false;
	}
	return true;
}

static void
fuzz_match(struct rules_set *set)
{
	struct rules_limits lim = { 4096, 10000 };
	struct rules_env env = { fuzz_fired, NULL, NULL, 1704708000 };
	struct mg_arena *a;
	struct mime_limits ml;
	struct rules_hits hits;
	struct mime_msg *m;
	char err[512];

	if (!fuzz_quick(set) || rules_compile(set, &lim, err, sizeof(err)) != 0)
		return;
	if ((a = mg_arena_new(64 * 1024, 16u << 20)) == NULL)
		return;
	mime_limits_default(&ml);
	if ((m = mime_parse(a, (const uint8_t *)message, sizeof(message) - 1, &ml)) != NULL &&
	    rules_scan(set, a, m, &env, &hits) == 0) {
		for (size_t i = 0; i < rules_count(set); i++)
			if (hits.fired[i] > 1 || (hits.fired[i] && rules_get(set, i)->disabled))
				abort();
	}
	mg_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct rules_set *set;
	char err[512];
	int rc;

	if (!quiet) {
		log_init("fuzz_rules", true, LOG_LVL_CRIT);	/* no fallback lines */
		quiet = true;
	}
	if ((set = rules_new()) == NULL)
		return 0;
	rc = rules_parse(set, "fuzz.rules", (const char *)data, size, err, sizeof(err));
	if (rc == 0)
		fuzz_match(set);
	else if (rc == -MG_EINVAL && strncmp(err, "fuzz.rules:", 11) != 0)
		abort();	/* every parse error names the file and line */
	rules_free(set);
	return 0;
}
