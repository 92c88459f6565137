/* Listening sockets for the SMTP listeners, bound by the master (which may
 * run as root) and inherited by smtpd. */
#ifndef MG_NET_LISTEN_H
#define MG_NET_LISTEN_H

#include <stddef.h>

#include "core/conf.h"

/* Binds and listens (non-blocking, close-on-exec); fd or -1 with err set. */
int	listen_bind(const struct conf_listener *, char *err, size_t errlen);

#endif
