/* The bayes check: off without engine.bayes.path, silent with a missing or
 * untrained store, BAYES_SPAM / BAYES_HAM scaled by the probability with
 * the probability as option once trained, a damaged store fails init, and
 * the symbols are defined whether Bayes is on or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "checks/bayes.h"
#include "core/arena.h"
#include "core/conf.h"
#include "core/err.h"
#include "engine/symbol.h"
#include "engine/task.h"
#include "learn/bayes.h"
#include "mime/mime.h"
#include "test_util.h"

static char init_err[512];	/* a check's init failure */

static char dir[64], path[128];

static const char *const spam_words = "viagra casino winner lottery cheap pills prize";
static const char *const ham_words = "meeting agenda report quarterly review schedule budget";

struct msg {
	char		 raw[2048];
	struct mg_arena	*arena;
	struct mime_msg	*m;
};

static struct msg *
msg_make(unsigned id, const char *words)
{
	struct msg *x = calloc(1, sizeof(*x));
	struct mime_limits lim;
	size_t n;

	assert_non_null(x);
	n = (size_t)snprintf(x->raw, sizeof(x->raw), "Message-ID: <%u@test.example>\r\n"
	    "Subject: %.*s\r\n\r\n%s\r\nhello number %u\r\n", id, 12, words, words, id);
	mime_limits_default(&lim);
	x->arena = mg_arena_new(16 * 1024, 1u << 20);
	assert_non_null(x->arena);
	x->m = mime_parse(x->arena, (const uint8_t *)x->raw, n, &lim);
	assert_non_null(x->m);
	return x;
}

static void
msg_free(struct msg *x)
{
	mg_arena_free(x->arena);
	free(x);
}

/* A store at path with n spam and n ham messages learned. */
static void
train(unsigned n)
{
	char err[256];
	struct bayes *b;

	unlink(path);
	b = bayes_open(path, true, NULL, err, sizeof(err));
	if (b == NULL)
		fail_msg("bayes_open: %s", err);
	for (unsigned i = 0; i < n; i++) {
		struct msg *s = msg_make(100 + i, spam_words), *h = msg_make(200 + i, ham_words);
		assert_int_equal(bayes_learn(b, s->m, true, false), 0);
		assert_int_equal(bayes_learn(b, h->m, false, false), 0);
		msg_free(s);
		msg_free(h);
	}
	bayes_close(b);
}

/* The check's symbols as the engine would have them. */
static void
load_symbols(struct symbol_table *st)
{
	struct mg_conf conf = { 0 };
	const struct symbol_def *defs;
	char err[256];
	size_t n;

	conf_engine_defaults(&conf.engine);
	defs = check_bayes.symbols(NULL, &n);
	if (symbol_table_load(st, &conf, defs, n, err, sizeof(err)) != 0)
		fail_msg("symbol table: %s", err);
}

