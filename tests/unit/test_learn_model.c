/* The trained model: FTRL on a small separable set ranks every unwanted
 * example above every ham one and learns the frequent symbols only; the
 * same examples give the same file; save and load round-trip; damaged
 * files are refused with a reason; an online step moves the score the
 * right way; ROC AUC; and the fusion: through the engine the total score
 * is k * (logit - t0) + tag, with engine.scores still winning; and the
 * engine.model configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <math.h>

#include "checks/gtube.h"
#include "checks/model.h"
#include "core/arena.h"
#include "core/conf.h"
#include "engine/check.h"
#include "engine/engine.h"
#include "learn/features.h"
#include "learn/model.h"
#include "learn/model_train.h"
#include "mime/analyze.h"
#include "mime/mime.h"
#include "test_util.h"

#define NEX	200		/* examples of the synthetic set */
#define NF	6		/* features per example */

static char dir[64];

static struct feat feats[NEX][NF];
static struct model_symval syms[NEX][3];
static struct model_example ex[NEX];
static const struct model_symname names[] = { { "RULE_SPAMMY", 1 }, { "RULE_RARE", 1 },
	{ "RULE_HAMMY", 1 } };

/* Unwanted examples use buckets 1..40, ham ones 101..140, a few shared;
 * RULE_SPAMMY fires on every unwanted one, RULE_RARE once, RULE_HAMMY (a
 * rule with a positive score) on every ham one. */
static void
make_examples(void)
{
	uint64_t s = 7;

	for (size_t i = 0; i < NEX; i++) {
		bool spam = i % 2 == 0;
		for (size_t k = 0; k < NF; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			feats[i][k] = (struct feat){ (uint32_t)((k == 0 ? 500 : spam ? 1 : 101) +
			    (s >> 33) % 40), 0.4f };
		}
		ex[i] = (struct model_example){ feats[i], NF, syms[i], 0, spam, (uint32_t)(i % 3) };
		if (spam)
			syms[i][ex[i].ns++] = (struct model_symval){ 0, 1.0f };
		if (i == 10)
			syms[i][ex[i].ns++] = (struct model_symval){ 1, 1.0f };
		if (!spam)
			syms[i][ex[i].ns++] = (struct model_symval){ 2, 1.0f };
	}
}

static void
small_params(struct model_train_params *p)
{
	model_train_defaults(p);
	p->fp.bits = 16;
	p->min_symbol_count = 5;
	p->l1 = 0.01;
}

static struct model *
train(const struct model_train_params *p, struct model_train_report *rep)
{
	struct model *m = NULL;
	char err[256];

	if (model_train(p, ex, NEX, names, 3, &m, rep, err, sizeof(err)) != 0)
		fail_msg("model_train: %s", err);
	return m;
}

static double
full_logit(const struct model *m, const struct model_example *e)
{
	struct feat_vec v = { (struct feat *)e->f, e->nf };
	double s = model_text_logit(m, &v);

	for (size_t k = 0; k < e->ns; k++) {
		const struct model_symbol *ms = model_symbol_find(m, names[e->s[k].id].name);
		s += ms != NULL ? ms->weight * e->s[k].val : 0.0;
	}
	return s;
}

