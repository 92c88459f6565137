/* MIME anomalies: every flag the parser raised becomes a symbol
 * MIME_<FLAG> (mime_flag_name), with the parts where it was raised. */
#ifndef MG_CHECKS_MIME_ANOMALY_H
#define MG_CHECKS_MIME_ANOMALY_H

#include "engine/check.h"

extern const struct mg_check check_mime_anomaly;

#endif
