/* Domains never seen before by this installation: the registrable domains
 * of a message's URLs (URL_FIRST_SEEN, scaled by how many) and of its From
 * address (FROM_FIRST_SEEN_DOMAIN), against a record in the shared
 * reputation kv that learns from mail not judged spam or phishing. Nothing
 * fires until the installation has seen engine.account.first_seen.warmup
 * messages (docs/accounts.md, "First-seen domains"). */
#ifndef MG_CHECKS_FIRST_SEEN_H
#define MG_CHECKS_FIRST_SEEN_H

#include "engine/check.h"

#define FIRST_SEEN_PREFIX	"fs:dom:"	/* kv key of a known domain */
#define FIRST_SEEN_COUNT	"fs:seen"	/* kv key: messages seen */

extern const struct mg_check check_first_seen;

#endif
