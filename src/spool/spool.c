/* The durable spool: messages received into incoming/, committed into
 * queue/ by write, fdatasync, rename and one fsync of queue/ per batch
 * (docs/spool.md gives the protocol, the recovery rules and the
 * guarantee). Every path is resolved against directory descriptors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/file.h"
#include "core/id.h"
#include "core/log.h"
#include "spool/spool.h"

#define SPOOL_FILE_MODE		0640
#define SPOOL_DIR_MODE		0750
#define SPOOL_CREATE_TRIES	64

/* "ID", "ID.env", "ID.env.tmp" */
#define NAME_MAX_LEN	(MG_ID_STRLEN + sizeof(".env.tmp"))

struct spool {
	char	*dir;
	int	 dirfd;
	int	 incoming_fd;
	int	 queue_fd;
};

static const char *const spool_subdirs[] = { "incoming", "queue", "run" };

static void
spool_name(char out[NAME_MAX_LEN], uint64_t id, const char *suffix)
{
	snprintf(out, NAME_MAX_LEN, "%016" PRIx64 "%s", id, suffix);
}

/* mkdir -p for the spool directory itself; the parent of a missing
 * directory is created first. */
static int
mkdir_parents(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -1;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, SPOOL_DIR_MODE) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, SPOOL_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
open_subdir(struct spool *s, const char *name)
{
	int fd;

	if (mkdirat(s->dirfd, name, SPOOL_DIR_MODE) == -1 && errno != EEXIST) {
		log_syserr("spool mkdir dir=%s/%s", s->dir, name);
		return -1;
	}
	fd = openat(s->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		log_syserr("spool open dir=%s/%s", s->dir, name);
	return fd;
}

int
spool_open(const char *dir, struct spool **out)
{
	struct spool *s;
	int fd;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -MG_ENOMEM;
	s->dirfd = s->incoming_fd = s->queue_fd = -1;
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return -MG_ENOMEM;
	}
	if (mkdir_parents(dir) == -1) {
		log_syserr("spool mkdir dir=%s", dir);
		goto fail;
	}
	if ((s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_syserr("spool open dir=%s", dir);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(spool_subdirs) / sizeof(spool_subdirs[0]); i++) {
		if ((fd = open_subdir(s, spool_subdirs[i])) == -1)
			goto fail;
		if (strcmp(spool_subdirs[i], "incoming") == 0)
			s->incoming_fd = fd;
		else if (strcmp(spool_subdirs[i], "queue") == 0)
			s->queue_fd = fd;
		else
			close(fd);
	}
	*out = s;
	return 0;
fail:
	spool_close(s);
	return -MG_EIO;
}

struct spool *
spool_close(struct spool *s)
{
	if (s == NULL)
		return NULL;
	if (s->queue_fd != -1)
		close(s->queue_fd);
	if (s->incoming_fd != -1)
		close(s->incoming_fd);
	if (s->dirfd != -1)
		close(s->dirfd);
	free(s->dir);
	free(s);
	return NULL;
}

const char *
spool_dir(const struct spool *s)
{
	return s->dir;
}

int
spool_file_create(struct spool *s, struct spool_file *f)
{
	char name[NAME_MAX_LEN];

	memset(f, 0, sizeof(*f));
	f->spool = s;
	f->fd = f->env_fd = -1;
	for (int tries = 0; tries < SPOOL_CREATE_TRIES; tries++) {
		f->id = mg_id_queue();
		spool_name(name, f->id, "");
		f->fd = openat(s->incoming_fd, name,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, SPOOL_FILE_MODE);
		if (f->fd == -1 && errno == EEXIST)
			continue;
		if (f->fd == -1) {
			log_syserr("%016" PRIx64 " spool create dir=%s/incoming", f->id, s->dir);
			return -MG_EIO;
		}
		/* The id must also be free in queue/, where a committed message
		 * of the same second may hold it: the rename would replace it. */
		if (faccessat(s->queue_fd, name, F_OK, 0) == 0) {
			log_debug("%016" PRIx64 " spool id in use, retrying", f->id);
			spool_file_abort(f);
			continue;
		}
		return 0;
	}
	log_err("spool create dir=%s/incoming error=\"no free queue id after %d tries\"",
	    s->dir, SPOOL_CREATE_TRIES);
	return -MG_EIO;
}

int
spool_file_write(struct spool_file *f, const void *p, size_t len)
{
	if (mg_write_all(f->fd, p, len) < 0) {
		log_syserr("%016" PRIx64 " spool write", f->id);
		return -MG_EIO;
	}
	f->size += len;
	return 0;
}

int
spool_file_patch(struct spool_file *f, uint64_t off, const char *expect, const char *repl)
{
	char have[64];
	size_t n = strlen(expect);

	if (n != strlen(repl) || n > sizeof(have) || off > f->size || f->size - off < n)
		return -MG_EPROTO;
	if (pread(f->fd, have, n, (off_t)off) != (ssize_t)n) {
		log_syserr("%016" PRIx64 " spool read", f->id);
		return -MG_EIO;
	}
	if (strncasecmp(have, expect, n) != 0)
		return -MG_EPROTO;
	if (pwrite(f->fd, repl, n, (off_t)off) != (ssize_t)n) {
		log_syserr("%016" PRIx64 " spool write", f->id);
		return -MG_EIO;
	}
	return 0;
}

void
spool_file_path(const struct spool_file *f, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/incoming/%016" PRIx64, f->spool->dir, f->id);
}

static void
close_fds(struct spool_file *f)
{
	if (f->fd != -1 && close(f->fd) == -1)
		log_syswarn("%016" PRIx64 " spool close", f->id);
	if (f->env_fd != -1 && close(f->env_fd) == -1)
		log_syswarn("%016" PRIx64 " spool close envelope", f->id);
	f->fd = f->env_fd = -1;
}

/* unlinkat that tolerates a missing name; logs other failures. */
static int
unlink_name(int dirfd, const char *dirname, const char *name, uint64_t id)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT) {
		log_syserr("%016" PRIx64 " spool unlink file=%s/%s", id, dirname, name);
		return -1;
	}
	return 0;
}

