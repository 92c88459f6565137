/* The master's start-up work (see master_setup.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/proc.h"
#include "daemon/master_setup.h"
#include "net/listen.h"
#include "spool/spool.h"

/* Creates dir (one level) if missing and, when dropping privileges, gives
 * it to the children's user. */
static int
own_dir(const struct master_env *env, const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (env->drop && chown(dir, env->uid, env->gid) == -1) {
		snprintf(err, errlen, "cannot give %s to the mailgate user: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Takes the spool lock first: recovery removes unacknowledged files, which
 * must never happen under a running mailgated. */
static int
setup_spool(const struct mg_conf *c, struct master_env *env, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "", "/incoming", "/queue", "/run" };
	struct spool *sp;
	char path[PATH_MAX];
	int n, rc;

	if ((rc = spool_open(c->spool_dir, &sp)) < 0) {
		snprintf(err, errlen, "cannot open spool %s: %s", c->spool_dir, mg_strerror(rc));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/run/master.lock", c->spool_dir);
	env->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (env->lock_fd == -1 || flock(env->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "spool %s is in use by another mailgated (%s)",
		    c->spool_dir, strerror(errno));
		spool_close(sp);
		return -1;
	}
	n = spool_recover(sp);
	spool_close(sp);
	if (n < 0) {
		snprintf(err, errlen, "spool recovery failed in %s: %s", c->spool_dir,
		    mg_strerror(n));
		return -1;
	}
	log_info("master spool_recovered queued=%d", n);
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", c->spool_dir, subdirs[i]);
		if (own_dir(env, path, err, errlen) < 0)
			return -1;
	}
	if (asprintf(&env->pid_path, "%s/run/mailgated.pid", c->spool_dir) == -1) {
		env->pid_path = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
setup_store_dir(const struct mg_conf *c, struct master_env *env, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", c->store_path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return own_dir(env, dir, err, errlen);
}

static int
setup_listeners(const struct mg_conf *c, struct master_env *env, char *err, size_t errlen)
{
	if ((env->listen_fds = calloc(c->nlisteners, sizeof(int))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->nlisteners; i++) {
		if ((env->listen_fds[i] = listen_bind(&c->listeners[i], err, errlen)) == -1)
			return -1;
		env->nfds++;
	}
	return 0;
}

int
master_setup(const struct mg_conf *c, struct master_env *env, char *err, size_t errlen)
{
	env->lock_fd = -1;
	proc_raise_nofile(2ul * c->limits.max_sessions + 4096);
	if (geteuid() == 0) {
		if (proc_user_ids(c->user, &env->uid, &env->gid) < 0) {
			snprintf(err, errlen, "%s: user '%s' does not exist (create it, e.g. with "
			    "scripts/bootstrap.sh, or set 'user')", c->path, c->user);
			return -1;
		}
		env->drop = env->uid != 0;
	}
	if (setup_spool(c, env, err, errlen) < 0 || setup_store_dir(c, env, err, errlen) < 0 ||
	    setup_listeners(c, env, err, errlen) < 0) {
		master_env_release(env);
		return -1;
	}
	return 0;
}

void
master_env_started(struct master_env *env)
{
	FILE *f;

	if ((f = fopen(env->pid_path, "w")) == NULL) {
		log_syswarn("master pidfile=%s", env->pid_path);
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

void
master_env_child(struct master_env *env, bool keep_listeners)
{
	if (env->lock_fd != -1)
		close(env->lock_fd);
	env->lock_fd = -1;
	for (size_t i = 0; !keep_listeners && i < env->nfds; i++)
		close(env->listen_fds[i]);
}

void
master_env_close_listeners(struct master_env *env)
{
	for (size_t i = 0; i < env->nfds; i++)
		close(env->listen_fds[i]);
	free(env->listen_fds);
	env->listen_fds = NULL;
	env->nfds = 0;
}

void
master_env_release(struct master_env *env)
{
	master_env_close_listeners(env);
	if (env->pid_path) {
		unlink(env->pid_path);
		free(env->pid_path);
		env->pid_path = NULL;
	}
	if (env->lock_fd != -1)
		close(env->lock_fd);
	env->lock_fd = -1;
}

bool
master_listeners_same(const struct mg_conf *a, const struct mg_conf *b)
{
	if (a->nlisteners != b->nlisteners)
		return false;
	for (size_t i = 0; i < a->nlisteners; i++)
		if (strcmp(a->listeners[i].host, b->listeners[i].host) != 0 ||
		    a->listeners[i].port != b->listeners[i].port)
			return false;
	return true;
}
