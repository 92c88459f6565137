/* RTF attachments and archive members (recognised by "{\rt" at their
 * start, not by name): embedded OLE objects, objects refreshed on open
 * (\objupdate), ActiveX, the Equation Editor exploit and malformed control
 * structure (files/rtf.h). */
#ifndef MG_CHECKS_RTF_H
#define MG_CHECKS_RTF_H

#include "engine/check.h"

extern const struct mg_check check_rtf;

#endif
