/* A bounded PDF scanner over a byte buffer: objects are read linearly (the
 * xref table is never trusted), names are normalised (#xx escapes), the
 * keys that make a PDF active are counted, URIs kept, and FlateDecode
 * streams inflated with zlib within per-stream and per-file ceilings so
 * that object streams (/Type /ObjStm) are scanned like the file itself. */
#ifndef MG_FILES_PDF_H
#define MG_FILES_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum pdf_key {
	PDF_K_JAVASCRIPT, PDF_K_JS, PDF_K_OPENACTION, PDF_K_AA, PDF_K_LAUNCH,
	PDF_K_EMBEDDEDFILE, PDF_K_URI, PDF_K_ACROFORM, PDF_K_SUBMITFORM,
	PDF_K_RICHMEDIA, PDF_K_XFA, PDF_K_ENCRYPT, PDF_K_OBJSTM,
};
#define PDF_K_COUNT	13

struct pdf_limits {
	size_t		 max_input;	/* bytes of the file looked at: 64 MiB */
	size_t		 max_stream_out;	/* inflated bytes per stream: 4 MiB */
	uint64_t	 max_total_out;	/* inflated bytes per file: 32 MiB */
	unsigned	 max_streams;	/* streams inflated per file: 4096 */
	unsigned	 max_uris;	/* URIs kept: 32 */
	unsigned	 max_depth;	/* object streams inside object streams: 2 */
};

#define PDF_MAX_REFS	64	/* objects named by /OpenAction and /AA, kept */
#define PDF_MAX_JSOBJ	256	/* objects holding /JS or /JavaScript, kept */

struct pdf_report {
	unsigned	 counts[PDF_K_COUNT];	/* each key seen, escaped spellings included */
	unsigned	 objects;		/* "N G obj" headers and object-stream members */
	unsigned	 streams;
	unsigned	 inflated;		/* FlateDecode streams inflated */
	unsigned	 other_filters;		/* streams with a filter we do not decode */
	unsigned	 inflate_errors;	/* corrupt FlateDecode data */
	unsigned	 escaped_names;		/* keys above spelt with #xx (obfuscation) */
	uint64_t	 inflated_bytes;
	bool		 openaction_js;		/* /OpenAction or /AA runs JavaScript */
	bool		 limit;			/* a ceiling was reached: the scan is partial */
	const char	**uris;			/* first max_uris /URI strings (arena) */
	size_t		 nuris;
	/* private to the scanner: */
	unsigned	 action_refs[PDF_MAX_REFS];
	size_t		 nactions;
	unsigned	 js_objects[PDF_MAX_JSOBJ];
	size_t		 njs;
};

void	pdf_limits_default(struct pdf_limits *);
/* True when data starts like a PDF: "%PDF-" within its first 1024 bytes. */
bool	pdf_detect(const uint8_t *data, size_t len);
/* Scans data into r (zeroed first); URIs live in a. 0, or -MG_ENOMEM
 * (arena exhausted or no memory for inflating). Malformed input is
 * scanned as far as it goes, never refused. */
int	pdf_scan(struct mg_arena *a, const uint8_t *data, size_t len,
	    const struct pdf_limits *, struct pdf_report *r);
/* "JavaScript", ...; NULL for an unknown key. */
const char *pdf_key_name(enum pdf_key);

#endif
