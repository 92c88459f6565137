/* Inter-process messages: what is encoded decodes to the same values, and a
 * frame that does not decode exactly (truncated, padded, wrong field) is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/ipc.h"
#include "core/conf.h"
#include "daemon/proto.h"
#include "policy/policy.h"

static void
test_scan_request_roundtrip(void **state)
{
	char *rcpts[] = { "a@example.test", "\"b c\"@example.test", "ü@例え.test" };
	struct proto_scan_request in = { .qid = 0x1122334455667788ull, .session = 7,
		.path = "/spool/incoming/1122334455667788", .client_ip = "192.0.2.1",
		.helo = "mx.sender.test", .mail_from = "", .nrcpts = 3, .rcpts = rcpts };
	struct proto_scan_request out;
	struct mg_buf b;
	uint16_t type;
	size_t flen;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_scan_request_encode(&b, &in), 0);
	assert_int_equal(ipc_frame_peek(b.data, b.len, &type, &flen), 0);
	assert_int_equal(type, PROTO_SCAN_REQUEST);
	assert_int_equal(flen, b.len);
	assert_int_equal(proto_scan_request_decode(b.data, flen, &out), 0);
	assert_true(out.qid == in.qid);
	assert_string_equal(out.path, in.path);
	assert_string_equal(out.mail_from, "");
	assert_int_equal(out.nrcpts, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(out.rcpts[i], rcpts[i]);
	proto_scan_request_clear(&out);
	/* every truncation is incomplete (peek) or refused (decode) */
	for (size_t n = 0; n < b.len; n++) {
		if (ipc_frame_peek(b.data, n, &type, &flen) != -MG_EAGAIN)
			fail_msg("truncated to %zu: peek did not ask for more", n);
		if (n >= IPC_HEADER_LEN && proto_scan_request_decode(b.data, n, &out) == 0)
			fail_msg("truncated to %zu: decoded", n);
	}
	mg_buf_release(&b);
}

static void
test_scan_result_exact(void **state)
{
	struct proto_scan_result in = { .qid = 9, .action = PROTO_SCAN_REJECT,
		.verdict = "malware", .score_milli = -1500, .headers = "X-A: b\r\n",
		.reply = "no" };
	struct proto_scan_result out;
	struct mg_buf b;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_scan_result_encode(&b, &in), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.score_milli, -1500);
	assert_int_equal(out.action, PROTO_SCAN_REJECT);
	assert_string_equal(out.headers, in.headers);
	proto_scan_result_clear(&out);
	/* one trailing byte too many: refused */
	assert_int_equal(mg_buf_putc(&b, 0), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), -MG_EPROTO);
	/* an unknown action: refused */
	b.len--;
	b.data[IPC_HEADER_LEN + 8] = 9;
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), -MG_EPROTO);
	mg_buf_release(&b);
}

/* Each recipient's policy action travels with an accepted message only. */
static void
test_scan_result_rcpt_acts(void **state)
{
	struct proto_rcpt_act acts[] = { { POLICY_ACT_QUARANTINE, "", "hold invoices" },
		{ POLICY_ACT_TAG, "subject [EXT]", "" } };
	struct proto_scan_result in = { .qid = 10, .action = PROTO_SCAN_ACCEPT,
		.verdict = "spam", .headers = "", .reply = "", .symbols = "",
		.verdict_action = MG_VERDICT_HOLD, .nrcpts = 2, .rcpts = acts };
	struct proto_scan_result out;
	struct mg_buf b;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_scan_result_encode(&b, &in), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.nrcpts, 2);
	assert_int_equal(out.verdict_action, MG_VERDICT_HOLD);
	assert_int_equal(out.rcpts[0].act, POLICY_ACT_QUARANTINE);
	assert_string_equal(out.rcpts[0].filter, "hold invoices");
	assert_string_equal(out.rcpts[1].args, "subject [EXT]");
	proto_scan_result_clear(&out);
	/* an action past the last one (the last recipient's: act, then its
	 * args and filter as length-prefixed strings): refused */
	b.data[b.len - 4 - 0 - 4 - strlen("subject [EXT]") - 1] = POLICY_ACT_COUNT;
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), -MG_EPROTO);
	/* recipients' actions with a rejected message: refused */
	mg_buf_reset(&b);
	in.action = PROTO_SCAN_REJECT;
	assert_int_equal(proto_scan_result_encode(&b, &in), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), -MG_EPROTO);
	mg_buf_release(&b);
}

static void
test_control(void **state)
{
	struct proto_queue_control in = { PROTO_QUEUE_DELETE, 42 }, out;
	struct proto_queue_control_reply rin = { -MG_ENOENT, "no such message" }, rout;
	struct mg_buf b;
	uint64_t qid;

	mg_buf_init(&b, 0);
	assert_int_equal(proto_queue_control_encode(&b, &in), 0);
	assert_int_equal(proto_queue_control_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.op, PROTO_QUEUE_DELETE);
	assert_int_equal(out.qid, 42);
	b.data[IPC_HEADER_LEN] = 77;
	assert_int_equal(proto_queue_control_decode(b.data, b.len, &out), -MG_EPROTO);
	mg_buf_reset(&b);
	assert_int_equal(proto_queue_control_reply_encode(&b, &rin), 0);
	assert_int_equal(proto_queue_control_reply_decode(b.data, b.len, &rout), 0);
	assert_int_equal(rout.status, -MG_ENOENT);
	assert_string_equal(rout.text, "no such message");
	proto_queue_control_reply_clear(&rout);
	mg_buf_reset(&b);
	assert_int_equal(proto_queue_notify_encode(&b, 5), 0);
	assert_int_equal(proto_queue_notify_decode(b.data, b.len, &qid), 0);
	assert_int_equal(qid, 5);
	mg_buf_release(&b);
}

static void
test_oversized_header(void **state)
{
	uint8_t h[IPC_HEADER_LEN] = { 0x7f, 0xff, 0xff, 0xff, 0, 1, 0, 0 };
	uint16_t type;
	size_t flen;

	assert_int_equal(ipc_frame_peek(h, sizeof(h), &type, &flen), -MG_EPROTO);
	h[0] = 0;
	h[6] = 1;	/* reserved bytes must be zero */
	assert_int_equal(ipc_frame_peek(h, sizeof(h), &type, &flen), -MG_EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_request_roundtrip),
		cmocka_unit_test(test_scan_result_exact),
		cmocka_unit_test(test_scan_result_rcpt_acts),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_oversized_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
