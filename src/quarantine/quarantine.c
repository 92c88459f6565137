/* The quarantine's files and rows (quarantine.h): zstd streams written
 * through mg_file_replace (temporary file, fsync, rename, fsync of the
 * directory), rows in the store, deletion and purge by retention. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/id.h"
#include "core/log.h"
#include "quarantine/quarantine.h"

#define IO_CHUNK	(128u * 1024)
#define PURGE_BATCH	1000u

int
quarantine_path(const struct quarantine *q, uint64_t id, char *out, size_t outlen)
{
	char hex[MG_ID_STRLEN + 1];
	int n;

	mg_id_format(id, hex);
	n = snprintf(out, outlen, "%s/%s%s", q->dir, hex, QUARANTINE_SUFFIX);
	return n < 0 || (size_t)n >= outlen ? -MG_ELIMIT : 0;
}

struct put_src {
	const char	*headers;
	int		 fd;
	uint64_t	 len;
};

/* Compresses in (end: the last piece) and writes what comes out to fd. */
static int
zput(ZSTD_CCtx *z, int fd, const void *p, size_t len, bool end)
{
	uint8_t out[IO_CHUNK];
	ZSTD_inBuffer in = { p, len, 0 };
	size_t left;
	int rc;

	do {
		ZSTD_outBuffer o = { out, sizeof(out), 0 };
		left = ZSTD_compressStream2(z, &o, &in, end ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left))
			return -MG_ENOMEM;
		if ((rc = mg_write_all(fd, out, o.pos)) < 0)
			return rc;
	} while (end ? left != 0 : in.pos < in.size);
	return 0;
}

/* mg_file_replace's fill: the header block, then the data file. */
static int
put_fill(void *arg, int fd)
{
	const struct put_src *src = arg;
	ZSTD_CCtx *z = ZSTD_createCCtx();
	uint8_t buf[IO_CHUNK];
	uint64_t off = 0;
	int rc = z ? 0 : -MG_ENOMEM;

	if (rc == 0 && ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel,
	    QUARANTINE_ZSTD_LEVEL)))
		rc = -MG_EINVAL;
	if (rc == 0 && src->headers != NULL)
		rc = zput(z, fd, src->headers, strlen(src->headers), false);
	while (rc == 0 && off < src->len) {
		size_t want = src->len - off < sizeof(buf) ? (size_t)(src->len - off) : sizeof(buf);
		ssize_t n = pread(src->fd, buf, want, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -MG_EIO;	/* the data file is shorter than its envelope says */
			break;
		}
		rc = zput(z, fd, buf, (size_t)n, false);
		off += (uint64_t)n;
	}
	if (rc == 0)
		rc = zput(z, fd, NULL, 0, true);
	ZSTD_freeCCtx(z);
	return rc;
}

static int
put_seen(const struct store_quarantine *row, void *arg)
{
	return 0;
}

int
quarantine_put(const struct quarantine *q, const struct store_quarantine *meta,
    const char *headers, int data_fd, uint64_t data_len)
{
	struct put_src src = { headers, data_fd, data_len };
	char path[4096], err[512];
	int rc;

	if ((rc = quarantine_path(q, meta->id, path, sizeof(path))) < 0)
		return rc;
	if ((rc = quarantine_find(q, meta->id, put_seen, NULL)) != -MG_ENOENT)
		return rc;	/* 0: held before a crash, the file went first */
	if (mkdir(q->dir, 0750) == -1 && errno != EEXIST) {
		log_syserr("%016" PRIx64 " quarantine mkdir dir=%s", meta->id, q->dir);
		return -MG_EIO;
	}
	if ((rc = mg_file_replace(path, 0640, put_fill, &src, err, sizeof(err))) < 0) {
		log_err("%016" PRIx64 " quarantine write error=\"%s\"", meta->id, err);
		return rc;
	}
	rc = store_quar_add(q->store, meta);
	return rc == -MG_EEXIST ? 0 : rc;
}

struct find_ctx {
	store_quarantine_fn fn;
	void		*arg;
	bool		 seen;
};

static int
find_one(const struct store_quarantine *row, void *arg)
{
	struct find_ctx *c = arg;

	c->seen = true;
	return c->fn(row, c->arg);
}

