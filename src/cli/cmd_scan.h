/* mailgate scan FILE|DIR...: runs the engine over messages on several
 * threads and prints one verdict line (or JSON object) per message and a
 * throughput summary on stderr; also the benchmark of the parser alone. */
#ifndef MG_CLI_CMD_SCAN_H
#define MG_CLI_CMD_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* argv[0] is "scan"; returns 0, 1 (engine cannot open) or 2 (usage). */
int	cmd_scan(int argc, char **argv);

/* A message file mapped read-only (data is "" for an empty file). */
struct cli_file {
	const uint8_t	*data;
	size_t		 len;
	void		*map;
};

#define CLI_FILE_MAX	(2048ull << 20)	/* larger files are refused */

/* 0, or -1 with the reason in err. */
int	cli_file_map(const char *path, struct cli_file *, char *err, size_t errlen);
void	cli_file_unmap(struct cli_file *);

#endif
