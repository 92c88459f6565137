/* Training shared by `mailgate train` and `mailgate eval`: the message
 * lists of bench/corpus_split.py, the engine run over them with network
 * checks off and the Bayes store learned test-then-train, and the model
 * trained from what the checks saw (docs/accuracy.md). */
#ifndef MG_CLI_CLI_TRAIN_H
#define MG_CLI_CLI_TRAIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "learn/model.h"
#include "learn/model_train.h"

/* The commands (the lead wires them into main.c): argv[0] is "train" or
 * "eval"; 0, 1 (error) or 2 (usage). */
int	cmd_train(int argc, char **argv);
int	cmd_eval(int argc, char **argv);

enum train_label { LABEL_HAM, LABEL_SPAM, LABEL_PHISH };

struct train_item {
	char		*path;
	enum train_label label;
	uint32_t	 corpus;	/* index into train_list.corpora */
};

/* path<TAB>label<TAB>corpus lines; items of one corpus in time order. */
struct train_list {
	struct train_item *items;
	size_t		 n;
	char		**corpora;
	size_t		 ncorpora;
};

#define TRAIN_LIST_MAX	1000000		/* messages in one list */

/* 0, or -1 with "PATH:LINE: reason" in err. */
int	train_list_load(const char *path, struct train_list *, char *err, size_t errlen);
void	train_list_free(struct train_list *);

/* The configuration of the engine for train and eval: -c FILE (or
 * MAILGATE_CONF) or the built-in defaults, with network checks off, the
 * model check off and the Bayes store at bayes_path (NULL: Bayes off).
 * NULL with the reason printed. */
struct mg_conf *train_conf(const char *bayes_path);

/* The options of the training parameters, in both commands' tables. */
#define TRAIN_PARAM_OPTIONS \
	{ "seed", required_argument, NULL, 1000 }, \
	{ "epochs", required_argument, NULL, 1001 }, \
	{ "bits", required_argument, NULL, 1002 }, \
	{ "alpha", required_argument, NULL, 1003 }, \
	{ "l1", required_argument, NULL, 1004 }, \
	{ "l2", required_argument, NULL, 1005 }, \
	{ "min-symbol-count", required_argument, NULL, 1006 }, \
	{ "ham-weight", required_argument, NULL, 1007 }, \
	{ "fp-goal", required_argument, NULL, 1008 }, \
	{ "char-bytes", required_argument, NULL, 1009 }
#define TRAIN_PARAM_USAGE "[--seed N] [--epochs N] [--bits N] [--alpha X] [--l1 X] " \
	"[--l2 X] [--min-symbol-count N] [--ham-weight X] [--fp-goal X] [--char-bytes N]"

/* Applies one of TRAIN_PARAM_OPTIONS: 1 when ch was one (0 when it is
 * not), -1 when the value is bad (printed). */
int	train_param_option(int ch, const char *arg, struct model_train_params *);

struct train_stats {
	size_t		 scanned, skipped;	/* messages; skipped: unreadable or unparsed */
	size_t		 bayes_learned;
	double		 scan_seconds, train_seconds;
};

/* Runs the engine of conf over list in time order (corpora interleaved),
 * learning each message into the Bayes store at bayes_path (which must not
 * exist yet; NULL = no Bayes) right after its scan, then trains. 0 with
 * *out set, or -1 with the reason printed. */
int	train_run(const struct train_list *, const struct model_train_params *,
	    const char *bayes_path, struct model **out, struct model_train_report *,
	    struct train_stats *);

/* The summary on stderr. */
void	train_print(const struct model *, const struct model_train_report *,
	    const struct train_stats *);

#endif