int
spool_file_replace(struct spool_file *f)
{
	char name[NAME_MAX_LEN], repl[NAME_MAX_LEN];
	struct stat st;
	int fd;

	spool_name(name, f->id, "");
	spool_name(repl, f->id, SPOOL_NEW_SUFFIX);
	if ((fd = openat(f->spool->incoming_fd, repl, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    renameat(f->spool->incoming_fd, repl, f->spool->incoming_fd, name) == -1) {
		log_syserr("%016" PRIx64 " spool replace file=incoming/%s", f->id, repl);
		if (fd != -1)
			close(fd);
		unlink_name(f->spool->incoming_fd, "incoming", repl, f->id);
		return -MG_EIO;
	}
	if (f->fd != -1 && close(f->fd) == -1)
		log_syswarn("%016" PRIx64 " spool close", f->id);
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	return 0;
}

void
spool_file_abort(struct spool_file *f)
{
	char name[NAME_MAX_LEN];

	close_fds(f);
	spool_name(name, f->id, SPOOL_NEW_SUFFIX);
	unlink_name(f->spool->incoming_fd, "incoming", name, f->id);
	spool_name(name, f->id, ".env");
	unlink_name(f->spool->incoming_fd, "incoming", name, f->id);
	spool_name(name, f->id, "");
	unlink_name(f->spool->incoming_fd, "incoming", name, f->id);
}

/* Creates (or with trunc, replaces) dir/name holding the encoded envelope,
 * fdatasync'ed. Returns the open descriptor or a negative error. */
static int
write_envelope(int dirfd, const char *name, bool trunc, const struct envelope *env)
{
	struct mg_buf b;
	int fd, rc, flags = O_WRONLY | O_CREAT | O_CLOEXEC;

	mg_buf_init(&b, ENVELOPE_MAX_LEN);
	if ((rc = envelope_encode(env, &b)) < 0) {
		log_err("%016" PRIx64 " spool envelope encode error=\"%s\"",
		    env->id, mg_strerror(rc));
		mg_buf_release(&b);
		return rc;
	}
	flags |= trunc ? O_TRUNC : O_EXCL;
	if ((fd = openat(dirfd, name, flags, SPOOL_FILE_MODE)) == -1) {
		log_syserr("%016" PRIx64 " spool create file=%s", env->id, name);
		mg_buf_release(&b);
		return -MG_EIO;
	}
	if (mg_write_all(fd, b.data, b.len) < 0 || fdatasync(fd) == -1) {
		log_syserr("%016" PRIx64 " spool write file=%s", env->id, name);
		mg_buf_release(&b);
		close(fd);
		return -MG_EIO;
	}
	mg_buf_release(&b);
	return fd;
}

int
spool_commit_prepare(struct spool_file *f, const struct envelope *env)
{
	char name[NAME_MAX_LEN];
	struct envelope e = *env;	/* shallow: id and size come from the file */
	int fd;

	MG_BUG_ON(f->fd == -1 || f->env_fd != -1);
	e.id = f->id;
	e.size = f->size;
	if (fdatasync(f->fd) == -1) {
		log_syserr("%016" PRIx64 " spool fdatasync", f->id);
		return -MG_EIO;
	}
	spool_name(name, f->id, ".env");
	if ((fd = write_envelope(f->spool->incoming_fd, name, false, &e)) < 0) {
		unlink_name(f->spool->incoming_fd, "incoming", name, f->id);
		return fd;
	}
	f->env_fd = fd;
	return 0;
}

/* Moves incoming/ID then incoming/ID.env into queue/. */
static int
commit_rename(struct spool_file *f)
{
	struct spool *s = f->spool;
	char name[NAME_MAX_LEN];

	spool_name(name, f->id, "");
	if (renameat(s->incoming_fd, name, s->queue_fd, name) == -1) {
		log_syserr("%016" PRIx64 " spool commit rename file=%s", f->id, name);
		return -1;
	}
	spool_name(name, f->id, ".env");
	if (renameat(s->incoming_fd, name, s->queue_fd, name) == -1) {
		log_syserr("%016" PRIx64 " spool commit rename file=%s", f->id, name);
		return -1;
	}
	return 0;
}

/* Undoes a commit that cannot be acknowledged: whatever reached queue/ is
 * removed (envelope first), then whatever is left in incoming/. */
static void
commit_undo(struct spool_file *f)
{
	struct spool *s = f->spool;
	char name[NAME_MAX_LEN];

	spool_name(name, f->id, ".env");
	unlink_name(s->queue_fd, "queue", name, f->id);
	spool_name(name, f->id, "");
	unlink_name(s->queue_fd, "queue", name, f->id);
	spool_file_abort(f);
}

int
spool_commit_batch(struct spool_file **files, size_t n)
{
	struct spool *s;
	int rc = 0;

	if (n == 0)
		return 0;
	s = files[0]->spool;
	for (size_t i = 0; i < n; i++) {
		MG_BUG_ON(files[i]->spool != s || files[i]->env_fd == -1);
		close_fds(files[i]);
		if (rc == 0 && commit_rename(files[i]) == -1)
			rc = -MG_EIO;
	}
	if (rc == 0 && fsync(s->queue_fd) == -1) {
		log_syserr("spool fsync dir=%s/queue batch=%zu", s->dir, n);
		rc = -MG_EIO;
	}
	if (rc == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		log_err("%016" PRIx64 " spool commit failed, message not accepted",
		    files[i]->id);
		commit_undo(files[i]);
	}
	return rc;
}

/* Parses the queue id a spool file name starts with; 0 or -1. */
static int
name_id(const char *name, uint64_t *id)
{
	char hex[MG_ID_STRLEN + 1];

	if (strlen(name) < MG_ID_STRLEN)
		return -1;
	memcpy(hex, name, MG_ID_STRLEN);
	hex[MG_ID_STRLEN] = '\0';
	return mg_id_parse(hex, id) == 0 ? 0 : -1;
}

/* Parses "ID" + suffix exactly; 0 with *id, or -1. */
static int
parse_name(const char *name, const char *suffix, uint64_t *id)
{
	if (strlen(name) != MG_ID_STRLEN + strlen(suffix) ||
	    strcmp(name + MG_ID_STRLEN, suffix) != 0)
		return -1;
	return name_id(name, id);
}

static bool
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && strcmp(name + n - m, suffix) == 0;
}

/* Opens a directory stream on a duplicate of dirfd (closedir closes it). */
static DIR *
dir_stream(int dirfd, const char *what)
{
	int fd;
	DIR *d;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_syserr("spool open dir=%s", what);
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL) {
		log_syserr("spool open dir=%s", what);
		close(fd);
	}
	return d;
}

