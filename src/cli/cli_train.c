/* Training shared by train and eval (cli_train.h). The engine runs with
 * one more check at the end of the table, the collector, which sees each
 * task as the model check would: it copies the hashed features and the
 * other checks' symbols (with the factor each fired with), then learns the
 * message into the Bayes store, so that the Bayes symbols of every message
 * were computed before the store knew it. Messages run one at a time, in
 * time order, which keeps the result identical from run to run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli_files.h"
#include "cli/cli_train.h"
#include "core/clock.h"
#include "core/err.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "engine/symbol.h"
#include "engine/task.h"
#include "learn/bayes.h"
#include "learn/features.h"

#define TRAIN_CORPORA_MAX	256
#define TRAIN_LINE_MAX		8192
#define TRAIN_NAMES_MAX		65536	/* distinct symbol names */
#define FACTOR_MAX		10.0

/* What the run keeps of each message. */
struct train_run {
	const struct model_train_params *p;
	struct bayes	*bayes;		/* writable; NULL without Bayes */
	struct model_example *ex;	/* one per item, in run order */
	struct model_symname *names;	/* symbols by id (names owned) */
	size_t		 nnames;
	size_t		 learned;
	bool		 said_bayes;
};

/* The collector finds its message from the task's envelope, which is the
 * first member of the sample. */
struct train_sample {
	struct mg_envelope env;
	struct train_run *run;
	struct model_example *ex;
	bool		 unwanted;
	bool		 collected;
};

static int
list_corpus(struct train_list *l, const char *name)
{
	char **n;

	for (size_t i = 0; i < l->ncorpora; i++)
		if (strcmp(l->corpora[i], name) == 0)
			return (int)i;
	if (l->ncorpora == TRAIN_CORPORA_MAX ||
	    (n = realloc(l->corpora, (l->ncorpora + 1) * sizeof(*n))) == NULL)
		return -1;
	l->corpora = n;
	if ((n[l->ncorpora] = strdup(name)) == NULL)
		return -1;
	return (int)l->ncorpora++;
}

/* One "path TAB label TAB corpus" line into the list. */
static const char *
list_line(struct train_list *l, char *line)
{
	char *label = strchr(line, '\t'), *corpus;
	struct train_item *it;
	int c;

	if (label == NULL || (corpus = strchr(label + 1, '\t')) == NULL)
		return "want path<TAB>label<TAB>corpus";
	*label++ = '\0';
	*corpus++ = '\0';
	corpus[strcspn(corpus, "\t\r\n")] = '\0';
	if (*line == '\0' || *corpus == '\0')
		return "empty path or corpus";
	if (l->n == TRAIN_LIST_MAX)
		return "too many messages";
	if ((l->n & (l->n - 1)) == 0) {
		struct train_item *n = realloc(l->items, (l->n ? 2 * l->n : 1) * sizeof(*n));
		if (n == NULL)
			return "out of memory";
		l->items = n;
	}
	it = &l->items[l->n];
	if (strcmp(label, "ham") == 0)
		it->label = LABEL_HAM;
	else if (strcmp(label, "spam") == 0)
		it->label = LABEL_SPAM;
	else if (strcmp(label, "phish") == 0)
		it->label = LABEL_PHISH;
	else
		return "label must be ham, spam or phish";
	if ((c = list_corpus(l, corpus)) < 0)
		return "too many corpora or out of memory";
	if ((it->path = strdup(line)) == NULL)
		return "out of memory";
	it->corpus = (uint32_t)c;
	l->n++;
	return NULL;
}

int
train_list_load(const char *path, struct train_list *l, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[TRAIN_LINE_MAX];
	const char *why = NULL;
	int lineno = 0;

	memset(l, 0, sizeof(*l));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (why == NULL && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			why = "line too long";
		else if (line[0] != '\n' && line[0] != '#')
			why = list_line(l, line);
	}
	fclose(f);
	if (why == NULL && l->n == 0)
		why = "no messages";
	if (why != NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
		train_list_free(l);
		return -1;
	}
	return 0;
}

void
train_list_free(struct train_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	for (size_t i = 0; i < l->ncorpora; i++)
		free(l->corpora[i]);
	free(l->items);
	free(l->corpora);
	memset(l, 0, sizeof(*l));
}

