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
verdict_weighted_category(const struct task_symbol *s, size_t n, const bool *skip)
{
	double weight[MG_CAT_COUNT] = { 0 };
	enum mg_category best = MG_CAT_SPAM;
	double best_w = 0.0;

	for (size_t i = 0; i < n; i++)
		if (s[i].score > 0 && s[i].category != MG_CAT_CLEAN && !(skip && skip[i]))
			weight[s[i].category] += s[i].score;
	for (size_t i = 0; i < sizeof(severity) / sizeof(severity[0]); i++) {
		if (weight[severity[i]] > best_w) {
			best_w = weight[severity[i]];
			best = severity[i];
		}
	}
	return best;
}

/* The verdict of the symbols not skipped (skip may be NULL). */
static void
verdict_compute_some(const struct verdict_thresholds *th, const struct task_symbol *s,
    size_t n, const bool *skip, struct verdict *out)
{
	const struct task_symbol *forcing = NULL;

	out->score = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (skip != NULL && skip[i])
			continue;
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
		out->category = verdict_weighted_category(s, n, skip);
}

void
verdict_compute(const struct verdict_thresholds *th, const struct task_symbol *s,
    size_t n, struct verdict *out)
{
	verdict_compute_some(th, s, n, NULL, out);
}

bool
verdict_strips(const struct task_symbol *s)
{
	return s->category == MG_CAT_DANGEROUS &&
	    (s->score > 0 || s->force != MG_VERDICT_ACCEPT);
}

static bool
has_part(const struct task_symbol *s, const struct mime_part *p)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i] == p)
			return true;
	return false;
}

/* Whether every part of symbol s is a part of some stripping symbol. */
static bool
parts_stripped(const struct task_symbol *all, size_t n, const struct task_symbol *s)
{
	for (size_t k = 0; k < s->nparts; k++) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = verdict_strips(&all[i]) && has_part(&all[i], s->parts[k]);
		if (!found)
			return false;
	}
	return true;
}

bool
verdict_strip(const struct verdict_thresholds *th, const struct task_symbol *s,
    size_t n, const struct verdict *v, bool *covered, struct verdict *out)
{
	struct verdict left;

	*out = *v;
	if (v->category != MG_CAT_DANGEROUS)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i].category == MG_CAT_MALWARE && s[i].force >= MG_VERDICT_QUARANTINE)
			return false;
		if (verdict_strips(&s[i]) && (s[i].about_message || s[i].nparts == 0))
			return false;
	}
	for (size_t i = 0; i < n; i++)
		covered[i] = !s[i].about_message && s[i].nparts > 0 && parts_stripped(s, n, &s[i]);
	verdict_compute_some(th, s, n, covered, &left);
	if (left.action > MG_VERDICT_TAG) {
		for (size_t i = 0; i < n; i++)
			covered[i] = false;
		return false;
	}
	out->action = left.action;
	out->forced_by = NULL;
	return true;
}
