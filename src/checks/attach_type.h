/* Attachment types and names: real type against the extension, double
 * extensions, RTLO, dangerous extensions, executables, encrypted archives
 * and archive bombs become ATT_<FLAG> symbols naming the file. */
#ifndef MG_CHECKS_ATTACH_TYPE_H
#define MG_CHECKS_ATTACH_TYPE_H

#include "engine/check.h"

extern const struct mg_check check_attach_type;

#endif
