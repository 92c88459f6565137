/* QR codes in the images of a message (files/qr.h): every attachment and
 * kept archive member that is an image by its bytes (whatever its name or
 * declared type; inline cid: images are such parts too), and the data:
 * images of HTML parts. A code holding http(s) URLs raises QR_URL (options
 * "FILE: URL", the URL normalised as the MIME layer does), any other code
 * QR_TEXT ("FILE: text"). Images in HTML are named "data: image in HTML". */
#ifndef MG_CHECKS_QR_H
#define MG_CHECKS_QR_H

#include "engine/check.h"

extern const struct mg_check check_qr;

#endif
