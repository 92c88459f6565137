/* mailgate feeds: shared by cmd_feeds.c (update, lookup) and
 * cmd_feeds_bench.c (bench). */
#ifndef MG_CLI_CMD_FEEDS_H
#define MG_CLI_CMD_FEEDS_H

#include <stdio.h>

#include "intel/urldb.h"

/* Adds every feed file under paths (NULL-terminated; the default source
 * and category of each file) to b, one line per file on report. 0, or -1
 * when an allocation failed or a limit was reached (said on stderr). */
int	feeds_load_into(struct urldb_builder *b, char *const *paths, FILE *report);
/* mailgate feeds bench ...; argv[0] = "bench". */
int	feeds_bench(int argc, char **argv);

#endif
