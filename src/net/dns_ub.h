/* Set-up of a libunbound context from the resolver settings, shared by the
 * event-loop resolver (dns.c) and the scanning threads' one (dns_sync.c),
 * so that both ask the same upstream the same way. */
#ifndef MG_NET_DNS_UB_H
#define MG_NET_DNS_UB_H

#include <stddef.h>

#include "core/conf.h"

struct ub_ctx;

#define DNS_MAX_RR	64	/* answer records looked at per query */

/* Threaded async mode; upstream "ip" or "ip@port" as the only forwarder
 * (loopback allowed, and the reserved .test names asked upstream, for
 * tests), else /etc/resolv.conf; /etc/hosts either way. 0, or -MG_EINVAL
 * with a reason in err. */
int	dns_ub_configure(struct ub_ctx *, const struct conf_resolver *, char *err,
	    size_t errlen);

#endif
