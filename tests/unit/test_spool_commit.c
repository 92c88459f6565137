/* The durable spool: commit (prepare in threads, batch rename, one
 * directory fsync), what recovery keeps and removes, atomic envelope
 * updates, injection, removal, and a child that is SIGKILLed at random
 * moments while committing: every message it reported committed must be
 * intact after recovery and nothing partial may remain in queue/. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"
#include "core/err.h"
#include "core/id.h"
#include "core/log.h"
#include "spool/spool.h"

struct fixture {
	char		 root[64];
	char		 dir[96];
	struct spool	*spool;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/mg-spool-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/spool", f->root);
	assert_int_equal(spool_open(f->dir, &f->spool), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	f->spool = spool_close(f->spool);
	remove_tree(f->root);
	free(f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir/sub, sorted and joined by single spaces. */
static void
list_dir(const struct fixture *f, const char *sub, char *out, size_t outlen)
{
	char path[256], *names[256];
	size_t n = 0, o = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", f->dir, sub);
	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL && n < 256)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
}

static void
put_file(const struct fixture *f, const char *rel, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* A valid queue/ID.env (without its data). */
static void
put_env(const struct fixture *f, uint64_t id)
{
	struct envelope e = { .id = id, .mail_from = strdup("a@b"), .size = 5 };
	char rel[64];
	struct mg_buf b;

	mg_buf_init(&b, 0);
	assert_int_equal(envelope_add_rcpt(&e, "x@y", NULL, 0), 0);
	assert_int_equal(envelope_encode(&e, &b), 0);
	assert_int_equal(mg_buf_cstr(&b), 0);
	snprintf(rel, sizeof(rel), "queue/%016" PRIx64 ".env", id);
	put_file(f, rel, (char *)b.data);
	mg_buf_release(&b);
	envelope_clear(&e);
}

/* Deterministic message data for an id, so any copy can be verified. */
static size_t
data_for(uint64_t id, uint8_t *out, size_t max)
{
	size_t len = 1 + (size_t)((id >> 4) % (max - 1));
	uint64_t x = id | 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = (uint8_t)x;
	}
	return len;
}

#define DATA_MAX	20000

/* Receives one message into incoming/ and prepares it; 0 or -1. No
 * cmocka assertions: the crash test's child calls it too. */
static int
receive(struct spool *sp, struct spool_file *sf)
{
	struct env_rcpt r = { .addr = (char *)"r@example.test" };
	struct envelope e = { .created = time(NULL), .mail_from = (char *)"s@example.test",
	    .rcpts = &r, .nrcpts = 1 };
	uint8_t data[DATA_MAX];
	size_t len;

	if (spool_file_create(sp, sf) != 0)
		return -1;
	len = data_for(sf->id, data, sizeof(data));
	if (spool_file_write(sf, data, len / 2) != 0 ||
	    spool_file_write(sf, data + len / 2, len - len / 2) != 0 || sf->size != len ||
	    spool_commit_prepare(sf, &e) != 0)
		return -1;
	return 0;
}

/* Checks that queue/ID is a whole committed message made by receive(). */
static int
verify(struct spool *sp, uint64_t id, char *why, size_t whylen)
{
	uint8_t want[DATA_MAX], got[DATA_MAX + 1];
	size_t len = data_for(id, want, sizeof(want));
	struct envelope e;
	uint64_t size;
	ssize_t n;
	int fd, rc;

	if ((rc = spool_env_load(sp, id, &e)) != 0) {
		snprintf(why, whylen, "envelope: %s", mg_strerror(rc));
		return -1;
	}
	rc = e.size == len && e.nrcpts == 1 ? 0 : -1;
	envelope_clear(&e);
	if (rc < 0) {
		snprintf(why, whylen, "envelope size or recipients wrong");
		return -1;
	}
	if ((rc = spool_data_open(sp, id, &fd, &size)) != 0) {
		snprintf(why, whylen, "data: %s", mg_strerror(rc));
		return -1;
	}
	n = read(fd, got, sizeof(got));
	close(fd);
	if (n != (ssize_t)len || size != len || memcmp(got, want, len) != 0) {
		snprintf(why, whylen, "data: got %zd bytes, want %zu, or content differs", n, len);
		return -1;
	}
	return 0;
}