static void
test_train_separable(void **state)
{
	struct model_train_params p;
	struct model_train_report rep;
	struct model *m;
	double min_spam = 1e9, max_ham = -1e9;

	(void)state;
	small_params(&p);
	m = train(&p, &rep);
	for (size_t i = 0; i < NEX; i++) {
		double z = full_logit(m, &ex[i]);
		if (ex[i].spam && z < min_spam)
			min_spam = z;
		if (!ex[i].spam && z > max_ham)
			max_ham = z;
	}
	if (min_spam <= max_ham)
		fail_msg("lowest unwanted logit %g is not above the highest ham %g", min_spam, max_ham);
	if (rep.valid_auc < 0.99)
		fail_msg("out-of-fold AUC %g, want >= 0.99", rep.valid_auc);
	/* RULE_HAMMY is learned, but its weight keeps the sign of its score */
	if (m->nsyms != 2 || strcmp(m->syms[0].name, "RULE_HAMMY") != 0 ||
	    m->syms[0].weight != 0.0f || strcmp(m->syms[1].name, "RULE_SPAMMY") != 0 ||
	    m->syms[1].weight <= 0 || m->syms[1].count != NEX / 2)
		fail_msg("learned symbols: got %zu (%s %g, %s %g), want RULE_HAMMY with weight 0 "
		    "and RULE_SPAMMY with a positive one seen %d times", m->nsyms,
		    m->nsyms > 0 ? m->syms[0].name : "-", m->nsyms > 0 ? m->syms[0].weight : 0.0,
		    m->nsyms > 1 ? m->syms[1].name : "-", m->nsyms > 1 ? m->syms[1].weight : 0.0,
		    NEX / 2);
	if (!(m->k > 0) || m->t0 >= min_spam)
		fail_msg("fusion: k %g, t0 %g (lowest unwanted logit %g)", m->k, m->t0, min_spam);
	model_free(m);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static void
write_all(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

static void
save(const struct model *m, const char *path)
{
	char err[256];

	if (model_save(m, path, err, sizeof(err)) != 0)
		fail_msg("model_save: %s", err);
}

/* The same examples and parameters give the same bytes. */
static void
test_deterministic_file(void **state)
{
	struct model_train_params p;
	struct model_train_report rep;
	char a[128], b[128], *x, *y;
	size_t lx, ly;
	struct model *m;

	(void)state;
	small_params(&p);
	snprintf(a, sizeof(a), "%s/a.bin", dir);
	snprintf(b, sizeof(b), "%s/b.bin", dir);
	m = train(&p, &rep);
	save(m, a);
	model_free(m);
	m = train(&p, &rep);
	save(m, b);
	model_free(m);
	x = read_all(a, &lx);
	y = read_all(b, &ly);
	if (lx != ly || memcmp(x, y, lx) != 0)
		fail_msg("two trainings differ: %zu and %zu bytes", lx, ly);
	free(x);
	free(y);
}

/* Names a model file cannot hold are not learned, so that training never
 * writes a file that fails to load. */
static void
test_symbol_names(void **state)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ "RULE_SPAMMY", true }, { "R2_X", true }, { "", false }, { "rule_lower", false },
		{ "RULE-DASH", false },
		{ "A23456789012345678901234567890123456789012345678901234567890123", true },
		{ "A234567890123456789012345678901234567890123456789012345678901234", false },
	};
	const struct model_symname bad[] = { { "rule_spammy", 1 }, { "RULE_RARE", 1 },
		{ "RULE_HAMMY", 1 } };
	struct model_train_params p;
	struct model_train_report rep;
	struct model *m = NULL, *back;
	char err[256], file[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (model_symbol_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("case %zu: \"%s\": got %d, want %d", i, cases[i].name,
			    !cases[i].ok, cases[i].ok);
	small_params(&p);
	if (model_train(&p, ex, NEX, bad, 3, &m, &rep, err, sizeof(err)) != 0)
		fail_msg("model_train: %s", err);
	snprintf(file, sizeof(file), "%s/names.bin", dir);
	save(m, file);
	if ((back = model_load(file, err, sizeof(err))) == NULL || back->nsyms != 1 ||
	    strcmp(back->syms[0].name, "RULE_HAMMY") != 0)
		fail_msg("got %s (%zu symbols), want a model with RULE_HAMMY only",
		    back ? "a model" : err, back ? back->nsyms : 0);
	model_free(back);
	model_free(m);
}

/* Symbols that depend on the site's history keep their configured scores:
 * REP_IP_BAD in place of the spammy rule is not learned. */
static void
test_history_symbols(void **state)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ "REP_IP_BAD", false }, { "BEC_FIRST_TIME_SENDER", false },
		{ "URL_FIRST_SEEN", false }, { "FROM_FIRST_SEEN_DOMAIN", false },
		{ "ACCOUNT_BURST", false }, { "BEC_PAYMENT_REQUEST", true },
		{ "URL_FEED_PHISHING", true }, { "rep_lower", false },
	};
	const struct model_symname hist[] = { { "REP_IP_BAD", 1 }, { "RULE_RARE", 1 },
		{ "RULE_HAMMY", 1 } };
	struct model_train_params p;
	struct model_train_report rep;
	struct model *m = NULL;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (model_symbol_learnable(cases[i].name) != cases[i].ok)
			fail_msg("case %zu: \"%s\": got %d, want %d", i, cases[i].name,
			    !cases[i].ok, cases[i].ok);
	small_params(&p);
	if (model_train(&p, ex, NEX, hist, 3, &m, &rep, err, sizeof(err)) != 0)
		fail_msg("model_train: %s", err);
	if (m->nsyms != 1 || strcmp(m->syms[0].name, "RULE_HAMMY") != 0)
		fail_msg("got %zu symbols (first %s), want RULE_HAMMY only", m->nsyms,
		    m->nsyms ? m->syms[0].name : "-");
	model_free(m);
}

