/* The anti-virus check: every attachment (and leaf part) goes to each
 * configured engine of src/av (libclamav, clamd) at once; a known virus
 * is AV_<ENGINE>_VIRUS naming engine and signature (category malware,
 * quarantined whatever the score); a failed engine is AV_<ENGINE>_FAIL;
 * when every engine failed, engine.av.on_failure decides (docs/malware.md). */
#ifndef MG_CHECKS_AV_H
#define MG_CHECKS_AV_H

#include "engine/check.h"

extern const struct mg_check check_av;

#endif
