/* The remote URL reputation client (docs/cloud.md): POSTs {"urls":[...]}
 * as JSON to the configured endpoint with libcurl and reads back one
 * category per URL. Safe to call from many scanning threads at once: one
 * easy handle per call, a shared answer cache (128-bit URL hash, TTL,
 * bounded, least recently used evicted per set) and a shared circuit
 * breaker that stops asking a service that keeps failing. */
#ifndef MG_INTEL_CLOUD_H
#define MG_INTEL_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf_cloud.h"

#define CLOUD_MAX_RESPONSE	(1u << 20)	/* bytes of a response body */
#define CLOUD_MAX_SOURCE	48		/* bytes of a source name kept, NUL included */
#define CLOUD_MIN_BUDGET_MS	10		/* less time left: no request */

enum cloud_category {
	CLOUD_UNKNOWN,		/* the service does not know it (or left it out) */
	CLOUD_CLEAN,
	CLOUD_PHISHING,
	CLOUD_MALWARE,
	CLOUD_SPAM,
};

enum cloud_state { CLOUD_CLOSED, CLOUD_OPEN, CLOUD_HALF_OPEN };

struct cloud_answer {
	bool		 known;		/* answered, by the cache or the service */
	enum cloud_category category;
	double		 score;		/* 0..1 as the service sent it, 0 if absent */
	char		 source[CLOUD_MAX_SOURCE];	/* "" if absent */
};

struct cloud;

/* A client for c (copied; api_key_file read now). NULL with the reason in
 * err ("engine.cloud.api_key_file: ..." or out of memory). */
struct cloud *cloud_new(const struct conf_cloud *c, char *err, size_t errlen);
struct cloud *cloud_free(struct cloud *);
/* Tests: the clock of the breaker and the cache (nanoseconds, monotonic);
 * default mg_clock_ns. Set before any lookup. */
void	cloud_set_clock(struct cloud *, uint64_t (*now)(void *arg), void *arg);

/* Answers for urls[0..n) (NUL-terminated, n <= max_urls) into out[0..n):
 * cached answers first, then one request for the rest bounded by the
 * configured timeout and by budget_ms (the caller's deadline; 0 = none).
 * 0 when every URL was answered; else out[] holds what the cache knew and
 * -MG_EAGAIN (circuit open, nothing asked), -MG_ETIMEOUT, -MG_EIO (not
 * reachable, or not 200), -MG_EPROTO (not our JSON), -MG_ELIMIT (response
 * over CLOUD_MAX_RESPONSE, or n > max_urls) or -MG_ENOMEM. */
int	cloud_lookup(struct cloud *, const char *const *urls, size_t n, uint64_t budget_ms,
	    struct cloud_answer *out);
enum cloud_state cloud_state(struct cloud *);
/* "unknown", "clean", "phishing", "malware", "spam". */
const char *cloud_category_name(enum cloud_category);
/* Maximum URLs per lookup (engine.cloud.max_urls). */
size_t	cloud_max_urls(const struct cloud *);

#endif
