/* Learned sender reputation: per key (a client network, a sender domain, a
 * DKIM domain) the counts of spam and clean verdicts, each verdict's weight
 * halving every half-life. Kept in a kv with INCRBYFLOAT only (forward
 * decay: a verdict at time t adds 2^((t - L) / H) for the epoch's landmark
 * L, and a read scales back by 2^((now - L) / H)), so that concurrent
 * learners never lose an update and a Redis kv needs no script. Pure: the
 * caller passes the time. docs/reputation.md has the arithmetic. */
#ifndef MG_LEARN_REPUTATION_H
#define MG_LEARN_REPUTATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"
#include "store/kv.h"

/* An epoch lasts this many half-lives: weights stay below 2^32. */
#define REP_EPOCH_HALF_LIVES	32
/* A key lives this many half-lives after its last update (2^-16 is left). */
#define REP_TTL_HALF_LIVES	16
#define REP_ENTITY_MAX		256	/* bytes of a network or domain */

enum rep_kind { REP_KIND_IP, REP_KIND_DOMAIN, REP_KIND_DKIM };

struct rep_params {
	double		 half_life;	/* seconds, > 0 */
	double		 min_messages;	/* decayed verdicts before a key counts */
};

struct rep_counts {
	double		 spam, clean;	/* decayed to now */
};

/* Adds one verdict for entity (normalised by the caller: lower case). 0,
 * -MG_ELIMIT (entity too long) or the kv's error. */
int	rep_learn(struct kv *, const struct rep_params *, enum rep_kind, const char *entity,
	    bool spam, double now);
/* The decayed counts of entity at now (zero when unknown). 0 or the kv's
 * error (-MG_ENOENT is not one). */
int	rep_read(struct kv *, const struct rep_params *, enum rep_kind, const char *entity,
	    double now, struct rep_counts *);
/* How strongly the counts speak: in (-1, 1), > 0 for spam, < 0 for clean,
 * 0 below min_messages: (spam - clean) / (n + 2) * n / (n + min_messages). */
double	rep_evidence(const struct rep_params *, const struct rep_counts *);

/* reputation_state.c: opens the learned state of the check who
 * ("reputation": engine.reputation.history.state, else reputation.kv
 * beside the store; any other: WHO.kv in that directory; memory only when
 * not persisted or when the file cannot be used, logged under who). NULL
 * with the reason in err. */
struct kv *rep_state_open(const struct mg_conf *conf, const char *who, char *err,
	    size_t errlen);

#endif
