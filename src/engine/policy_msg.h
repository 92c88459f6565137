/* What the policy engine (policy/policy.h) is told about a scanned
 * message: the parsed message's fields and attachments and the scan's
 * verdict, score and symbols. Shared by scand and `mailgate policy test`. */
#ifndef MG_ENGINE_POLICY_MSG_H
#define MG_ENGINE_POLICY_MSG_H

#include "core/arena.h"
#include "engine/engine.h"
#include "policy/policy.h"

#define POLICY_MSG_HEADERS_MAX	1024	/* header fields of the top level looked at */

/* Fills pm's message fields from m (may be NULL: parse failed) and res;
 * the envelope fields (mail_from, client_ip, helo, nrcpts, size) are the
 * caller's. Everything is allocated in a. 0 or -MG_ENOMEM. */
int	policy_msg_from_scan(struct mg_arena *a, const struct mime_msg *m,
	    const struct mg_result *res, struct policy_msg *pm);

#endif
