/* The fetch client (fetch.h): starts the worker with posix_spawn (the
 * scanner is multi-threaded, so no bare fork), sends one request at a time
 * over a socketpair, and kills and forgets a worker that dies, hangs past
 * the deadline or answers out of step; the next request starts a new one. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ipc.h"
#include "core/log.h"
#include "fetch/fetch.h"

extern char **environ;

struct fetch_client {
	pthread_mutex_t	 lock;		/* one request at a time */
	char		*worker;
	pid_t		 pid;		/* 0: none running */
	_Atomic int	 pid_seen;	/* pid for fetch_client_pid, without the lock */
	int		 fd;
	struct mg_buf	 out, in;
};

/* dirname(/proc/self/exe)/mailgate-fetch, or NULL. */
static char *
client_default_worker(void)
{
	char exe[PATH_MAX], *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	len = strlen(dirname(exe)) + sizeof(FETCH_WORKER_NAME) + 1;
	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s/%s", exe, FETCH_WORKER_NAME);
	return p;
}

struct fetch_client *
fetch_client_new(const char *worker)
{
	struct fetch_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->worker = worker != NULL ? strdup(worker) : client_default_worker();
	if (c->worker == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->fd = -1;
	mg_buf_init(&c->out, IPC_HEADER_LEN + FETCH_URL_MAX + 1024);
	mg_buf_init(&c->in, IPC_MAX_PAYLOAD + IPC_HEADER_LEN);
	return c;
}

/* Kills and reaps the worker. */
static void
client_stop(struct fetch_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	c->pid = 0;
	c->pid_seen = 0;
}

static int
client_start(struct fetch_client *c)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)FETCH_WORKER_NAME, NULL };
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -MG_EIO;
	posix_spawn_file_actions_init(&fa);
	/* dup2 onto fd 0 clears close-on-exec there; every other descriptor
	 * of the scanner is closed in the child. */
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	rc = posix_spawn(&c->pid, c->worker, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		c->pid = 0;
		log_warn("landing fetch worker not started path=%s error=%s", c->worker,
		    strerror(rc));
		return -MG_ENOENT;
	}
	c->fd = sv[0];
	c->pid_seen = (int)c->pid;
	log_info("landing fetch worker started pid=%d", (int)c->pid);
	return 0;
}

static int
client_exchange(struct fetch_client *c, const char *url, const struct fetch_limits *l,
    uint64_t deadline, struct fetch_result *out)
{
	uint16_t type;
	int rc;

	mg_buf_reset(&c->out);
	if ((rc = fetch_request_encode(&c->out, url, l)) < 0)
		return rc == -MG_ELIMIT ? -MG_EINVAL : rc;
	if (c->pid == 0 && (rc = client_start(c)) < 0)
		return rc;
	if ((rc = fetch_write_all(c->fd, c->out.data, c->out.len, deadline)) < 0 ||
	    (rc = fetch_read_frame(c->fd, &c->in, &type, deadline)) < 0)
		goto fail;
	rc = -MG_EPROTO;
	if (type != FETCH_FRAME_REPLY ||
	    (rc = fetch_reply_decode(c->in.data, c->in.len, l->max_bytes, out)) < 0)
		goto fail;
	return 0;
fail:
	log_warn("landing fetch worker lost pid=%d reason=%s", (int)c->pid, mg_strerror(rc));
	client_stop(c);
	return rc == -MG_ETIMEOUT ? rc : rc == -MG_ENOMEM ? rc : -MG_EIO;
}

int
fetch_client_get(struct fetch_client *c, const char *url, const struct fetch_limits *l,
    uint64_t deadline, struct fetch_result *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (l->max_bytes == 0 || l->max_bytes > FETCH_MAX_BYTES_CAP)
		return -MG_EINVAL;
	/* Another thread's fetch holds the worker: wait for it, no longer
	 * than this request may last. */
	if (deadline == 0) {
		rc = pthread_mutex_lock(&c->lock);
	} else {
		struct timespec ts = { (time_t)(deadline / 1000000000u),
			(long)(deadline % 1000000000u) };
		rc = pthread_mutex_clocklock(&c->lock, CLOCK_MONOTONIC, &ts);
	}
	if (rc == ETIMEDOUT)
		return -MG_ETIMEOUT;
	if (rc != 0)
		return -MG_EIO;
	rc = client_exchange(c, url, l, deadline, out);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
fetch_client_pid(struct fetch_client *c)
{
	return c->pid_seen;
}

struct fetch_client *
fetch_client_free(struct fetch_client *c)
{
	if (c == NULL)
		return NULL;
	client_stop(c);
	pthread_mutex_destroy(&c->lock);
	mg_buf_release(&c->out);
	mg_buf_release(&c->in);
	free(c->worker);
	free(c);
	return NULL;
}
