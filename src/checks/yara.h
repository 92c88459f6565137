/* The YARA check: the *.yar and *.yara files of engine.yara.dirs compiled
 * once at engine open with libyara (a broken file refuses the open with
 * "FILE:LINE: message"), the compiled rules shared by every scanning
 * thread, run on each attachment's decoded bytes and on each archive
 * member the MIME layer kept. Each public rule is the symbol YARA_<NAME
 * upper-cased>, defined through the .symbols hook with score, category,
 * forced action and description from the rule's meta (rules/yara/README.md). */
#ifndef MG_CHECKS_YARA_H
#define MG_CHECKS_YARA_H

#include "core/conf_yara.h"
#include "engine/check.h"

extern const struct mg_check check_yara;

/* Compiles c's rule files and checks every rule's meta as the check does,
 * then frees them (`mailgate rules check`). 0 with *nrules set (the public
 * rules), or -MG_E* with "FILE:LINE: reason" in err. */
int	yara_check_files(const struct conf_yara *c, size_t *nrules, char *err,
	    size_t errlen);

#endif
