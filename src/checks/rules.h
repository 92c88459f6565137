/* The content rules check: the rule files of engine.rules.dirs, compiled
 * at engine open (a broken file refuses the open, with "FILE:LINE: reason"
 * in the log), each rule a symbol of its own (the .symbols hook) so that
 * engine.scores can override it. Runs after the checks whose symbols
 * meta rules combine, before the classifiers. */
#ifndef MG_CHECKS_RULES_H
#define MG_CHECKS_RULES_H

#include "core/conf_rules.h"
#include "engine/check.h"
#include "rules/rules.h"

extern const struct mg_check check_rules;

/* The compiled set of c's directories, as the check loads it: a rule
 * named as a built-in symbol (symbol_defaults.c) is an error too. 0, or
 * -MG_E* with "FILE:LINE: reason" in err (`mailgate rules check`). */
int	rules_check_load(const struct conf_rules *c, struct rules_set **out, char *err,
	    size_t errlen);

#endif
