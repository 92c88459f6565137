/* mailgate eval --train LIST --test LIST [--json] [-j N]: trains a new
 * Bayes store and model in a temporary directory on the first list (as
 * mailgate train does), scans every message of the second with the full
 * engine (network checks off) on N threads, and prints per corpus and
 * overall: spam caught, ham misjudged (action other than accept at the
 * tag threshold), phishing caught, ROC AUC of the final scores, and the
 * scan phase's messages per second. The columns are those of
 * bench/peers/, so the figures compare line by line. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli_files.h"
#include "cli/cli_train.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "learn/bayes.h"
#include "learn/model_train.h"

#define EVAL_MAX_THREADS	64

struct eval_msg {
	double		 score;
	bool		 caught;	/* action other than accept */
	bool		 scanned;
};

struct eval_run {
	const struct train_list *l;
	struct mg_engine *e;
	struct eval_msg	*res;
	atomic_size_t	 next;
};

struct eval_row {
	const char	*corpus;
	size_t		 n[3], caught[3];	/* by enum train_label */
	double		 auc;			/* NAN with one class only */
	double		 msgs_per_s;		/* overall row only, else NAN */
};

static void *
eval_worker(void *arg)
{
	struct eval_run *r = arg;
	struct mg_envelope env = { 0 };		/* as in training */
	size_t i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->l->n) {
		struct mg_result res;
		struct cli_file f;
		char why[256];

		if (cli_file_map(r->l->items[i].path, &f, why, sizeof(why)) < 0) {
			fprintf(stderr, "mailgate eval: %s: %s (skipped)\n", r->l->items[i].path, why);
			continue;
		}
		if (mg_scan(r->e, &env, f.data, f.len, &res) == 0) {
			r->res[i] = (struct eval_msg){ res.score,
				res.verdict_action != MG_VERDICT_ACCEPT, true };
			mg_result_clear(&res);
		}
		cli_file_unmap(&f);
	}
	return NULL;
}

/* Scans the list on nthreads threads; the scan phase's wall seconds. */
static double
eval_scan(struct eval_run *r, unsigned nthreads)
{
	pthread_t tids[EVAL_MAX_THREADS];
	unsigned started = 0;
	double t = mg_clock_seconds();

	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, eval_worker, r) == 0)
			started++;
	if (started == 0)
		eval_worker(r);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return mg_clock_seconds() - t;
}

/* The row of corpus c, or of every corpus when c is ncorpora. */
static int
eval_row(const struct eval_run *r, size_t c, struct eval_row *row)
{
	const struct train_list *l = r->l;
	double *score = malloc(l->n * sizeof(*score));
	bool *pos = malloc(l->n * sizeof(*pos));
	size_t k = 0;

	memset(row, 0, sizeof(*row));
	row->corpus = c < l->ncorpora ? l->corpora[c] : "overall";
	row->msgs_per_s = NAN;
	if (score == NULL || pos == NULL) {
		free(score);
		free(pos);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct train_item *it = &l->items[i];
		if ((c < l->ncorpora && it->corpus != c) || !r->res[i].scanned)
			continue;
		row->n[it->label]++;
		row->caught[it->label] += r->res[i].caught;
		score[k] = r->res[i].score;
		pos[k++] = it->label != LABEL_HAM;
	}
	row->auc = row->n[LABEL_HAM] > 0 && k > row->n[LABEL_HAM] ? model_auc(score, pos, k) : NAN;
	free(score);
	free(pos);
	return 0;
}

static double
pct(size_t part, size_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : NAN;
}

/* A number, or "-" when it has no meaning (NAN). */
static void
print_num(int decimals, int width, double v)
{
	char b[32];

	if (isnan(v))
		snprintf(b, sizeof(b), "-");
	else
		snprintf(b, sizeof(b), "%.*f", decimals, v);
	printf(" %*s", width, b);
}

static void
print_row(const struct eval_row *w)
{
	printf("%-16s %7zu %7zu %7zu", w->corpus, w->n[LABEL_HAM], w->n[LABEL_SPAM],
	    w->n[LABEL_PHISH]);
	print_num(2, 15, pct(w->caught[LABEL_SPAM], w->n[LABEL_SPAM]));
	print_num(3, 10, pct(w->caught[LABEL_HAM], w->n[LABEL_HAM]));
	print_num(2, 16, pct(w->caught[LABEL_PHISH], w->n[LABEL_PHISH]));
	print_num(5, 8, w->auc);
	print_num(1, 10, w->msgs_per_s);
	putchar('\n');
}

