/* mailgate quarantine: list, show, release, forward, delete and purge the
 * held messages (docs/quarantine.md). */
#ifndef MG_CLI_CMD_QUARANTINE_H
#define MG_CLI_CMD_QUARANTINE_H

#include "core/conf.h"

/* mailgate quarantine list [--from S] [--to S] [--subject S] [--category C]
 * [--since WHEN] [--limit N] [--json] | show ID [--raw] | release ID
 * [--to RCPT]... | forward ID ADDR | delete ID | purge [--dry-run];
 * argv[0] is the subcommand. 0, 1 (failed) or 2 (usage). */
int	cmd_quarantine(const struct mg_conf *conf, int argc, char **argv);

#endif