static void
test_open_modes(void **state)
{
	struct fixture *f = *state;
	const char *subs[] = { "", "/incoming", "/queue", "/run" };
	char path[256];
	struct stat st;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", f->dir, subs[i]);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 0777) != 0750)
			fail_msg("%s: got mode %o, want 750", path, st.st_mode & 0777);
	}
	assert_string_equal(spool_dir(f->spool), f->dir);
}

struct prep_job {
	struct spool		*sp;
	struct spool_file	*sf;
};

static void *
prepare_thread(void *arg)
{
	struct prep_job *j = arg;
	return (void *)(intptr_t)receive(j->sp, j->sf);
}

static int
count_one(uint64_t id, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_commit_batch(void **state)
{
	struct fixture *f = *state;
	struct spool_file files[4], *batch[4];
	struct prep_job jobs[4];
	pthread_t th[4];
	char names[1024], why[256], path[256];
	struct stat st;
	int count = 0;

	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct prep_job){ f->spool, &files[i] };
		batch[i] = &files[i];
		assert_int_equal(pthread_create(&th[i], NULL, prepare_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *rc;
		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_int_equal((intptr_t)rc, 0);
	}
	list_dir(f, "queue", names, sizeof(names));
	assert_string_equal(names, "");			/* nothing committed yet */
	assert_int_equal(spool_commit_batch(batch, 4), 0);
	list_dir(f, "incoming", names, sizeof(names));
	assert_string_equal(names, "");
	for (int i = 0; i < 4; i++) {
		if (verify(f->spool, files[i].id, why, sizeof(why)) < 0)
			fail_msg("message %d: %s", i, why);
		assert_int_equal(files[i].fd, -1);
		snprintf(path, sizeof(path), "%s/queue/%016" PRIx64 ".env", f->dir, files[i].id);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 0777) != 0640)
			fail_msg("%s: got mode %o, want 640", path, st.st_mode & 0777);
	}
	assert_int_equal(spool_queue_each(f->spool, count_one, &count), 0);
	assert_int_equal(count, 4);
}

/* A batch where one message cannot be renamed: none of it may stay. */
static void
test_commit_batch_failure(void **state)
{
	struct fixture *f = *state;
	struct spool_file files[3], *batch[3];
	char names[1024], path[256];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(receive(f->spool, &files[i]), 0);
		batch[i] = &files[i];
	}
	snprintf(path, sizeof(path), "%s/incoming/%016" PRIx64, f->dir, files[1].id);
	assert_int_equal(unlink(path), 0);		/* lost behind our back */
	assert_int_equal(spool_commit_batch(batch, 3), -MG_EIO);
	list_dir(f, "queue", names, sizeof(names));
	assert_string_equal(names, "");
	list_dir(f, "incoming", names, sizeof(names));
	assert_string_equal(names, "");
}

