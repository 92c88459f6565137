/* mailgate scan FILE|DIR...: runs the engine over messages on several
 * threads and prints one verdict line (or JSON object) per message and a
 * throughput summary on stderr; also the benchmark of the parser alone. */
#ifndef MG_CLI_CMD_SCAN_H
#define MG_CLI_CMD_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* argv[0] is "scan"; returns 0, 1 (engine cannot open) or 2 (usage). */
int	cmd_scan(int argc, char **argv);

#endif
