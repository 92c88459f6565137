/* mailgate-fetch: the landing-page worker (fetch.h). Started by the
 * landing check with its socketpair end on fd 0; confines itself (no new
 * privileges, CPU/memory/file limits), then answers one request frame
 * with one reply frame until the socket closes. */
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ipc.h"
#include "fetch/fetch.h"

#define WORKER_CPU_SECONDS	600		/* over the worker's life; then it is restarted */
#define WORKER_MEMORY		(1024ul << 20)
#define WORKER_FILES		64

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_SANITIZED	1
#endif
#endif

static void
worker_limit(int what, rlim_t v)
{
	struct rlimit rl = { v, v };

	(void)setrlimit(what, &rl);
}

static void
worker_confine(void)
{
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	worker_limit(RLIMIT_CPU, WORKER_CPU_SECONDS);
	worker_limit(RLIMIT_NOFILE, WORKER_FILES);
	worker_limit(RLIMIT_FSIZE, 0);
	worker_limit(RLIMIT_CORE, 0);
#ifndef WORKER_SANITIZED	/* the sanitizers' shadow memory is larger than any limit */
	worker_limit(RLIMIT_AS, WORKER_MEMORY);
#endif
}

/* Answers one request frame; 0, or -1 when the stream is out of step. */
static int
worker_serve(const struct mg_buf *in, uint16_t type, struct mg_buf *out)
{
	struct fetch_request q;
	struct fetch_result r;
	int rc;

	if (type != FETCH_FRAME_REQUEST || fetch_request_decode(in->data, in->len, &q) < 0)
		return -1;
	fetch_curl(q.url, &q.limits, &r);
	mg_buf_reset(out);
	rc = fetch_reply_encode(out, &r);
	fetch_result_clear(&r);
	fetch_request_clear(&q);
	if (rc < 0)
		return -1;
	return fetch_write_all(STDIN_FILENO, out->data, out->len, 0) < 0 ? -1 : 0;
}

int
main(void)
{
	struct mg_buf in, out;
	uint16_t type;

	signal(SIGPIPE, SIG_IGN);
	worker_confine();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	mg_buf_init(&in, IPC_HEADER_LEN + FETCH_URL_MAX + 1024);
	mg_buf_init(&out, IPC_MAX_PAYLOAD);
	while (fetch_read_frame(STDIN_FILENO, &in, &type, 0) == 0)
		if (worker_serve(&in, type, &out) < 0)
			break;
	mg_buf_release(&in);
	mg_buf_release(&out);
	curl_global_cleanup();
	return 0;
}
