/* Envelope records: what is encoded decodes to the same values (UTF-8
 * addresses, absent fields, many recipients), and every malformed record
 * is refused with -MG_EPROTO, leaving the envelope empty. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "spool/envelope.h"

/* Compares two possibly-NULL strings, naming the field on mismatch. */
static void
str_eq(const char *what, const char *got, const char *want)
{
	if (got == NULL && want == NULL)
		return;
	if (got == NULL || want == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got %s%s%s, want %s%s%s", what, got ? "\"" : "",
		    got ? got : "NULL", got ? "\"" : "", want ? "\"" : "",
		    want ? want : "NULL", want ? "\"" : "");
}

static void
envelope_eq(const struct envelope *got, const struct envelope *want)
{
	assert_int_equal(got->id, want->id);
	assert_int_equal(got->created, want->created);
	assert_int_equal(got->outbound, want->outbound);
	str_eq("client_ip", got->client_ip, want->client_ip);
	str_eq("client_helo", got->client_helo, want->client_helo);
	str_eq("tls", got->tls, want->tls);
	str_eq("mail_from", got->mail_from, want->mail_from);
	str_eq("envid", got->envid, want->envid);
	assert_int_equal(got->ret, want->ret);
	assert_int_equal(got->eightbit, want->eightbit);
	assert_int_equal(got->smtputf8, want->smtputf8);
	assert_int_equal(got->size, want->size);
	str_eq("headers", got->headers, want->headers);
	str_eq("verdict", got->verdict, want->verdict);
	if (got->score != want->score)
		fail_msg("score: got %.17g, want %.17g", got->score, want->score);
	str_eq("action", got->action, want->action);
	assert_int_equal(got->is_dsn, want->is_dsn);
	assert_int_equal(got->attempts, want->attempts);
	assert_int_equal(got->next_attempt, want->next_attempt);
	assert_int_equal(got->nrcpts, want->nrcpts);
	for (size_t i = 0; i < want->nrcpts; i++) {
		const struct env_rcpt *g = &got->rcpts[i], *w = &want->rcpts[i];
		str_eq("rcpt addr", g->addr, w->addr);
		str_eq("rcpt orcpt", g->orcpt, w->orcpt);
		assert_int_equal(g->notify, w->notify);
		assert_int_equal(g->status, w->status);
		str_eq("rcpt remote", g->remote, w->remote);
		str_eq("rcpt reply", g->reply, w->reply);
		assert_int_equal(g->done_at, w->done_at);
	}
}

/* Encodes env, decodes the bytes from an exactly sized heap copy (so that
 * a read past the end shows under ASan) into out. */
static void
roundtrip(const struct envelope *env, struct envelope *out)
{
	struct mg_buf b;
	uint8_t *copy;
	int rc;

	mg_buf_init(&b, 0);
	if ((rc = envelope_encode(env, &b)) != 0)
		fail_msg("encode: got %d (%s), want 0", rc, mg_strerror(rc));
	copy = malloc(b.len);
	assert_non_null(copy);
	memcpy(copy, b.data, b.len);
	if ((rc = envelope_decode(copy, b.len, out)) != 0)
		fail_msg("decode of %.*s: got %d, want 0", (int)b.len, (char *)b.data, rc);
	free(copy);
	mg_buf_release(&b);
}

static void
fill_full(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->id = 0x65f0a1b2c3d4e5f6ull;
	e->created = 1710000000;
	e->outbound = true;
	e->client_ip = strdup("2001:db8::1");
	e->client_helo = strdup("mx.exämple.test");
	e->tls = strdup("TLSv1.3 TLS_AES_256_GCM_SHA384");
	e->mail_from = strdup("josé@exämple.test");
	e->envid = strdup("envid+2B\"quoted\"\\back");
	e->ret = ENV_RET_HDRS;
	e->eightbit = true;
	e->smtputf8 = true;
	e->size = 123456789012ull;
	e->headers = strdup("X-Mailgate-Verdict: clean\r\nAuthentication-Results: mx; none\r\n");
	e->verdict = strdup("clean");
	e->score = -1.25;
	e->action = strdup("deliver");
	e->is_dsn = true;
	e->attempts = 7;
	e->next_attempt = 1710003600;
	assert_int_equal(envelope_add_rcpt(e, "用户@例子.测试", "rfc822;用户@例子.测试", 0x6), 0);
	assert_int_equal(envelope_add_rcpt(e, "b@example.test", NULL, 0), 0);
	e->rcpts[1].status = ENV_RCPT_FAILED;
	e->rcpts[1].remote = strdup("mx.example.test[192.0.2.1]:25");
	e->rcpts[1].reply = strdup("550 5.1.1 <b@example.test>: unknown \u00fcser");
	e->rcpts[1].done_at = 1710000100;
}

static void
test_roundtrip_full(void **state)
{
	struct envelope e, d;

	fill_full(&e);
	roundtrip(&e, &d);
	envelope_eq(&d, &e);
	envelope_clear(&d);
	envelope_clear(&e);
	assert_null(e.rcpts);
	assert_int_equal(e.nrcpts, 0);
}

