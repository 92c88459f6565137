/* mailgate policy: the policy filters in the store (docs/policy.md). */
#ifndef MG_CLI_CMD_POLICY_H
#define MG_CLI_CMD_POLICY_H

#include "core/conf.h"

/* mailgate policy add|allow|block|list|show|enable|disable|monitor|delete|test;
 * argv[0] is the subcommand. 0, 1 (failed) or 2 (usage). */
int	cmd_policy(const struct mg_conf *conf, int argc, char **argv);

#endif
