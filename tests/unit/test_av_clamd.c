/* The clamd client against a fake clamd on a UNIX socket that checks the
 * zINSTREAM framing and answers as told: OK, FOUND, an ERROR line,
 * garbage, an endless reply, silence (timeout), a hang-up; and no daemon. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "av/av.h"
#include "core/err.h"
#include "test_util.h"

TEST_SCRATCH_DIR("av-clamd")

struct fake {
	int		 lfd;
	const char	*reply;		/* sent with its NUL; NULL = hang up */
	size_t		 reply_len;	/* 0 = strlen + 1 */
	unsigned	 silence_ms;	/* before answering */
	uint8_t		*got;		/* the streamed bytes, reassembled */
	size_t		 got_len;
	char		 cmd[32];
	bool		 framing_ok;
};

static bool
read_full(int fd, void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t r = read(fd, (uint8_t *)p + off, n - off);
		if (r <= 0)
			return false;
		off += (size_t)r;
	}
	return true;
}

/* One connection: "zINSTREAM\0", chunks until a zero length, the reply. */
static void *
fake_serve(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	uint8_t hdr[4];
	size_t i = 0;

	if (fd == -1)
		return NULL;
	while (i < sizeof(f->cmd) - 1 && read_full(fd, &f->cmd[i], 1) && f->cmd[i] != '\0')
		i++;
	for (;;) {
		uint32_t n;
		if (!read_full(fd, hdr, 4))
			break;
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (n == 0) {
			f->framing_ok = true;
			break;
		}
		f->got = realloc(f->got, f->got_len + n);
		if (!read_full(fd, f->got + f->got_len, n))
			break;
		f->got_len += n;
	}
	usleep(f->silence_ms * 1000);
	/* The client may have given up (silence): no SIGPIPE, nothing to check. */
	if (f->reply != NULL)
		(void)send(fd, f->reply, f->reply_len ? f->reply_len : strlen(f->reply) + 1,
		    MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static int
fake_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void *
open_client(const char *path, double timeout)
{
	char addr[300], err[256];
	struct conf_av c;
	void *st;

	conf_av_defaults(&c);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	c.clamd = addr;
	c.clamd_timeout = timeout;
	if ((st = mg_av_clamd.open(&c, err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	return st;
}

static const char *
result(int rc, const struct mg_av_job *job)
{
	static char out[200];

	if (rc == MG_AV_FOUND)
		snprintf(out, sizeof(out), "found:%s", job->signature);
	else if (rc == MG_AV_CLEAN)
		snprintf(out, sizeof(out), "clean");
	else
		snprintf(out, sizeof(out), "error:%s", mg_strerror(rc));
	return out;
}

static void
test_clamd_replies(void **state)
{
	static char endless[4096];
	static const struct { const char *what, *reply; size_t len; unsigned silence_ms;
		size_t data_len; const char *want; } cases[] = {
		{ "clean", "stream: OK", 0, 0, 100, "clean" },
		{ "found", "stream: Eicar-Signature FOUND", 0, 0, 68, "found:Eicar-Signature" },
		{ "several chunks", "stream: OK", 0, 0, 200000, "clean" },
		{ "exactly one chunk", "stream: OK", 0, 0, 65536, "clean" },
		{ "empty", "stream: OK", 0, 0, 0, "clean" },
		{ "size limit", "INSTREAM size limit exceeded. ERROR", 0, 0, 10,
		  "error:protocol or format error" },
		{ "garbage", "\x01\xffhello", 0, 0, 10, "error:protocol or format error" },
		{ "FOUND without name", "stream:  FOUND", 0, 0, 10, "error:protocol or format error" },
		{ "no NUL, hang-up", "stream: OK", 10, 0, 10, "clean" },
		{ "endless reply", endless, sizeof(endless), 0, 10, "error:limit exceeded" },
		{ "hang-up", NULL, 0, 0, 10, "error:protocol or format error" },
		{ "silence", "stream: OK", 0, 700, 10, "error:timed out" },
	};
	char path[300], what[80];
	uint8_t *data = malloc(200000);

	memset(endless, 'x', sizeof(endless));
	for (size_t i = 0; i < 200000; i++)
		data[i] = (uint8_t)(i * 7);
	snprintf(path, sizeof(path), "%s/clamd.sock", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f = { .lfd = fake_listen(path), .reply = cases[i].reply,
			.reply_len = cases[i].len, .silence_ms = cases[i].silence_ms };
		void *st = open_client(path, 0.3);
		struct mg_av_job job;
		pthread_t th;
		int rc;

		assert_int_equal(pthread_create(&th, NULL, fake_serve, &f), 0);
		rc = mg_av_scan(&mg_av_clamd, st, &job, data, cases[i].data_len);
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].what);
		check_str(what, result(rc, &job), cases[i].want);
		pthread_join(th, NULL);
		check_str(what, f.cmd, "zINSTREAM");
		if (!f.framing_ok || f.got_len != cases[i].data_len ||
		    (f.got_len && memcmp(f.got, data, f.got_len) != 0)) {
			print_error("%s: stream of %zu bytes received as %zu, framing %s\n", what,
			    cases[i].data_len, f.got_len, f.framing_ok ? "ok" : "broken");
			test_failures++;
		}
		free(f.got);
		close(f.lfd);
		mg_av_clamd.close(st);
	}
	free(data);
	check_failures();
}

static void
test_clamd_unreachable(void **state)
{
	char path[300];
	struct mg_av_job job;
	void *st;

	snprintf(path, sizeof(path), "%s/nobody.sock", dir);
	st = open_client(path, 0.3);
	check_str("no daemon", result(mg_av_scan(&mg_av_clamd, st, &job, (const uint8_t *)"x", 1),
	    &job), "error:input/output error");
	assert_int_equal(job.fd, -1);
	mg_av_clamd.close(st);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clamd_replies),
		cmocka_unit_test(test_clamd_unreachable),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
