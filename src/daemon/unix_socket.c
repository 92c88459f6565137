/* UNIX stream sockets for inter-process messages (see unix_socket.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "daemon/unix_socket.h"

static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		log_err("unix socket path_too_long path=%s", path);
		return -MG_ELIMIT;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int
unix_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((rc = unix_addr(path, &sun)) < 0)
		return rc;
	if (unlink(path) == -1 && errno != ENOENT)
		log_syswarn("unix unlink path=%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 128) == -1) {
		log_syserr("unix listen path=%s", path);
		if (fd != -1)
			close(fd);
		return -MG_EIO;
	}
	return fd;
}

int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((rc = unix_addr(path, &sun)) < 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -MG_EIO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		close(fd);
		return -MG_EIO;
	}
	return fd;
}
