/* Turning a next hop into the ordered list of addresses to connect to:
 * an IP literal as is; a configured host name through A/AAAA; a recipient
 * domain through MX (by preference), the implicit MX when it has none,
 * and the A/AAAA of each exchanger. Asynchronous, through net/dns. */
#ifndef MG_QUEUE_RESOLVE_H
#define MG_QUEUE_RESOLVE_H

#include <stddef.h>

#include "net/dns.h"
#include "queue/route.h"
#include "smtp/smtp_client.h"

#define RESOLVE_MAX_MX		10	/* exchangers tried per domain */
#define RESOLVE_MAX_PEERS	20	/* addresses tried per connection */

struct event_base;
struct resolve;

/* err: 0 with n >= 1 peers; -MG_EAGAIN (temporary: DNS failure or
 * timeout) with why, or -MG_ENOENT (permanent: no such domain, null MX,
 * no address) with why starting with its enhanced status code
 * ("5.1.10 domain x accepts no mail (null MX)"). peers is valid during the
 * callback only. */
typedef void resolve_fn(int err, const char *why, const struct smtp_peer *peers,
    size_t n, void *arg);

/* Starts resolving hop; the callback always runs later, never inside this
 * call. NULL when out of memory (the callback never runs). */
struct resolve	*resolve_start(struct event_base *, struct dns *, const struct route_hop *,
		    resolve_fn *, void *arg);
/* Stops a resolution; its callback never runs. */
void		 resolve_cancel(struct resolve *);

#endif