struct mg_conf *
train_conf(const char *bayes_path)
{
	const char *path = getenv("MAILGATE_CONF");	/* mailgate -c FILE train */
	struct mg_conf *c;
	char err[1024];

	if (path != NULL) {
		if ((c = conf_load(path, err, sizeof(err))) == NULL) {
			fprintf(stderr, "mailgate: %s\n", err);
			return NULL;
		}
	} else if ((c = calloc(1, sizeof(*c))) != NULL) {
		conf_engine_defaults(&c->engine);
	} else {
		fprintf(stderr, "mailgate: out of memory\n");
		return NULL;
	}
	c->engine.network = false;
	conf_model_free(&c->engine.model);
	free(c->engine.bayes.path);
	c->engine.bayes.path = NULL;
	if (bayes_path != NULL && (c->engine.bayes.path = strdup(bayes_path)) == NULL) {
		fprintf(stderr, "mailgate: out of memory\n");
		return conf_free(c);
	}
	return c;
}

static int
parse_double(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || *end != '\0' || end == arg || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* TRAIN_PARAM_OPTIONS in order: name and range. */
static const struct {
	const char	*name;
	double		 lo, hi;
} param_range[] = {
	{ "seed", 0, 4294967295.0 }, { "epochs", 1, 100 },
	{ "bits", FEAT_BITS_MIN, FEAT_BITS_MAX }, { "alpha", 1e-6, 100 }, { "l1", 0, 1e6 },
	{ "l2", 0, 1e6 }, { "min-symbol-count", 1, 1e9 }, { "ham-weight", 1e-3, 1e3 },
	{ "fp-goal", 0, 1 }, { "char-bytes", 0, FEAT_CHAR_MAX },
};

int
train_param_option(int ch, const char *arg, struct model_train_params *p)
{
	double v;

	if (ch < 1000 || ch >= 1000 + (int)(sizeof(param_range) / sizeof(param_range[0])))
		return 0;
	if (parse_double(arg, param_range[ch - 1000].lo, param_range[ch - 1000].hi, &v) < 0) {
		fprintf(stderr, "mailgate: --%s %s: not a number in [%g, %g]\n",
		    param_range[ch - 1000].name, arg, param_range[ch - 1000].lo,
		    param_range[ch - 1000].hi);
		return -1;
	}
	switch (ch) {
	case 1000: p->seed = (uint64_t)v; break;
	case 1001: p->epochs = (unsigned)v; break;
	case 1002: p->fp.bits = (uint32_t)v; break;
	case 1003: p->alpha = v; break;
	case 1004: p->l1 = v; break;
	case 1005: p->l2 = v; break;
	case 1006: p->min_symbol_count = (unsigned)v; break;
	case 1007: p->ham_weight = v; break;
	case 1008: p->fp_goal = v; break;
	default: p->fp.char_bytes = (uint32_t)v; break;
	}
	return 1;
}

/* The id of a symbol, added when new with the sign of its configured
 * score; -1 when out of room. */
static int64_t
name_id(struct train_run *r, const struct mg_task *t, const char *name)
{
	const struct symbol_def *d;
	struct model_symname *n;

	for (size_t i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i].name, name) == 0)
			return (int64_t)i;
	if (r->nnames == TRAIN_NAMES_MAX ||
	    (n = realloc(r->names, (r->nnames + 1) * sizeof(*n))) == NULL)
		return -1;
	r->names = n;
	d = symbol_find(t->symtab, name);
	n[r->nnames].sign = d == NULL ? 0 : d->score > 0 ? 1 : d->score < 0 ? -1 : 0;
	if ((n[r->nnames].name = strdup(name)) == NULL)
		return -1;
	return (int64_t)r->nnames++;
}

/* The factor a symbol fired with: its score over its configured one. */
static float
symbol_factor(const struct mg_task *t, const struct task_symbol *s)
{
	const struct symbol_def *d = symbol_find(t->symtab, s->name);
	double f = d != NULL && d->score != 0.0 ? s->score / d->score : 1.0;

	return (float)(f > FACTOR_MAX ? FACTOR_MAX : f < -FACTOR_MAX ? -FACTOR_MAX : f);
}

/* Failures and timeouts depend on the machine, not on the message: they
 * are not features (and would make training runs differ). */
static bool
symbol_is_feature(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, "MODEL_", 6) != 0 && strcmp(name, "TASK_TIMEOUT") != 0 &&
	    !(n > 5 && strcmp(name + n - 5, "_FAIL") == 0);
}

