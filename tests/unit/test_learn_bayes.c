/* OSB Bayes on small synthetic messages: learning and classifying,
 * min_learns, dedup (again, moved, unlearned), expiry, growth followed by
 * a reader, pruning at max_tokens (and max_tokens lowered under a store of
 * frequent tokens), readers (threads and a process) while a
 * writer learns and grows the store, and damaged store files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/conf.h"
#include "core/err.h"
#include "learn/bayes.h"
#include "mime/mime.h"
#include "test_util.h"

static char dir[64], path[128];

/* A parsed message kept with its bytes and arena. */
struct msg {
	char		 raw[8192];
	struct mg_arena	*arena;
	struct mime_msg	*m;
};

static uint32_t
next_rand(uint32_t *rng)
{
	*rng = *rng * 1103515245u + 12345u;
	return *rng >> 8;
}

/* A random word of 6 letters and a space (digits would be shapes). */
static size_t
letters(char *out, uint32_t r)
{
	for (int i = 0; i < 6; i++, r /= 26)
		out[i] = (char)('a' + r % 26);
	out[6] = ' ';
	return 7;
}

/* Message id with words: kind 's' spam vocabulary, 'h' ham, 'r' random
 * unique words (grows the store); common words in every kind. */
static struct msg *
msg_make(unsigned id, char kind, unsigned nwords)
{
	static const char *const spam[] = { "viagra", "casino", "winner", "lottery", "cheap",
	    "pills", "bitcoin", "unclaimed", "prize", "urgent" };
	static const char *const ham[] = { "meeting", "agenda", "report", "quarterly", "review",
	    "schedule", "project", "minutes", "budget", "colleague" };
	static const char *const common[] = { "hello", "the", "regards", "today", "please" };
	struct msg *x = calloc(1, sizeof(*x));
	struct mime_limits lim;
	size_t n;

	assert_non_null(x);
	uint32_t rng = id * 7919u + (uint32_t)kind;	/* the same message for the same id */
	n = (size_t)snprintf(x->raw, sizeof(x->raw), "Message-ID: <%u.%c@test.example>\r\n"
	    "Subject: %s %s\r\n\r\n", id, kind, kind == 's' ? "win" : "re", kind == 's' ?
	    spam[id % 10] : ham[id % 10]);
	for (unsigned i = 0; i < nwords && n + 32 < sizeof(x->raw); i++) {
		const char *w = kind == 's' ? spam[next_rand(&rng) % 10] : ham[next_rand(&rng) % 10];
		if (i % 3 == 0)
			w = common[next_rand(&rng) % 5];
		if (kind == 'r')
			n += letters(x->raw + n, next_rand(&rng));
		else
			n += (size_t)snprintf(x->raw + n, sizeof(x->raw) - n, "%s ", w);
	}
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

static int
learn_one(struct bayes *b, unsigned id, char kind, bool spam, bool unlearn)
{
	struct msg *x = msg_make(id, kind, 30);
	int rc = bayes_learn(b, x->m, spam, unlearn);

	msg_free(x);
	return rc;
}

static struct bayes *
open_store(bool writable, uint32_t min_learns, uint32_t max_tokens)
{
	struct conf_bayes c;
	char err[256];
	struct bayes *b;

	conf_bayes_defaults(&c);
	c.min_learns = min_learns;
	if (max_tokens)
		c.max_tokens = max_tokens;
	if ((b = bayes_open(path, writable, &c, err, sizeof(err))) == NULL)
		fail_msg("bayes_open: %s", err);
	return b;
}

static double
classify(const struct bayes *b, unsigned id, char kind, bool *ready)
{
	struct msg *x = msg_make(id, kind, 30);
	struct bayes_result r;

	assert_int_equal(bayes_classify(b, x->m, &r), 0);
	msg_free(x);
	if (ready != NULL)
		*ready = r.ready;
	assert_true(r.prob >= 0.0 && r.prob <= 1.0);
	return r.prob;
}

static void
train(struct bayes *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(learn_one(b, 1000 + i, 's', true, false), 0);
		assert_int_equal(learn_one(b, 2000 + i, 'h', false, false), 0);
	}
}