static int
recover_incoming(struct spool *s)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if ((d = dir_stream(s->incoming_fd, "incoming")) == NULL)
		return -MG_EIO;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		uint64_t id = 0;
		(void)name_id(e->d_name, &id);
		log_info("%016" PRIx64 " spool recover removed=incoming/%s reason=unacknowledged",
		    id, e->d_name);
		if (unlink_name(s->incoming_fd, "incoming", e->d_name, id) == -1)
			rc = -MG_EIO;
	}
	closedir(d);
	return rc;
}

/* Classifies one name in queue/: returns 1 for a committed message, 0
 * otherwise (after removing what is stale), -1 on error. */
static int
recover_queue_entry(struct spool *s, const char *name)
{
	char other[NAME_MAX_LEN];
	uint64_t id;

	if (has_suffix(name, ".tmp")) {
		id = 0;
		(void)name_id(name, &id);
		log_info("%016" PRIx64 " spool recover removed=queue/%s reason=temporary", id, name);
		return unlink_name(s->queue_fd, "queue", name, id);
	}
	if (parse_name(name, "", &id) == 0) {
		spool_name(other, id, ".env");
		if (faccessat(s->queue_fd, other, F_OK, 0) == 0)
			return 0;
		log_info("%016" PRIx64 " spool recover removed=queue/%s reason=no-envelope",
		    id, name);
		return unlink_name(s->queue_fd, "queue", name, id);
	}
	if (parse_name(name, ".env", &id) == 0) {
		spool_name(other, id, "");
		if (faccessat(s->queue_fd, other, F_OK, 0) == 0)
			return 1;
		log_err("%016" PRIx64 " spool recover removed=queue/%s reason=data-missing",
		    id, name);
		return unlink_name(s->queue_fd, "queue", name, id);
	}
	log_warn("spool recover unknown=queue/%s (left alone)", name);
	return 0;
}

