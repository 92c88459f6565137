/* PDF attachments and archive members (recognised by "%PDF-" in their
 * first 1024 bytes, not by name): JavaScript, actions run on open, /Launch,
 * embedded files, submitted forms, encryption, many links, obfuscated
 * names (files/pdf.h). */
#ifndef MG_CHECKS_PDF_H
#define MG_CHECKS_PDF_H

#include "engine/check.h"

extern const struct mg_check check_pdf;

#endif