static json_t *
json_num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *
row_json(const struct eval_row *w)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "corpus", w->corpus,
	    "n_ham", (json_int_t)w->n[LABEL_HAM], "n_spam", (json_int_t)w->n[LABEL_SPAM],
	    "n_phish", (json_int_t)w->n[LABEL_PHISH],
	    "spam_caught_pct", json_num(pct(w->caught[LABEL_SPAM], w->n[LABEL_SPAM])),
	    "ham_fp_pct", json_num(pct(w->caught[LABEL_HAM], w->n[LABEL_HAM])),
	    "phish_caught_pct", json_num(pct(w->caught[LABEL_PHISH], w->n[LABEL_PHISH])),
	    "auc", json_num(w->auc), "msgs_per_s", json_num(w->msgs_per_s));
}

struct eval_memory {
	double		 model_mib;	/* the model's weights in memory */
	double		 bayes_mib;	/* the Bayes store file */
	double		 max_rss_mib;	/* of this process */
};

/* The table (or JSON) of every corpus and the overall row. */
static int
eval_report(const struct eval_run *r, double seconds, unsigned threads, bool json,
    const struct eval_memory *mem)
{
	size_t nrows = r->l->ncorpora + 1, scanned = 0;
	struct eval_row *rows = calloc(nrows, sizeof(*rows));
	json_t *a, *doc;

	if (rows == NULL)
		return -1;
	for (size_t c = 0; c < nrows; c++)
		if (eval_row(r, c, &rows[c]) < 0) {
			free(rows);
			return -1;
		}
	for (size_t i = 0; i < r->l->n; i++)
		scanned += r->res[i].scanned;
	rows[nrows - 1].msgs_per_s = seconds > 0 ? (double)scanned / seconds : NAN;
	if (!json) {
		printf("%-16s %7s %7s %7s %15s %10s %16s %8s %10s\n", "corpus", "n_ham", "n_spam",
		    "n_phish", "spam_caught_pct", "ham_fp_pct", "phish_caught_pct", "auc",
		    "msgs_per_s");
		for (size_t c = 0; c < nrows; c++)
			print_row(&rows[c]);
	} else {
		a = json_array();
		for (size_t c = 0; c < nrows; c++)
			json_array_append_new(a, row_json(&rows[c]));
		doc = json_pack("{s:o,s:{s:I,s:f,s:I},s:{s:f,s:f,s:f}}", "rows", a,
		    "scan", "messages", (json_int_t)scanned, "seconds", seconds, "threads",
		    (json_int_t)threads, "memory_mib", "model", mem->model_mib, "bayes",
		    mem->bayes_mib, "max_rss", mem->max_rss_mib);
		json_dumpf(doc, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8) |
		    JSON_INDENT(1));
		json_decref(doc);
		putchar('\n');
	}
	fprintf(stderr, "mailgate eval: %zu messages scanned in %.2f s on %u threads; memory: "
	    "model %.1f MiB, Bayes store %.1f MiB, peak RSS %.1f MiB\n", scanned, seconds,
	    threads, mem->model_mib, mem->bayes_mib, mem->max_rss_mib);
	free(rows);
	return 0;
}

static void
eval_memory(const struct model *m, const char *bayes_path, struct eval_memory *mem)
{
	struct rusage ru;
	struct bayes_stats bs = { 0 };
	struct bayes *b;
	char err[256];

	mem->model_mib = ((double)((size_t)1 << m->fp.bits) * sizeof(float) +
	    (double)m->nsyms * sizeof(*m->syms)) / (1024.0 * 1024.0);
	if (bayes_path != NULL &&
	    (b = bayes_open(bayes_path, false, NULL, err, sizeof(err))) != NULL) {
		bayes_stats(b, &bs);
		bayes_close(b);
	}
	mem->bayes_mib = (double)bs.file_size / (1024.0 * 1024.0);
	getrusage(RUSAGE_SELF, &ru);
	mem->max_rss_mib = (double)ru.ru_maxrss / 1024.0;
}

struct eval_paths {
	char		 dir[64], model[128], bayes[128];
};