static void
test_abort(void **state)
{
	struct fixture *f = *state;
	struct spool_file a, b;
	char names[1024], path[256];

	assert_int_equal(spool_file_create(f->spool, &a), 0);
	assert_int_equal(spool_file_write(&a, "x", 1), 0);
	spool_file_path(&a, path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	spool_file_abort(&a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(receive(f->spool, &b), 0);	/* aborted after prepare */
	spool_file_abort(&b);
	list_dir(f, "incoming", names, sizeof(names));
	assert_string_equal(names, "");
}

/* spool_file_patch renames a field in place, and only where the bytes are
 * what the caller expects, within what was written. */
static void
test_patch(void **state)
{
	static const char msg[] = "Authentication-Results: x\r\n\r\nbody\r\n";
	static const struct {
		uint64_t	 off;
		const char	*expect;
		int		 rc;
	} cases[] = {
		{ 0, "authentication-results", 0 },	/* any case */
		{ 0, "Authentication-Results", -MG_EPROTO },	/* already renamed */
		{ 2, "thentication-Results: x", -MG_EPROTO },
		{ sizeof(msg) - 3, "Authentication-Results", -MG_EPROTO },	/* past the end */
	};
	struct fixture *f = *state;
	struct spool_file a;
	char path[256], got[sizeof(msg)];
	FILE *fp;

	assert_int_equal(spool_file_create(f->spool, &a), 0);
	assert_int_equal(spool_file_write(&a, msg, sizeof(msg) - 1), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char repl[64];

		snprintf(repl, sizeof(repl), "%.*s", (int)strlen(cases[i].expect),
		    "Untrusted-Auth-Results--------");
		int rc = spool_file_patch(&a, cases[i].off, cases[i].expect, repl);

		if (rc != cases[i].rc) {
			print_error("case %zu: got %d, want %d\n", i, rc, cases[i].rc);
			test_failures++;
		}
	}
	spool_file_path(&a, path, sizeof(path));
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fread(got, 1, sizeof(got), fp), sizeof(msg) - 1);
	fclose(fp);
	got[sizeof(msg) - 1] = '\0';
	assert_string_equal(got, "Untrusted-Auth-Results: x\r\n\r\nbody\r\n");
	spool_file_abort(&a);
	check_failures();
}

static const struct {
	const char	*name;
	const char	*incoming[4];
	const char	*queue[6];	/* "ID": data; "ID.env": a valid envelope */
	const char	*want_incoming;
	const char	*want_queue;
	int		 want_count;
} recover_cases[] = {
	{ "incoming is emptied",
	    { "0000000100000001", "0000000100000001.env", "garbage" }, { NULL },
	    "", "", 0 },
	{ "data without envelope", { NULL }, { "0000000100000002" }, "", "", 0 },
	{ "envelope without data", { NULL }, { "0000000100000003.env" }, "", "", 0 },
	{ "temporary files", { NULL },
	    { "0000000100000004", "0000000100000004.env", "0000000100000004.env.tmp", "x.tmp" },
	    "", "0000000100000004 0000000100000004.env", 1 },
	{ "mixed", { "0000000100000009" },
	    { "0000000100000005", "0000000100000005.env", "0000000100000006",
	      "0000000100000007.env", "0000000100000008.env.tmp", "README" },
	    "", "0000000100000005 0000000100000005.env README", 1 },
};

static void
test_recover(void **state)
{
	struct fixture *f = *state;
	char names[1024], rel[128];
	uint64_t id;
	int got;

	for (size_t c = 0; c < sizeof(recover_cases) / sizeof(recover_cases[0]); c++) {
		teardown(state);
		setup(state);
		f = *state;
		for (size_t i = 0; i < 4 && recover_cases[c].incoming[i]; i++) {
			snprintf(rel, sizeof(rel), "incoming/%s", recover_cases[c].incoming[i]);
			put_file(f, rel, "partial");
		}
		for (size_t i = 0; i < 6 && recover_cases[c].queue[i]; i++) {
			const char *n = recover_cases[c].queue[i];
			char hex[17] = { 0 };

			if (strlen(n) == 20 && strcmp(n + 16, ".env") == 0) {
				memcpy(hex, n, 16);
				assert_int_equal(mg_id_parse(hex, &id), 0);
				put_env(f, id);
				continue;
			}
			snprintf(rel, sizeof(rel), "queue/%s", n);
			put_file(f, rel, "hello");
		}
		got = spool_recover(f->spool);
		if (got != recover_cases[c].want_count)
			fail_msg("%s: got count %d, want %d", recover_cases[c].name, got,
			    recover_cases[c].want_count);
		list_dir(f, "incoming", names, sizeof(names));
		if (strcmp(names, recover_cases[c].want_incoming) != 0)
			fail_msg("%s: incoming/ got \"%s\", want \"%s\"", recover_cases[c].name,
			    names, recover_cases[c].want_incoming);
		list_dir(f, "queue", names, sizeof(names));
		if (strcmp(names, recover_cases[c].want_queue) != 0)
			fail_msg("%s: queue/ got \"%s\", want \"%s\"", recover_cases[c].name,
			    names, recover_cases[c].want_queue);
	}
}

static void
test_env_store(void **state)
{
	struct fixture *f = *state;
	struct spool_file sf, *batch = &sf;
	struct envelope e, d;
	char path[256], before[4096], names[1024];
	ssize_t n;
	int fd;

	assert_int_equal(receive(f->spool, &sf), 0);
	assert_int_equal(spool_commit_batch(&batch, 1), 0);
	assert_int_equal(spool_env_load(f->spool, sf.id, &e), 0);
	snprintf(path, sizeof(path), "%s/queue/%016" PRIx64 ".env", f->dir, sf.id);
	assert_true((fd = open(path, O_RDONLY)) >= 0);	/* a reader of the old one */
	e.attempts = 3;
	e.next_attempt = 1900000000;
	e.rcpts[0].status = ENV_RCPT_DELIVERED;
	e.rcpts[0].reply = strdup("250 2.0.0 ok");
	assert_int_equal(spool_env_store(f->spool, &e), 0);
	assert_int_equal(spool_env_load(f->spool, sf.id, &d), 0);
	assert_int_equal(d.attempts, 3);
	assert_int_equal(d.next_attempt, 1900000000);
	assert_int_equal(d.rcpts[0].status, ENV_RCPT_DELIVERED);
	assert_string_equal(d.rcpts[0].reply, "250 2.0.0 ok");
	/* replaced by rename, not rewritten in place: the old file is intact */
	n = read(fd, before, sizeof(before) - 1);
	close(fd);
	assert_true(n > 0);
	before[n] = '\0';
	assert_non_null(strstr(before, "\"status\":\"pending\""));
	list_dir(f, "queue", names, sizeof(names));
	assert_null(strstr(names, ".tmp"));
	envelope_clear(&d);
	envelope_clear(&e);
}

static void
test_inject_and_remove(void **state)
{
	struct fixture *f = *state;
	struct envelope e = { .mail_from = strdup(""), .is_dsn = true }, d;
	const char msg[] = "From: MAILER-DAEMON\r\n\r\nbounce\r\n";
	char names[1024], buf[128];
	uint64_t size;
	ssize_t n;
	int fd;

	assert_int_equal(envelope_add_rcpt(&e, "s@example.test", NULL, 0), 0);
	assert_int_equal(spool_inject(f->spool, &e, msg, sizeof(msg) - 1), 0);
	assert_int_not_equal(e.id, 0);
	assert_int_equal(e.size, sizeof(msg) - 1);
	assert_int_equal(spool_env_load(f->spool, e.id, &d), 0);
	assert_int_equal(d.id, e.id);
	assert_true(d.is_dsn);
	assert_int_equal(d.size, sizeof(msg) - 1);
	envelope_clear(&d);
	assert_int_equal(spool_data_open(f->spool, e.id, &fd, &size), 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, sizeof(msg) - 1);
	assert_memory_equal(buf, msg, sizeof(msg) - 1);
	list_dir(f, "incoming", names, sizeof(names));
	assert_string_equal(names, "");

	assert_int_equal(spool_remove(f->spool, e.id), 0);
	assert_int_equal(spool_remove(f->spool, e.id), -MG_ENOENT);
	assert_int_equal(spool_env_load(f->spool, e.id, &d), -MG_ENOENT);
	list_dir(f, "queue", names, sizeof(names));
	assert_string_equal(names, "");
	envelope_clear(&e);
}

/* The child of the crash test: commits batches of 1-4 messages forever
 * and reports each id on the pipe only after spool_commit_batch returned. */
static _Noreturn void
crash_child(const char *dir, int wfd, unsigned seed)
{
	struct spool_file files[4], *batch[4];
	struct spool *sp;

	if (spool_open(dir, &sp) != 0)
		_exit(3);
	srand(seed);
	for (;;) {
		int k = 1 + rand() % 4;
		for (int i = 0; i < k; i++) {
			if (receive(sp, &files[i]) != 0)
				_exit(4);
			batch[i] = &files[i];
		}
		if (spool_commit_batch(batch, (size_t)k) != 0)
			_exit(4);
		for (int i = 0; i < k; i++)
			if (write(wfd, &files[i].id, sizeof(files[i].id)) != sizeof(files[i].id))
				_exit(5);
	}
}

struct id_set {
	uint64_t	*ids;
	size_t		 n, cap;
};

static void
id_add(struct id_set *s, uint64_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		assert_non_null(s->ids = realloc(s->ids, s->cap * sizeof(*s->ids)));
	}
	s->ids[s->n++] = id;
}

