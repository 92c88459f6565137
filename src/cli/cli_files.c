/* Message files for the commands (cli_files.h). */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_files.h"

static int
walk_name_order(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

int
cli_walk(char *const *paths, int (*fn)(void *arg, const char *path), void *arg)
{
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, walk_name_order);
	FTSENT *e;
	int rc = 0;

	if (fts == NULL)
		return -1;
	while (rc == 0 && (e = fts_read(fts)) != NULL) {
		if (e->fts_info == FTS_F || (e->fts_level == 0 && e->fts_info != FTS_D &&
		    e->fts_info != FTS_DP))
			rc = fn(arg, e->fts_path);
		else if (e->fts_info == FTS_DNR || (e->fts_info == FTS_ERR && e->fts_level > 0))
			rc = fn(arg, e->fts_path);	/* its open reports the error */
	}
	fts_close(fts);
	return rc != 0 ? -1 : 0;
}

int
cli_file_map(const char *path, struct cli_file *f, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->data = (const uint8_t *)"";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > CLI_FILE_MAX) {
		snprintf(err, errlen, "%s", S_ISREG(st.st_mode) ? "file too large" :
		    "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > 0 && (f->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
	    fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "%s", strerror(errno));
		f->map = NULL;
		close(fd);
		return -1;
	}
	close(fd);
	if (f->map != NULL) {
		f->data = f->map;
		f->len = (size_t)st.st_size;
	}
	return 0;
}

void
cli_file_unmap(struct cli_file *f)
{
	if (f->map != NULL)
		munmap(f->map, f->len);
	f->map = NULL;
}

