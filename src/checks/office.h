/* The Office document check: every attachment whose bytes are a compound
 * file or a zip goes through office_scan (files/office.h); macros,
 * auto-exec entry points, suspicious calls, Excel 4.0 macro sheets,
 * external templates, remote objects and DDE fields become OFFICE_*
 * symbols of category dangerous, the active ones forcing quarantine. */
#ifndef MG_CHECKS_OFFICE_H
#define MG_CHECKS_OFFICE_H

#include "engine/check.h"

extern const struct mg_check check_office;

#endif
