/* httpd: the child serving the quarantine's user portal (docs/portal.md).
 * libmicrohttpd runs its own thread; this one only waits for signals:
 * SIGTERM stops, SIGHUP re-reads conf->path. Released messages are
 * announced to queued over its socket (its 30 s scan finds them anyway). */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "daemon/children.h"
#include "daemon/queued_notify.h"
#include "httpd/portal.h"

static void
notify_queued(const struct mg_conf *conf, uint64_t qid)
{
	if (queued_notify(conf->spool_dir, qid) < 0)
		log_info("%016" PRIx64 " httpd notify status=queued_unreachable", qid);
}

static void
reload(struct portal *p, const char *path)
{
	char err[1024];
	struct mg_conf *conf = conf_load(path, err, sizeof(err));

	if (conf == NULL) {
		log_err("httpd reload status=refused reason=\"%s\"", err);
		return;
	}
	log_set_level(conf->log_level);
	if (portal_reload(p, conf, err, sizeof(err)) < 0)
		log_err("httpd reload status=refused reason=\"%s\"", err);
	else
		log_info("httpd reload status=ok");
}

int
httpd_main(struct mg_conf *conf)
{
	char err[1024], path[PATH_MAX];
	struct portal *p;
	sigset_t set;
	int sig;

	snprintf(path, sizeof(path), "%s", conf->path);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	/* blocked before the server's thread starts, so that only sigwait sees them */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return 1;
	if ((p = portal_start(conf, notify_queued, err, sizeof(err))) == NULL) {
		log_err("httpd start status=failed error=\"%s\"", err);
		return 1;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		reload(p, path);
	}
	log_info("httpd stop");
	portal_stop(p);
	return 0;
}