static void
test_round_trip(void **state)
{
	struct model_train_params p;
	struct model_train_report rep;
	struct model *m, *l;
	char path[128], err[256];

	(void)state;
	small_params(&p);
	snprintf(path, sizeof(path), "%s/rt.bin", dir);
	m = train(&p, &rep);
	save(m, path);
	if ((l = model_load(path, err, sizeof(err))) == NULL)
		fail_msg("model_load: %s", err);
	assert_int_equal(l->fp.bits, m->fp.bits);
	assert_int_equal(l->fp.char_bytes, m->fp.char_bytes);
	assert_true(l->fp.seed == m->fp.seed);
	assert_true(l->bias == m->bias && l->k == m->k && l->t0 == m->t0);
	assert_true(l->online_rate == m->online_rate);
	assert_int_equal(l->nsyms, m->nsyms);
	for (size_t i = 0; i < m->nsyms; i++)
		if (strcmp(l->syms[i].name, m->syms[i].name) != 0 ||
		    l->syms[i].weight != m->syms[i].weight || l->syms[i].count != m->syms[i].count)
			fail_msg("symbol %zu: got %s, want %s", i, l->syms[i].name, m->syms[i].name);
	if (memcmp(l->w, m->w, ((size_t)1 << m->fp.bits) * sizeof(*m->w)) != 0)
		fail_msg("hashed weights differ after the round trip");
	model_free(m);
	model_free(l);
}

/* Damaged files: each mutation of a good file and the reason it gets. */
static void
test_damaged(void **state)
{
	static const struct {
		const char	*what;
		long		 at;	/* byte flipped; <0: cut to -at bytes */
		const char	*want;	/* in the error */
	} cases[] = {
		{ "magic", 0, "not a mailgate model file" },
		{ "version", 8, "unsupported model version" },
		{ "header", 20, "checksum mismatch" },
		{ "weights", 200, "checksum mismatch" },
		{ "cut", -40, "truncated" },
		{ "cut short", -3, "not a mailgate model file" },
		{ "empty", -1000000, "not a mailgate model file" },
	};
	struct model_train_params p;
	struct model_train_report rep;
	char good[128], bad[128], err[512], *b;
	struct model *m;
	size_t len;

	(void)state;
	small_params(&p);
	snprintf(good, sizeof(good), "%s/good.bin", dir);
	snprintf(bad, sizeof(bad), "%s/bad.bin", dir);
	m = train(&p, &rep);
	save(m, good);
	model_free(m);
	b = read_all(good, &len);
	assert_true(len > 200);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = len;
		if (cases[i].at >= 0)
			b[cases[i].at] ^= 0x40;
		else
			n = (size_t)-cases[i].at < len ? (size_t)-cases[i].at : 0;
		write_all(bad, b, n);
		if (cases[i].at >= 0)
			b[cases[i].at] ^= 0x40;
		err[0] = '\0';
		if ((m = model_load(bad, err, sizeof(err))) != NULL || strstr(err, cases[i].want) == NULL ||
		    strstr(err, bad) == NULL) {
			print_error("case %zu (%s): got %s \"%s\", want NULL and \"%s: ...%s...\"\n", i,
			    cases[i].what, m ? "a model" : "NULL", err, bad, cases[i].want);
			test_failures++;
		}
		model_free(m);
	}
	free(b);
	check_failures();
}

static void
test_online_update(void **state)
{
	struct feat_params fp;
	struct feat f[3] = { { 5, 0.5f }, { 77, -0.5f }, { 900, 0.7f } };
	struct feat_vec v = { f, 3 };
	struct model *m;
	double before, after;

	(void)state;
	feat_params_default(&fp);
	fp.bits = 16;
	assert_non_null(m = model_new(&fp, 0));
	m->online_rate = 0.1;
	before = model_text_logit(m, &v);
	model_learn(m, &v, true);
	after = model_text_logit(m, &v);
	if (!(after > before))
		fail_msg("learned as spam: logit %g -> %g, want higher", before, after);
	before = after;
	model_learn(m, &v, false);
	model_learn(m, &v, false);
	after = model_text_logit(m, &v);
	if (!(after < before))
		fail_msg("learned as ham: logit %g -> %g, want lower", before, after);
	model_free(m);
}

