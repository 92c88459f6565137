/* DNS lists (engine.reputation dnsbl, dnswl, uribl): the client address
 * against every "ip" zone and the distinct registrable domains of the
 * message's URLs (and, per zone, of its senders) against every "domain"
 * zone, all in one parallel batch bounded by the check's deadline. An
 * answer fires the zone's symbol, or the symbols its code map gives; a
 * timeout, an error or a refusal (127.255.255.x) only notes <SYMBOL>_FAIL. */
#ifndef MG_CHECKS_DNSBL_H
#define MG_CHECKS_DNSBL_H

#include "engine/check.h"

extern const struct mg_check check_dnsbl;

#endif
