/* The durable spool (DESIGN.md section 4). Layout under the spool dir:
 *   incoming/ID       data being received; never acknowledged
 *   queue/ID          committed message data, immutable
 *   queue/ID.env      its envelope; its presence is the commit point
 * Commit: fsync data and envelope, rename both into queue/, fsync queue/
 * once for the whole batch (group commit), and only then answer 250. */
#ifndef MG_SPOOL_SPOOL_H
#define MG_SPOOL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "spool/envelope.h"

struct spool;

/* A message being received into incoming/. fd is open for writing. */
struct spool_file {
	struct spool	*spool;
	uint64_t	 id;
	int		 fd;
	uint64_t	 size;		/* bytes written through spool_file_write */
	int		 env_fd;	/* set by spool_commit_prepare */
};

/* Opens (creating missing subdirectories, mode 0750) the spool at dir. */
int	spool_open(const char *dir, struct spool **out);
struct spool *spool_close(struct spool *);		/* returns NULL */
const char *spool_dir(const struct spool *);

/* Startup recovery, before any child runs: empties incoming/, removes
 * queue data without an envelope and stale temporary files. Returns the
 * number of committed messages found, or a negative error. */
int	spool_recover(struct spool *);

/* Creates incoming/ID with a fresh queue id. */
int	spool_file_create(struct spool *, struct spool_file *out);
int	spool_file_write(struct spool_file *, const void *, size_t);
/* Overwrites the bytes at off, which must read expect (ASCII letters in any
 * case), with repl of the same length, before the commit. 0, -MG_EPROTO
 * when the bytes differ or lie past what was written, -MG_EIO. */
int	spool_file_patch(struct spool_file *, uint64_t off, const char *expect,
	    const char *repl);
/* A replacement of incoming/ID's content, written whole and fsynced by
 * scand (dangerous files stripped) at incoming/ID.new. */
#define SPOOL_NEW_SUFFIX	".new"
/* Puts incoming/ID.new in the place of incoming/ID (rename; the original
 * is gone) and reopens it; size becomes its length. On error incoming/ID
 * is unchanged and ID.new removed: -MG_EIO. */
int	spool_file_replace(struct spool_file *);
/* Path of incoming/ID (for scand, which only reads it). */
void	spool_file_path(const struct spool_file *, char *out, size_t outlen);
/* Removes incoming/ID and any ID.new (message refused or session gone). */
void	spool_file_abort(struct spool_file *);

/* Step 1 of commit, thread-safe, per message: fdatasync the data, write
 * and fdatasync incoming/ID.env from env. */
int	spool_commit_prepare(struct spool_file *, const struct envelope *env);
/* Step 2, for a batch already prepared: rename each into queue/, then one
 * fsync of queue/. Returns 0 when all are durable; on error, none of the
 * batch may be acknowledged (each is aborted). */
int	spool_commit_batch(struct spool_file **files, size_t n);

/* Calls fn for each committed message id in queue/; stops on non-zero. */
int	spool_queue_each(struct spool *, int (*fn)(uint64_t id, void *arg), void *arg);
int	spool_env_load(struct spool *, uint64_t id, struct envelope *out);
/* Rewrites queue/ID.env atomically (tmp, fsync, rename). */
int	spool_env_store(struct spool *, const struct envelope *);
/* Opens queue/ID read-only; *size is its length. */
int	spool_data_open(struct spool *, uint64_t id, int *fd, uint64_t *size);
/* Removes a finished message: envelope first, then data. */
int	spool_remove(struct spool *, uint64_t id);
/* Commits a whole message at once (DSNs we generate); assigns env->id. */
int	spool_inject(struct spool *, struct envelope *env, const void *data, size_t len);

#endif
