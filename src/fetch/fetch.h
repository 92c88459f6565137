/* The landing-page fetcher (docs/landing.md): a client that hands URLs to
 * a separate worker process (mailgate-fetch, libcurl under strict limits)
 * over a socketpair with length-prefixed frames (core/ipc.h), restarts it
 * when it dies and bounds each request by a deadline. */
#ifndef MG_FETCH_FETCH_H
#define MG_FETCH_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define FETCH_URL_MAX		4096	/* bytes of a URL sent or received */
#define FETCH_CTYPE_MAX		256	/* bytes of a Content-Type kept */
#define FETCH_MAX_BYTES_CAP	(2u << 20)	/* ceiling of max_bytes */
#define FETCH_MAX_REDIRECTS_CAP	20
#define FETCH_USER_AGENT	"Mozilla/5.0 (compatible; mailgate-fetch/0.1)"
#define FETCH_WORKER_NAME	"mailgate-fetch"

/* Why a fetch produced no page. */
enum fetch_status {
	FETCH_OK = 0,		/* a response (any HTTP code) */
	FETCH_REFUSED,		/* scheme, or every address private/loopback/... */
	FETCH_TIMEOUT,
	FETCH_CONNECT,		/* resolve or connect failed */
	FETCH_REDIRECTS,	/* more than max_redirects hops */
	FETCH_ERROR,		/* TLS, protocol, anything else */
};
#define FETCH_STATUS_COUNT	6

struct fetch_limits {
	uint32_t	 max_bytes;	/* body bytes kept; more are cut (truncated) */
	uint32_t	 timeout_ms;	/* whole fetch, every hop */
	uint32_t	 max_redirects;
	bool		 allow_private;	/* tests only */
	const char	*user_agent;	/* NULL: FETCH_USER_AGENT */
};

/* One fetch's outcome; the strings and body are owned (fetch_result_clear). */
struct fetch_result {
	enum fetch_status status;
	uint32_t	 http_code;	/* of the last hop */
	char		*final_url;	/* "" when nothing was fetched */
	char		**chain;	/* redirect hops after the first URL */
	size_t		 nchain;
	char		*content_type;	/* "" when none */
	uint8_t		*body;		/* NUL-terminated past body_len */
	size_t		 body_len;
	bool		 truncated;	/* body cut at max_bytes */
};

/* "ok", "refused", ... */
const char *fetch_status_name(enum fetch_status);
void	fetch_result_clear(struct fetch_result *);

/* The frames between client and worker (fetch_proto.c). */
enum { FETCH_FRAME_REQUEST = 1, FETCH_FRAME_REPLY = 2 };

struct fetch_request {
	char		*url;
	struct fetch_limits limits;
	char		*ua;		/* owns limits.user_agent after decoding */
};

int	fetch_request_encode(struct mg_buf *, const char *url, const struct fetch_limits *);
/* frame: one whole frame (ipc_frame_peek). 0 or -MG_EPROTO / -MG_ENOMEM. */
int	fetch_request_decode(const uint8_t *frame, size_t len, struct fetch_request *);
void	fetch_request_clear(struct fetch_request *);
int	fetch_reply_encode(struct mg_buf *, const struct fetch_result *);
int	fetch_reply_decode(const uint8_t *frame, size_t len, uint32_t max_bytes,
	    struct fetch_result *);

/* Frame I/O on a blocking or non-blocking socket: reads one whole frame
 * into b (reset first) until deadline (mg_clock_ns, 0 = none). 0,
 * -MG_EIO (peer gone), -MG_ETIMEOUT or -MG_EPROTO. */
int	fetch_read_frame(int fd, struct mg_buf *b, uint16_t *type, uint64_t deadline);
int	fetch_write_all(int fd, const void *p, size_t len, uint64_t deadline);

/* The client: one worker process used by one request at a time. */
struct fetch_client;

/* worker: the executable (NULL: mailgate-fetch beside /proc/self/exe).
 * Nothing is started until the first request. NULL on ENOMEM. */
struct fetch_client *fetch_client_new(const char *worker);
/* Fetches url in the worker, waiting at most until deadline (mg_clock_ns
 * clock). 0 with *out filled (out->status says whether a page came), or
 * -MG_ETIMEOUT / -MG_EIO (the worker died or was killed: restarted at the
 * next request) / -MG_ENOENT (the worker cannot be started) / -MG_ENOMEM. */
int	fetch_client_get(struct fetch_client *, const char *url, const struct fetch_limits *,
	    uint64_t deadline, struct fetch_result *out);
/* The worker's process id, 0 when none runs; readable while a request
 * is under way (tests kill the worker mid-request). */
int	fetch_client_pid(struct fetch_client *);
struct fetch_client *fetch_client_free(struct fetch_client *);

/* The worker's side (fetch_curl.c): one fetch under the limits. Fills
 * out; never fails other than by out->status. */
void	fetch_curl(const char *url, const struct fetch_limits *, struct fetch_result *out);
/* Whether a connection to the address may be made (not private,
 * loopback, link-local, multicast, unspecified...). sa: sockaddr_in/in6. */
bool	fetch_addr_public(const void *sa, size_t salen);

#endif