int
spool_recover(struct spool *s)
{
	struct dirent *e;
	DIR *d;
	int rc, count = 0, err = 0;

	if ((rc = recover_incoming(s)) < 0)
		return rc;
	if ((d = dir_stream(s->queue_fd, "queue")) == NULL)
		return -MG_EIO;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((rc = recover_queue_entry(s, e->d_name)) == -1)
			err = -MG_EIO;
		else
			count += rc;
	}
	closedir(d);
	if (err < 0)
		return err;
	log_info("spool recover dir=%s queued=%d", s->dir, count);
	return count;
}

int
spool_queue_each(struct spool *s, int (*fn)(uint64_t id, void *arg), void *arg)
{
	struct dirent *e;
	uint64_t id;
	DIR *d;
	int rc = 0;

	if ((d = dir_stream(s->queue_fd, "queue")) == NULL)
		return -MG_EIO;
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (parse_name(e->d_name, ".env", &id) == 0)
			rc = fn(id, arg);
	closedir(d);
	return rc;
}

/* Reads the whole of a regular file of at most max bytes into b. */
static int
read_file(int fd, size_t max, struct mg_buf *b, uint64_t id)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1) {
		log_syserr("%016" PRIx64 " spool stat envelope", id);
		return -MG_EIO;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		log_err("%016" PRIx64 " spool envelope too large size=%jd", id, (intmax_t)st.st_size);
		return -MG_ELIMIT;
	}
	if (mg_buf_reserve(b, (size_t)st.st_size) < 0)
		return -MG_ENOMEM;
	while (b->len < (size_t)st.st_size) {
		n = read(fd, b->data + b->len, (size_t)st.st_size - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_syserr("%016" PRIx64 " spool read envelope", id);
			return -MG_EIO;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	return 0;
}

int
spool_env_load(struct spool *s, uint64_t id, struct envelope *out)
{
	char name[NAME_MAX_LEN];
	struct mg_buf b;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	spool_name(name, id, ".env");
	if ((fd = openat(s->queue_fd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -MG_ENOENT;
		log_syserr("%016" PRIx64 " spool open envelope", id);
		return -MG_EIO;
	}
	mg_buf_init(&b, ENVELOPE_MAX_LEN);
	rc = read_file(fd, ENVELOPE_MAX_LEN, &b, id);
	close(fd);
	if (rc == 0 && (rc = envelope_decode(b.data, b.len, out)) < 0)
		log_err("%016" PRIx64 " spool envelope malformed file=%s/queue/%s",
		    id, s->dir, name);
	if (rc == 0 && out->id != id) {
		log_err("%016" PRIx64 " spool envelope names another id", id);
		envelope_clear(out);
		rc = -MG_EPROTO;
	}
	mg_buf_release(&b);
	return rc;
}

int
spool_env_store(struct spool *s, const struct envelope *env)
{
	char tmp[NAME_MAX_LEN], name[NAME_MAX_LEN];
	int fd;

	spool_name(tmp, env->id, ".env.tmp");
	spool_name(name, env->id, ".env");
	if ((fd = write_envelope(s->queue_fd, tmp, true, env)) < 0) {
		unlink_name(s->queue_fd, "queue", tmp, env->id);
		return fd;
	}
	if (close(fd) == -1)
		log_syswarn("%016" PRIx64 " spool close envelope", env->id);
	/* No fsync of queue/: if this rename is lost in a crash the previous
	 * envelope stays, which at worst repeats a delivery (docs/spool.md). */
	if (renameat(s->queue_fd, tmp, s->queue_fd, name) == -1) {
		log_syserr("%016" PRIx64 " spool rename file=%s", env->id, tmp);
		unlink_name(s->queue_fd, "queue", tmp, env->id);
		return -MG_EIO;
	}
	return 0;
}

int
spool_data_open(struct spool *s, uint64_t id, int *fd, uint64_t *size)
{
	char name[NAME_MAX_LEN];
	struct stat st;

	*fd = -1;
	spool_name(name, id, "");
	if ((*fd = openat(s->queue_fd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -MG_ENOENT;
		log_syserr("%016" PRIx64 " spool open data", id);
		return -MG_EIO;
	}
	if (fstat(*fd, &st) == -1) {
		log_syserr("%016" PRIx64 " spool stat data", id);
		close(*fd);
		*fd = -1;
		return -MG_EIO;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

int
spool_remove(struct spool *s, uint64_t id)
{
	char name[NAME_MAX_LEN];
	int gone = 0;

	spool_name(name, id, ".env");
	if (unlinkat(s->queue_fd, name, 0) == -1) {
		if (errno != ENOENT) {
			log_syserr("%016" PRIx64 " spool remove file=%s", id, name);
			return -MG_EIO;
		}
		gone++;
	}
	spool_name(name, id, "");
	if (unlinkat(s->queue_fd, name, 0) == -1) {
		if (errno != ENOENT) {
			log_syserr("%016" PRIx64 " spool remove file=%s", id, name);
			return -MG_EIO;
		}
		gone++;
	}
	return gone == 2 ? -MG_ENOENT : 0;
}

int
spool_inject(struct spool *s, struct envelope *env, const void *data, size_t len)
{
	struct spool_file f, *fp = &f;
	int rc;

	if ((rc = spool_file_create(s, &f)) < 0)
		return rc;
	if ((rc = spool_file_write(&f, data, len)) < 0 ||
	    (rc = spool_commit_prepare(&f, env)) < 0) {
		spool_file_abort(&f);
		return rc;
	}
	if ((rc = spool_commit_batch(&fp, 1)) < 0)
		return rc;
	env->id = f.id;
	env->size = len;
	return 0;
}
