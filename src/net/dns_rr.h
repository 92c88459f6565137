/* Record data and names used by the users of both resolvers (SPF, DMARC,
 * DKIM, DNS lists): TXT strings joined, and the reverse-lookup name of an
 * address. Name and MX decoding live in dns.h. */
#ifndef MG_NET_DNS_RR_H
#define MG_NET_DNS_RR_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

#define DNS_TXT_MAX	4096	/* bytes of one joined TXT record */

/* The character-strings of a TXT RDATA concatenated (RFC 7208 3.3, RFC
 * 6376 3.6.2.2), NUL-terminated in the arena; the bytes may contain NUL,
 * so *len is the length. 0, -MG_EPROTO (malformed, or longer than
 * DNS_TXT_MAX) or -MG_ENOMEM. */
int	dns_txt_join(struct mg_arena *, struct mg_slice rdata, const char **out, size_t *len);

/* The name under which the address ip (4 or 16 bytes by family) is looked
 * up in zone: "4.3.2.1.zone" and 32 nibbles for IPv6; zone NULL means
 * in-addr.arpa / ip6.arpa. 0, or -MG_ELIMIT when out is too small. */
int	dns_reverse_name(int family, const uint8_t *ip, const char *zone, char *out,
	    size_t outlen);

#endif
