/* URL intelligence (docs/urls.md): every URL of the message looked up in
 * the URL reputation file of engine.intel.db (intel/urldb.h), reloaded
 * when the file changes; URL_FEED_PHISHING, URL_FEED_MALWARE (forces
 * quarantine) and URL_FEED_SPAM with "host (source)" options. Off when
 * engine.intel.db is not set. */
#ifndef MG_CHECKS_URL_INTEL_H
#define MG_CHECKS_URL_INTEL_H

#include "engine/check.h"

extern const struct mg_check check_url_intel;

#endif
