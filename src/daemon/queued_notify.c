/* One QUEUE_NOTIFY to queued (queued_notify.h). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "core/err.h"
#include "daemon/proto.h"
#include "daemon/queued_notify.h"
#include "daemon/unix_socket.h"

int
queued_notify(const char *spool_dir, uint64_t qid)
{
	char path[PATH_MAX];
	struct mg_buf b;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", spool_dir, PROTO_QUEUED_SOCK);
	if ((fd = unix_connect(path)) < 0)
		return -MG_EAGAIN;
	mg_buf_init(&b, 0);
	if ((rc = proto_queue_notify_encode(&b, qid)) == 0 && write(fd, b.data, b.len) !=
	    (ssize_t)b.len)
		rc = -MG_EIO;
	mg_buf_release(&b);
	close(fd);
	return rc;
}
