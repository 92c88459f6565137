/* libFuzzer target: SPF records as any domain may publish them. The input
 * is parsed as a record, each domain-spec expanded and tidied, and then
 * evaluated by check_host() against a resolver that answers every TXT
 * question with the input itself (so include: and redirect= recurse into
 * it) and every other question with one plausible record. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spf_int.h"
#include "core/err.h"
#include "net/dns.h"
#include "net/dns_rr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TXT_MAX	1024	/* bytes of input served as one TXT record */

static const uint8_t *fuzz_data;
static size_t fuzz_size;

static void
fuzz_answer(struct dns_lookup *q, struct mg_arena *a)
{
	static const uint8_t ip4[4] = { 192, 0, 2, 1 }, name[] = "\x02mx\x07" "example\0";
	uint8_t *d = mg_arena_alloc(a, FUZZ_TXT_MAX + FUZZ_TXT_MAX / 255 + 2);
	size_t n = 0;

	q->err = 0;
	q->rcode = DNS_RCODE_NOERROR;
	q->nrr = 1;
	q->rr = mg_arena_alloc(a, sizeof(*q->rr));
	if (d == NULL || q->rr == NULL) {
		q->err = -MG_EIO;
		return;
	}
	if (q->type == DNS_TYPE_TXT) {
		for (size_t i = 0; i < fuzz_size && i < FUZZ_TXT_MAX; i += 255) {
			size_t k = fuzz_size - i < 255 ? fuzz_size - i : 255;
			d[n++] = (uint8_t)k;
			memcpy(d + n, fuzz_data + i, k);
			n += k;
		}
	} else if (q->type == DNS_TYPE_MX) {
		d[n++] = 0;
		d[n++] = 10;
		memcpy(d + n, name, sizeof(name) - 1);
		n += sizeof(name) - 1;
	} else if (q->type == DNS_TYPE_PTR) {
		memcpy(d, name, sizeof(name) - 1);
		n = sizeof(name) - 1;
	} else {
		memcpy(d, ip4, sizeof(ip4));
		n = q->type == DNS_TYPE_A ? 4 : 0;
		q->nrr = n > 0;
	}
	q->rr[0] = mg_slice_make(d, n);
}

static void
fuzz_expand(const struct spf_record *r)
{
	struct spf_macro_env env = { "u@example.org", "u", "example.org", "example.org",
		"192.0.2.1", "unknown", "mail.example.org", false };
	char out[SPF_EXPAND_MAX];

	for (size_t i = 0; i < r->nterms; i++) {
		const struct spf_term *t = &r->terms[i];
		if (t->spec == NULL)
			continue;
		if (spf_macro_expand(t->spec, t->speclen, &env, out, sizeof(out)) == 0) {
			if (strlen(out) >= sizeof(out))
				abort();
			(void)spf_target_name(out);
			if (strlen(out) > SPF_NAME_MAX)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 64u << 20);
	struct spf_query q = { "192.0.2.1", "mail.example.org", "u@example.org", false };
	struct spf_record r;
	struct spf_eval *ev;
	const char *why;

	if (a == NULL)
		return 0;
	fuzz_data = data;
	fuzz_size = size;
	if (spf_record_parse(a, (const char *)data, size, &r, &why) == 0)
		fuzz_expand(&r);
	if ((ev = spf_eval_new(a, &q)) != NULL) {
		for (unsigned round = 0;; round++) {
			struct dns_lookup *b = mg_arena_alloc(a, SPF_MAX_ROUND * sizeof(*b));
			size_t n = 0;

			if (b == NULL || spf_eval_step(ev, b, &n, SPF_MAX_ROUND))
				break;
			if (n == 0 || round > 200)	/* a stall, or a loop past the limits */
				abort();
			for (size_t i = 0; i < n; i++)
				fuzz_answer(&b[i], a);
		}
	}
	mg_arena_free(a);
	return 0;
}
