/* Anti-virus engines behind one table of function pointers (libclamav in
 * process, clamd over its socket; ICAP or vendor daemons fit the same
 * shape), and the result cache by SHA-256 (docs/malware.md). */
#ifndef MG_AV_AV_H
#define MG_AV_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf_av.h"

#define MG_AV_SIG_MAX	128	/* bytes of a signature name, NUL included */

enum mg_av_status { MG_AV_CLEAN, MG_AV_FOUND };

/* One scan of one buffer by one engine. start may finish the job (then
 * done is set); otherwise finish completes it. The caller starts every
 * engine's job before finishing any, so an engine that works elsewhere
 * (clamd) scans while an in-process engine (libclamav) does. */
struct mg_av_job {
	const uint8_t	*data;		/* borrowed until finish returns */
	size_t		 len;
	uint64_t	 deadline_ns;	/* mg_clock_ns(); 0 = now + the engine's timeout */
	int		 fd;		/* engine-private (clamd socket), -1 */
	bool		 done;
	int		 rc;		/* MG_AV_CLEAN, MG_AV_FOUND or -MG_E* */
	char		 signature[MG_AV_SIG_MAX];	/* when MG_AV_FOUND */
};

struct mg_av_engine {
	const char	*name;		/* "clamav": symbols AV_CLAMAV_*, options "clamav:SIG" */
	/* NULL with the reason in err. The state is shared by every thread. */
	void		*(*open)(const struct conf_av *, char *err, size_t errlen);
	/* Rebuilds from the same settings; scans under way finish on the old
	 * signatures. 0 or -MG_E* (the old ones stay). */
	int		(*reload)(void *state, char *err, size_t errlen);
	int		(*start)(void *state, struct mg_av_job *);
	int		(*finish)(void *state, struct mg_av_job *);
	void		(*close)(void *state);
};

extern const struct mg_av_engine mg_av_clamav;
extern const struct mg_av_engine mg_av_clamd;

/* Prepares job for data and runs it to the end: start then finish.
 * Returns job->rc. */
int	mg_av_scan(const struct mg_av_engine *, void *state, struct mg_av_job *,
	    const uint8_t *data, size_t len);
/* A job for data: not done, no socket, no deadline. */
void	mg_av_job_init(struct mg_av_job *, const uint8_t *data, size_t len);

/* libclamav's signature count in the engine in use (tests, the CLI). */
unsigned mg_av_clamav_signatures(void *state);

/* The cache: results of each engine by the SHA-256 of what it scanned,
 * kept ttl seconds, at most max_entries (least recently used go first).
 * Thread-safe. max_entries 0 or ttl 0 = nothing is kept. */
struct mg_av_cache;

struct mg_av_cache *mg_av_cache_new(uint32_t ttl, uint32_t max_entries);
struct mg_av_cache *mg_av_cache_free(struct mg_av_cache *);	/* returns NULL */
/* 1 with *status and sig (signature or "") filled when engine's result for
 * sha256 (64 hex digits) is cached and fresh at now (seconds), else 0. */
int	mg_av_cache_get(struct mg_av_cache *, const char *engine, const char *sha256,
	    uint64_t now, enum mg_av_status *status, char *sig, size_t siglen);
/* Stores a result; 0 or -MG_ENOMEM (the result is just not kept). */
int	mg_av_cache_put(struct mg_av_cache *, const char *engine, const char *sha256,
	    uint64_t now, enum mg_av_status status, const char *sig);
/* Lookups answered from the cache and results stored, since creation. */
void	mg_av_cache_stats(struct mg_av_cache *, uint64_t *hits, uint64_t *stores);

#endif
