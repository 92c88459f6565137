/* Internals of the rules library shared by its files: the set, the
 * per-scope databases, the scratch pool, meta programs and the built-in
 * structure tests. */
#ifndef MG_RULES_RULES_INT_H
#define MG_RULES_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <hs/hs.h>
#include <pcre2.h>
#include <pthread.h>

#include "rules/rules.h"

/* Regex rules of one scope, or of one header name in a header scope. */
struct rules_db {
	const char	*header;	/* lower case; header scopes only */
	hs_database_t	*hs;		/* NULL when no pattern went to Hyperscan */
	struct rules_pcre *pcre;	/* the fallbacks */
	size_t		 npcre;
	unsigned	*rules;		/* every rule of the database */
	size_t		 nrules;
};

struct rules_pcre {
	pcre2_code	*re;
	unsigned	 rule;
};

/* What one scanning thread needs: Hyperscan scratch fitting every
 * database of the set, and PCRE2 match data. */
struct rules_scratch {
	hs_scratch_t	*hs;
	pcre2_match_data *md;
	struct rules_scratch *next;
};

struct rules_set {
	struct mg_arena	*arena;		/* strings and meta programs */
	struct rule	*rules;
	size_t		 nrules, cap;
	unsigned	*gen;		/* [nrules]: rules_parse call that defined it */
	unsigned	 ngen;
	uint32_t	*index;		/* open addressing: rule index + 1, 0 = empty */
	size_t		 index_cap;
	bool		 compiled;
	struct rules_limits limits;
	struct rules_db	*dbs[RULE_SCOPE_COUNT];	/* header scopes sorted by name */
	size_t		 ndbs[RULE_SCOPE_COUNT];
	unsigned	*post;		/* !~, exists, missing, eval: after the scopes */
	size_t		 npost;
	unsigned	*metas;		/* in dependency order */
	size_t		 nmetas;
	const char	**externals;
	size_t		 nexternals;
	pcre2_match_context *mctx;
	struct rules_pool *pool;
};

/* Scratch of the threads not scanning right now. */
struct rules_pool {
	hs_scratch_t	*proto;		/* cloned for each new scanning thread */
	pthread_mutex_t	 lock;
	struct rules_scratch *idle;	/* under lock */
};

/* rules_parse.c / rules_set.c */
struct rule *rules_add(struct rules_set *, const char *name, char *err, size_t errlen,
	    const char *file, int line);
void	rules_index_put(struct rules_set *, const char *name, size_t i);

/* rules_meta.c: expressions of meta rules. */
enum meta_op {
	MOP_NAME,	/* before rules_compile: a symbol name */
	MOP_RULE,	/* arg: rule index */
	MOP_EXT,	/* arg: index in externals */
	MOP_INT,
	MOP_NOT, MOP_AND, MOP_OR, MOP_ADD,
	MOP_EQ, MOP_NE, MOP_LT, MOP_LE, MOP_GT, MOP_GE,
};

struct meta_ins {
	enum meta_op	 op;
	long		 arg;
	const char	*name;		/* MOP_NAME */
};

#define META_STACK_MAX	64	/* evaluation stack (and nesting) of one meta */

struct meta_prog {
	struct meta_ins	*ins;		/* reverse Polish */
	size_t		 n;
};

/* Syntax of expr into a program in arena; 0 or -MG_EINVAL with why. */
int	meta_parse(struct mg_arena *, const char *expr, struct meta_prog **,
	    char *why, size_t whylen);
/* Names to rules or externals, evaluation order, cycles; fills
 * set->metas and set->externals. 0, -MG_EINVAL or -MG_ENOMEM with err. */
int	meta_resolve(struct rules_set *, char *err, size_t errlen);
/* ext[i]: -1 not asked yet, 0, 1; asked through env when needed. */
long	meta_eval(const struct meta_prog *, const uint8_t *fired, int8_t *ext,
	    const struct rules_set *, const struct rules_env *);

/* rules_eval.c: the built-in structure tests. */
struct rules_eval_def {
	const char	*name;
	bool		 has_arg;
	/* Fires (true) with *option set, or not. */
	bool		(*test)(const struct mime_msg *, long arg, const struct rules_env *,
			    struct mg_arena *, const char **option);
};
extern const struct rules_eval_def rules_evals[];
extern const size_t rules_nevals;

/* rules_db.c: databases, scratch. */
int	rules_db_build(struct rules_set *, char *err, size_t errlen);
void	rules_db_free(struct rules_set *);
struct rules_scratch *rules_scratch_get(const struct rules_set *);
void	rules_scratch_put(const struct rules_set *, struct rules_scratch *);
/* Matches text against db, setting matched[rule] (and option[rule] to
 * opt when given). 0, or -MG_EIO. */
int	rules_db_scan(const struct rules_set *, const struct rules_db *,
	    struct rules_scratch *, const char *text, size_t len, uint8_t *matched,
	    const char **option, const char *opt);

#endif
