/* Message files for the commands: every regular file under the paths
 * given, in name order, and a file mapped read-only. */
#ifndef MG_CLI_CLI_FILES_H
#define MG_CLI_CLI_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Calls fn(arg, path) for every regular file under paths (a NULL-terminated
 * array), directories walked in name order. A name that is not a directory
 * is passed as it is, and so is an unreadable directory, so that opening it
 * reports its error. Stops at fn's non-zero return: -1 then, or when a walk
 * cannot start; else 0. */
int	cli_walk(char *const *paths, int (*fn)(void *arg, const char *path), void *arg);

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