static int
eval_tmpdir(struct eval_paths *p)
{
	snprintf(p->dir, sizeof(p->dir), "%s", "/tmp/mailgate-eval.XXXXXX");
	if (mkdtemp(p->dir) == NULL) {
		perror("mailgate eval: mkdtemp");
		return -1;
	}
	snprintf(p->model, sizeof(p->model), "%s/model.bin", p->dir);
	snprintf(p->bayes, sizeof(p->bayes), "%s/bayes.db", p->dir);
	return 0;
}

static void
eval_tmpdir_remove(const struct eval_paths *p)
{
	unlink(p->model);
	if (p->bayes[0] != '\0')
		unlink(p->bayes);
	if (rmdir(p->dir) == -1)
		fprintf(stderr, "mailgate eval: %s left behind\n", p->dir);
}

/* Trains into the temporary directory, then scans the test list. */
static int
eval_run(const struct train_list *train, const struct train_list *test,
    const struct model_train_params *p, const struct eval_paths *paths, unsigned threads,
    bool json)
{
	const char *bayes = paths->bayes[0] != '\0' ? paths->bayes : NULL;
	struct eval_run r = { .l = test };
	struct model_train_report rep;
	struct train_stats st;
	struct eval_memory mem;
	struct mg_conf *conf = NULL;
	struct mg_error err;
	struct model *m;
	char why[1024];
	double seconds;
	int rc = -1;

	if (train_run(train, p, bayes, &m, &rep, &st) < 0)
		return -1;
	train_print(m, &rep, &st);
	if (model_save(m, paths->model, why, sizeof(why)) < 0) {
		fprintf(stderr, "mailgate eval: %s\n", why);
		goto out;
	}
	if ((conf = train_conf(bayes)) == NULL)	/* the reason is printed */
		goto out;
	if ((conf->engine.model.path = strdup(paths->model)) == NULL ||
	    (r.res = calloc(test->n, sizeof(*r.res))) == NULL) {
		fprintf(stderr, "mailgate eval: out of memory\n");
		goto out;
	}
	if ((r.e = mg_engine_open(conf, &err)) == NULL) {
		fprintf(stderr, "mailgate eval: %s\n", err.text);
		goto out;
	}
	seconds = eval_scan(&r, threads);
	mg_engine_close(r.e);
	eval_memory(m, bayes, &mem);
	rc = eval_report(&r, seconds, threads, json, &mem);
out:
	free(r.res);
	conf_free(conf);
	model_free(m);
	return rc;
}

static int
eval_usage(void)
{
	fprintf(stderr, "usage: mailgate eval --train LIST.tsv --test LIST.tsv [--json] [-j N] "
	    "[--no-bayes] "
	    "%s\n", TRAIN_PARAM_USAGE);
	return 2;
}

int
cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "train", required_argument, NULL, 't' },
		{ "test", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'J' },
		{ "no-bayes", no_argument, NULL, 'B' },
		TRAIN_PARAM_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *train_path = NULL, *test_path = NULL;
	struct train_list train = { 0 }, test = { 0 };
	struct model_train_params p;
	struct eval_paths paths;
	unsigned long threads = 2;
	bool json = false, bayes = true;
	char err[1024], *end;
	int ch, rc;

	model_train_defaults(&p);
	optind = 0;	/* GNU getopt: start again, options after operands too */
	while ((ch = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
		switch (ch) {
		case 't': train_path = optarg; break;
		case 'T': test_path = optarg; break;
		case 'J': json = true; break;
		case 'B': bayes = false; break;
		case 'j':
			threads = strtoul(optarg, &end, 10);
			if (*end != '\0' || threads < 1 || threads > EVAL_MAX_THREADS)
				return eval_usage();
			break;
		default:
			if ((rc = train_param_option(ch, optarg, &p)) <= 0)
				return rc < 0 ? 2 : eval_usage();
		}
	}
	if (train_path == NULL || test_path == NULL || optind != argc)
		return eval_usage();
	if (train_list_load(train_path, &train, err, sizeof(err)) < 0 ||
	    train_list_load(test_path, &test, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailgate eval: %s\n", err);
		train_list_free(&train);
		return 1;
	}
	rc = eval_tmpdir(&paths);
	if (rc == 0) {
		if (!bayes)
			paths.bayes[0] = '\0';
		rc = eval_run(&train, &test, &p, &paths, (unsigned)threads, json);
		eval_tmpdir_remove(&paths);
	}
	train_list_free(&train);
	train_list_free(&test);
	return rc < 0 ? 1 : 0;
}