static void
test_learn_classify(void **state)
{
	static const struct { char kind; double lo, hi; } cases[] = {
		{ 's', 0.9, 1.0 }, { 'h', 0.0, 0.1 },
		{ 'r', 0.0, 0.5 },	/* unknown words, a ham subject and common words */
	};
	struct bayes *b;
	struct bayes_stats st;

	(void)state;
	unlink(path);
	b = open_store(true, 10, 0);
	train(b, 20);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ready;
		double p = classify(b, 5000 + (unsigned)i, cases[i].kind, &ready);
		if (!ready || p < cases[i].lo || p > cases[i].hi)
			fail_msg("case %zu (%c): got p=%.4f ready=%d, want p in [%.2f, %.2f] ready",
			    i, cases[i].kind, p, ready, cases[i].lo, cases[i].hi);
	}
	bayes_stats(b, &st);
	if (st.nspam != 20 || st.nham != 20 || st.ndigests != 40 || st.ntokens == 0)
		fail_msg("stats: got spam %u ham %u digests %u tokens %u, want 20 20 40 >0",
		    st.nspam, st.nham, st.ndigests, st.ntokens);
	bayes_close(b);
}

/* ready only once min_learns of each class were learned */
static void
test_min_learns(void **state)
{
	static const struct { unsigned spam, ham; bool want; } cases[] = {
		{ 0, 0, false }, { 5, 4, false }, { 4, 5, false }, { 5, 5, true }, { 9, 9, true },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bayes *b;
		bool ready;
		unlink(path);
		b = open_store(true, 5, 0);
		for (unsigned k = 0; k < cases[i].spam; k++)
			assert_int_equal(learn_one(b, 100 + k, 's', true, false), 0);
		for (unsigned k = 0; k < cases[i].ham; k++)
			assert_int_equal(learn_one(b, 200 + k, 'h', false, false), 0);
		classify(b, 1, 's', &ready);
		if (ready != cases[i].want)
			fail_msg("case %zu: %u spam %u ham: got ready %d, want %d", i,
			    cases[i].spam, cases[i].ham, ready, cases[i].want);
		bayes_close(b);
	}
}

/* The same message again, as the other class, unlearned. */
static void
test_dedup(void **state)
{
	static const struct {
		bool spam, unlearn;
		int want;
		unsigned nspam, nham;
	} steps[] = {
		{ true, false, 0, 1, 0 },
		{ true, false, -MG_EEXIST, 1, 0 },
		{ false, false, 0, 0, 1 },		/* moved */
		{ false, false, -MG_EEXIST, 0, 1 },
		{ true, true, -MG_ENOENT, 0, 1 },	/* not learned as spam */
		{ false, true, 0, 0, 0 },
		{ false, true, -MG_ENOENT, 0, 0 },
		{ true, false, 0, 1, 0 },
	};
	struct bayes *b;

	(void)state;
	unlink(path);
	b = open_store(true, 1, 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct bayes_stats st;
		int rc = learn_one(b, 7, 's', steps[i].spam, steps[i].unlearn);
		bayes_stats(b, &st);
		if (rc != steps[i].want || st.nspam != steps[i].nspam || st.nham != steps[i].nham)
			fail_msg("step %zu: got rc %d spam %u ham %u, want rc %d spam %u ham %u",
			    i, rc, st.nspam, st.nham, steps[i].want, steps[i].nspam,
			    steps[i].nham);
	}
	bayes_close(b);
}

