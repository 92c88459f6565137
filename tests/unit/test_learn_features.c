/* The model's hashed features: the same message always gives the same
 * vector, the seed and the bucket count change it, indices stay below
 * 2^bits, long messages do not outweigh short ones, the structure features
 * fire on the messages they describe, and an exhausted arena is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "learn/features.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "test_util.h"

static struct mime_analyze_ctx *actx;

static const char plain_msg[] =
	"From: Alice Example <alice@example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: Lunch on Friday\r\n"
	"Date: Tue, 17 Apr 2007 10:00:00 +0200\r\n"
	"Message-ID: <1@example.org>\r\n"
	"\r\n"
	"Shall we meet at noon by the fountain? Bring the report.\r\n";

/* A parsed and analysed message in its own arena (max bytes at most). */
static struct mime_msg *
parse(struct mg_arena **a, const char *raw, size_t max)
{
	struct mime_limits lim;
	struct mime_msg *m;

	mime_limits_default(&lim);
	*a = mg_arena_new(64 * 1024, max);
	assert_non_null(*a);
	m = mime_parse(*a, (const uint8_t *)raw, strlen(raw), &lim);
	assert_non_null(m);
	assert_int_equal(mime_analyze(actx, *a, m), 0);
	return m;
}

/* Extracts into a's arena; fails the test on an error. */
static struct feat_vec
extract(const struct feat_params *p, const char *raw, struct mg_arena **a)
{
	struct mime_msg *m = parse(a, raw, 256u << 20);
	struct feat_vec v;
	int rc = features_extract(p, m, *a, &v);

	if (rc != 0)
		fail_msg("features_extract: got %d, want 0", rc);
	return v;
}

static bool
same_vec(const struct feat_vec *x, const struct feat_vec *y)
{
	return x->n == y->n && memcmp(x->f, y->f, x->n * sizeof(*x->f)) == 0;
}

static void
test_deterministic(void **state)
{
	struct feat_params p, q;
	struct mg_arena *a1, *a2, *a3;
	struct feat_vec v1, v2, v3;

	(void)state;
	feat_params_default(&p);
	v1 = extract(&p, plain_msg, &a1);
	v2 = extract(&p, plain_msg, &a2);
	if (!same_vec(&v1, &v2))
		fail_msg("two extractions differ: %zu and %zu features", v1.n, v2.n);
	if (v1.n < 20)
		fail_msg("got %zu features, want at least 20", v1.n);
	q = p;
	q.seed ^= 1;
	v3 = extract(&q, plain_msg, &a3);
	if (same_vec(&v1, &v3))
		fail_msg("another seed gave the same vector");
	mg_arena_free(a1);
	mg_arena_free(a2);
	mg_arena_free(a3);
}

static void
test_bits(void **state)
{
	static const uint32_t bits[] = { FEAT_BITS_MIN, 20, FEAT_BITS_MAX };
	struct feat_params p;

	(void)state;
	feat_params_default(&p);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct mg_arena *a;
		struct feat_vec v;
		p.bits = bits[i];
		v = extract(&p, plain_msg, &a);
		for (size_t j = 0; j < v.n; j++)
			if (v.f[j].idx >= (1u << bits[i]) || !(v.f[j].val >= -1 && v.f[j].val <= 1))
				fail_msg("bits %u: feature %zu: idx %u val %g", bits[i], j,
				    v.f[j].idx, (double)v.f[j].val);
		mg_arena_free(a);
	}
	p.bits = FEAT_BITS_MAX + 1;
	assert_int_equal(feat_params_check(&p), -MG_EINVAL);
}

static double
sq_norm(const struct feat_vec *v)
{
	double s = 0;

	for (size_t i = 0; i < v->n; i++)
		s += (double)v->f[i].val * v->f[i].val;
	return s;
}

