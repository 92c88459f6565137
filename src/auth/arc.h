/* ARC (RFC 8617): validation of the chain of ARC sets a message carries,
 * using the DKIM signature machinery for ARC-Message-Signature and
 * ARC-Seal. Sealing our own set is not done (we are not a forwarder). */
#ifndef MG_AUTH_ARC_H
#define MG_AUTH_ARC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "mime/mime.h"
#include "net/dns_sync.h"

enum arc_status { ARC_NONE, ARC_PASS, ARC_FAIL };

struct arc_result {
	enum arc_status	 status;	/* cv of the chain as a whole */
	unsigned	 instances;	/* highest i= seen */
	const char	*oldest_pass_domain;	/* d= of the oldest passing AMS, or NULL */
	const char	*reason;	/* why fail, or NULL */
};

int	arc_verify(const struct mime_msg *m, const uint8_t *raw, size_t len,
	    const struct dns_resolver *, uint64_t deadline, struct mg_arena *,
	    struct arc_result *out);
const char *arc_status_name(enum arc_status);	/* "none", "pass", "fail" */

#endif
