/* OSB Bayes: orthogonal sparse bigrams of the message's tokens
 * (learn/tokens.h) counted per class in a token store, and a spam
 * probability from them (docs/bayes.md). The store is one mmap-ed file:
 * scanning processes read it while `mailgate learn` updates it. */
#ifndef MG_LEARN_BAYES_H
#define MG_LEARN_BAYES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"
#include "mime/mime.h"

struct bayes;

/* Opens (creating when writable and absent) the store at path. NULL with
 * "PATH: reason" in err. Readers are thread-safe. */
struct bayes	*bayes_open(const char *path, bool writable, const struct conf_bayes *,
		    char *err, size_t errlen);
struct bayes	*bayes_close(struct bayes *);	/* returns NULL */

/* Learns (or with unlearn, forgets) m as spam or ham. 0, -MG_EEXIST when
 * m was already learned as that class (by Message-ID/body digest),
 * -MG_ELIMIT when the store is full, -MG_EIO. */
int	bayes_learn(struct bayes *, const struct mime_msg *m, bool spam, bool unlearn);

struct bayes_result {
	double		 prob;		/* P(spam) in [0, 1] */
	uint32_t	 ntokens;	/* tokens that had enough history */
	bool		 ready;		/* false until min_learns of each class */
};
int	bayes_classify(const struct bayes *, const struct mime_msg *m, struct bayes_result *);

#endif
