/* The engine's symbol table: defaults copied, sorted by name for lookups,
 * and overridden by engine.scores from the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/symbol.h"

static int
symbol_cmp(const void *a, const void *b)
{
	return strcmp(((const struct symbol_def *)a)->name, ((const struct symbol_def *)b)->name);
}

static void
symbol_override(struct symbol_def *d, const struct conf_symbol *c)
{
	if (c->has_score)
		d->score = c->score;
	if (c->category >= 0)
		d->category = (enum mg_category)c->category;
	if (c->force >= 0)
		d->force = (enum mg_verdict_action)c->force;
}

/* Defaults and extra in one array sorted by name; a name twice is an error. */
static int
symbol_table_fill(struct symbol_table *t, const struct symbol_def *extra, size_t nextra,
    char *err, size_t errlen)
{
	t->ndefs = symbol_ndefaults + nextra;
	if ((t->defs = calloc(t->ndefs, sizeof(*t->defs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -MG_ENOMEM;
	}
	memcpy(t->defs, symbol_defaults, symbol_ndefaults * sizeof(*t->defs));
	if (nextra > 0)
		memcpy(t->defs + symbol_ndefaults, extra, nextra * sizeof(*t->defs));
	qsort(t->defs, t->ndefs, sizeof(*t->defs), symbol_cmp);
	for (size_t i = 1; i < t->ndefs; i++)
		if (strcmp(t->defs[i - 1].name, t->defs[i].name) == 0) {
			snprintf(err, errlen, "symbol '%s' is defined twice", t->defs[i].name);
			return -MG_EINVAL;
		}
	return 0;
}

int
symbol_table_override(struct symbol_table *t, const struct mg_conf *conf, char *err,
    size_t errlen)
{
	const struct conf_engine *ce = &conf->engine;

	for (size_t i = 0; i < ce->nsymbols; i++) {
		struct symbol_def *d = (struct symbol_def *)symbol_find(t, ce->symbols[i].name);
		if (d == NULL) {
			snprintf(err, errlen, "%s:%d: unknown symbol '%s' in engine.scores",
			    conf->path ? conf->path : "(configuration)", ce->symbols[i].line,
			    ce->symbols[i].name);
			return -MG_EINVAL;
		}
		symbol_override(d, &ce->symbols[i]);
	}
	return 0;
}

int
symbol_table_load(struct symbol_table *t, const struct mg_conf *conf,
    const struct symbol_def *extra, size_t nextra, char *err, size_t errlen)
{
	int rc;

	if ((rc = symbol_table_fill(t, extra, nextra, err, errlen)) < 0 ||
	    (rc = symbol_table_override(t, conf, err, errlen)) < 0)
		symbol_table_clear(t);
	return rc;
}

void
symbol_table_learned(struct symbol_table *t, const struct symbol_def *learned, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct symbol_def *d = (struct symbol_def *)symbol_find(t, learned[i].name);
		if (d != NULL)
			d->score = learned[i].score;
	}
}

void
symbol_table_clear(struct symbol_table *t)
{
	free(t->defs);
	t->defs = NULL;
	t->ndefs = 0;
}

const struct symbol_def *
symbol_find(const struct symbol_table *t, const char *name)
{
	struct symbol_def key = { .name = name };

	return bsearch(&key, t->defs, t->ndefs, sizeof(*t->defs), symbol_cmp);
}
