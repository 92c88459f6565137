/* Whole-file writes (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/file.h"

int
mg_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = write(fd, b, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -MG_EIO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory of path, so that the rename itself is durable. */
static void
sync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

int
mg_file_replace(const char *path, mode_t mode, int (*fill)(void *arg, int fd), void *arg,
    char *err, size_t errlen)
{
	char tmp[4096];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -MG_EINVAL;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -MG_EIO;
	}
	errno = 0;
	if ((rc = fill(arg, fd)) == 0 && fsync(fd) == -1)
		rc = -MG_EIO;
	if (close(fd) == -1 && rc == 0)
		rc = -MG_EIO;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -MG_EIO;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, rc == -MG_EIO && errno != 0 ?
		    strerror(errno) : mg_strerror(rc));
		unlink(tmp);
		return rc;
	}
	sync_parent(path);
	return 0;
}
