/* People's verdicts (docs/quarantine.md "Reporting"): a message released
 * from the quarantine as "not spam", or reported as spam, is learned by
 * the Bayes store of the configuration so that the next one like it is
 * judged right. The trained model is not changed (it is rebuilt offline
 * with `mailgate train`). */
#ifndef MG_LEARN_REPORT_H
#define MG_LEARN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"

#define REPORT_ARENA_MAX	(512u << 20)

/* Learns msg as spam or ham. 0, -MG_EEXIST (learned that way already),
 * -MG_ENOENT (no Bayes store is configured), or another -MG_E*. */
int	learn_report(const struct mg_conf *, const uint8_t *msg, size_t len, bool spam);

#endif
