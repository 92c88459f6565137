/* The symbols the engine knows: the built-in table (symbol_defaults.c,
 * the one place where default scores and categories live) with the
 * configuration's engine.scores overrides applied at engine open. */
#ifndef MG_ENGINE_SYMBOL_H
#define MG_ENGINE_SYMBOL_H

#include <stddef.h>

#include "core/conf.h"

struct symbol_def {
	const char	*name;
	double		 score;
	enum mg_category category;	/* weight goes to this category */
	enum mg_verdict_action force;	/* least action when it fires; ACCEPT = none */
	const char	*description;
};

extern const struct symbol_def symbol_defaults[];
extern const size_t symbol_ndefaults;

struct symbol_table {
	struct symbol_def *defs;	/* sorted by name */
	size_t		 ndefs;
};

/* Copies the defaults and extra[0..nextra) (symbols the checks define,
 * borrowed: names must outlive the table) and applies conf's overrides;
 * 0, or -MG_EINVAL with "symbol 'X' is defined twice" or "FILE:LINE:
 * unknown symbol 'X'" in err, or -MG_ENOMEM. */
int	symbol_table_load(struct symbol_table *, const struct mg_conf *,
	    const struct symbol_def *extra, size_t nextra, char *err, size_t errlen);
/* Sets the score of each named symbol that exists (learned scores). */
void	symbol_table_learned(struct symbol_table *, const struct symbol_def *learned, size_t n);
/* Applies conf's engine.scores; 0 or -MG_EINVAL with "FILE:LINE: unknown
 * symbol 'X'" in err. symbol_table_load calls it; call it again after
 * symbol_table_learned so that the administrator's scores win. */
int	symbol_table_override(struct symbol_table *, const struct mg_conf *, char *err,
	    size_t errlen);
void	symbol_table_clear(struct symbol_table *);
/* The definition of name, or NULL. */
const struct symbol_def *symbol_find(const struct symbol_table *, const char *name);

#endif
