/* FTRL-proximal training of the model (model_train.h), after McMahan et
 * al., "Ad Click Prediction: a View from the Trenches" (2013): per
 * coordinate z and n accumulators, weights computed lazily with L1 and L2.
 * Coordinates: the 2^bits hashed buckets, then the bias (never
 * regularised), then one per learned symbol. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "learn/model_train.h"

struct ftrl {
	const struct model_train_params *p;
	size_t		 dim;		/* hashed buckets */
	size_t		 ncoord;
	double		*z, *n;
	const int32_t	*symcoord;	/* symbol id -> coordinate, or -1 */
	const int8_t	*sign;		/* by coordinate - dim - 1: the weight's sign */
	size_t		*ci;		/* scratch: one example's coordinates, */
	double		*cx, *cw;	/* values and weights */
	size_t		 cap;
};

void
model_train_defaults(struct model_train_params *p)
{
	feat_params_default(&p->fp);
	p->alpha = 0.2;
	p->beta = 1.0;
	p->l1 = 0.1;
	p->l2 = 1.0;
	p->epochs = 5;
	p->seed = 1;
	p->min_symbol_count = 20;
	p->ham_weight = 1.0;
	p->fp_goal = 0.001;
	p->folds = 5;
	p->spread = 10.0;
}

static double
ftrl_weight(const struct ftrl *t, size_t i)
{
	double z = t->z[i], l1 = t->p->l1, l2 = t->p->l2;

	double w;

	if (i == t->dim)
		l1 = l2 = 0.0;		/* the bias */
	if (fabs(z) <= l1)
		return 0.0;
	w = -(z - copysign(l1, z)) / ((t->p->beta + sqrt(t->n[i])) / t->p->alpha + l2);
	if (i > t->dim && w * t->sign[i - t->dim - 1] < 0)
		return 0.0;	/* projected onto the symbol's sign */
	return w;
}

static double
sigmoid(double z)
{
	z = z > 35 ? 35 : z < -35 ? -35 : z;
	return 1.0 / (1.0 + exp(-z));
}

/* The example's coordinates (hashed, bias, learned symbols) and values
 * into the scratch arrays; their count, or 0 when out of memory. */
static size_t
coords_of(struct ftrl *t, const struct model_example *e)
{
	size_t nk = 0, cap = e->nf + 1 + e->ns;

	if (cap > t->cap) {
		size_t *ci = realloc(t->ci, cap * sizeof(*ci));
		double *cx = realloc(t->cx, cap * sizeof(*cx)), *cw;
		t->ci = ci ? ci : t->ci;
		t->cx = cx ? cx : t->cx;
		if (ci == NULL || cx == NULL || (cw = realloc(t->cw, cap * sizeof(*cw))) == NULL)
			return 0;
		t->cw = cw;
		t->cap = cap;
	}
	for (size_t k = 0; k < e->nf; k++, nk++) {
		t->ci[nk] = e->f[k].idx;
		t->cx[nk] = e->f[k].val;
	}
	t->ci[nk] = t->dim;
	t->cx[nk++] = 1.0;
	for (size_t k = 0; k < e->ns; k++)
		if (t->symcoord[e->s[k].id] >= 0) {
			t->ci[nk] = (size_t)t->symcoord[e->s[k].id];
			t->cx[nk++] = e->s[k].val;
		}
	return nk;
}

/* The example's logit; with update, one FTRL step on it. */
static int
ftrl_step(struct ftrl *t, const struct model_example *e, bool update, double *logit)
{
	size_t nk = coords_of(t, e);
	double s = 0.0, g;

	if (nk == 0)
		return -MG_ENOMEM;
	for (size_t k = 0; k < nk; k++) {
		t->cw[k] = ftrl_weight(t, t->ci[k]);
		s += t->cw[k] * t->cx[k];
	}
	*logit = s;
	if (!update)
		return 0;
	g = (sigmoid(s) - (e->spam ? 1.0 : 0.0)) * (e->spam ? 1.0 : t->p->ham_weight);
	for (size_t k = 0; k < nk; k++) {
		size_t i = t->ci[k];
		double gi = g * t->cx[k];
		double sigma = (sqrt(t->n[i] + gi * gi) - sqrt(t->n[i])) / t->p->alpha;
		t->z[i] += gi - sigma * t->cw[k];
		t->n[i] += gi * gi;
	}
	return 0;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The epochs over the examples whose index is in idx[0..n), each in a new
 * seeded shuffle of them. */
static int
ftrl_run(struct ftrl *t, size_t *idx, size_t n, const struct model_example *ex)
{
	uint64_t rng = t->p->seed;
	double logit;
	int rc;

	memset(t->z, 0, t->ncoord * sizeof(*t->z));
	memset(t->n, 0, t->ncoord * sizeof(*t->n));
	for (unsigned ep = 0; ep < t->p->epochs; ep++) {
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)(splitmix64(&rng) % i), tmp = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = tmp;
		}
		for (size_t i = 0; i < n; i++)
			if ((rc = ftrl_step(t, &ex[idx[i]], true, &logit)) < 0)
				return rc;
	}
	return 0;
}

