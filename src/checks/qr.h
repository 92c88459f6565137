/* QR codes in the images of a message (files/qr.h): every attachment and
 * kept archive member that is an image by its bytes (whatever its name or
 * declared type; inline cid: images are such parts too), the data:
 * images of HTML parts, the first pages of PDF attachments and members
 * (files/pdf_render.h) and HTML tables drawn as codes (files/html_qr.h).
 * A code holding http(s) URLs raises QR_URL (options "FILE: URL", the URL
 * normalised as the MIME layer does and added to the message's URLs),
 * any other code QR_TEXT ("FILE: text"). Codes on PDF pages also raise
 * QR_IN_PDF ("FILE page N"), codes in tables QR_HTML_TABLE. Images in
 * HTML are named "data: image in HTML", tables "HTML table". */
#ifndef MG_CHECKS_QR_H
#define MG_CHECKS_QR_H

#include "engine/check.h"

extern const struct mg_check check_qr;

#endif
