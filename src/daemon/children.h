/* Entry points of mailgated's children. The master forks, drops
 * privileges, then calls one of these; each runs its own event loop until
 * SIGTERM (drain, then exit) and re-reads conf->path on SIGHUP. The return
 * value is the process exit status. */
#ifndef MG_DAEMON_CHILDREN_H
#define MG_DAEMON_CHILDREN_H

#include "core/conf.h"

/* listen_fds[i] is the bound, listening socket of conf->listeners[i];
 * listener changes take effect on restart, everything else on SIGHUP. */
int	smtpd_main(struct mg_conf *conf, const int *listen_fds, size_t nfds);
int	scand_main(struct mg_conf *conf);
int	queued_main(struct mg_conf *conf);
/* The user portal (docs/portal.md); started only when conf->portal.enabled. */
int	httpd_main(struct mg_conf *conf);

#endif
