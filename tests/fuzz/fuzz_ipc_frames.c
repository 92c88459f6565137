/* libFuzzer target: inter-process frames as a hostile peer would send them
 * (a compromised scand or a local process on the socket). Every decoder
 * must refuse or accept without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>

#include "core/ipc.h"
#include "daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_scan_request req;
	struct proto_scan_result res;
	struct proto_queue_control ctl;
	struct proto_queue_control_reply rep;
	struct proto_conn_stats cs;
	uint16_t type;
	size_t flen;
	uint64_t qid;

	if (ipc_frame_peek(data, size, &type, &flen) != 0)
		return 0;
	if (proto_scan_request_decode(data, flen, &req) == 0)
		proto_scan_request_clear(&req);
	if (proto_scan_result_decode(data, flen, &res) == 0)
		proto_scan_result_clear(&res);
	(void)proto_queue_control_decode(data, flen, &ctl);
	(void)proto_queue_notify_decode(data, flen, &qid);
	if (proto_queue_control_reply_decode(data, flen, &rep) == 0)
		proto_queue_control_reply_clear(&rep);
	if (proto_conn_stats_decode(data, flen, &cs) == 0)
		proto_conn_stats_clear(&cs);
	return 0;
}
