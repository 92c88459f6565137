/* The trained model: logistic regression over the hashed features of a
 * message (features.h) and the symbols the other checks added, with the
 * affine map that turns its logit into the engine's score (the fusion,
 * docs/accuracy.md). Loaded once per engine and read by every scanning
 * thread; `mailgate learn` updates a private copy and saves it. */
#ifndef MG_LEARN_MODEL_H
#define MG_LEARN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "learn/features.h"

#define MODEL_VERSION		1
#define MODEL_NAME_MAX		64	/* bytes of a symbol name */
#define MODEL_SYMBOLS_MAX	4096	/* learned symbols in one model */
#define MODEL_FILE_MAX		(256u << 20)

/* A symbol of another check with a learned weight: its score becomes
 * k * weight (times the factor it fired with). */
struct model_symbol {
	char		 name[MODEL_NAME_MAX];
	float		 weight;	/* logit per unit of the symbol's factor */
	uint32_t	 count;		/* training messages it fired on */
};

struct model {
	struct feat_params fp;
	float		*w;		/* 2^fp.bits hashed weights */
	double		 bias;
	struct model_symbol *syms;	/* sorted by name */
	size_t		 nsyms;
	/* fusion: engine score = k * (logit - t0) + the tag threshold */
	double		 k, t0;
	double		 online_rate;	/* step of model_learn */
};

/* A new model with every weight 0; NULL when out of memory or when fp
 * fails feat_params_check. */
struct model	*model_new(const struct feat_params *fp, size_t nsyms);
struct model	*model_free(struct model *);	/* returns NULL */

/* Reads a model file. NULL with "PATH: reason" in err (not a model file,
 * another version, truncated, checksum mismatch, out of range). */
struct model	*model_load(const char *path, char *err, size_t errlen);
/* Writes m to path (a temporary file, fsync, rename): the same model gives
 * the same bytes. 0 or -MG_EIO / -MG_ENOMEM with "PATH: reason" in err. */
int	model_save(const struct model *m, const char *path, char *err, size_t errlen);

/* bias + w . x: the logit of the text and structure part. */
double	model_text_logit(const struct model *, const struct feat_vec *);
/* Whether a symbol's name can be stored in a model file: 1 to
 * MODEL_NAME_MAX - 1 bytes of A-Z, 0-9 and '_'. */
bool	model_symbol_name_ok(const char *name);
/* Whether training may learn the symbol's weight: not one whose meaning
 * depends on what the installation has seen (learned reputation, first
 * senders and domains, account baselines): on a corpus their frequency
 * says how the corpus was collected, not what the mail is, so they keep
 * their configured scores. */
bool	model_symbol_learnable(const char *name);
/* The learned symbol called name, or NULL. */
const struct model_symbol *model_symbol_find(const struct model *, const char *name);

/* One online step towards spam or ham on the text and structure part
 * (mailgate learn): w -= online_rate * (p - y) * x / max(1, |x|^2), so one
 * message moves its own logit by at most online_rate. The symbols' weights,
 * the bias and the fusion stay as trained. */
void	model_learn(struct model *, const struct feat_vec *, bool spam);
/* The same for a parsed and analysed message (mailgate learn: load the
 * model, learn each message, model_save; scanning engines see it when
 * they reopen). Scratch space in a. 0 or -MG_ENOMEM. */
int	model_learn_msg(struct model *, const struct mime_msg *m, struct mg_arena *a,
	    bool spam);

#endif
