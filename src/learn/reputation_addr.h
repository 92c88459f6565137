/* Addresses and names as the reputation checks see them: client IPs
 * (parsed, private or not, cut to the /24 or /64 a reputation is kept for;
 * net/dns_rr.h reverses them for DNS lists), the domain of a mail address,
 * the address of the From header, and registrable domains (Public Suffix
 * List). */
#ifndef MG_LEARN_REPUTATION_ADDR_H
#define MG_LEARN_REPUTATION_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "mime/mime.h"

#define REP_ADDR_MAX	320	/* bytes of a mail address */

struct rep_ip {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
};

/* "192.0.2.1", "2001:db8::1", "[IPv6:...]", "::ffff:192.0.2.1" (taken as
 * IPv4). 0 or -MG_EINVAL. */
int	rep_ip_parse(const char *s, struct rep_ip *out);
/* Loopback, private, link-local, shared, documentation, multicast and
 * reserved ranges: addresses no public DNS list or reputation applies to. */
bool	rep_ip_private(const struct rep_ip *);
/* The network a reputation is kept for: "192.0.2.0/24", "2001:db8:1:2::/64". */
int	rep_ip_network(const struct rep_ip *, char *out, size_t outlen);

/* addr ("user@example.org", "<user@Example.org>") lower-cased into out
 * without brackets; its domain is what follows the last '@'. 0, or
 * -MG_EINVAL for the null sender or no '@'. */
int	rep_addr_clean(const char *addr, char *out, size_t outlen);
const char *rep_addr_domain(const char *clean);

/* The address of the first mailbox of the message's From field, cleaned as
 * rep_addr_clean; -MG_ENOENT when there is none. */
int	rep_header_from(const struct mime_msg *, char *out, size_t outlen);

/* The registrable domain of host ("mail.example.co.uk" -> "example.co.uk"),
 * lower case, in the arena; NULL for an IP or a name that is not a host. */
const char *rep_registrable(struct mg_arena *, const char *host);

#endif
