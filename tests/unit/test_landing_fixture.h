/* A small HTTP/1.0 server on 127.0.0.1 for the landing tests, in a thread:
 * /login (a PayPal login clone), /big (100 KiB), /r/N (redirects N times,
 * then /login), /slow (answers nothing until the client goes away); it
 * counts every connection. And the path of the built worker. */
#ifndef MG_TESTS_LANDING_FIXTURE_H
#define MG_TESTS_LANDING_FIXTURE_H

#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LANDING_BIG	(100 * 1024)

static const char landing_login_page[] =
	"<html><head><title>PayPal: Log in</title></head><body>"
	"<img src=\"/logo.png\" alt=\"PayPal\"><form method=post action=\"/go.php\">"
	"<input type=email name=e><input type=password name=p></form></body></html>";

struct http_server {
	int		 fd;
	uint16_t	 port;
	pthread_t	 thread;
	atomic_int	 hits;		/* connections accepted */
	atomic_int	 slow;		/* /slow requests under way */
	atomic_bool	 stop;
};

static inline void
http_send(int fd, const char *status, const char *extra, const void *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Length: %zu\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n%sConnection: close\r\n\r\n",
	    status, len, extra);

	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n && len > 0)
		(void)send(fd, body, len, MSG_NOSIGNAL);
}

static inline void
http_serve(struct http_server *s, int fd)
{
	char req[4096], path[256], loc[300];
	size_t n = 0;
	ssize_t r;
	int hops;

	while (n < sizeof(req) - 1 && (r = recv(fd, req + n, sizeof(req) - 1 - n, 0)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %255s", path) != 1)
		return;
	if (strcmp(path, "/login") == 0) {
		http_send(fd, "200 OK", "", landing_login_page, sizeof(landing_login_page) - 1);
	} else if (strcmp(path, "/big") == 0) {
		char *b = malloc(LANDING_BIG);
		memset(b, 'a', LANDING_BIG);
		http_send(fd, "200 OK", "", b, LANDING_BIG);
		free(b);
	} else if (sscanf(path, "/r/%d", &hops) == 1) {
		if (hops <= 0)
			snprintf(loc, sizeof(loc), "Location: /login\r\n");
		else
			snprintf(loc, sizeof(loc), "Location: /r/%d\r\n", hops - 1);
		http_send(fd, "302 Found", loc, "", 0);
	} else if (strcmp(path, "/slow") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		s->slow++;
		(void)poll(&p, 1, 30000);	/* until the client goes away */
		s->slow--;
	} else {
		http_send(fd, "404 Not Found", "", "", 0);
	}
}

static inline void *
http_loop(void *arg)
{
	struct http_server *s = arg;
	int fd;

	while (!s->stop) {
		if ((fd = accept(s->fd, NULL, NULL)) == -1)
			continue;
		if (!s->stop) {
			s->hits++;
			http_serve(s, fd);
		}
		close(fd);
	}
	return NULL;
}

static inline int
http_start(struct http_server *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	if ((s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(s->fd, 16) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &al) == -1)
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, http_loop, s) == 0 ? 0 : -1;
}

static inline void
http_stop(struct http_server *s)
{
	s->stop = true;
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

/* Waits up to 10 s for flag to reach want. */
static inline int
wait_for(atomic_int *flag, int want)
{
	struct timespec ts = { 0, 2000000 };

	for (int i = 0; i < 5000; i++) {
		if (*flag == want)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* A loopback port nothing listens on (bound, then closed). */
static inline uint16_t
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	return ntohs(a.sin_port);
}

/* The worker built beside mailgated: BUILD/src/daemon/mailgate-fetch, the
 * tests being in BUILD/tests. */
static inline const char *
worker_path(void)
{
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../src/daemon/mailgate-fetch", dirname(exe));
	return access(path, X_OK) == 0 ? path : NULL;
}

#endif