static int
collect_symbols(struct train_run *r, const struct mg_task *t, struct model_example *e)
{
	struct model_symval *s = calloc(t->nsymbols ? t->nsymbols : 1, sizeof(*s));

	if (s == NULL)
		return -MG_ENOMEM;
	e->s = s;
	for (size_t i = 0; i < t->nsymbols; i++) {
		int64_t id;
		if (!symbol_is_feature(t->symbols[i].name))
			continue;
		if ((id = name_id(r, t, t->symbols[i].name)) < 0)
			return -MG_ENOMEM;
		s[e->ns++] = (struct model_symval){ (uint32_t)id, symbol_factor(t, &t->symbols[i]) };
	}
	return 0;
}

static void
collect_learn(struct train_run *r, const struct mg_task *t, bool unwanted)
{
	int rc;

	if (r->bayes == NULL)
		return;
	if ((rc = bayes_learn(r->bayes, t->msg, unwanted, false)) == 0)
		r->learned++;
	else if (rc != -MG_EEXIST && !r->said_bayes) {
		fprintf(stderr, "mailgate: bayes learn: %s (later failures not shown)\n",
		    mg_strerror(rc));
		r->said_bayes = true;
	}
}

/* The collector: the last check of the training engine. */
static int
collect_scan(void *state, struct mg_task *t)
{
	struct train_sample *smp = (struct train_sample *)t->env;
	struct train_run *r = smp->run;
	struct model_example *e = smp->ex;
	struct feat_vec x;
	struct feat *f;
	int rc;

	(void)state;
	if ((rc = features_extract(&r->p->fp, t->msg, t->arena, &x)) < 0)
		return rc;
	if ((f = malloc((x.n ? x.n : 1) * sizeof(*f))) == NULL)
		return -MG_ENOMEM;
	memcpy(f, x.f, x.n * sizeof(*f));
	e->f = f;
	e->nf = x.n;
	if ((rc = collect_symbols(r, t, e)) < 0)
		return rc;
	collect_learn(r, t, smp->unwanted);
	smp->collected = true;
	return 0;
}

static const struct mg_check check_collect = { .name = "train_collect", .scan = collect_scan };

struct ordered {
	double		 at;		/* position within its corpus, 0..1 */
	uint32_t	 corpus;
	size_t		 item;
};

static int
cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->corpus != y->corpus)
		return x->corpus < y->corpus ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

/* The items with the corpora interleaved as if they had arrived side by
 * side over the same period: each by its relative position in its own
 * corpus. NULL when out of memory. */
static struct ordered *
time_order(const struct train_list *l)
{
	struct ordered *o = malloc(l->n * sizeof(*o));
	size_t *size = calloc(l->ncorpora, sizeof(*size)), *seen = calloc(l->ncorpora, sizeof(*seen));

	if (o != NULL && size != NULL && seen != NULL) {
		for (size_t i = 0; i < l->n; i++)
			size[l->items[i].corpus]++;
		for (size_t i = 0; i < l->n; i++) {
			uint32_t c = l->items[i].corpus;
			o[i] = (struct ordered){ ((double)seen[c]++ + 0.5) / (double)size[c], c, i };
		}
		qsort(o, l->n, sizeof(*o), cmp_ordered);
	} else {
		free(o);
		o = NULL;
	}
	free(size);
	free(seen);
	return o;
}

/* Scans every item in order through an engine whose last check is the
 * collector; smp[i] belongs to the i-th item in that order. */
static int
train_scan(const struct mg_conf *conf, const struct train_list *l, const struct ordered *o,
    struct train_sample *smp, struct train_stats *st)
{
	const struct mg_check **table = calloc(check_count + 1, sizeof(*table));
	struct mg_engine *e;
	struct mg_error err;

	if (table == NULL)
		return -1;
	memcpy(table, check_table, check_count * sizeof(*table));
	table[check_count] = &check_collect;
	if ((e = engine_open_checks(conf, table, check_count + 1, &err)) == NULL) {
		fprintf(stderr, "mailgate: %s\n", err.text);
		free(table);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct train_item *it = &l->items[o[i].item];
		struct mg_result res;
		struct cli_file f;
		char why[256];

		if (cli_file_map(it->path, &f, why, sizeof(why)) < 0) {
			fprintf(stderr, "mailgate: %s: %s (skipped)\n", it->path, why);
			continue;
		}
		if (mg_scan(e, &smp[i].env, f.data, f.len, &res) == 0)
			mg_result_clear(&res);
		cli_file_unmap(&f);
		st->scanned++;
	}
	mg_engine_close(e);
	free(table);
	return 0;
}

