/* The trained model check (model.h). Without engine.model.path it adds
 * nothing and learns no score. */
#include <stdio.h>
#include <stdlib.h>

#include "checks/model.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/features.h"
#include "learn/model.h"

struct model_state {
	struct model	*m;
	double		 tag;		/* engine.thresholds.tag */
	struct symbol_def *learned;	/* k * weight of each learned symbol */
	size_t		 nlearned;
};

static const struct symbol_def model_defs[] = {
	{ "MODEL_SPAM", 1.0, MG_CAT_SPAM, MG_VERDICT_ACCEPT,
	  "the trained model's text and structure part leans to unwanted (dynamic score)" },
	{ "MODEL_HAM", -1.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "the trained model's text and structure part leans to clean (dynamic score)" },
	{ "MODEL_FAIL", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "the model check failed or timed out" },
};

static void
model_fini(void *state)
{
	struct model_state *st = state;

	if (st == NULL)
		return;
	model_free(st->m);
	free(st->learned);
	free(st);
}

static int
model_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const char *path = conf->engine.model.path;
	struct model_state *st;

	*state = NULL;
	if (path == NULL)
		return 0;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -MG_ENOMEM;
	if ((st->m = model_load(path, err, errlen)) == NULL) {
		model_fini(st);
		return -MG_EINVAL;
	}
	st->tag = conf->engine.tag;
	if (st->m->nsyms > 0 &&
	    (st->learned = calloc(st->m->nsyms, sizeof(*st->learned))) == NULL) {
		model_fini(st);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < st->m->nsyms; i++)
		st->learned[st->nlearned++] = (struct symbol_def){ .name = st->m->syms[i].name,
			.score = st->m->k * st->m->syms[i].weight };
	log_info("model load path=%s bits=%u symbols=%zu k=%.4f t0=%.4f", path,
	    st->m->fp.bits, st->m->nsyms, st->m->k, st->m->t0);
	*state = st;
	return 0;
}

static const struct symbol_def *
model_symbols(void *state, size_t *n)
{
	*n = sizeof(model_defs) / sizeof(model_defs[0]);
	return model_defs;
}

static const struct symbol_def *
model_scores(void *state, size_t *n)
{
	struct model_state *st = state;

	*n = st != NULL ? st->nlearned : 0;
	return st != NULL ? st->learned : NULL;
}

/* The text and structure part of k * (logit - t0) + tag; the symbols'
 * part is already in their learned scores. */
static int
model_scan(void *state, struct mg_task *t)
{
	struct model_state *st = state;
	struct feat_vec x;
	double logit, score;
	char opt[64];
	int rc;

	if (st == NULL)
		return 0;
	if ((rc = features_extract(&st->m->fp, t->msg, t->arena, &x)) < 0)
		return rc;
	logit = model_text_logit(st->m, &x);
	score = st->m->k * (logit - st->m->t0) + st->tag;
	snprintf(opt, sizeof(opt), "%.3f", logit);
	if (score >= 0)
		return mg_task_symbol_scaled(t, "MODEL_SPAM", score, opt);
	return mg_task_symbol_scaled(t, "MODEL_HAM", -score, opt);
}

const struct mg_check check_model = {
	.name = "model",
	.init = model_init,
	.scan = model_scan,
	.fini = model_fini,
	.symbols = model_symbols,
	.scores = model_scores,
};
