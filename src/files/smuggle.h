/* HTML smuggling and traps in raw HTML bytes (bodies and .html
 * attachments): a file built in the browser from a Blob of decoded base64
 * and handed to the user as a download, auto-submitting forms, data: URLs
 * carrying documents or pages, meta refresh to data: or javascript:. The
 * HTML analyzer (mime/html.h) drops scripts; this reads them. */
#ifndef MG_FILES_SMUGGLE_H
#define MG_FILES_SMUGGLE_H

#include <stdbool.h>
#include <stddef.h>

enum smuggle_flag {
	SMUG_BLOB	= 1u << 0,	/* new Blob( */
	SMUG_DECODE	= 1u << 1,	/* atob( or Uint8Array: bytes built in the page */
	SMUG_SAVE	= 1u << 2,	/* msSaveOrOpenBlob / msSaveBlob */
	SMUG_OBJECT_URL	= 1u << 3,	/* URL.createObjectURL( */
	SMUG_DOWNLOAD	= 1u << 4,	/* a download attribute, set or written */
	SMUG_CLICK	= 1u << 5,	/* .click() */
	SMUG_BIG_BASE64	= 1u << 6,	/* a base64 run in a script of min_base64 or more */
	SMUG_SUBMIT	= 1u << 7,	/* .submit() */
	SMUG_DATA	= 1u << 8,	/* data:application/... or data:text/html */
	SMUG_REFRESH	= 1u << 9,	/* meta refresh to data: or javascript: */
};

struct smuggle_limits {
	size_t		 max_input;	/* bytes looked at: 8 MiB */
	size_t		 min_base64;	/* a base64 run this long in a script counts: 4096 */
};

#define SMUGGLE_TYPE_MAX	64

struct smuggle_report {
	unsigned	 flags;		/* enum smuggle_flag */
	size_t		 longest_base64;	/* in scripts */
	char		 data_type[SMUGGLE_TYPE_MAX];	/* first data: payload type, lower case */
	char		 refresh[SMUGGLE_TYPE_MAX];	/* "data:" or "javascript:" */
};

void	smuggle_limits_default(struct smuggle_limits *);
/* Scans html into r (zeroed first); never fails. */
void	smuggle_scan(const char *html, size_t len, const struct smuggle_limits *,
	    struct smuggle_report *r);
/* A Blob or saved file, built from decoded bytes, handed over as a
 * download: the shape of HTML smuggling. */
bool	smuggle_is_smuggling(const struct smuggle_report *);

#endif
