/* The GTUBE test string (the Generic Test for Unsolicited Bulk Email) in
 * the raw body or any decoded text part: the symbol GTUBE, scored as spam
 * high enough to reject, as SpamAssassin does. */
#ifndef MG_CHECKS_GTUBE_H
#define MG_CHECKS_GTUBE_H

#include "engine/check.h"

extern const struct mg_check check_gtube;

#endif
