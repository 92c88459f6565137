/* mailgate rules check|stats|bench: validates rule directories and shows
 * what they compile to, counts each rule's hits on labelled mail (to find
 * the rules that hit legitimate mail), and times the rules alone. */
#ifndef MG_CLI_CMD_RULES_H
#define MG_CLI_CMD_RULES_H

/* argv[0] is "rules"; returns 0, 1 (error) or 2 (usage). Reads the
 * engine settings from $MAILGATE_CONF (mailgate -c FILE) when set. */
int	cmd_rules(int argc, char **argv);

#endif
