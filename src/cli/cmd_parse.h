/* mailgate parse FILE: the parsed and analysed structure of one message
 * as JSON (headers, MIME tree, text, HTML evidence, attachments, URLs,
 * Received chain), for administrators and for the parser's tests. */
#ifndef MG_CLI_CMD_PARSE_H
#define MG_CLI_CMD_PARSE_H

/* argv[0] is "parse"; returns 0, 1 (unreadable file) or 2 (usage). */
int	cmd_parse(int argc, char **argv);

#endif