int
quarantine_find(const struct quarantine *q, uint64_t id, store_quarantine_fn fn, void *arg)
{
	struct store_quarantine_query query = { .id = id, .limit = 1 };
	struct find_ctx c = { fn, arg, false };
	int rc;

	if (id == 0)
		return -MG_ENOENT;
	rc = store_quar_search(q->store, &query, find_one, &c);
	return rc == 0 && !c.seen ? -MG_ENOENT : rc;
}

/* Decompresses what read from fd into out. */
static int
get_stream(int fd, struct mg_buf *out)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	uint8_t in[IO_CHUNK], dec[IO_CHUNK];
	size_t hint = 1;
	ssize_t n;
	int rc = z ? 0 : -MG_ENOMEM;

	while (rc == 0 && (n = read(fd, in, sizeof(in))) != 0) {
		ZSTD_inBuffer ib = { in, n > 0 ? (size_t)n : 0, 0 };
		if (n == -1) {
			rc = errno == EINTR ? 0 : -MG_EIO;
			continue;
		}
		while (rc == 0 && ib.pos < ib.size) {
			ZSTD_outBuffer ob = { dec, sizeof(dec), 0 };
			hint = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(hint))
				rc = -MG_EPROTO;
			else
				rc = mg_buf_append(out, dec, ob.pos);
		}
	}
	/* hint 0: a whole frame ended; anything else is a cut file */
	if (rc == 0 && hint != 0)
		rc = -MG_EPROTO;
	ZSTD_freeDCtx(z);
	return rc;
}

int
quarantine_get(const struct quarantine *q, uint64_t id, struct mg_buf *out)
{
	char path[4096];
	int fd, rc;

	if ((rc = quarantine_path(q, id, path, sizeof(path))) < 0)
		return rc;
	if (out->max == 0 || out->max > QUARANTINE_MAX_MESSAGE)
		out->max = QUARANTINE_MAX_MESSAGE;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? -MG_ENOENT : -MG_EIO;
	rc = get_stream(fd, out);
	close(fd);
	return rc;
}

int
quarantine_delete(const struct quarantine *q, uint64_t id)
{
	char path[4096];
	bool had_file = true;
	int rc;

	if ((rc = quarantine_path(q, id, path, sizeof(path))) < 0)
		return rc;
	if (unlink(path) == -1) {
		if (errno != ENOENT)
			return -MG_EIO;
		had_file = false;
	}
	rc = store_quar_delete(q->store, id);
	return rc == -MG_ENOENT && had_file ? 0 : rc;
}

struct purge_ctx {
	const struct quarantine *q;
	bool		 dry_run;
	store_quarantine_fn fn;
	void		*arg;
	uint64_t	 ids[PURGE_BATCH];
	size_t		 n;
};

static int
purge_collect(const struct store_quarantine *row, void *arg)
{
	struct purge_ctx *c = arg;
	int rc = c->fn != NULL ? c->fn(row, c->arg) : 0;

	c->ids[c->n++] = row->id;
	return rc;
}

/* One category's expired messages, in batches (a dry run reports one). */
static int
purge_category(struct purge_ctx *c, const char *category, time_t until, uint64_t *npurged)
{
	struct store_quarantine_query query = { .category = category, .until = until,
	    .limit = PURGE_BATCH };
	int rc;

	do {
		c->n = 0;
		if ((rc = store_quar_search(c->q->store, &query, purge_collect, c)) != 0)
			return rc;
		*npurged += c->n;
		for (size_t i = 0; !c->dry_run && i < c->n; i++)
			if ((rc = quarantine_delete(c->q, c->ids[i])) < 0 && rc != -MG_ENOENT)
				return rc;
	} while (!c->dry_run && c->n == PURGE_BATCH);
	return 0;
}

int
quarantine_purge(const struct quarantine *q, const struct conf_quarantine *conf, time_t now,
    bool dry_run, store_quarantine_fn fn, void *arg, uint64_t *npurged)
{
	struct purge_ctx *c = calloc(1, sizeof(*c));
	int rc = 0;

	*npurged = 0;
	if (c == NULL)
		return -MG_ENOMEM;
	*c = (struct purge_ctx){ .q = q, .dry_run = dry_run, .fn = fn, .arg = arg };
	for (size_t i = 0; rc == 0 && conf_category_names[i] != NULL; i++) {
		const char *cat = conf_category_names[i];
		time_t keep = (time_t)conf_quarantine_days(conf, cat) * 86400;
		rc = purge_category(c, cat, now - keep, npurged);
	}
	free(c);
	return rc;
}