/* The collected examples, in run order, without the skipped messages. */
static struct model_example *
train_examples(struct train_sample *smp, size_t n, size_t *nex)
{
	struct model_example *ex = malloc((n ? n : 1) * sizeof(*ex));

	*nex = 0;
	for (size_t i = 0; ex != NULL && i < n; i++)
		if (smp[i].collected)
			ex[(*nex)++] = *smp[i].ex;
	return ex;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The Bayes store, new (it must learn every message after its scan). */
static int
train_bayes_open(const char *path, const struct mg_conf *conf, struct bayes **out)
{
	char err[1024];

	*out = NULL;
	if (path == NULL)
		return 0;
	if (path_exists(path)) {
		fprintf(stderr, "mailgate: %s exists: training builds a new Bayes store (remove "
		    "it or name another)\n", path);
		return -1;
	}
	if ((*out = bayes_open(path, true, &conf->engine.bayes, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailgate: %s\n", err);
		return -1;
	}
	return 0;
}

int
train_run(const struct train_list *l, const struct model_train_params *p,
    const char *bayes_path, struct model **out, struct model_train_report *rep,
    struct train_stats *st)
{
	struct train_run r = { .p = p };
	struct mg_conf *conf = NULL;
	struct ordered *o = time_order(l);
	struct train_sample *smp = calloc(l->n, sizeof(*smp));
	struct model_example *ex = calloc(l->n, sizeof(*ex)), *kept = NULL;
	size_t nkept = 0;
	double t;
	char err[512];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	*out = NULL;
	if (o == NULL || smp == NULL || ex == NULL) {
		fprintf(stderr, "mailgate: out of memory\n");
		goto out;
	}
	if ((conf = train_conf(bayes_path)) == NULL || train_bayes_open(bayes_path, conf, &r.bayes) < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct train_item *it = &l->items[o[i].item];
		smp[i] = (struct train_sample){ .run = &r, .ex = &ex[i],
			.unwanted = it->label != LABEL_HAM };
		ex[i] = (struct model_example){ .spam = it->label != LABEL_HAM,
			.group = it->corpus };
	}
	t = mg_clock_seconds();
	if (train_scan(conf, l, o, smp, st) < 0)
		goto out;
	st->scan_seconds = mg_clock_seconds() - t;
	st->bayes_learned = r.learned;
	if ((kept = train_examples(smp, l->n, &nkept)) == NULL) {
		fprintf(stderr, "mailgate: out of memory\n");
		goto out;
	}
	st->skipped = l->n - nkept;
	t = mg_clock_seconds();
	if (model_train(p, kept, nkept, r.names, r.nnames, out, rep, err, sizeof(err)) < 0)
		fprintf(stderr, "mailgate: training: %s\n", err);
	else
		rc = 0;
	st->train_seconds = mg_clock_seconds() - t;
out:
	bayes_close(r.bayes);
	conf_free(conf);
	for (size_t i = 0; ex != NULL && i < l->n; i++) {
		free((void *)ex[i].f);
		free((void *)ex[i].s);
	}
	for (size_t i = 0; i < r.nnames; i++)
		free((char *)r.names[i].name);
	free(r.names);
	free(kept);
	free(ex);
	free(smp);
	free(o);
	return rc;
}

void
train_print(const struct model *m, const struct model_train_report *rep,
    const struct train_stats *st)
{
	fprintf(stderr, "mailgate train: %zu messages scanned in %.1f s (%zu skipped), %zu "
	    "learned by Bayes; model trained in %.1f s\n", st->scanned, st->scan_seconds,
	    st->skipped, st->bayes_learned, st->train_seconds);
	fprintf(stderr, "mailgate train: 2^%u buckets, %zu non-zero weights, %zu learned "
	    "symbols, bias %.3f\n", m->fp.bits, rep->nonzero, m->nsyms, m->bias);
	fprintf(stderr, "mailgate train: held-out %zu (%zu ham): AUC %.5f, unwanted caught "
	    "%.2f%%, ham misjudged %.3f%% at t0 %.3f; k %.3f\n", rep->nvalid, rep->nvalid_ham,
	    rep->valid_auc, 100.0 * rep->valid_caught, 100.0 * rep->valid_fp, m->t0, m->k);
}
