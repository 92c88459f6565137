/* Binding the configured listeners (see listen.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/listen.h"

#define LISTEN_BACKLOG	4096

int
listen_bind(const struct conf_listener *l, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char port[8];
	int fd, on = 1, rc;

	snprintf(port, sizeof(port), "%u", l->port);
	if ((rc = getaddrinfo(l->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve listener %s: %s", l->address,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s (line %d): %s", l->address, l->line,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return -1;
}
