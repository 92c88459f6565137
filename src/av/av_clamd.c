/* clamd over its UNIX or TCP socket (av.h): zINSTREAM with length-prefixed
 * chunks sent in start, the answer read in finish; non-blocking sockets
 * waited on with poll() until the job's deadline, on scand's workers. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "av/av.h"
#include "core/clock.h"
#include "core/conf_parse.h"
#include "core/err.h"
#include "core/log.h"

#define CLAMD_CHUNK	(64u << 10)	/* bytes per INSTREAM chunk */
#define CLAMD_REPLY_MAX	1024		/* bytes of an answer */

struct clamd_state {
	char		*address;	/* "unix:/path" or "tcp:host:port" */
	uint64_t	 timeout_ns;
};

static void *
clamd_open(const struct conf_av *c, char *err, size_t errlen)
{
	struct clamd_state *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->address = strdup(c->clamd)) == NULL) {
		snprintf(err, errlen, "clamd: out of memory");
		free(st);
		return NULL;
	}
	st->timeout_ns = (uint64_t)(c->clamd_timeout * 1e9);
	return st;
}

/* Nothing is loaded here: clamd reloads its own databases (RELOAD). */
static int
clamd_reload(void *state, char *err, size_t errlen)
{
	return 0;
}

/* Waits until fd is ready for events or the deadline; 0 or -MG_ETIMEOUT/-MG_EIO. */
static int
clamd_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int n;

	for (;;) {
		if ((now = mg_clock_ns()) >= deadline)
			return -MG_ETIMEOUT;
		n = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -MG_EIO;
	}
}

/* A non-blocking socket connected to address, or -MG_E*. */
static int
clamd_connect(const char *address, uint64_t deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	const struct sockaddr *sa = (const struct sockaddr *)&sun;
	socklen_t salen = sizeof(sun);
	char host[256], port[8];
	uint16_t portnum;
	int fd, rc = 0, soerr = 0;
	socklen_t len = sizeof(soerr);

	if (strncmp(address, "unix:", 5) == 0) {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", address + 5);
	} else if (conf_parse_hostport(address + 4, 0, host, sizeof(host), &portnum) < 0) {
		return -MG_EINVAL;
	} else {
		snprintf(port, sizeof(port), "%u", portnum);
		if (getaddrinfo(host, port, &hints, &ai) != 0)
			return -MG_ENOENT;
		sa = ai->ai_addr;
		salen = ai->ai_addrlen;
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		rc = -MG_EIO;
	else if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS)
		rc = -MG_EIO;
	else if ((rc = clamd_wait(fd, POLLOUT, deadline)) == 0 &&
	    (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 || soerr != 0))
		rc = -MG_EIO;
	if (ai != NULL)
		freeaddrinfo(ai);
	if (rc < 0 && fd != -1)
		close(fd);
	return rc < 0 ? rc : fd;
}

static int
clamd_send(int fd, const void *p, size_t len, uint64_t deadline)
{
	const uint8_t *b = p;
	ssize_t n;
	int rc;

	while (len > 0) {
		if ((n = send(fd, b, len, MSG_NOSIGNAL)) > 0) {
			b += n;
			len -= (size_t)n;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = clamd_wait(fd, POLLOUT, deadline)) < 0)
				return rc;
		} else {
			return -MG_EIO;
		}
	}
	return 0;
}

/* zINSTREAM, the data in chunks each after its length (4 bytes, network
 * order), then a zero length. */
static int
clamd_stream(int fd, const uint8_t *data, size_t len, uint64_t deadline)
{
	static const char cmd[] = "zINSTREAM";
	static const uint8_t end[4];
	int rc = clamd_send(fd, cmd, sizeof(cmd), deadline);	/* with its NUL */

	for (size_t off = 0; rc == 0 && off < len; off += CLAMD_CHUNK) {
		uint32_t n = (uint32_t)(len - off < CLAMD_CHUNK ? len - off : CLAMD_CHUNK);
		uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			(uint8_t)n };
		if ((rc = clamd_send(fd, hdr, sizeof(hdr), deadline)) == 0)
			rc = clamd_send(fd, data + off, n, deadline);
	}
	return rc ? rc : clamd_send(fd, end, sizeof(end), deadline);
}

