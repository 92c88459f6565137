/* A bounded RTF scanner: embedded OLE objects (\object with \objdata:
 * the hex payload decoded, its OLE1 class name read; \objupdate, \objemb,
 * \objocx, \objlink) and the markers exploits leave (the Equation Editor
 * class or CLSID, oversized control words, deeply nested groups). */
#ifndef MG_FILES_RTF_H
#define MG_FILES_RTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtf_limits {
	size_t		 max_input;	/* bytes looked at: 64 MiB */
	size_t		 max_objdata;	/* decoded bytes kept per object: 4 MiB */
	unsigned	 deep_groups;	/* group nesting that counts as a marker: 256 */
	unsigned	 long_word;	/* control word letters beyond which it is oversized: 32 */
};

enum rtf_object_flag {
	RTF_O_UPDATE	= 1u << 0,	/* \objupdate: refreshed (run) on open */
	RTF_O_EMBED	= 1u << 1,	/* \objemb */
	RTF_O_OCX	= 1u << 2,	/* \objocx: an ActiveX control */
	RTF_O_LINK	= 1u << 3,	/* \objlink or \objautlink */
	RTF_O_EQUATION	= 1u << 4,	/* Equation Editor class name or CLSID */
	RTF_O_DATA	= 1u << 5,	/* has \objdata */
};

#define RTF_MAX_OBJECTS	16	/* objects described; more are only counted */
#define RTF_CLASS_MAX	64

struct rtf_object {
	char		 class_name[RTF_CLASS_MAX];	/* OLE1 header, else \objclass, else "" */
	unsigned	 flags;		/* enum rtf_object_flag */
	size_t		 data_len;	/* decoded \objdata bytes (up to max_objdata) */
};

struct rtf_report {
	struct rtf_object objects[RTF_MAX_OBJECTS];
	size_t		 nobjects;	/* described */
	unsigned	 total_objects;	/* seen */
	unsigned	 flags;		/* union of the objects' flags */
	unsigned	 max_depth;	/* deepest group nesting */
	unsigned	 long_words;	/* oversized control words */
	bool		 limit;		/* a ceiling was reached */
};

void	rtf_limits_default(struct rtf_limits *);
/* True when data starts with "{\rt" (what Word accepts as RTF). */
bool	rtf_detect(const uint8_t *data, size_t len);
/* Scans data into r (zeroed first). 0, or -MG_ENOMEM. */
int	rtf_scan(const uint8_t *data, size_t len, const struct rtf_limits *,
	    struct rtf_report *r);

#endif
