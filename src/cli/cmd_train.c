/* mailgate train --train LIST [--out FILE] [--bayes PATH]: runs the engine
 * over the messages of LIST (bench/corpus_split.py's train.tsv) with
 * network checks off, learns them into a new Bayes store as it goes, and
 * writes the trained model (models/RECIPE.md). The same list and options
 * give the same file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_train.h"
#include "learn/model.h"

static int
train_usage(void)
{
	fprintf(stderr, "usage: mailgate train --train LIST.tsv [--out FILE] [--bayes PATH] "
	    "%s\n", TRAIN_PARAM_USAGE);
	return 2;
}

int
cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "train", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "bayes", required_argument, NULL, 'b' },
		TRAIN_PARAM_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *list_path = NULL, *out = "models/model.bin", *bayes = NULL;
	struct model_train_params p;
	struct model_train_report rep;
	struct train_stats st;
	struct train_list l;
	struct model *m;
	char err[1024];
	int ch, rc;

	model_train_defaults(&p);
	optind = 0;	/* GNU getopt: start again, options after operands too */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': list_path = optarg; break;
		case 'o': out = optarg; break;
		case 'b': bayes = optarg; break;
		default:
			if ((rc = train_param_option(ch, optarg, &p)) <= 0)
				return rc < 0 ? 2 : train_usage();
		}
	}
	if (list_path == NULL || optind != argc)
		return train_usage();
	if (train_list_load(list_path, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate train: %s\n", err);
		return 1;
	}
	rc = train_run(&l, &p, bayes, &m, &rep, &st);
	train_list_free(&l);
	if (rc < 0)
		return 1;
	train_print(m, &rep, &st);
	if (model_save(m, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate train: %s\n", err);
		rc = -1;
	}
	model_free(m);
	return rc < 0 ? 1 : 0;
}