/* Reads one id from the child, waiting at most 30 s; false at EOF. */
static bool
read_id(int rfd, uint64_t *id)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*id)) {
		if (poll(&p, 1, 30000) != 1)
			fail_msg("child reported nothing for 30 s");
		if ((n = read(rfd, (char *)id + got, sizeof(*id) - got)) <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* Every envelope in queue/ must be a whole message after recovery. */
static int
verify_each(uint64_t id, void *arg)
{
	struct spool *sp = arg;
	char why[256];

	if (verify(sp, id, why, sizeof(why)) < 0)
		fail_msg("%016" PRIx64 " in queue/ after recovery: %s", id, why);
	return 0;
}

/* queue/ holds only whole pairs ID + ID.env: nothing partial. */
static void
assert_only_pairs(const struct fixture *f)
{
	char path[256], hex[17] = { 0 };
	struct dirent *e;
	uint64_t id;
	DIR *d;

	snprintf(path, sizeof(path), "%s/queue", f->dir);
	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		bool env = strlen(n) == 20 && strcmp(n + 16, ".env") == 0;

		if (n[0] == '.')
			continue;
		memcpy(hex, n, strlen(n) >= 16 ? 16 : 0);
		if ((strlen(n) != 16 && !env) || mg_id_parse(hex, &id) != 0)
			fail_msg("queue/%s: not a message file", n);
		snprintf(path, sizeof(path), "%s/queue/%s%s", f->dir, hex, env ? "" : ".env");
		if (access(path, F_OK) != 0)
			fail_msg("queue/%s: without its %s", n, env ? "data" : "envelope");
	}
	closedir(d);
}

static void
crash_round(struct fixture *f, unsigned seed, struct id_set *reported)
{
	int p[2], status;
	unsigned want = (unsigned)rand() % 60;
	uint64_t id;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		crash_child(f->dir, p[1], seed);
	}
	assert_true(pid > 0);
	close(p[1]);
	for (unsigned i = 0; i < want && read_id(p[0], &id); i++)
		id_add(reported, id);
	for (volatile unsigned spin = (unsigned)rand() % 2000000; spin > 0; spin--)
		;	/* a random moment inside the next commit */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("child exited with status %d before the kill", WEXITSTATUS(status));
	while (read_id(p[0], &id))
		id_add(reported, id);	/* reported before it died */
	close(p[0]);
}

