/* The Authentication-Results header field (RFC 8601) the gateway adds:
 * its authserv-id, then one resinfo per method (spf for MAIL FROM and
 * HELO, dkim per signature, dmarc, arc), folded to 78 columns; and the
 * test that tells an incoming field claiming our authserv-id, which must
 * not survive (section 5). */
#ifndef MG_AUTH_AUTHRES_H
#define MG_AUTH_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/arc.h"
#include "auth/dkim.h"
#include "auth/dmarc.h"
#include "auth/spf.h"
#include "core/arena.h"

#define AUTHRES_NAME	"Authentication-Results"

/* What was checked; NULL (or dkim_checked false) leaves a method out. */
struct authres_input {
	const char	*authserv_id;
	const struct spf_outcome *spf_mailfrom;
	const struct spf_outcome *spf_helo;
	bool		 dkim_checked;
	const struct dkim_result *dkim;	/* ndkim == 0: "dkim=none" */
	size_t		 ndkim;
	const struct dmarc_outcome *dmarc;
	const struct arc_result *arc;
};

/* The field value (what follows "Authentication-Results: "), folded with
 * CRLF TAB so that no line passes 78 columns (a tab counted as 8) unless a
 * single value is longer, without a final CRLF, in the arena. Every value
 * taken from the message or the envelope is made a valid token or
 * quoted-string; control characters are dropped. NULL when out of memory. */
const char *authres_build(struct mg_arena *, const struct authres_input *);

/* Whether the field value v[0..len) (unfolded or not) names authserv_id
 * (case-insensitive) as its authserv-id: such a field that arrives with a
 * message is forged or stale and is to be removed. */
bool	authres_is_ours(const char *v, size_t len, const char *authserv_id);

#endif
