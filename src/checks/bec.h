/* Impersonation and fraud (business e-mail compromise) of inbound mail:
 * display names of VIPs and internal people on external addresses,
 * look-alikes of the protected domains (edit distance, ICU confusable
 * skeletons), Reply-To to free mail or another domain, payment, gift
 * card, bank-change and urgency phrases, and first-time senders (a
 * first-seen record in the reputation kv). Configured by engine.bec
 * (core/conf_bec.h); docs/phishing.md, "Impersonation (BEC)". */
#ifndef MG_CHECKS_BEC_H
#define MG_CHECKS_BEC_H

#include <stddef.h>

#include "engine/check.h"

#define BEC_KEY_MAX	256	/* bytes of a folded name or domain */

extern const struct mg_check check_bec;

/* s[0..n) case-folded with diacritics removed and blanks collapsed to one
 * space, into out (NUL-terminated, cut to outlen). The length written, or
 * -MG_EINVAL for bytes that are not UTF-8 after replacement. */
int	bec_fold(const char *s, size_t n, char *out, size_t outlen);
/* The key a display name is compared by: folded, parenthesised parts
 * dropped, the words sorted ("Doe, Jane (CEO)" == "jane doe"). 0 or -1
 * when no word is left. */
int	bec_name_key(const char *name, char *out, size_t outlen);

#endif
