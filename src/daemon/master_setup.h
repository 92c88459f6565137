/* What the master prepares before starting children, and what each child
 * inherits from it: bound listeners, the spool lock, the user to become. */
#ifndef MG_DAEMON_MASTER_SETUP_H
#define MG_DAEMON_MASTER_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/conf.h"

struct master_env {
	bool		 foreground;
	bool		 drop;		/* started as root: children become conf->user */
	uid_t		 uid;
	gid_t		 gid;
	int		*listen_fds;	/* one per conf->listeners */
	size_t		 nfds;
	int		 lock_fd;	/* flock on <spool>/run/master.lock */
	char		*pid_path;
};

/* Raises limits, checks the user, opens and recovers the spool (creating
 * run/ and the store directory), takes the spool lock and binds every
 * listener. -1 with err set on failure. */
int	master_setup(const struct mg_conf *, struct master_env *, char *err, size_t errlen);
/* After daemonising: writes <spool>/run/mailgated.pid. */
void	master_env_started(struct master_env *);
/* In a new child: closes what it must not hold (lock; listeners unless
 * keep_listeners). */
void	master_env_child(struct master_env *, bool keep_listeners);
/* Draining: the master lets go of the listening sockets so that new
 * connections are refused once smtpd has closed its copies. */
void	master_env_close_listeners(struct master_env *);
void	master_env_release(struct master_env *);
bool	master_listeners_same(const struct mg_conf *, const struct mg_conf *);

#endif
