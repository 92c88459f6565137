/* The cloud URL reputation check (docs/cloud.md): the message's http and
 * https URLs (QR-decoded ones included), at most engine.cloud.max_urls,
 * asked of the remote service (intel/cloud.h) within the check's
 * deadline; URL_CLOUD_PHISHING, URL_CLOUD_MALWARE (forces quarantine) and
 * URL_CLOUD_SPAM with "host (source)" options, and URL_CLOUD_UNAVAILABLE
 * (score 0) when the service cannot answer: the verdict then rests on
 * local data alone. Off unless engine.cloud.enabled. Runs after url_intel. */
#ifndef MG_CHECKS_URL_CLOUD_H
#define MG_CHECKS_URL_CLOUD_H

#include "engine/check.h"

extern const struct mg_check check_url_cloud;

#endif
