/* The Bayes check (bayes.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "checks/bayes.h"
#include "core/err.h"
#include "core/log.h"
#include "learn/bayes.h"

struct bayes_check {
	struct bayes	*store;
	double		 margin;
	atomic_bool	 said_not_ready;
};

static const struct symbol_def bayes_symbols_defs[] = {
	{ "BAYES_SPAM", 5.0, MG_CAT_SPAM, MG_VERDICT_ACCEPT,
	  "Bayes classifier: spam (score scaled by the probability; option P(spam))" },
	{ "BAYES_HAM", -3.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "Bayes classifier: legitimate mail (score scaled by the probability; option P(ham))" },
};

static int
bayes_check_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_bayes *c = &conf->engine.bayes;
	struct bayes_check *bc;
	struct bayes_stats st;

	*state = NULL;
	if (c->path == NULL)
		return 0;
	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return -MG_ENOMEM;
	if ((bc->store = bayes_open(c->path, false, c, err, errlen)) == NULL) {
		free(bc);
		return -MG_EPROTO;
	}
	bc->margin = c->margin;
	bayes_stats(bc->store, &st);
	if (!st.present)
		log_info("bayes store absent path=%s: no Bayes symbols until `mailgate learn` "
		    "creates it", c->path);
	*state = bc;
	return 0;
}

static int
bayes_check_scan(void *state, struct mg_task *t)
{
	struct bayes_check *bc = state;
	struct bayes_result r;
	char opt[16];
	int rc;

	if (bc == NULL || t->msg == NULL)
		return 0;
	if ((rc = bayes_classify(bc->store, t->msg, &r)) < 0)
		return rc;
	if (!r.ready) {
		struct bayes_stats st;
		bayes_stats(bc->store, &st);	/* an absent store was logged at init */
		if (st.present && !atomic_exchange(&bc->said_not_ready, true))
			log_info("bayes not ready spam=%u ham=%u: waits for min_learns of each",
			    st.nspam, st.nham);
		return 0;
	}
	if (r.prob > 0.5 + bc->margin) {
		snprintf(opt, sizeof(opt), "%.1f%%", r.prob * 100.0);
		return mg_task_symbol_scaled(t, "BAYES_SPAM", (r.prob - 0.5) * 2.0, opt);
	}
	if (r.prob < 0.5 - bc->margin) {
		snprintf(opt, sizeof(opt), "%.1f%%", (1.0 - r.prob) * 100.0);
		return mg_task_symbol_scaled(t, "BAYES_HAM", (0.5 - r.prob) * 2.0, opt);
	}
	return 0;
}

static void
bayes_check_fini(void *state)
{
	struct bayes_check *bc = state;

	if (bc != NULL) {
		bayes_close(bc->store);
		free(bc);
	}
}

/* Defined whether Bayes is on or not, so that engine.scores may name them. */
static const struct symbol_def *
bayes_check_symbols(void *state, size_t *n)
{
	(void)state;
	*n = sizeof(bayes_symbols_defs) / sizeof(bayes_symbols_defs[0]);
	return bayes_symbols_defs;
}

const struct mg_check check_bayes = {
	.name = "bayes",
	.init = bayes_check_init,
	.scan = bayes_check_scan,
	.fini = bayes_check_fini,
	.symbols = bayes_check_symbols,
};
