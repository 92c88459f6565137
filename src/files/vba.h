/* VBA projects ([MS-OVBA]): the compression of the dir stream and module
 * streams, the dir stream's module records, and the modules' source text
 * read from a VBA storage of a compound file (ole.h). */
#ifndef MG_FILES_VBA_H
#define MG_FILES_VBA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "files/ole.h"

#define VBA_MAX_MODULES	512		/* module records read from one dir stream */
#define VBA_MAX_SOURCE	(8u << 20)	/* decompressed bytes of one module or dir */

struct vba_module {
	char		 name[64];	/* MODULENAME(UNICODE), UTF-8 when given */
	char		 stream[64];	/* MODULESTREAMNAME(UNICODE), as ole_child takes */
	uint32_t	 offset;	/* MODULEOFFSET: where the compressed source starts */
};

struct vba_project {
	struct vba_module modules[VBA_MAX_MODULES];
	size_t		 nmodules;
};

/* Appends the decompression of the CompressedContainer in[0..len) to out
 * (whose max bounds it). 0, -MG_EPROTO (bad signature, chunk header or
 * copy token), -MG_ELIMIT or -MG_ENOMEM. */
int	vba_decompress(const uint8_t *in, size_t len, struct mg_buf *out);
/* Reads the module records of a decompressed dir stream. 0 or -MG_EPROTO
 * (truncated record, no module); -MG_ELIMIT past VBA_MAX_MODULES. */
int	vba_dir_parse(const uint8_t *dir, size_t len, struct vba_project *);

/* Called with each module's source text (not NUL-terminated); a negative
 * return stops the walk and is returned. */
typedef int (*vba_source_fn)(void *arg, const struct vba_module *, const char *src,
	    size_t len);
/* Reads the project in storage (the "VBA" storage holding "dir") and calls
 * fn for every module that decompresses. Bytes read and decompressed are
 * taken from *budget (streams may share sectors: the budget bounds the
 * work). 0, -MG_EPROTO when the dir stream or a module is broken (the
 * modules that could be read were passed), -MG_ELIMIT when the budget ran
 * out, fn's error, or -MG_ENOMEM. */
int	vba_project_read(const struct ole_file *, uint32_t storage, size_t *budget,
	    vba_source_fn fn, void *arg);

#endif
