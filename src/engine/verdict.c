/* Verdict arithmetic (verdict.h). */
#include "engine/verdict.h"

/* Ties between categories of equal weight go to the most harmful. */
static const enum mg_category severity[] = { MG_CAT_MALWARE, MG_CAT_DANGEROUS,
	MG_CAT_PHISHING, MG_CAT_BEC, MG_CAT_SPAM, MG_CAT_BULK, MG_CAT_POLICY };

enum mg_verdict_action
verdict_action_for(const struct verdict_thresholds *th, double score)
{
	if (score >= th->reject)
		return MG_VERDICT_REJECT;
	if (score >= th->quarantine)
		return MG_VERDICT_QUARANTINE;
	if (score >= th->tag)
		return MG_VERDICT_TAG;
	return MG_VERDICT_ACCEPT;
}

/* The category with the largest sum of positive scores; spam when no
 * symbol with a category has a positive score. */
static enum mg_category
verdict_weighted_category(const struct task_symbol *s, size_t n)
{
	double weight[MG_CAT_COUNT] = { 0 };
	enum mg_category best = MG_CAT_SPAM;
	double best_w = 0.0;

	for (size_t i = 0; i < n; i++)
		if (s[i].score > 0 && s[i].category != MG_CAT_CLEAN)
			weight[s[i].category] += s[i].score;
	for (size_t i = 0; i < sizeof(severity) / sizeof(severity[0]); i++) {
		if (weight[severity[i]] > best_w) {
			best_w = weight[severity[i]];
			best = severity[i];
		}
	}
	return best;
}

void
verdict_compute(const struct verdict_thresholds *th, const struct task_symbol *s,
    size_t n, struct verdict *out)
{
	const struct task_symbol *forcing = NULL;

	out->score = 0.0;
	for (size_t i = 0; i < n; i++) {
		out->score += s[i].score;
		if (s[i].force != MG_VERDICT_ACCEPT && (forcing == NULL ||
		    s[i].force > forcing->force ||
		    (s[i].force == forcing->force && s[i].score > forcing->score)))
			forcing = &s[i];
	}
	out->action = verdict_action_for(th, out->score);
	out->forced_by = NULL;
	if (forcing != NULL && forcing->force >= out->action) {
		out->action = forcing->force;
		out->forced_by = forcing->name;
	}
	if (forcing != NULL && forcing->category != MG_CAT_CLEAN)
		out->category = forcing->category;
	else if (out->action == MG_VERDICT_ACCEPT)
		out->category = MG_CAT_CLEAN;
	else
		out->category = verdict_weighted_category(s, n);
}
