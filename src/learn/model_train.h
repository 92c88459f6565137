/* Training the model (model.h) from examples whose features were already
 * extracted: FTRL-proximal logistic regression (per-coordinate learning
 * rates, L1 + L2), a fixed number of epochs in a seeded shuffled order, so
 * the same examples always give the same model. The fusion (t0 and k) is
 * set on held-out logits of the training examples (each later time block
 * of each corpus scored by a model trained on the blocks before it), never
 * on a test set. docs/accuracy.md explains the choices. */
#ifndef MG_LEARN_MODEL_TRAIN_H
#define MG_LEARN_MODEL_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "learn/features.h"
#include "learn/model.h"

/* A symbol of the other checks: its name, and the sign of its configured
 * score, which its learned weight keeps (+1, -1; 0: either): a rule that
 * says "spam" never learns to say "ham", whatever it overlaps with. */
struct model_symname {
	const char	*name;
	int		 sign;
};

/* A symbol that fired on an example: names[id] with its factor. */
struct model_symval {
	uint32_t	 id;
	float		 val;
};

struct model_example {
	const struct feat *f;		/* hashed features */
	size_t		 nf;
	const struct model_symval *s;	/* symbols of the other checks */
	size_t		 ns;
	bool		 spam;		/* spam or phishing: unwanted */
	uint32_t	 group;		/* corpus; examples of a group in time order */
};

struct model_train_params {
	struct feat_params fp;
	double		 alpha, beta;	/* FTRL learning rate alpha / (beta + sqrt(n)) */
	double		 l1, l2;
	unsigned	 epochs;
	uint64_t	 seed;		/* of the shuffles */
	unsigned	 min_symbol_count;	/* symbols seen less keep their scores */
	double		 ham_weight;	/* loss weight of a ham example */
	double		 fp_goal;	/* share of held-out ham allowed at or above t0 */
	unsigned	 folds;		/* time blocks of each group, for held-out logits */
	double		 spread;	/* engine points from t0 to the median unwanted logit */
};

struct model_train_report {
	size_t		 ntrain, nvalid, nvalid_ham;	/* examples, held-out ones */
	double		 valid_auc;	/* of the held-out logits */
	double		 valid_caught;	/* unwanted at or above t0 */
	double		 valid_fp;	/* ham at or above t0 */
	size_t		 nonzero;	/* hashed weights of the final model */
};

void	model_train_defaults(struct model_train_params *);

/* Trains on ex[0..n) (names[0..nnames) are the symbols) and returns the
 * model in *out. 0, -MG_EINVAL (no example of one class) or -MG_ENOMEM,
 * with the reason in err. */
int	model_train(const struct model_train_params *, const struct model_example *ex,
	    size_t n, const struct model_symname *names, size_t nnames, struct model **out,
	    struct model_train_report *rep, char *err, size_t errlen);

/* ROC AUC of scores against labels (ties count half); 0.5 when one class
 * is empty. */
double	model_auc(const double *score, const bool *positive, size_t n);

#endif