/* model_learn_msg on a parsed message moves its own logit. */
static void
test_online_message(void **state)
{
	struct mime_analyze_ctx *ctx;
	struct mime_limits lim;
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	static const char raw[] = "From: a@example.org\r\nSubject: cheap pills\r\n\r\n"
	    "buy cheap pills online now\r\n";
	struct feat_params fp;
	struct mime_msg *msg;
	struct feat_vec v;
	struct model *m;
	char err[256];
	double before;

	(void)state;
	feat_params_default(&fp);
	fp.bits = 16;
	mime_limits_default(&lim);
	assert_non_null(m = model_new(&fp, 0));
	m->online_rate = 0.2;
	assert_non_null(ctx = mime_analyze_ctx_new(err, sizeof(err)));
	assert_non_null(msg = mime_parse(a, (const uint8_t *)raw, sizeof(raw) - 1, &lim));
	assert_int_equal(mime_analyze(ctx, a, msg), 0);
	assert_int_equal(features_extract(&fp, msg, a, &v), 0);
	before = model_text_logit(m, &v);
	assert_int_equal(model_learn_msg(m, msg, a, true), 0);
	if (!(model_text_logit(m, &v) > before))
		fail_msg("learned as spam: logit %g -> %g, want higher", before,
		    model_text_logit(m, &v));
	mg_arena_free(a);
	mime_analyze_ctx_free(ctx);
	model_free(m);
}

