/* The sender authentication check (engine.auth): SPF of the MAIL FROM
 * and HELO identities, DKIM verification of every signature, ARC chain
 * validation and DMARC, as SPF_*, SPF_HELO_*, DKIM_*, DMARC_*, ARC_*
 * symbols and one Authentication-Results field (docs/auth.md). The SPF
 * lookups of both identities and the DMARC record lookups go out in
 * shared parallel batches. Without network checks it only notes
 * AUTH_UNCHECKED; on outbound mail it does nothing. */
#ifndef MG_CHECKS_AUTH_H
#define MG_CHECKS_AUTH_H

#include "engine/check.h"

extern const struct mg_check check_auth;

#endif
