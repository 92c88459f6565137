/* Bulk and group mail: list headers (List-Unsubscribe, List-Id,
 * Precedence), the fingerprints of e-mail service providers, bounce
 * return paths and many recipients make BULK_MAIL (category bulk, a score
 * below the tag threshold); an external sender writing to more internal
 * recipients than engine.bulk.review_recipients is held for review
 * (BULK_MANY_INTERNAL). What happens to bulk mail per recipient is
 * conf_bulk_action (core/conf_bulk.h); docs/bulk.md. */
#ifndef MG_CHECKS_BULK_H
#define MG_CHECKS_BULK_H

#include "engine/check.h"

extern const struct mg_check check_bulk;

#endif
