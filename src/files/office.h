/* Office document analysis: OLE compound files (doc, xls, ppt, msg) and
 * OOXML zips (docx/docm/xlsx/xlsm/pptx): VBA macros with their auto-exec
 * entry points and suspicious calls, Excel 4.0 macro sheets, external
 * template and remote object relationships, DDE fields. */
#ifndef MG_FILES_OFFICE_H
#define MG_FILES_OFFICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFICE_MAX_ZIP_ENTRIES	4096		/* zip members looked at */
#define OFFICE_MAX_ZIP_ENTRY	(16u << 20)	/* bytes read of one member */
#define OFFICE_MAX_ZIP_TOTAL	(64u << 20)	/* bytes read of all members */
#define OFFICE_DETAIL		128		/* bytes of each detail string */
#define OFFICE_MAX_WORK		(64u << 20)	/* VBA bytes read and decompressed per document */

enum office_flag {
	OFFICE_F_OLE		= 1u << 0,	/* a compound file */
	OFFICE_F_OOXML		= 1u << 1,	/* a zip with [Content_Types].xml */
	OFFICE_F_MACRO		= 1u << 2,	/* a VBA project with modules */
	OFFICE_F_AUTOEXEC	= 1u << 3,	/* a macro runs on open/close */
	OFFICE_F_SUSPICIOUS	= 1u << 4,	/* Shell, CreateObject, PowerShell, ... */
	OFFICE_F_XLM		= 1u << 5,	/* an Excel 4.0 macro sheet */
	OFFICE_F_EXT_TEMPLATE	= 1u << 6,	/* attachedTemplate with an external target */
	OFFICE_F_REMOTE_OBJECT	= 1u << 7,	/* oleObject/frame/... fetched from outside */
	OFFICE_F_DDE		= 1u << 8,	/* a DDE or DDEAUTO field, an Excel ddeLink */
	OFFICE_F_CORRUPT	= 1u << 9,	/* claims to be Office but does not parse */
	OFFICE_F_ENCRYPTED	= 1u << 10,	/* an encrypted OOXML package inside OLE */
};

struct office_findings {
	unsigned	 flags;			/* enum office_flag */
	unsigned	 nmodules;		/* VBA modules read */
	size_t		 work;			/* VBA bytes read and decompressed */
	char		 modules[OFFICE_DETAIL];	/* module names, comma-separated */
	char		 autoexec[OFFICE_DETAIL];	/* the first entry point: "AutoOpen" */
	char		 suspicious[OFFICE_DETAIL];	/* the first suspicious call */
	char		 xlm[OFFICE_DETAIL];		/* the macro sheet's name */
	char		 template_url[OFFICE_DETAIL];	/* the external template target */
	char		 remote_url[OFFICE_DETAIL];	/* the remote object's target */
	char		 dde[OFFICE_DETAIL];		/* the DDE field's instruction */
	char		 corrupt[OFFICE_DETAIL];	/* what did not parse */
};

/* True when data is a compound file or a zip (OOXML is decided by
 * office_scan, from the members). */
bool	office_magic(const uint8_t *, size_t);
/* Analyses a document's bytes into f (zeroed first). 0 (f->flags say what
 * was found; a zip that is not OOXML has no flag), or -MG_ENOMEM. */
int	office_scan(const uint8_t *, size_t, struct office_findings *);

/* Shared by office.c, office_vba.c and office_ooxml.c (and the unit tests). */

/* Looks at one VBA module's source text (office_vba.c). */
void	office_vba_source(struct office_findings *, const char *module, const char *src,
	    size_t len);
/* Looks at an OLE file's VBA projects, macro sheets and DDE fields. */
int	office_ole(const uint8_t *, size_t, struct office_findings *);
/* Looks at an OOXML zip (office_ooxml.c). */
int	office_ooxml(const uint8_t *, size_t, struct office_findings *);
/* Finds DDE fields in text: a field start (0x13) then DDE or DDEAUTO;
 * stride 2 reads UTF-16LE. */
void	office_dde_fields(struct office_findings *, const uint8_t *, size_t len,
	    unsigned stride);
/* Sets OFFICE_F_CORRUPT; the first reason given stays in f->corrupt. */
void	office_corrupt(struct office_findings *, const char *what);
/* Copies s[0..n) into a detail string, cut to fit, as printable ASCII
 * (anything else as '?'). */
void	office_detail(char *dst, const char *s, size_t n);

#endif
