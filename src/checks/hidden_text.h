/* HTML hiding tricks: each reason text was hidden for becomes a symbol
 * HTML_HIDDEN_<REASON> with a sample of the text, and HTML_HIDDEN_RATIO
 * fires when the hidden letters outweigh half of the visible ones. */
#ifndef MG_CHECKS_HIDDEN_TEXT_H
#define MG_CHECKS_HIDDEN_TEXT_H

#include "engine/check.h"

extern const struct mg_check check_hidden_text;

#endif
