/* Whole-file writes done safely: every byte written despite short writes
 * and signals, and files replaced atomically (a temporary file beside the
 * target, fsync, rename, fsync of the directory), so that a reader or a
 * crash sees the old file or the new one, never a part. */
#ifndef MG_CORE_FILE_H
#define MG_CORE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* 0, or -MG_EIO with errno set. */
int	mg_write_all(int fd, const void *p, size_t len);

/* Replaces path with what fill writes to the fd it is given (fill returns
 * 0 or -MG_E*); the new file gets mode. 0, or the error with "PATH:
 * reason" in err; the temporary file is removed on failure. */
int	mg_file_replace(const char *path, mode_t mode, int (*fill)(void *arg, int fd),
	    void *arg, char *err, size_t errlen);

#endif