static void
test_crash_during_commit(void **state)
{
	struct fixture *f = *state;
	struct id_set reported = { 0 };
	const char *env_seed = getenv("MG_TEST_SEED");
	unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : (unsigned)time(NULL);
	char names[1024], why[256];
	int rounds = 30, got;

	print_message("crash test seed=%u (set MG_TEST_SEED to repeat)\n", seed);
	srand(seed);
	f->spool = spool_close(f->spool);
	for (int r = 0; r < rounds; r++) {
		crash_round(f, seed + (unsigned)r, &reported);
		assert_int_equal(spool_open(f->dir, &f->spool), 0);
		got = spool_recover(f->spool);
		if (got < (int)reported.n)
			fail_msg("round %d: recovered %d messages, %zu were reported committed",
			    r, got, reported.n);
		for (size_t i = 0; i < reported.n; i++)
			if (verify(f->spool, reported.ids[i], why, sizeof(why)) < 0)
				fail_msg("round %d: reported %016" PRIx64 ": %s", r,
				    reported.ids[i], why);
		assert_int_equal(spool_queue_each(f->spool, verify_each, f->spool), 0);
		assert_only_pairs(f);
		list_dir(f, "incoming", names, sizeof(names));
		assert_string_equal(names, "");
		f->spool = spool_close(f->spool);
	}
	print_message("crash test: %d rounds, %zu messages reported committed, all intact\n",
	    rounds, reported.n);
	assert_int_equal(spool_open(f->dir, &f->spool), 0);
	free(reported.ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_batch_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_during_commit, setup, teardown),
	};

	umask(022);
	log_init("test_spool_commit", true, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
