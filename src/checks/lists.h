/* Local allow and block lists of engine.reputation.lists: client IP/CIDR,
 * sender address and domain (envelope and header From), HELO name and
 * recipients. An allow match scores LIST_ALLOW_<KIND> (-20, clean); a
 * block match LIST_BLOCK_<KIND> (20, policy) and forces reject. Lookups
 * are binary searches: CIDRs grouped by prefix length, domains by suffix. */
#ifndef MG_CHECKS_LISTS_H
#define MG_CHECKS_LISTS_H

#include "engine/check.h"

extern const struct mg_check check_lists;

#endif
