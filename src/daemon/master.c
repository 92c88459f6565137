/* The master process: never parses network input. It validates the
 * configuration, binds listeners, recovers the spool, then supervises the
 * children (restart with back-off), reloads on SIGHUP and drains on
 * SIGTERM. Signals are taken synchronously with sigtimedwait. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/proc.h"
#include "daemon/children.h"
#include "daemon/master.h"
#include "daemon/master_setup.h"
#include "engine/engine.h"
#include "net/tls.h"

#define RESTART_DELAY_MAX	60	/* seconds */
#define STABLE_AFTER		60	/* a child up this long resets its back-off */
#define KILL_GRACE		10	/* seconds after drain_timeout before SIGKILL */

/* smtpd last: it is stopped first and the others after it. */
enum child_kind { CHILD_SCAND, CHILD_QUEUED, CHILD_HTTPD, CHILD_SMTPD, CHILD_COUNT };

struct child {
	const char	*name;
	pid_t		 pid;
	time_t		 started;
	time_t		 restart_at;	/* 0 = not waiting for a restart */
	unsigned	 failures;	/* consecutive quick deaths */
};

struct master {
	struct mg_conf	*conf;
	struct master_env env;
	struct child	 children[CHILD_COUNT];
	bool		 stopping;
	bool		 backends_stopping;	/* scand and queued told to stop */
	time_t		 stop_deadline;
};

static int
child_run(struct master *m, enum child_kind kind)
{
	struct mg_conf *conf = m->conf;

	switch (kind) {
	case CHILD_SCAND:
		return scand_main(conf);
	case CHILD_QUEUED:
		return queued_main(conf);
	case CHILD_HTTPD:
		return httpd_main(conf);
	default:
		return smtpd_main(conf, m->env.listen_fds, conf->nlisteners);
	}
}

static void
child_start(struct master *m, enum child_kind kind)
{
	struct child *c = &m->children[kind];
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == -1) {
		log_syserr("master fork child=%s", c->name);
		c->restart_at = time(NULL) + 1;
		return;
	}
	if (pid == 0) {
		proc_reset_signals();
		master_env_child(&m->env, kind == CHILD_SMTPD);
		log_init(c->name, m->env.foreground, m->conf->log_level);
		if (m->env.drop && proc_drop_privileges(m->conf->user, m->env.uid,
		    m->env.gid) < 0)
			_exit(1);
		proc_die_with_parent(parent);
		_exit(child_run(m, kind));
	}
	c->pid = pid;
	c->started = time(NULL);
	c->restart_at = 0;
	log_info("master child_start child=%s pid=%d", c->name, (int)pid);
}

/* Whether the configuration runs this child: httpd only with the portal. */
static bool
child_wanted(const struct master *m, enum child_kind kind)
{
	return kind != CHILD_HTTPD || m->conf->portal.enabled;
}

/* A child died: log how, and schedule its restart with back-off. */
static void
child_reaped(struct master *m, struct child *c, int status)
{
	time_t now = time(NULL);
	unsigned delay;

	c->pid = 0;
	if (WIFSIGNALED(status))
		log_err("master child_exit child=%s signal=%d", c->name, WTERMSIG(status));
	else if (!m->stopping || WEXITSTATUS(status) != 0)
		log_warn("master child_exit child=%s status=%d", c->name, WEXITSTATUS(status));
	if (m->stopping)
		return;
	c->failures = now - c->started >= STABLE_AFTER ? 0 : c->failures + 1;
	delay = c->failures == 0 ? 0 : 1u << (c->failures < 7 ? c->failures - 1 : 6);
	if (delay > RESTART_DELAY_MAX)
		delay = RESTART_DELAY_MAX;
	c->restart_at = now + delay;
	log_info("master child_restart child=%s in=%us", c->name, delay);
}

static void
reap_children(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int k = 0; k < CHILD_COUNT; k++)
			if (m->children[k].pid == pid)
				child_reaped(m, &m->children[k], status);
	}
}

static void
signal_children(struct master *m, int sig)
{
	for (int k = 0; k < CHILD_COUNT; k++)
		if (m->children[k].pid > 0)
			kill(m->children[k].pid, sig);
}

/* The engine settings (symbol names, scores) are checked by opening an
 * engine, so that a mistake there is refused here rather than making scand
 * die in a loop. 0, or -1 with err set. */
static int
engine_check(const struct mg_conf *conf, char *err, size_t errlen)
{
	struct mg_error e;
	struct mg_engine *engine = mg_engine_open(conf, &e);

	if (engine == NULL) {
		snprintf(err, errlen, "%s", e.text);
		return -1;
	}
	mg_engine_close(engine);
	return 0;
}

/* The portal turned on or off by a reload: httpd started or stopped. */
static void
master_reload_portal(struct master *m)
{
	struct child *c = &m->children[CHILD_HTTPD];

	if (child_wanted(m, CHILD_HTTPD) && c->pid == 0 && c->restart_at == 0)
		child_start(m, CHILD_HTTPD);
	else if (!child_wanted(m, CHILD_HTTPD) && c->pid > 0)
		kill(c->pid, SIGTERM);
	if (!child_wanted(m, CHILD_HTTPD))
		c->restart_at = 0;
}

/* SIGHUP: validate the new file; only a valid one replaces the running
 * configuration, and the children re-read it themselves. */
