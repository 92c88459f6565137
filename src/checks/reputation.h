/* Learned sender reputation (engine.reputation.history): after every
 * verdict of inbound mail the client network (/24, /64), the authenticated
 * sender domain and each DKIM-passing domain learn spam or clean; at scan
 * time a key with enough history fires REP_<IP|DOMAIN|DKIM>_<BAD|GOOD>
 * scaled by the strength of its evidence (learn/reputation.h). The state
 * lives in a kv_local store saved to a file by the writer (scand). Runs
 * after the auth check, whose DKIM_ALLOW and SPF_PASS it reads. */
#ifndef MG_CHECKS_REPUTATION_H
#define MG_CHECKS_REPUTATION_H

#include "engine/check.h"

extern const struct mg_check check_reputation;

#endif
