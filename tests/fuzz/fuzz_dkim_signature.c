/* libFuzzer target: what a sender controls in DKIM and ARC. The first
 * byte picks the parser: 0-2 a DKIM-Signature, ARC-Message-Signature or
 * ARC-Seal tag list; 3-5 a key record (TXT) for each algorithm; anything
 * else a whole message through dkim_verify and arc_verify without DNS
 * (canonicalisation and body hashes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/arc.h"
#include "auth/dkim_int.h"
#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_signature(enum dkim_kind kind, const uint8_t *p, size_t n, struct mg_arena *a)
{
	static const char name[] = "DKIM-Signature:";
	uint8_t *field = malloc(sizeof(name) + n);
	struct dkim_sig *s = malloc(sizeof(*s));
	struct dkim_field f;
	const char *why = NULL;

	memcpy(field, name, sizeof(name) - 1);
	memcpy(field + sizeof(name) - 1, p, n);
	f.name = mg_slice_make(field, sizeof(name) - 2);
	f.all = mg_slice_make(field, sizeof(name) - 1 + n);
	if (dkim_sig_parse(a, kind, &f, s, &why) == 0) {
		if (s->b_start > s->b_end || s->b_end > f.all.len || s->nh > DKIM_MAX_HFIELDS ||
		    s->blen == 0 || s->blen > DKIM_MAX_SIG_BYTES || s->domain == NULL)
			abort();
		(void)dkim_sig_check(s, 1772442000);
	} else if (why == NULL)
		abort();
	free(s);
	free(field);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_arena *a;
	struct dkim_result *res;
	struct arc_result arc;
	struct dkim_key key;
	struct mime_msg *m;
	const char *why = NULL;
	size_t n;

	if (size == 0 || (a = mg_arena_new(64 * 1024, 64u << 20)) == NULL)
		return 0;
	if (data[0] < 3)
		fuzz_signature((enum dkim_kind)data[0], data + 1, size - 1, a);
	else if (data[0] < 6) {
		if (dkim_key_parse(data + 1, size - 1, (enum dkim_alg)(data[0] - 3), &key, &why) == 0)
			EVP_PKEY_free(key.pkey);
		else if (why == NULL)
			abort();
	} else if ((m = mime_parse(a, data + 1, size - 1, NULL)) != NULL) {
		if (dkim_verify(m, data + 1, size - 1, NULL, 0, a, &res, &n) == 0)
			for (size_t i = 0; i < n; i++)
				if (res[i].status == DKIM_PASS)
					abort();	/* nothing passes without a key */
		if (arc_verify(m, data + 1, size - 1, NULL, 0, a, &arc) == 0 &&
		    arc.status == ARC_PASS)
			abort();
	}
	mg_arena_free(a);
	return 0;
}