/* Runs the check on a message of words: "NAME=option score" or "". */
static void
scan_text(void *state, const struct symbol_table *st, const char *words, char *out,
    size_t outlen)
{
	struct msg *x = msg_make(999, words);
	struct mg_task t;

	assert_int_equal(task_init(&t, st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
	t.msg = x->m;
	assert_int_equal(check_bayes.scan(state, &t), 0);
	out[0] = '\0';
	if (t.nsymbols > 0)
		snprintf(out, outlen, "%s=%s %.1f", t.symbols[0].name,
		    t.symbols[0].noptions ? t.symbols[0].options[0] : "", t.symbols[0].score);
	task_clear(&t);
	msg_free(x);
}

static void
test_scan(void **state)
{
	static const struct {
		bool		 path_set;
		unsigned	 learned;	/* of each class; 0 = no store file */
		const char	*words;
		const char	*want;		/* prefix of "NAME=option score" */
	} cases[] = {
		{ false, 10, "viagra casino winner lottery", "" },	/* Bayes off */
		{ true, 0, "viagra casino winner lottery", "" },	/* no store yet */
		{ true, 3, "viagra casino winner lottery", "" },	/* below min_learns */
		{ true, 10, "viagra casino winner lottery cheap", "BAYES_SPAM=" },
		{ true, 10, "meeting agenda report quarterly", "BAYES_HAM=" },
		{ true, 10, "zebra giraffe", "" },			/* nothing known */
	};
	struct symbol_table st;

	(void)state;
	load_symbols(&st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_conf conf = { 0 };
		void *cs = NULL;
		char got[128];

		conf_engine_defaults(&conf.engine);
		conf.engine.bayes.min_learns = 5;
		conf.engine.bayes.path = cases[i].path_set ? path : NULL;
		if (cases[i].learned > 0)
			train(cases[i].learned);
		else
			unlink(path);
		assert_int_equal(check_bayes.init(&conf, &cs, init_err, sizeof(init_err)), 0);
		scan_text(cs, &st, cases[i].words, got, sizeof(got));
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0 ||
		    (cases[i].want[0] == '\0' && got[0] != '\0'))
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, got, cases[i].want);
		check_bayes.fini(cs);
	}
	symbol_table_clear(&st);
}

/* The score is the configured one scaled by the distance from 0.5. */
static void
test_scaled(void **state)
{
	static const struct { const char *words; double lo, hi; } cases[] = {
		{ "viagra casino winner lottery cheap pills", 4.5, 5.0 },
		{ "meeting agenda report quarterly review", -3.0, -2.7 },
	};
	struct mg_conf conf = { 0 };
	struct symbol_table st;
	void *cs = NULL;

	(void)state;
	load_symbols(&st);
	conf_engine_defaults(&conf.engine);
	conf.engine.bayes.min_learns = 5;
	conf.engine.bayes.path = path;
	train(10);
	assert_int_equal(check_bayes.init(&conf, &cs, init_err, sizeof(init_err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg *x = msg_make(999, cases[i].words);
		struct mg_task t;
		assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
		t.msg = x->m;
		assert_int_equal(check_bayes.scan(cs, &t), 0);
		double pct = 0.0;
		char end = '\0';
		if (t.nsymbols != 1 || t.symbols[0].score < cases[i].lo ||
		    t.symbols[0].score > cases[i].hi || t.symbols[0].noptions != 1 ||
		    sscanf(t.symbols[0].options[0], "%lf%c", &pct, &end) != 2 || end != '%' ||
		    pct < 50.0 || pct > 100.0)
			fail_msg("case %zu: got %zu symbols, score %.3f, option %s, want one in "
			    "[%.1f, %.1f] with \"NN.N%%\"", i, t.nsymbols,
			    t.nsymbols ? t.symbols[0].score : 0.0,
			    t.nsymbols && t.symbols[0].noptions ? t.symbols[0].options[0] : "-",
			    cases[i].lo, cases[i].hi);
		task_clear(&t);
		msg_free(x);
	}
	check_bayes.fini(cs);
	symbol_table_clear(&st);
}

/* A damaged store fails the check's init (the engine does not open). */
static void
test_damaged(void **state)
{
	struct mg_conf conf = { 0 };
	void *cs = NULL;
	int fd;

	(void)state;
	train(1);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "garbage!", 8, 0), 8);
	close(fd);
	conf_engine_defaults(&conf.engine);
	conf.engine.bayes.path = path;
	assert_int_equal(check_bayes.init(&conf, &cs, init_err, sizeof(init_err)), -MG_EPROTO);
	assert_null(cs);
}

