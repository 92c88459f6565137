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

/* Opens (creating when writable and absent) the store at path; conf NULL
 * = defaults. A read-only store that does not exist yet is not an error:
 * it is not ready until it appears. NULL with "PATH: reason" in err
 * (a damaged or truncated file says so). Readers are thread-safe; a
 * writer takes the file's lock for each change, so several `mailgate
 * learn` may run at once. */
struct bayes	*bayes_open(const char *path, bool writable, const struct conf_bayes *,
		    char *err, size_t errlen);
struct bayes	*bayes_close(struct bayes *);	/* returns NULL */

/* Learns (or with unlearn, forgets) m as spam or ham; needs a writable
 * store. A message learned as the other class is moved. 0, -MG_EEXIST
 * when m was already learned as that class (by Message-ID, Subject and
 * body digest), -MG_ENOENT when unlearning a message not learned as that
 * class, -MG_EINVAL on a read-only store, -MG_ENOMEM, -MG_EIO. When the
 * store reaches max_tokens its rarest tokens are pruned to make room. */
int	bayes_learn(struct bayes *, const struct mime_msg *m, bool spam, bool unlearn);

struct bayes_result {
	double		 prob;		/* P(spam) in [0, 1]; 0.5 without evidence */
	uint32_t	 ntokens;	/* tokens that had enough history */
	bool		 ready;		/* false until min_learns of each class */
};
/* Thread-safe; follows the store when `mailgate learn` replaced the file
 * or created it since (looked at once a second). 0 (ready false while
 * there is no store), -MG_ENOMEM. */
int	bayes_classify(const struct bayes *, const struct mime_msg *m, struct bayes_result *);

/* Drops tokens and digests unseen for expire_days (tokens only when rare)
 * by rewriting the store; today 0 = now (days since 2000-01-01 else). */
int	bayes_expire(struct bayes *, uint32_t today);

struct bayes_stats {
	bool		 present;	/* false while the store file does not exist */
	uint32_t	 nspam, nham;	/* messages learned */
	uint32_t	 ntokens, capacity;
	uint32_t	 ndigests;	/* learned messages remembered */
	uint64_t	 file_size;
	uint32_t	 created_day, expired_day;	/* days since 2000-01-01 */
};
void	bayes_stats(const struct bayes *, struct bayes_stats *);

#endif
