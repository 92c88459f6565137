/* Outbound DKIM signing as the last step of a scan: mail that arrived on
 * an outbound listener and whose header From domain (or a parent domain)
 * has a key in engine.dkim.sign gets a DKIM-Signature field among the
 * fields the gateway adds. The keys are loaded with the engine, so a
 * reload (SIGHUP) picks up new keys. */
#ifndef MG_CHECKS_DKIM_SIGN_H
#define MG_CHECKS_DKIM_SIGN_H

#include "engine/check.h"

extern const struct mg_check check_dkim_sign;

#endif