/* The word and character groups have norm 1 each whatever the length. */
static void
test_length_normalised(void **state)
{
	static const char head[] = "From: a@example.org\r\nSubject: offer\r\n\r\n";
	static const char line[] = "cheap watches and cheap pills for everyone today\r\n";
	struct mg_buf b;
	struct feat_params p;
	struct mg_arena *a1, *a2;
	struct feat_vec shrt, lng;

	(void)state;
	feat_params_default(&p);
	mg_buf_init(&b, 0);
	assert_int_equal(mg_buf_append(&b, head, sizeof(head) - 1), 0);
	assert_int_equal(mg_buf_append(&b, line, sizeof(line) - 1), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	shrt = extract(&p, (const char *)b.data, &a1);
	for (int i = 0; i < 400; i++)
		assert_int_equal(mg_buf_append(&b, line, sizeof(line) - 1), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	lng = extract(&p, (const char *)b.data, &a2);
	/* the structure features differ by a few size buckets at most */
	if (sq_norm(&lng) > sq_norm(&shrt) + 4 || sq_norm(&lng) < sq_norm(&shrt) - 4)
		fail_msg("squared norm: short %g, long %g", sq_norm(&shrt), sq_norm(&lng));
	mg_buf_release(&b);
	mg_arena_free(a1);
	mg_arena_free(a2);
}

static bool
has_feature(const struct feat_vec *v, struct feat want)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->f[i].idx == want.idx && v->f[i].val == want.val)
			return true;
	return false;
}

static void
test_structure(void **state)
{
	static const struct {
		const char	*raw;
		const char	*feature;
		bool		 want;
	} cases[] = {
		{ plain_msg, "body:text-only", true },
		{ plain_msg, "body:html-only", false },
		{ plain_msg, "header:fields:3", true },
		{ plain_msg, "msgid:same", true },
		{ plain_msg, "date:zone:+0200", true },
		{ plain_msg, "date:missing", false },
		{ plain_msg, "from:name-domain-differs", false },
		{ "From: x@example.org\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>you</b></p>\r\n",
		  "body:html-only", true },
		{ "From: x@example.org\r\n\r\nno date here\r\n", "date:missing", true },
		{ "From: x@example.org\r\n\r\nno id here\r\n", "msgid:missing", true },
		{ "From: x@example.org\r\nDate: yesterday at noon\r\n\r\nhi\r\n", "date:bad", true },
		{ "From: \"paypal.com\" <service@evil.example>\r\n\r\npay now\r\n",
		  "from:name-domain-differs", true },
		{ "From: \"support@bank.example\" <a@evil.example>\r\n\r\nhi\r\n",
		  "from:name-address-differs", true },
		{ "From: a@shop.example\r\nReply-To: b@elsewhere.example\r\n\r\nhi\r\n",
		  "replyto:differs", true },
		{ "From: a@shop.example\r\nReply-To: b@mail.shop.example\r\n\r\nhi\r\n",
		  "replyto:same", true },
		{ "From: a@example.org\r\nSubject: FREE MONEY FOR YOU NOW\r\n\r\nhi\r\n",
		  "subj:caps", true },
		{ "From: a@example.org\r\nSubject: Re: minutes\r\n\r\nhi\r\n", "subj:re", true },
		{ "From: a@example.org\r\n\r\nsee http://192.168.10.1/login now\r\n",
		  "urls:flag:IP_LITERAL", true },
		{ "From: a@example.org\r\n\r\nsee http://a.example/ and http://b.example/x\r\n",
		  "urls:domains:2", true },
	};
	struct feat_params p;

	(void)state;
	feat_params_default(&p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_arena *a;
		struct feat_vec v = extract(&p, cases[i].raw, &a);
		bool got = has_feature(&v, features_meta(&p, cases[i].feature));
		if (got != cases[i].want) {
			print_error("case %zu: %s: got %s, want %s\n", i, cases[i].feature,
			    got ? "present" : "absent", cases[i].want ? "present" : "absent");
			test_failures++;
		}
		mg_arena_free(a);
	}
	check_failures();
}

static void
test_arena_exhausted(void **state)
{
	struct feat_params p;
	struct mg_arena *a;
	struct mime_msg *m;
	struct feat_vec v;
	int rc;

	(void)state;
	feat_params_default(&p);
	m = parse(&a, plain_msg, 256u << 10);
	while (mg_arena_alloc(a, 64) != NULL)	/* fill it to its ceiling */
		;
	if ((rc = features_extract(&p, m, a, &v)) != -MG_ENOMEM)
		fail_msg("full arena: got %d, want %d", rc, -MG_ENOMEM);
	mg_arena_free(a);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	actx = mime_analyze_ctx_new(err, sizeof(err));
	if (actx == NULL)
		fail_msg("mime_analyze_ctx_new: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	actx = mime_analyze_ctx_free(actx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_length_normalised),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_arena_exhausted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