/* Rare tokens and digests older than expire_days go; frequent tokens stay. */
static void
test_expire(void **state)
{
	static const struct { uint32_t days_later; bool want_rare, want_digests; } cases[] = {
		{ 0, true, true }, { 180, true, true }, { 182, false, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bayes_stats st0, st;
		struct bayes *b;
		unlink(path);
		b = open_store(true, 1, 0);
		for (unsigned k = 0; k < 6; k++)	/* "hello", "the"... seen 6 times */
			assert_int_equal(learn_one(b, 300 + k, 'h', false, false), 0);
		assert_int_equal(learn_one(b, 400, 'r', true, false), 0);	/* rare */
		bayes_stats(b, &st0);
		assert_int_equal(bayes_expire(b, st0.created_day + cases[i].days_later), 0);
		bayes_stats(b, &st);
		bool rare = st.ntokens == st0.ntokens, digests = st.ndigests == st0.ndigests;
		if (rare != cases[i].want_rare || digests != cases[i].want_digests ||
		    st.ntokens == 0 || st.nham != 6 || st.expired_day == 0)
			fail_msg("case %zu: +%u days: tokens %u -> %u, digests %u -> %u, want "
			    "rare kept %d digests kept %d", i, cases[i].days_later, st0.ntokens,
			    st.ntokens, st0.ndigests, st.ndigests, cases[i].want_rare,
			    cases[i].want_digests);
		bayes_close(b);
	}
}

/* A reader opened before the store grew follows it to the new file; at
 * max_tokens the rarest tokens are pruned and the file stops growing. */
static void
test_growth(void **state)
{
	static const struct { uint32_t max_tokens; unsigned msgs; } cases[] = {
		{ 0, 400 }, { 20000, 400 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bayes *w, *r;
		struct bayes_stats s0, sw, sr;
		unlink(path);
		w = open_store(true, 1, cases[i].max_tokens);
		r = open_store(false, 1, cases[i].max_tokens);
		train(w, 3);
		bayes_stats(w, &s0);
		for (unsigned k = 0; k < cases[i].msgs; k++) {
			struct msg *x = msg_make(10000 + k, 'r', 60);
			assert_int_equal(bayes_learn(w, x->m, k % 2 == 0, false), 0);
			msg_free(x);
		}
		classify(r, 1, 's', NULL);
		bayes_stats(w, &sw);
		bayes_stats(r, &sr);
		if (sr.capacity != sw.capacity || sr.nspam != sw.nspam || sr.ntokens != sw.ntokens ||
		    (sw.capacity <= s0.capacity && cases[i].max_tokens == 0) ||
		    (cases[i].max_tokens && sw.ntokens > cases[i].max_tokens))
			fail_msg("case %zu: writer cap %u tokens %u spam %u, reader cap %u tokens "
			    "%u spam %u (start cap %u)", i, sw.capacity, sw.ntokens, sw.nspam,
			    sr.capacity, sr.ntokens, sr.nspam, s0.capacity);
		print_message("case %zu: tokens %u capacity %u file %llu bytes\n", i,
		    sw.ntokens, sw.capacity, (unsigned long long)sw.file_size);
		bayes_close(r);
		bayes_close(w);
	}
}

/* A message of nwords random words from seed, its Subject "copy N":
 * the same words learned again under another digest. */
static struct mime_msg *
msg_words(struct mg_arena *a, char *raw, size_t cap, uint32_t seed, unsigned copy,
    unsigned nwords)
{
	struct mime_limits lim;
	size_t n;

	n = (size_t)snprintf(raw, cap, "Message-ID: <%u.%u@w.example>\r\nSubject: copy %u\r\n\r\n",
	    seed, copy, copy);
	for (unsigned i = 0; i < nwords && n + 8 < cap; i++)
		n += letters(raw + n, next_rand(&seed));
	mime_limits_default(&lim);
	return mime_parse(a, (const uint8_t *)raw, n, &lim);
}

/* max_tokens lowered under a store whose tokens are all frequent (pruning
 * drops totals up to 15 only): a rehash keeps what the smaller table
 * holds instead of overrunning it. */
static void
test_max_tokens_lowered(void **state)
{
	static const struct { uint32_t max_tokens; unsigned copies, nwords; } cases[] = {
		{ 10000, 17, 3000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static char raw[64 * 1024];
		struct mg_arena *a = mg_arena_new(64 * 1024, 16u << 20);
		struct bayes_stats s0, st;
		struct bayes *b;
		assert_non_null(a);
		unlink(path);
		b = open_store(true, 1, 0);
		for (unsigned k = 0; k < cases[i].copies; k++)
			assert_int_equal(bayes_learn(b, msg_words(a, raw, sizeof(raw), 7, k,
			    cases[i].nwords), k % 2 == 0, false), 0);
		bayes_stats(b, &s0);
		bayes_close(b);
		b = open_store(true, 1, cases[i].max_tokens);
		assert_int_equal(bayes_expire(b, 0), 0);	/* a rehash */
		bayes_stats(b, &st);
		print_message("case %zu: tokens %u (capacity %u) -> %u (capacity %u)\n", i,
		    s0.ntokens, s0.capacity, st.ntokens, st.capacity);
		if (s0.ntokens <= st.capacity || st.ntokens >= st.capacity ||
		    st.nspam + st.nham != cases[i].copies)
			fail_msg("case %zu: got %u tokens in %u slots (%u spam %u ham), want the "
			    "%u first ones cut to fewer than the slots", i, st.ntokens, st.capacity,
			    st.nspam, st.nham, s0.ntokens);
		bayes_close(b);
		mg_arena_free(a);
	}
}

struct reader_arg {
	const struct bayes *b;
	atomic_bool	*stop;
	unsigned	 rounds;
	int		 bad;
};

static void *
reader_thread(void *p)
{
	struct reader_arg *a = p;
	struct msg *x = msg_make(9, 's', 30);

	while (!*a->stop) {
		struct bayes_result r;
		if (bayes_classify(a->b, x->m, &r) != 0 || !(r.prob >= 0.0 && r.prob <= 1.0))
			a->bad++;
		a->rounds++;
	}
	msg_free(x);
	return NULL;
}

/* Reads in a child process until killed; exits 1 on a bad result. */
static void
reader_process(void)
{
	struct bayes *r = open_store(false, 1, 0);
	struct msg *x = msg_make(9, 's', 30);

	for (;;) {
		struct bayes_result res;
		if (bayes_classify(r, x->m, &res) != 0 || !(res.prob >= 0.0 && res.prob <= 1.0))
			_exit(1);
	}
}

static void
test_concurrent(void **state)
{
	atomic_bool stop = false;
	struct reader_arg a[2];
	pthread_t th[2];
	struct bayes *w, *r;
	int status;
	pid_t pid;

	(void)state;
	unlink(path);
	w = open_store(true, 1, 30000);
	train(w, 3);
	r = open_store(false, 1, 0);
	if ((pid = fork()) == 0)
		reader_process();
	assert_true(pid > 0);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct reader_arg){ .b = r, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &a[i]), 0);
	}
	for (unsigned k = 0; k < 600; k++) {	/* grows, then prunes at max_tokens */
		struct msg *x = msg_make(20000 + k, 'r', 80);
		assert_int_equal(bayes_learn(w, x->m, k % 2 == 0, false), 0);
		msg_free(x);
	}
	stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (a[0].bad || a[1].bad || !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		fail_msg("readers: bad results %d %d after %u %u rounds; process status %#x",
		    a[0].bad, a[1].bad, a[0].rounds, a[1].rounds, status);
	print_message("readers classified %u and %u times\n", a[0].rounds, a[1].rounds);
	bayes_close(r);
	bayes_close(w);
}

/* Damaged files are refused with a reason, by readers and writers. */
static void
test_corrupt(void **state)
{
	static const struct { off_t truncate; size_t off; uint32_t val; const char *want; } cases[] = {
		{ -1, 0, 0x41414141, "bad magic" },
		{ -1, 8, 99, "store version 99" },
		{ -1, 28, 100, "damaged header" },		/* capacity not a multiple of 64 */
		{ -1, 48, 0xffffffff, "more tokens than slots" },
		{ 100, 0, 0, "shorter than the header" },
		{ 0, 0, 0, "shorter than the header" },
		{ 4096 + 1000, 0, 0, "truncated or damaged" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_bayes c;
		char err[256];
		struct bayes *b;
		int fd;

		unlink(path);
		b = open_store(true, 1, 0);
		train(b, 2);
		bayes_close(b);
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		if (cases[i].truncate >= 0)
			assert_int_equal(ftruncate(fd, cases[i].truncate), 0);
		else
			assert_int_equal(pwrite(fd, &cases[i].val, 4, (off_t)cases[i].off), 4);
		close(fd);
		conf_bayes_defaults(&c);
		for (int writable = 0; writable < 2; writable++) {
			err[0] = '\0';
			b = bayes_open(path, writable, &c, err, sizeof(err));
			if (b != NULL || strstr(err, cases[i].want) == NULL ||
			    strncmp(err, path, strlen(path)) != 0)
				fail_msg("case %zu writable %d: got %s \"%s\", want NULL \"%s: ...%s\"",
				    i, writable, b ? "a store" : "NULL", err, path, cases[i].want);
		}
	}
}

/* A reader of a store that does not exist yet is not ready, then follows
 * the store once it appears. */
static void
test_missing_store(void **state)
{
	static const struct { int learn; bool want_ready, want_present; } steps[] = {
		{ 0, false, false }, { 1, true, true },
	};
	struct bayes *r, *w = NULL;

	(void)state;
	unlink(path);
	r = open_store(false, 1, 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct bayes_stats st;
		bool ready;
		double p;
		if (steps[i].learn) {
			w = open_store(true, 1, 0);
			train(w, 1);
			usleep(1100 * 1000);	/* readers look at the path once a second */
		}
		p = classify(r, 1, 's', &ready);
		bayes_stats(r, &st);
		if (ready != steps[i].want_ready || st.present != steps[i].want_present ||
		    (!ready && p != 0.5))
			fail_msg("step %zu: got ready %d present %d p %.3f, want ready %d present %d",
			    i, ready, st.present, p, steps[i].want_ready, steps[i].want_present);
	}
	bayes_close(w);
	bayes_close(r);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_learn_bayes.XXXXXX");
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
		cmocka_unit_test(test_learn_classify),
		cmocka_unit_test(test_min_learns),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max_tokens_lowered),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_missing_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
