/* HTML bodies and HTML attachments (text/html, or named .htm, .html,
 * .shtml, .xhtml, .svg): HTML smuggling, auto-submitting and credential
 * forms, data: payloads and meta refresh traps (files/smuggle.h with the
 * forms of mime/html.h). */
#ifndef MG_CHECKS_HTML_SMUGGLE_H
#define MG_CHECKS_HTML_SMUGGLE_H

#include "engine/check.h"

extern const struct mg_check check_html_smuggle;

#endif
