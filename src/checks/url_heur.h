/* Unknown links (docs/phishing.md "Unknown links"): heuristics on every
 * URL of the message that no feed lists -- IP hosts, userinfo tricks,
 * data:/javascript: links, link text showing another domain than the
 * href, look-alikes of the protected domains and brands (edit distance
 * and ICU confusable skeletons), brands as subdomains, deep subdomains,
 * login words in paths, shorteners, redirectors and free hosting.
 * Configured by engine.phish (core/conf_phish.h). */
#ifndef MG_CHECKS_URL_HEUR_H
#define MG_CHECKS_URL_HEUR_H

#include "engine/check.h"

extern const struct mg_check check_url_heur;

#endif
