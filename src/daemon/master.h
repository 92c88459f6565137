/* The master process of mailgated (DESIGN.md section 2): validates the
 * configuration, binds the listeners, recovers the spool, starts and
 * supervises the children, reloads on SIGHUP and drains on SIGTERM. */
#ifndef MG_DAEMON_MASTER_H
#define MG_DAEMON_MASTER_H

#include <stdbool.h>

struct master_opts {
	const char	*conf_path;
	bool		 foreground;
	bool		 check_only;
};

int	master_main(const struct master_opts *);

#endif