/* BAYES_SPAM and BAYES_HAM are defined, with a category and a description. */
static void
test_symbols(void **state)
{
	static const struct { const char *name; enum mg_category cat; int sign; } want[] = {
		{ "BAYES_SPAM", MG_CAT_SPAM, 1 }, { "BAYES_HAM", MG_CAT_CLEAN, -1 },
	};
	size_t n;
	const struct symbol_def *defs = check_bayes.symbols(NULL, &n);

	(void)state;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, want[i].name) != 0 || defs[i].category != want[i].cat ||
		    defs[i].score * want[i].sign <= 0 || defs[i].description == NULL)
			fail_msg("row %zu: got %s cat %d score %.1f, want %s cat %d sign %d", i,
			    defs[i].name, defs[i].category, defs[i].score, want[i].name,
			    want[i].cat, want[i].sign);
}

#define MINIMAL \
	"spool = \"spool\";\nstore = \"x.db\";\n" \
	"listeners = ( { address = \"127.0.0.1:2525\"; role = \"inbound\"; } );\n" \
	"domains = ( { name = \"example.test\"; route = \"127.0.0.1:2526\"; } );\n"

/* engine.bayes: values kept, defaults, and "FILE:LINE: reason" for mistakes. */
static void
test_conf(void **state)
{
	static const struct {
		const char	*bayes;		/* the group's body, or NULL: no group */
		const char	*want;		/* error part, or "path min expire max margin" */
	} cases[] = {
		{ NULL, "(null) 200 180 2500000 0.20" },
		{ "", "(null) 200 180 2500000 0.20" },
		{ "path = \"b.db\"; min_learns = 5; expire_days = 0; max_tokens = 10000; "
		  "margin = 0.3;", "DIR/b.db 5 0 10000 0.30" },
		{ "margin = 0;", "(null) 200 180 2500000 0.00" },
		{ "pathh = \"x\";", ":7: unknown setting 'pathh' in engine.bayes" },
		{ "path = \"\";", ":7: engine.bayes.path must be a non-empty string" },
		{ "path = 5;", ":7: engine.bayes.path must be a non-empty string" },
		{ "path = \"nodir/b.db\";", ":7: engine.bayes.path: directory" },
		{ "path = \".\";", ":7: engine.bayes.path: '" },
		{ "min_learns = 0;", ":7: engine.bayes.min_learns = 0 is out of range [1, 1000000]" },
		{ "max_tokens = 99;", ":7: engine.bayes.max_tokens = 99 is out of range" },
		{ "expire_days = \"x\";", ":7: engine.bayes.expire_days must be an integer" },
		{ "margin = 0.5;", ":7: engine.bayes.margin must be a number in [0, 0.49]" },
		{ "margin = \"a\";", ":7: engine.bayes.margin must be a number" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], cpath[128], err[512] = "", got[512];
		struct mg_conf *c;
		FILE *f;

		snprintf(cpath, sizeof(cpath), "%s/test.conf", dir);
		snprintf(text, sizeof(text), MINIMAL "engine = {\n  bayes = {\n  %s\n  };\n};\n",
		    cases[i].bayes ? cases[i].bayes : "");
		if (cases[i].bayes == NULL)
			snprintf(text, sizeof(text), MINIMAL);
		assert_non_null(f = fopen(cpath, "w"));
		fputs(text, f);
		fclose(f);
		if ((c = conf_load(cpath, err, sizeof(err))) != NULL) {
			const struct conf_bayes *b = &c->engine.bayes;
			char p[256];
			snprintf(p, sizeof(p), "%s", b->path ? b->path : "(null)");
			if (b->path != NULL && strncmp(p, dir, strlen(dir)) == 0)
				snprintf(p, sizeof(p), "DIR%s", b->path + strlen(dir));
			snprintf(got, sizeof(got), "%s %u %u %u %.2f", p, b->min_learns,
			    b->expire_days, b->max_tokens, b->margin);
			conf_free(c);
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		} else if (cases[i].want[0] != ':' || strstr(err, cases[i].want) == NULL ||
		    strncmp(err, cpath, strlen(cpath)) != 0) {
			fail_msg("case %zu: got error \"%s\", want \"%s%s...\"", i, err, cpath,
			    cases[i].want);
		}
	}
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_check_bayes.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/bayes.db", dir);
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
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scaled),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