static void
test_roundtrip_null_fields(void **state)
{
	struct envelope e = { .id = 1, .mail_from = strdup("") }, d;

	assert_int_equal(envelope_add_rcpt(&e, "x@y", NULL, 0), 0);
	roundtrip(&e, &d);
	envelope_eq(&d, &e);
	assert_null(d.client_ip);
	assert_null(d.tls);
	assert_null(d.rcpts[0].orcpt);
	assert_string_equal(d.mail_from, "");
	/* a decoded array must still grow through envelope_add_rcpt */
	for (int i = 0; i < 9; i++)
		assert_int_equal(envelope_add_rcpt(&d, "more@y", NULL, 0), 0);
	assert_int_equal(d.nrcpts, 10);
	assert_string_equal(d.rcpts[0].addr, "x@y");
	assert_string_equal(d.rcpts[9].addr, "more@y");
	envelope_clear(&d);
	envelope_clear(&e);
}

static void
test_roundtrip_1000_rcpts(void **state)
{
	struct envelope e = { .id = 42, .mail_from = strdup("s@example.test") }, d;
	char addr[64];

	for (int i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "user%04d@example.test", i);
		assert_int_equal(envelope_add_rcpt(&e, addr, NULL, (unsigned)i & 0xf), 0);
		e.rcpts[i].status = (enum env_rcpt_status)(i % 3);
	}
	roundtrip(&e, &d);
	envelope_eq(&d, &e);
	envelope_clear(&d);
	envelope_clear(&e);
}

static void
test_encode_compact(void **state)
{
	struct envelope e = { .id = 0x10, .created = 5, .mail_from = strdup("a@b") };
	struct mg_buf b;
	const char *want = "{\"v\":1,\"id\":\"0000000000000010\",\"created\":5,";

	mg_buf_init(&b, 0);
	assert_int_equal(envelope_encode(&e, &b), 0);
	if (b.len < strlen(want) || memcmp(b.data, want, strlen(want)) != 0)
		fail_msg("got %.*s, want it to start with %s", (int)b.len, (char *)b.data, want);
	assert_null(memchr(b.data, '\n', b.len));
	assert_null(memchr(b.data, ' ', b.len));
	mg_buf_release(&b);
	envelope_clear(&e);
}

/* What encode refuses, and the text fields it repairs instead. */
static void
test_encode_refuses(void **state)
{
	struct envelope e = { .id = 1, .mail_from = strdup("a@b") }, d;
	struct mg_buf b;

	mg_buf_init(&b, 0);
	free(e.mail_from);
	e.mail_from = NULL;
	assert_int_equal(envelope_encode(&e, &b), -MG_EINVAL);	/* no sender */
	e.mail_from = strdup("bad\xff@b");
	assert_int_equal(envelope_encode(&e, &b), -MG_EINVAL);	/* not UTF-8 */
	free(e.mail_from);
	e.mail_from = strdup("a@b");
	e.score = NAN;
	assert_int_equal(envelope_encode(&e, &b), -MG_EINVAL);
	e.score = 0;
	e.created = -5;
	assert_int_equal(envelope_encode(&e, &b), -MG_EINVAL);
	e.created = 0;
	assert_int_equal(envelope_add_rcpt(&e, "x@y", NULL, 0), 0);
	e.rcpts[0].reply = strdup("451 caf\xe9 \xc0\xaf closed");	/* Latin-1, overlong */
	mg_buf_reset(&b);
	assert_int_equal(envelope_encode(&e, &b), 0);
	assert_int_equal(envelope_decode(b.data, b.len, &d), 0);
	str_eq("repaired reply", d.rcpts[0].reply, "451 caf? ?? closed");
	envelope_clear(&d);
	envelope_clear(&e);
	mg_buf_release(&b);
}

#define HEAD	"\"v\":1,\"id\":\"0000000100000002\",\"created\":1,\"mail_from\":\"a@b\",\"size\":0"
#define RCPT	"{\"addr\":\"x@y\",\"status\":\"pending\"}"
#define ENV(extra)		"{" HEAD extra ",\"rcpts\":[" RCPT "]}"
#define ENV_R(rcpt)		"{" HEAD ",\"rcpts\":[" rcpt "]}"

