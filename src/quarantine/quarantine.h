/* The quarantine (docs/quarantine.md): messages held instead of delivered.
 * Each lives in <dir>/ID.eml.zst (zstd, the gateway's header block then
 * the message data, as it would have been delivered) with one row of
 * metadata in the store's quarantine table; ID is the queue id it had.
 * Storing writes the file durably before the row, so a crash between the
 * two leaves a file that the next store of the same id replaces; release
 * puts a copy back into the spool's queue as a new message. */
#ifndef MG_QUARANTINE_QUARANTINE_H
#define MG_QUARANTINE_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/conf_quarantine.h"
#include "store/store.h"

struct spool;

#define QUARANTINE_SUFFIX	".eml.zst"
#define QUARANTINE_ZSTD_LEVEL	3
#define QUARANTINE_MAX_MESSAGE	(1024u * 1024 * 1024)	/* bytes decompressed */
#define QUARANTINE_MAX_RCPTS	1000	/* recipients of one release */

/* Borrowed handles; spool is needed by release only. */
struct quarantine {
	const char	*dir;
	struct store	*store;
	struct spool	*spool;
};

/* <dir>/<ID>.eml.zst; 0 or -MG_ELIMIT. */
int	quarantine_path(const struct quarantine *, uint64_t id, char *out, size_t outlen);

/* Holds a message: headers (CRLF-terminated, may be NULL) then data_len
 * bytes read from data_fd at offset 0, compressed into the file (written,
 * fsync'ed, renamed), then meta's row. Creates dir (0750) if missing.
 * A row already present for meta->id counts as done (0): the message was
 * held before a crash kept its queue files. 0 or -MG_E*. */
int	quarantine_put(const struct quarantine *, const struct store_quarantine *meta,
	    const char *headers, int data_fd, uint64_t data_len);

/* Calls fn with the row of id; -MG_ENOENT when there is none. */
int	quarantine_find(const struct quarantine *, uint64_t id, store_quarantine_fn fn,
	    void *arg);

/* The whole message, decompressed, appended to out (its max applies, else
 * QUARANTINE_MAX_MESSAGE). -MG_ENOENT (no file), -MG_EPROTO (corrupt),
 * -MG_ELIMIT, -MG_EIO. */
int	quarantine_get(const struct quarantine *, uint64_t id, struct mg_buf *out);

/* Removes the file, then the row; -MG_ENOENT when neither existed. */
int	quarantine_delete(const struct quarantine *, uint64_t id);

/* Queues a copy of id for rcpts (n = 0: the original recipients), each of
 * which must be an original recipient unless any is true (forward),
 * with "X-Mailgate-Released: by=BY; at=TIME; id=ID" before the original
 * bytes; records the release in the row. *new_id gets the queue id.
 * -MG_ENOENT (no such message), -MG_EINVAL (a recipient that is not one
 * of the message's, or malformed), other -MG_E*. */
int	quarantine_release(const struct quarantine *, uint64_t id, const char *const *rcpts,
	    size_t n, bool any, const char *by, time_t now, uint64_t *new_id);

/* Deletes (or, dry_run, only reports) every message older than its
 * category's retention at now; fn (may be NULL) sees each before it
 * goes. *npurged gets the count. 0 or the first error. */
int	quarantine_purge(const struct quarantine *, const struct conf_quarantine *, time_t now,
	    bool dry_run, store_quarantine_fn fn, void *arg, uint64_t *npurged);

#endif
