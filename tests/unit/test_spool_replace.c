/* The stripped copy's way into the spool: spool_file_replace puts
 * incoming/ID.new in the place of incoming/ID (then committed as usual,
 * the original gone), a missing replacement leaves the original, an abort
 * removes both; and the scan result's nstripped field round-trips and is
 * refused with an action other than accept. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"
#include "core/err.h"
#include "core/ipc.h"
#include "daemon/proto.h"
#include "spool/spool.h"

static char root[] = "/tmp/test_spool_replace.XXXXXX";
static char dir[128];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void
test_replace_then_commit(void **state)
{
	struct spool *s;
	struct spool_file f, *fp = &f;
	struct env_rcpt rcpt = { .addr = "bob@example.test" };
	struct envelope env = { .rcpts = &rcpt, .nrcpts = 1 };
	char path[256], repl[300], queued[256], buf[64] = "";
	int fd;

	(void)state;
	assert_int_equal(spool_open(dir, &s), 0);
	assert_int_equal(spool_file_create(s, &f), 0);
	assert_int_equal(spool_file_write(&f, "original\r\n", 10), 0);
	spool_file_path(&f, path, sizeof(path));
	snprintf(repl, sizeof(repl), "%s%s", path, SPOOL_NEW_SUFFIX);
	write_file(repl, "stripped copy\r\n");
	assert_int_equal(spool_file_replace(&f), 0);
	assert_int_equal(f.size, 15);
	assert_false(exists(repl));
	env.id = f.id;
	env.mail_from = "a@b.test";
	env.client_ip = "127.0.0.1";
	env.client_helo = "c.test";
	env.verdict = "dangerous";
	env.action = "deliver";
	assert_int_equal(spool_commit_prepare(&f, &env), 0);
	assert_int_equal(spool_commit_batch(&fp, 1), 0);
	snprintf(queued, sizeof(queued), "%s/queue/%016llx", dir, (unsigned long long)f.id);
	assert_true((fd = open(queued, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 15);
	close(fd);
	assert_string_equal(buf, "stripped copy\r\n");
	spool_close(s);
}

static void
test_replace_missing_and_abort(void **state)
{
	struct spool *s;
	struct spool_file f;
	char path[256], repl[300];

	(void)state;
	assert_int_equal(spool_open(dir, &s), 0);
	assert_int_equal(spool_file_create(s, &f), 0);
	assert_int_equal(spool_file_write(&f, "original\r\n", 10), 0);
	spool_file_path(&f, path, sizeof(path));
	snprintf(repl, sizeof(repl), "%s%s", path, SPOOL_NEW_SUFFIX);
	assert_int_equal(spool_file_replace(&f), -MG_EIO);
	assert_int_equal(f.size, 10);
	assert_true(exists(path));
	write_file(repl, "copy\r\n");
	spool_file_abort(&f);
	assert_false(exists(path));
	assert_false(exists(repl));
	spool_close(s);
}

static void
test_proto_nstripped(void **state)
{
	struct proto_scan_result in = { .qid = 7, .action = PROTO_SCAN_ACCEPT,
		.verdict = "dangerous", .headers = "", .reply = "", .symbols = "",
		.nstripped = 2 };
	struct proto_scan_result out;
	struct mg_buf b;

	(void)state;
	mg_buf_init(&b, 0);
	assert_int_equal(proto_scan_result_encode(&b, &in), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.nstripped, 2);
	proto_scan_result_clear(&out);
	mg_buf_reset(&b);
	in.action = PROTO_SCAN_REJECT;
	assert_int_equal(proto_scan_result_encode(&b, &in), 0);
	assert_int_equal(proto_scan_result_decode(b.data, b.len, &out), -MG_EPROTO);
	mg_buf_release(&b);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/spool", root);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_tree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_then_commit),
		cmocka_unit_test(test_replace_missing_and_abort),
		cmocka_unit_test(test_proto_nstripped),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
