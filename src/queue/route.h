/* Routing of recipients to next hops: the protected domain's route, the
 * outbound route (smart host or MX lookup) for outbound mail, or a
 * permanent failure. Recipients of one message with the same next hop
 * (same key) travel in one SMTP transaction. Pure functions. */
#ifndef MG_QUEUE_ROUTE_H
#define MG_QUEUE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "net/dns.h"

enum route_kind {
	ROUTE_HOST,	/* a configured host (name or IP literal) */
	ROUTE_MX,	/* MX lookup of the recipient domain */
};

#define ROUTE_KEY_MAX	(DNS_NAME_MAX + 320)

/* Where mail goes next. Strings are borrowed from the configuration. */
struct route_hop {
	enum route_kind	 kind;
	char		 host[DNS_NAME_MAX + 1];	/* HOST: host; MX: domain */
	uint16_t	 port;
	enum conf_tls_policy tls;
	const char	*auth_user;		/* NULL = no AUTH */
	const char	*auth_password;
	char		 key[ROUTE_KEY_MAX];	/* equal keys share transactions */
};

/* The next hop for recipient rcpt ("local@domain") of a message that
 * arrived on an outbound listener (outbound) or not. Returns 0, or
 * -MG_ENOENT when the recipient can never be routed (a permanent
 * failure) with *why set to an enhanced status code and text
 * ("5.7.1 recipient domain is not protected by this gateway"). */
int	route_for_rcpt(const struct mg_conf *, bool outbound, const char *rcpt,
	    struct route_hop *out, const char **why);

/* An MX record as found in DNS. */
struct route_mx {
	uint16_t	 pref;
	char		 name[DNS_NAME_MAX + 1];	/* "" is the root (null MX) */
};

/* RFC 7505: exactly one MX record whose exchange is the root. */
bool	route_mx_is_null(const struct route_mx *, size_t n);
/* Orders exchangers by preference, those of equal preference in an order
 * drawn from rnd (RFC 5321 5.1), and drops root targets. Returns the new
 * count. */
size_t	route_mx_sort(struct route_mx *, size_t n, uint32_t rnd);

#endif
