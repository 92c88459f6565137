/* From symbols to a verdict: the score is the sum of the symbols' scores;
 * the action comes from the thresholds, raised by any symbol that forces
 * one; the category is the forcing symbol's, or the category carrying the
 * most positive weight once the score reaches the tag threshold. */
#ifndef MG_ENGINE_VERDICT_H
#define MG_ENGINE_VERDICT_H

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

#endif