static int
clamd_start(void *state, struct mg_av_job *job)
{
	struct clamd_state *st = state;
	int rc;

	if (job->deadline_ns == 0)
		job->deadline_ns = mg_clock_ns() + st->timeout_ns;
	if ((rc = clamd_connect(st->address, job->deadline_ns)) >= 0) {
		job->fd = rc;
		rc = clamd_stream(job->fd, job->data, job->len, job->deadline_ns);
	}
	if (rc < 0) {
		log_warn("av clamd send_failed address=%s reason=%s", st->address,
		    mg_strerror(rc));
		if (job->fd != -1)
			close(job->fd);
		job->fd = -1;
		job->rc = rc;
		job->done = true;
	}
	return rc < 0 ? rc : 0;
}

/* "stream: OK", "stream: NAME FOUND", or an error ("... ERROR"). */
static int
clamd_parse(const char *reply, struct mg_av_job *job)
{
	static const char prefix[] = "stream: ", found[] = " FOUND";
	size_t n = strlen(reply), fl = sizeof(found) - 1;

	if (strncmp(reply, prefix, sizeof(prefix) - 1) != 0)
		return -MG_EPROTO;
	reply += sizeof(prefix) - 1;
	n -= sizeof(prefix) - 1;
	if (strcmp(reply, "OK") == 0)
		return MG_AV_CLEAN;
	if (n <= fl || strcmp(reply + n - fl, found) != 0 || n - fl >= MG_AV_SIG_MAX)
		return -MG_EPROTO;
	memcpy(job->signature, reply, n - fl);
	job->signature[n - fl] = '\0';
	return MG_AV_FOUND;
}

/* in for a log line: control characters and quotes become '?'. */
static void
clamd_printable(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i < outlen - 1; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' ? in[i] : '?';
	out[i] = '\0';
}

/* Reads the NUL-terminated answer (or up to EOF). */
static int
clamd_read_reply(int fd, char *buf, size_t cap, uint64_t deadline)
{
	size_t len = 0;
	ssize_t n;
	int rc;

	while (len < cap - 1) {
		if ((n = recv(fd, buf + len, cap - 1 - len, 0)) > 0) {
			len += (size_t)n;
			if (memchr(buf, '\0', len) != NULL)
				return 0;
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			if ((rc = clamd_wait(fd, POLLIN, deadline)) < 0)
				return rc;
		} else {
			return -MG_EIO;
		}
	}
	buf[len] = '\0';
	return len == cap - 1 ? -MG_ELIMIT : 0;
}

static int
clamd_finish(void *state, struct mg_av_job *job)
{
	struct clamd_state *st = state;
	char reply[CLAMD_REPLY_MAX], shown[80];
	int rc;

	if (job->done)
		return job->rc;
	rc = clamd_read_reply(job->fd, reply, sizeof(reply), job->deadline_ns);
	if (rc == 0)
		rc = clamd_parse(reply, job);
	if (rc < 0) {
		shown[0] = '\0';
		if (rc == -MG_EPROTO)
			clamd_printable(reply, shown, sizeof(shown));
		log_warn("av clamd scan_failed address=%s reason=%s reply=\"%s\"",
		    st->address, mg_strerror(rc), shown);
	}
	close(job->fd);
	job->fd = -1;
	job->rc = rc;
	job->done = true;
	return rc;
}

static void
clamd_close(void *state)
{
	struct clamd_state *st = state;

	if (st != NULL)
		free(st->address);
	free(st);
}

const struct mg_av_engine mg_av_clamd = {
	.name = "clamd",
	.open = clamd_open,
	.reload = clamd_reload,
	.start = clamd_start,
	.finish = clamd_finish,
	.close = clamd_close,
};
