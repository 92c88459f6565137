/* The files of a message for the checks that look inside them (anti-virus,
 * Office, PDF, RTF, YARA): every attachment's decoded bytes, then each
 * archive member whose bytes were kept (attach.h), in message order. */
#ifndef MG_MIME_FILES_H
#define MG_MIME_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "mime/mime.h"

#define MIME_FILE_NAME_MAX	512

struct mime_file {
	char		 name[MIME_FILE_NAME_MAX];	/* "a.zip" or "a.zip/dir/b.doc" */
	const uint8_t	*data;
	size_t		 len;
	const char	*real_type;	/* libmagic MIME type, or NULL */
	unsigned	 depth;		/* 0: the attachment, 1+: inside archives */
	const struct mime_part *part;	/* the attachment's part */
};

/* Calls fn for each file until it returns non-zero, which is returned
 * (0 when every file was seen). */
int	mime_files_each(const struct mime_msg *, int (*fn)(const struct mime_file *, void *),
	    void *arg);

#endif
