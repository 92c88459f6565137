/* A check: a module that reads the parsed message of a task and adds
 * symbols (mg_task_symbol). Registered as one row of the table in
 * checks.c, run in table order. init runs once per engine open and may
 * keep read-only state shared by every scanning thread; scan must be
 * thread-safe and return 0 or -MG_E* (an error, or -MG_ETIMEOUT after
 * mg_task_expired, adds <NAME>_FAIL and the pipeline goes on). */
#ifndef MG_ENGINE_CHECK_H
#define MG_ENGINE_CHECK_H

#include "core/conf.h"
#include "engine/task.h"

struct mg_check {
	const char	*name;		/* lower case; "gtube" fails as GTUBE_FAIL */
	/* May be NULL. 0, or -MG_E* with the reason in err (the engine
	 * reports "check NAME: reason": a bad rule file names FILE:LINE). */
	int		(*init)(const struct mg_conf *, void **state, char *err, size_t errlen);
	int		(*scan)(void *state, struct mg_task *);
	void		(*fini)(void *state);				/* may be NULL */
	/* May be NULL. Symbols the check defines at init (the rule files'
	 * symbols): added to the engine's table before engine.scores
	 * overrides apply. The array lives as long as state. */
	const struct symbol_def *(*symbols)(void *state, size_t *n);
	/* May be NULL. Learned scores (the trained model's weights of other
	 * checks' symbols): override the score of symbols defined by then;
	 * engine.scores in the configuration still wins. Unknown names are
	 * ignored (a rule removed since training). */
	const struct symbol_def *(*scores)(void *state, size_t *n);
	/* May be NULL. Called after the verdict of every scanned message
	 * (sender reputation learns from it); must be thread-safe. */
	void		(*verdict)(void *state, const struct mg_task *, const struct mg_result *);
};

/* One row of a check's own symbol table: category and least action by
 * their short names (PHISHING, QUARANTINE). */
#define CHECK_SYMBOL(name, score, cat, force, desc) \
	{ name, score, MG_CAT_##cat, MG_VERDICT_##force, desc }

/* Defines fn, the .symbols hook of a check whose table is a static array. */
#define CHECK_SYMBOLS_HOOK(fn, table)						\
static const struct symbol_def *						\
fn(void *state, size_t *n)							\
{										\
	(void)state;								\
	*n = sizeof(table) / sizeof((table)[0]);				\
	return table;								\
}

/* checks.c: the registered checks, in the order they run. */
extern const struct mg_check *const check_table[];
extern const size_t check_count;

/* mg_engine_open with another table of checks (tests use it to run checks
 * that fail or overrun their deadline). */
struct mg_engine *engine_open_checks(const struct mg_conf *, const struct mg_check *const *,
	    size_t n, struct mg_error *);

#endif