static const struct {
	const char	*in;
	int		 want;
} decode_cases[] = {
	{ ENV(""), 0 },					/* the base is valid */
	{ ENV_R(""), 0 },				/* no recipients */
	{ ENV(",\"score\":3"), 0 },			/* integer score */
	{ "", -MG_EPROTO },
	{ "null", -MG_EPROTO },
	{ "[]", -MG_EPROTO },
	{ "42", -MG_EPROTO },
	{ "\"x\"", -MG_EPROTO },
	{ "{}", -MG_EPROTO },
	{ "{" HEAD, -MG_EPROTO },			/* truncated */
	{ ENV("") "x", -MG_EPROTO },			/* trailing bytes */
	{ ENV("") "{}", -MG_EPROTO },
	{ "{\"v\":2,\"id\":\"0000000100000002\",\"created\":1,\"mail_from\":\"\",\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ "{\"v\":1,\"created\":1,\"mail_from\":\"a@b\",\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ "{\"v\":1,\"id\":\"00000001000000\",\"created\":1,\"mail_from\":\"\",\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ "{\"v\":1,\"id\":\"000000010000000g\",\"created\":1,\"mail_from\":\"\",\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ "{\"v\":1,\"id\":12,\"created\":1,\"mail_from\":\"\",\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ ENV(",\"unknown\":1"), -MG_EPROTO },
	{ ENV(",\"size\":1"), -MG_EPROTO },		/* duplicate key */
	{ ENV(",\"outbound\":1"), -MG_EPROTO },
	{ ENV(",\"outbound\":\"true\""), -MG_EPROTO },
	{ ENV(",\"client_ip\":5"), -MG_EPROTO },
	{ ENV(",\"client_ip\":[\"1\"]"), -MG_EPROTO },
	{ ENV(",\"tls\":{}"), -MG_EPROTO },
	{ ENV(",\"envid\":\"a\\u0000b\""), -MG_EPROTO },	/* NUL in a string */
	{ ENV(",\"headers\":\"bad \xff byte\""), -MG_EPROTO },	/* not UTF-8 */
	{ ENV(",\"ret\":\"partial\""), -MG_EPROTO },
	{ ENV(",\"ret\":1"), -MG_EPROTO },
	{ ENV(",\"score\":\"1.5\""), -MG_EPROTO },
	{ ENV(",\"score\":1e999"), -MG_EPROTO },
	{ ENV(",\"attempts\":-1"), -MG_EPROTO },
	{ ENV(",\"attempts\":4294967296"), -MG_EPROTO },
	{ ENV(",\"attempts\":1.0"), -MG_EPROTO },
	{ ENV(",\"next_attempt\":-1"), -MG_EPROTO },
	{ ENV(",\"next_attempt\":99999999999999999999"), -MG_EPROTO },
	{ ENV(",\"is_dsn\":null"), -MG_EPROTO },
	{ "{\"v\":1,\"id\":\"0000000100000002\",\"created\":1,\"mail_from\":null,\"size\":0,\"rcpts\":[]}", -MG_EPROTO },
	{ "{\"v\":1,\"id\":\"0000000100000002\",\"created\":1,\"mail_from\":\"\",\"size\":-1,\"rcpts\":[]}", -MG_EPROTO },
	{ "{" HEAD ",\"rcpts\":{}}", -MG_EPROTO },
	{ "{" HEAD ",\"rcpts\":null}", -MG_EPROTO },
	{ ENV_R("1"), -MG_EPROTO },
	{ ENV_R("[]"), -MG_EPROTO },
	{ ENV_R(RCPT ",null"), -MG_EPROTO },
	{ ENV_R("{\"status\":\"pending\"}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\"}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":null,\"status\":\"pending\"}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"sent\"}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"pending\",\"notify\":16}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"pending\",\"notify\":-1}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"pending\",\"done_at\":\"now\"}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"pending\",\"extra\":1}"), -MG_EPROTO },
	{ ENV_R("{\"addr\":\"x@y\",\"status\":\"pending\",\"reply\":\"a\\u0000\"}"), -MG_EPROTO },
	{ ENV_R(RCPT "," RCPT ",{\"addr\":\"x@y\",\"status\":\"pending\",\"remote\":7}"), -MG_EPROTO },
	{ ENV(",\"unknown\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), -MG_EPROTO },
};

static void
test_decode_malformed(void **state)
{
	struct envelope e;
	uint8_t *copy;
	size_t len;
	int got, failed = 0;

	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		len = strlen(decode_cases[i].in);
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, decode_cases[i].in, len);
		got = envelope_decode(copy, len, &e);
		free(copy);
		if (got != decode_cases[i].want) {
			print_error("case %zu %s: got %d, want %d\n", i, decode_cases[i].in,
			    got, decode_cases[i].want);
			failed++;
		}
		if (got < 0 && (e.rcpts != NULL || e.nrcpts != 0 || e.mail_from != NULL)) {
			print_error("case %zu: envelope not left empty on error\n", i);
			failed++;
		}
		envelope_clear(&e);
	}
	if (failed)
		fail_msg("%d decode case(s) failed", failed);
}

static void
test_decode_deep_nesting(void **state)
{
	size_t depth = 100000, len = 2 * depth;
	uint8_t *p = malloc(len);
	struct envelope e;

	assert_non_null(p);
	memset(p, '[', depth);
	memset(p + depth, ']', depth);
	assert_int_equal(envelope_decode(p, len, &e), -MG_EPROTO);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_null_fields),
		cmocka_unit_test(test_roundtrip_1000_rcpts),
		cmocka_unit_test(test_encode_compact),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_decode_deep_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