static void
test_auc(void **state)
{
	static const struct {
		double		 s[4];
		bool		 pos[4];
		double		 want;
	} cases[] = {
		{ { 1, 2, 3, 4 }, { false, false, true, true }, 1.0 },
		{ { 1, 2, 3, 4 }, { true, true, false, false }, 0.0 },
		{ { 1, 3, 2, 4 }, { false, false, true, true }, 0.75 },
		{ { 2, 2, 2, 2 }, { false, true, false, true }, 0.5 },
		{ { 1, 2, 3, 4 }, { true, true, true, true }, 0.5 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = model_auc(cases[i].s, cases[i].pos, 4);
		if (got != cases[i].want) {
			print_error("case %zu: got %g, want %g\n", i, got, cases[i].want);
			test_failures++;
		}
	}
	check_failures();
}

static const char gtube_msg[] =
	"From: a@example.org\r\nSubject: test\r\n\r\n"
	"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";

/* The text and structure logit of gtube_msg as the model check sees it. */
static double
gtube_text_logit(const struct model *m)
{
	struct mime_analyze_ctx *ctx;
	struct mime_limits lim;
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	struct mime_msg *msg;
	struct feat_vec v;
	char err[256];
	double z;

	mime_limits_default(&lim);
	assert_non_null(ctx = mime_analyze_ctx_new(err, sizeof(err)));
	assert_non_null(msg = mime_parse(a, (const uint8_t *)gtube_msg, sizeof(gtube_msg) - 1, &lim));
	assert_int_equal(mime_analyze(ctx, a, msg), 0);
	assert_int_equal(features_extract(&m->fp, msg, a, &v), 0);
	z = model_text_logit(m, &v);
	mg_arena_free(a);
	mime_analyze_ctx_free(ctx);
	return z;
}

static double
symbol_score(const struct mg_result *res, const char *name)
{
	for (size_t i = 0; i < res->nsymbols; i++)
		if (strcmp(res->symbols[i].name, name) == 0)
			return res->symbols[i].score;
	return NAN;
}

/* Scans gtube_msg with the gtube and model checks under conf. */
static void
fused_scan(const struct mg_conf *conf, struct mg_result *res)
{
	static const struct mg_check *const table[] = { &check_gtube, &check_model };
	struct mg_engine *e;
	struct mg_error err;

	if ((e = engine_open_checks(conf, table, 2, &err)) == NULL)
		fail_msg("engine open: %s", err.text);
	assert_int_equal(mg_scan(e, NULL, (const uint8_t *)gtube_msg, sizeof(gtube_msg) - 1,
	    res), 0);
	mg_engine_close(e);
}

static void
close_to(const char *what, double got, double want)
{
	if (!(fabs(got - want) < 1e-6)) {
		print_error("%s: got %g, want %g\n", what, got, want);
		test_failures++;
	}
}

static void
test_fusion(void **state)
{
	struct mg_conf conf = { 0 };
	struct feat_params fp;
	struct mg_result res;
	struct model *m;
	char path[128];
	double model_part;
	struct feat f;

	(void)state;
	feat_params_default(&fp);
	fp.bits = 16;
	assert_non_null(m = model_new(&fp, 1));
	f = features_meta(&fp, "body:text-only");
	m->w[f.idx] = 1.5f * f.val;
	m->bias = -0.5;
	m->k = 2.0;
	m->t0 = 0.25;
	snprintf(m->syms[0].name, sizeof(m->syms[0].name), "GTUBE");
	m->syms[0].weight = 0.8f;
	m->syms[0].count = 100;
	snprintf(path, sizeof(path), "%s/fusion.bin", dir);
	save(m, path);
	conf_engine_defaults(&conf.engine);
	fused_scan(&conf, &res);		/* no model: defaults, nothing added */
	close_to("GTUBE without a model", symbol_score(&res, "GTUBE"), 1000.0);
	if (res.nsymbols != 1)
		fail_msg("without a model: %zu symbols, want GTUBE alone", res.nsymbols);
	mg_result_clear(&res);
	assert_non_null(conf.engine.model.path = strdup(path));
	fused_scan(&conf, &res);
	model_part = 2.0 * (gtube_text_logit(m) - 0.25) + conf.engine.tag;
	close_to("learned GTUBE", symbol_score(&res, "GTUBE"), 2.0 * 0.8);
	close_to("MODEL_SPAM", symbol_score(&res, model_part >= 0 ? "MODEL_SPAM" : "MODEL_HAM"),
	    model_part);
	close_to("total", res.score, 2.0 * (gtube_text_logit(m) + 0.8 - 0.25) + conf.engine.tag);
	mg_result_clear(&res);
	/* the administrator's score wins over the learned one */
	assert_non_null(conf.engine.symbols = calloc(1, sizeof(*conf.engine.symbols)));
	conf.engine.symbols[0] = (struct conf_symbol){ strdup("GTUBE"), true, 7.0, -1, -1, 1 };
	conf.engine.nsymbols = 1;
	fused_scan(&conf, &res);
	close_to("GTUBE from engine.scores", symbol_score(&res, "GTUBE"), 7.0);
	mg_result_clear(&res);
	conf_engine_free(&conf.engine);
	model_free(m);
	check_failures();
}

/* engine.model: a relative path made absolute, and the errors. */
static void
test_conf(void **state)
{
	static const char base[] = "spool = \"s\";\nstore = \"d/x.db\";\n"
	    "listeners = ( { address = \"127.0.0.1:25\"; } );\n"
	    "domains = ( { name = \"example.test\"; route = \"h\"; } );\n";
	static const struct {
		const char	*engine;
		const char	*want;		/* path, or the error's end */
	} cases[] = {
		{ "", "(null)" },
		{ "engine = { model = { }; };", "(null)" },
		{ "engine = { model = { path = \"m.bin\"; }; };", "/m.bin" },
		{ "engine = { model = { path = \"nope.bin\"; }; };",
		  ":5: engine.model.path: '" },
		{ "engine = { model = { file = \"m.bin\"; }; };", ":5: unknown setting 'file'" },
		{ "engine = { model = { path = 3; }; };", ":5: 'path' must be a string" },
		{ "engine = { model = \"m.bin\"; };", ":5: 'engine.model' must be a group" },
	};
	char path[128], bin[128], err[512], got[512];
	struct mg_conf *c;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/test.conf", dir);
	snprintf(bin, sizeof(bin), "%s/m.bin", dir);
	assert_non_null(f = fopen(bin, "w"));
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "%s%s\n", base, cases[i].engine);
		fclose(f);
		err[0] = '\0';
		if ((c = conf_load(path, err, sizeof(err))) != NULL)
			snprintf(got, sizeof(got), "%s", c->engine.model.path ?
			    c->engine.model.path : "(null)");
		else
			snprintf(got, sizeof(got), "%s", err);
		if (strstr(got, cases[i].want) == NULL) {
			print_error("case %zu: got \"%s\", want \"...%s...\"\n", i, got,
			    cases[i].want);
			test_failures++;
		}
		conf_free(c);
	}
	check_failures();
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mg-test-model.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	make_examples();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_separable),
		cmocka_unit_test(test_deterministic_file),
		cmocka_unit_test(test_symbol_names),
		cmocka_unit_test(test_history_symbols),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_online_update),
		cmocka_unit_test(test_online_message),
		cmocka_unit_test(test_auc),
		cmocka_unit_test(test_fusion),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
