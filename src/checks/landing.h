/* Landing-page analysis (docs/landing.md): the links that other checks
 * found suspicious (URL heuristics, QR codes) and no feed lists are
 * fetched by the sandboxed worker (fetch/fetch.h), at most
 * engine.landing.max_urls per message, and the pages analysed
 * (fetch/analyze.h): LANDING_PASSWORD_FORM, LANDING_BRAND_MISMATCH,
 * LANDING_FORM_OFFSITE, LANDING_REDIRECT_OFFSITE, LANDING_CREDENTIAL_PHISH
 * (brand and password together: quarantine), LANDING_FAIL. Runs after
 * url_intel, url_heur and the cloud check; off unless engine.landing.enabled. */
#ifndef MG_CHECKS_LANDING_H
#define MG_CHECKS_LANDING_H

#include "engine/check.h"

extern const struct mg_check check_landing;

#endif
