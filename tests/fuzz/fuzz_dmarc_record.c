/* libFuzzer target: what a From domain's owner and a sender control in
 * DMARC: the input is parsed as a policy record, and as the value of a
 * From field whose domain DMARC would look up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/dmarc.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_from(struct mg_arena *a, const uint8_t *data, size_t size)
{
	static const char pre[] = "From: ", post[] = "\r\n\r\nbody\r\n";
	struct mime_limits lim;
	struct mime_msg *m;
	const char *domain;
	uint8_t *msg = mg_arena_alloc(a, size + sizeof(pre) + sizeof(post));

	if (msg == NULL)
		return;
	memcpy(msg, pre, sizeof(pre) - 1);
	memcpy(msg + sizeof(pre) - 1, data, size);
	memcpy(msg + sizeof(pre) - 1 + size, post, sizeof(post) - 1);
	mime_limits_default(&lim);
	if ((m = mime_parse(a, msg, size + sizeof(pre) + sizeof(post) - 2, &lim)) == NULL)
		return;
	if (dmarc_from_domain(a, m, &domain) == 0 && (strlen(domain) == 0 ||
	    strlen(domain) > 253 || strcmp(dmarc_org_domain(domain), "") == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 64u << 20);
	struct dmarc_record r;

	if (a == NULL)
		return 0;
	if (dmarc_record_parse(a, (const char *)data, size, &r) == 0 &&
	    (r.pct > 100 || r.p > DMARC_P_REJECT || r.sp > DMARC_P_REJECT))
		abort();
	fuzz_from(a, data, size);
	mg_arena_free(a);
	return 0;
}