static int
cmp_double_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

struct ranked {
	double		 score;
	bool		 pos;
};

static int
cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->score, y = ((const struct ranked *)b)->score;

	return x < y ? -1 : x > y ? 1 : 0;
}

double
model_auc(const double *score, const bool *positive, size_t n)
{
	struct ranked *r = malloc((n ? n : 1) * sizeof(*r));
	double npos = 0, rank_sum = 0, auc = 0.5;

	if (r == NULL)
		return auc;
	for (size_t i = 0; i < n; i++) {
		r[i] = (struct ranked){ score[i], positive[i] };
		npos += positive[i];
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && r[j].score == r[i].score)
			j++;
		for (size_t k = i; k < j; k++)	/* ties share the mean rank */
			rank_sum += r[k].pos ? (double)(i + j + 1) / 2.0 : 0.0;
		i = j;
	}
	if (npos > 0 && npos < (double)n)
		auc = (rank_sum - npos * (npos + 1) / 2) / (npos * ((double)n - npos));
	free(r);
	return auc;
}

/* fold[i]: which of p->folds contiguous time blocks of its group example
 * i is in. */
static int
assign_folds(const struct model_train_params *p, const struct model_example *ex, size_t n,
    unsigned *fold)
{
	uint32_t maxg = 0;
	size_t *size, *seen;

	for (size_t i = 0; i < n; i++)
		maxg = ex[i].group > maxg ? ex[i].group : maxg;
	size = calloc((size_t)maxg + 1, sizeof(*size));
	seen = calloc((size_t)maxg + 1, sizeof(*seen));
	if (size == NULL || seen == NULL) {
		free(size);
		free(seen);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		size[ex[i].group]++;
	for (size_t i = 0; i < n; i++) {
		size_t g = ex[i].group;
		fold[i] = (unsigned)(seen[g]++ * p->folds / size[g]);
	}
	free(size);
	free(seen);
	return 0;
}

struct named {
	const char	*name;
	uint32_t	 id;
	int8_t		 sign;
};

static int
cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* A symbol on more than this share of the examples says nothing about
 * them, only about how training ran (AUTH_UNCHECKED: network checks off);
 * learned, its weight would be missing wherever it does not fire. */
#define CONSTANT_SHARE	0.99

/* The symbols that fired on at least min_symbol_count examples (and not
 * on nearly all of them) whose names a model file can hold: coord[id] is
 * the coordinate of a selected one (dim + 1 + its rank by name) or -1,
 * byrank[j] the j-th, sign[j] its weight's sign, count[id] how often
 * each fired. */
struct symsel {
	int32_t		*coord;
	uint32_t	*count;
	struct named	*byrank;
	int8_t		*sign;
	size_t		 nsel;
};

static void
symsel_free(struct symsel *ss)
{
	free(ss->coord);
	free(ss->count);
	free(ss->byrank);
	free(ss->sign);
}

static int
select_symbols(const struct model_train_params *p, const struct model_example *ex, size_t n,
    const struct model_symname *names, size_t nnames, size_t dim, struct symsel *ss)
{
	size_t cap = nnames ? nnames : 1;

	ss->nsel = 0;
	ss->coord = malloc(cap * sizeof(*ss->coord));
	ss->count = calloc(cap, sizeof(*ss->count));
	ss->byrank = malloc(cap * sizeof(*ss->byrank));
	ss->sign = malloc(cap * sizeof(*ss->sign));
	if (ss->coord == NULL || ss->count == NULL || ss->byrank == NULL || ss->sign == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ex[i].ns; k++)
			ss->count[ex[i].s[k].id]++;
	for (size_t id = 0; id < nnames; id++) {
		ss->coord[id] = -1;
		if (ss->count[id] >= p->min_symbol_count && ss->count[id] > 0 &&
		    (double)ss->count[id] <= CONSTANT_SHARE * (double)n &&
		    model_symbol_learnable(names[id].name))
			ss->byrank[ss->nsel++] = (struct named){ names[id].name, (uint32_t)id,
				(int8_t)(names[id].sign > 0 ? 1 : names[id].sign < 0 ? -1 : 0) };
	}
	qsort(ss->byrank, ss->nsel, sizeof(*ss->byrank), cmp_named);
	if (ss->nsel > MODEL_SYMBOLS_MAX)
		ss->nsel = MODEL_SYMBOLS_MAX;
	for (size_t j = 0; j < ss->nsel; j++) {
		ss->coord[ss->byrank[j].id] = (int32_t)(dim + 1 + j);
		ss->sign[j] = ss->byrank[j].sign;
	}
	return 0;
}

#define T0_MARGIN	0.01	/* logit units between the last ham allowed and t0 */
#define TAIL_SHARE	0.05	/* of the held-out ham, fitted by the tail model */
#define TAIL_MIN	5

/* The threshold that a new ham exceeds with probability goal, from the
 * held-out ham logits h[0..n) sorted from the highest. With enough ham
 * (goal * (n + 1) >= 1) it is just above the (goal * n + 1)-th highest;
 * with less, the tail is extrapolated: the excesses of the top TAIL_SHARE
 * over the next logit, taken as exponential, give how far past it the
 * goal lies (so few ham means a cautious t0, never one at the last ham). */
static double
ham_threshold(const double *h, size_t n, double goal)
{
	size_t m = (size_t)ceil(TAIL_SHARE * (double)n), allowed = (size_t)(goal * (double)n);
	double excess = 0.0, t;

	if (n == 0)
		return 0.0;
	if (goal * (double)(n + 1) >= 1.0 || goal <= 0.0)
		return h[allowed < n ? allowed : n - 1] + T0_MARGIN;
	m = m < TAIL_MIN ? TAIL_MIN : m;
	if (m >= n)
		return h[0] + T0_MARGIN;
	for (size_t i = 0; i < m; i++)
		excess += (h[i] - h[m]) / (double)m;
	t = h[m] + excess * log((double)m / ((double)n * goal));
	return t > h[0] + T0_MARGIN ? t : h[0] + T0_MARGIN;
}
#define K_MIN		0.05
#define K_MAX		20.0

/* t0 and k from the held-out logits: t0 where a new ham has fp_goal
 * chance to be above, k so that the median unwanted message lands spread
 * points above the tag threshold. */
static int
calibrate(const struct model_train_params *p, const double *logit, const bool *spam,
    size_t n, struct model *m, struct model_train_report *rep)
{
	double *ham = malloc((n ? n : 1) * sizeof(*ham)), *unw = malloc((n ? n : 1) * sizeof(*unw));
	size_t nham = 0, nunw = 0, caught = 0, fp = 0;

	if (ham == NULL || unw == NULL) {
		free(ham);
		free(unw);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (spam[i])
			unw[nunw++] = logit[i];
		else
			ham[nham++] = logit[i];
	}
	qsort(ham, nham, sizeof(*ham), cmp_double_desc);
	qsort(unw, nunw, sizeof(*unw), cmp_double_desc);
	m->t0 = ham_threshold(ham, nham, p->fp_goal);
	m->k = 1.0;
	if (nunw > 0 && unw[nunw / 2] > m->t0)
		m->k = p->spread / (unw[nunw / 2] - m->t0);
	m->k = m->k < K_MIN ? K_MIN : m->k > K_MAX ? K_MAX : m->k;
	for (size_t i = 0; i < nunw; i++)
		caught += unw[i] >= m->t0;
	for (size_t i = 0; i < nham; i++)
		fp += ham[i] >= m->t0;
	rep->nvalid = n;
	rep->nvalid_ham = nham;
	rep->valid_caught = nunw ? (double)caught / (double)nunw : 0.0;
	rep->valid_fp = nham ? (double)fp / (double)nham : 0.0;
	rep->valid_auc = model_auc(logit, spam, n);
	free(ham);
	free(unw);
	return 0;
}

/* Forward-chaining logits: each later block scored by a model trained on
 * the blocks before it only, as a deployed model only knows the past and
 * the Bayes symbols were computed test-then-train; t0 and k from them.
 * The first half of the blocks only trains (too little history). */
static int
forward_fit(struct ftrl *t, const struct model_example *ex, size_t n, const unsigned *fold,
    size_t *idx, struct model *m, struct model_train_report *rep)
{
	double *logit = malloc((n ? n : 1) * sizeof(*logit));
	bool *spam = malloc((n ? n : 1) * sizeof(*spam));
	int rc = logit != NULL && spam != NULL ? 0 : -MG_ENOMEM;
	size_t nheld = 0;

	for (unsigned f = t->p->folds / 2; f < t->p->folds && rc == 0; f++) {
		size_t ntrain = 0;
		for (size_t i = 0; i < n; i++)
			if (fold[i] < f)
				idx[ntrain++] = i;
		if ((rc = ftrl_run(t, idx, ntrain, ex)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++)
			if (fold[i] == f) {
				spam[nheld] = ex[i].spam;
				rc = ftrl_step(t, &ex[i], false, &logit[nheld++]);
			}
	}
	if (rc == 0)
		rc = calibrate(t->p, logit, spam, nheld, m, rep);
	free(logit);
	free(spam);
	return rc;
}

/* The final weights into m. */
static void
model_fill(const struct ftrl *t, const struct symsel *ss, struct model *m)
{
	for (size_t i = 0; i < t->dim; i++)
		m->w[i] = (float)ftrl_weight(t, i);
	m->bias = ftrl_weight(t, t->dim);
	for (size_t j = 0; j < ss->nsel; j++) {
		struct model_symbol *s = &m->syms[j];
		snprintf(s->name, sizeof(s->name), "%s", ss->byrank[j].name);
		s->weight = (float)ftrl_weight(t, t->dim + 1 + j);
		s->count = ss->count[ss->byrank[j].id];
	}
	m->online_rate = t->p->alpha;
}

int
model_train(const struct model_train_params *p, const struct model_example *ex, size_t n,
    const struct model_symname *names, size_t nnames, struct model **out,
    struct model_train_report *rep, char *err, size_t errlen)
{
	struct ftrl t = { .p = p, .dim = (size_t)1 << p->fp.bits };
	struct symsel ss = { 0 };
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx)), nspam = 0;
	unsigned *fold = malloc((n ? n : 1) * sizeof(*fold));
	struct model *m = NULL;
	int rc = -MG_ENOMEM;

	*out = NULL;
	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; i < n; i++)
		nspam += ex[i].spam;
	if (nspam == 0 || nspam == n) {
		snprintf(err, errlen, "training needs both ham and unwanted (spam, phish) messages");
		rc = -MG_EINVAL;
		goto out;
	}
	if (idx == NULL || fold == NULL ||
	    select_symbols(p, ex, n, names, nnames, t.dim, &ss) < 0 ||
	    (m = model_new(&p->fp, ss.nsel)) == NULL)
		goto nomem;
	t.symcoord = ss.coord;
	t.sign = ss.sign;
	t.ncoord = t.dim + 1 + ss.nsel;
	if ((t.z = malloc(t.ncoord * sizeof(*t.z))) == NULL ||
	    (t.n = malloc(t.ncoord * sizeof(*t.n))) == NULL ||
	    assign_folds(p, ex, n, fold) < 0 || forward_fit(&t, ex, n, fold, idx, m, rep) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	if (ftrl_run(&t, idx, n, ex) < 0)
		goto nomem;
	model_fill(&t, &ss, m);
	rep->ntrain = n;
	for (size_t i = 0; i < t.dim; i++)
		rep->nonzero += m->w[i] != 0.0f;
	*out = m;
	m = NULL;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	model_free(m);
	symsel_free(&ss);
	free(t.z);
	free(t.n);
	free(t.ci);
	free(t.cx);
	free(t.cw);
	free(idx);
	free(fold);
	return rc;
}
