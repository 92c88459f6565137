/* The one table of registered checks, in the order they run. Cheap checks
 * that can settle a verdict come first. */
#include <stddef.h>

#include "checks/attach_type.h"
#include "checks/gtube.h"
#include "checks/hidden_text.h"
#include "checks/mime_anomaly.h"
#include "engine/check.h"

const struct mg_check *const check_table[] = {
	&check_gtube,
	&check_mime_anomaly,
	&check_hidden_text,
	&check_attach_type,
};

const size_t check_count = sizeof(check_table) / sizeof(check_table[0]);