static void
master_reload(struct master *m)
{
	char err[1024];
	struct mg_conf *next = conf_load(m->conf->path, err, sizeof(err));

	if (next != NULL && engine_check(next, err, sizeof(err)) < 0)
		next = conf_free(next);
	if (next == NULL) {
		log_err("master reload status=refused reason=\"%s\"", err);
		return;
	}
	if (!master_listeners_same(m->conf, next))
		log_warn("master reload listeners_changed=yes note=\"listener changes take "
		    "effect on restart\"");
	m->conf = conf_free(m->conf);
	m->conf = next;
	log_set_level(next->log_level);
	signal_children(m, SIGHUP);
	master_reload_portal(m);
	log_info("master reload status=ok");
}

static bool
all_children_gone(const struct master *m)
{
	for (int k = 0; k < CHILD_COUNT; k++)
		if (m->children[k].pid > 0)
			return false;
	return true;
}

static void
master_begin_stop(struct master *m, int sig)
{
	if (m->stopping)
		return;
	log_info("master stop signal=%d drain_timeout=%us", sig, m->conf->limits.drain_timeout);
	m->stopping = true;
	master_env_close_listeners(&m->env);
	m->stop_deadline = time(NULL) + m->conf->limits.drain_timeout + KILL_GRACE;
	/* smtpd first: its sessions in flight still need scand to answer them */
	if (m->children[CHILD_SMTPD].pid > 0)
		kill(m->children[CHILD_SMTPD].pid, SIGTERM);
}

static void
master_tick(struct master *m)
{
	time_t now = time(NULL);

	if (m->stopping) {
		if (!m->backends_stopping && m->children[CHILD_SMTPD].pid == 0) {
			m->backends_stopping = true;
			signal_children(m, SIGTERM);
		}
		if (now >= m->stop_deadline) {
			log_warn("master stop children_killed=yes");
			signal_children(m, SIGKILL);
			m->stop_deadline = now + 3600;
		}
		return;
	}
	for (int k = 0; k < CHILD_COUNT; k++) {
		struct child *c = &m->children[k];
		if (c->pid == 0 && c->restart_at && now >= c->restart_at &&
		    child_wanted(m, (enum child_kind)k))
			child_start(m, (enum child_kind)k);
	}
}

static int
master_loop(struct master *m)
{
	sigset_t set;
	struct timespec tick = { 0, 250 * 1000 * 1000 };

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int k = 0; k < CHILD_COUNT; k++)
		if (child_wanted(m, (enum child_kind)k))
			child_start(m, (enum child_kind)k);
	while (!(m->stopping && all_children_gone(m))) {
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGCHLD)
			reap_children(m);
		else if (sig == SIGHUP)
			master_reload(m);
		else if (sig == SIGTERM || sig == SIGINT)
			master_begin_stop(m, sig);
		reap_children(m);
		master_tick(m);
	}
	log_info("master stopped");
	return 0;
}

static int
check_tls_pair(const struct mg_conf *conf, const char *cert, const char *key)
{
	char err[512];
	SSL_CTX *ctx;

	if (cert == NULL)
		return 0;
	if ((ctx = tls_server_ctx(cert, key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgated: %s: %s\n", conf->path, err);
		return -1;
	}
	SSL_CTX_free(ctx);
	return 0;
}

/* -t: the configuration, and the TLS files it names, must load. */
static int
master_check(const struct mg_conf *conf)
{
	char err[1024];

	if (engine_check(conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgated: %s\n", err);
		return 1;
	}
	if (check_tls_pair(conf, conf->tls_cert, conf->tls_key) < 0)
		return 1;
	for (size_t i = 0; i < conf->nlisteners; i++)
		if (check_tls_pair(conf, conf->listeners[i].tls_cert,
		    conf->listeners[i].tls_key) < 0)
			return 1;
	printf("mailgated: configuration %s is valid\n", conf->path);
	return 0;
}

int
master_main(const struct master_opts *opts)
{
	struct master m = { .children = {
		[CHILD_SCAND] = { .name = "scand" },
		[CHILD_QUEUED] = { .name = "queued" },
		[CHILD_HTTPD] = { .name = "httpd" },
		[CHILD_SMTPD] = { .name = "smtpd" } } };
	char err[1024];
	int rc;

	if ((m.conf = conf_load(opts->conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgated: %s\n", err);
		return 1;
	}
	if (opts->check_only) {
		rc = master_check(m.conf);
		conf_free(m.conf);
		return rc;
	}
	log_init("mailgated", opts->foreground, m.conf->log_level);
	m.env.foreground = opts->foreground;
	if (engine_check(m.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgated: %s\n", err);
		conf_free(m.conf);
		return 1;
	}
	if (master_setup(m.conf, &m.env, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgated: %s\n", err);
		log_err("master start status=failed reason=\"%s\"", err);
		conf_free(m.conf);
		return 1;
	}
	if (!opts->foreground && proc_daemonize() < 0)
		return 1;
	master_env_started(&m.env);
	log_info("master start pid=%d conf=%s spool=%s", (int)getpid(), m.conf->path,
	    m.conf->spool_dir);
	rc = master_loop(&m);
	master_env_release(&m.env);
	conf_free(m.conf);
	return rc;
}
