/* From symbols to a verdict: the score is the sum of the symbols' scores;
 * the action comes from the thresholds, raised by any symbol that forces
 * one; the category is the forcing symbol's, or the category carrying the
 * most positive weight once the score reaches the tag threshold. */
#ifndef MG_ENGINE_VERDICT_H
#define MG_ENGINE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conf.h"
#include "engine/task.h"

struct verdict_thresholds {
	double		 tag, quarantine, reject;
};

struct verdict {
	double		 score;
	enum mg_category category;
	enum mg_verdict_action action;
	const char	*forced_by;	/* the symbol that forced the action, or NULL */
};

/* The action the thresholds give to score alone. */
enum mg_verdict_action verdict_action_for(const struct verdict_thresholds *, double score);
void	verdict_compute(const struct verdict_thresholds *, const struct task_symbol *,
	    size_t n, struct verdict *out);
/* Whether stripping files saves a dangerous message (engine.dangerous.action
 * "strip"): v is dangerous (not malware), no known-malware symbol (category
 * malware forcing quarantine or more) fired, every dangerous symbol that
 * counts (positive score or a forced action) is about parts only, and the
 * symbols left once those parts are gone (covered[i] false) give accept
 * or tag. Then true, covered[i] set for each symbol about those parts
 * alone, and out = v with that action (category and score kept). Else
 * false and out = v. */
bool	verdict_strip(const struct verdict_thresholds *, const struct task_symbol *,
	    size_t n, const struct verdict *v, bool *covered, struct verdict *out);
/* Whether symbol s counts toward the parts to strip (the rule above). */
bool	verdict_strips(const struct task_symbol *s);

#endif
