/* libclamav behind struct mg_av_engine: our signatures written into a
 * scratch directory, EICAR found and a clean buffer not, a directory without
 * databases refused, and a reload while threads scan (each scan finishes on the
 * signatures it started with; the new ones apply afterwards). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "av/av.h"
#include "core/err.h"
#include "test_util.h"

static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
static const char marker[] = "mailgate-av-unit-test-marker-after-reload";
TEST_SCRATCH_DIR("av-clamav")

/* dir/NAME holding "SIGNAME:0:*:HEX(text)". */
static void
write_ndb(const char *name, const char *signame, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s:0:*:", signame);
	for (const char *p = text; *p; p++)
		fprintf(f, "%02x", (unsigned char)*p);
	fputc('\n', f);
	fclose(f);
}

static void *
open_engine(char *err, size_t errlen)
{
	struct conf_av c;

	conf_av_defaults(&c);
	c.clamav = true;
	c.database = dir;
	return mg_av_clamav.open(&c, err, errlen);
}

/* "found:SIG", "clean" or "error:REASON". */
static const char *
scan(void *st, const void *data, size_t len)
{
	static __thread char out[200];
	struct mg_av_job job;
	int rc = mg_av_scan(&mg_av_clamav, st, &job, data, len);

	if (rc == MG_AV_FOUND)
		snprintf(out, sizeof(out), "found:%s", job.signature);
	else if (rc == MG_AV_CLEAN)
		snprintf(out, sizeof(out), "clean");
	else
		snprintf(out, sizeof(out), "error:%s", mg_strerror(rc));
	return out;
}

static void
test_clamav_scan(void **state)
{
	static const struct { const char *what, *data, *want; } cases[] = {
		{ "eicar", eicar, "found:Test.Eicar.UNOFFICIAL" },
		{ "eicar inside text", "Dear user,\r\n" "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-"
		  "STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\nbye\r\n", "found:Test.Eicar.UNOFFICIAL" },
		{ "clean text", "Hello, this is a perfectly ordinary message.\r\n", "clean" },
		{ "empty", "", "clean" },
		{ "marker before reload", marker, "clean" },
	};
	char err[256];
	void *st;

	write_ndb("test.ndb", "Test.Eicar", eicar);
	if ((st = open_engine(err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(mg_av_clamav_signatures(st), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_str(cases[i].what, scan(st, cases[i].data, strlen(cases[i].data)),
		    cases[i].want);
	mg_av_clamav.close(st);
	check_failures();
}

static void
test_clamav_empty_dir(void **state)
{
	char err[256], want[300], sub[300];
	void *st;
	struct conf_av c;

	snprintf(sub, sizeof(sub), "%s/empty", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	conf_av_defaults(&c);
	c.database = sub;
	st = mg_av_clamav.open(&c, err, sizeof(err));
	assert_null(st);
	snprintf(want, sizeof(want), "clamav: %s: Can't open file or directory", sub);
	check_str("empty directory", err, want);
	check_failures();
}

struct scanner {
	void		*st;
	atomic_bool	*stop;
	unsigned	 scans, wrong;
};

static void *
scan_loop(void *arg)
{
	struct scanner *s = arg;

	while (!atomic_load(s->stop)) {
		if (strcmp(scan(s->st, eicar, strlen(eicar)), "found:Test.Eicar.UNOFFICIAL") != 0)
			s->wrong++;
		s->scans++;
	}
	return NULL;
}

static void
test_clamav_reload_while_scanning(void **state)
{
	struct scanner sc[3];
	pthread_t th[3];
	atomic_bool stop = false;
	char err[256];
	void *st;

	write_ndb("test.ndb", "Test.Eicar", eicar);
	if ((st = open_engine(err, sizeof(err))) == NULL)
		fail_msg("open: %s", err);
	for (int i = 0; i < 3; i++) {
		sc[i] = (struct scanner){ .st = st, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, scan_loop, &sc[i]), 0);
	}
	write_ndb("marker.ndb", "Test.Marker", marker);
	for (int i = 0; i < 3; i++)
		if (mg_av_clamav.reload(st, err, sizeof(err)) < 0)
			fail_msg("reload: %s", err);
	usleep(50000);
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		if (sc[i].wrong != 0 || sc[i].scans == 0)
			fail_msg("thread %d: %u wrong answers in %u scans", i, sc[i].wrong,
			    sc[i].scans);
	}
	assert_int_equal(mg_av_clamav_signatures(st), 2);
	check_str("marker after reload", scan(st, marker, strlen(marker)),
	    "found:Test.Marker.UNOFFICIAL");
	mg_av_clamav.close(st);
	check_failures();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clamav_scan),
		cmocka_unit_test(test_clamav_empty_dir),
		cmocka_unit_test(test_clamav_reload_while_scanning),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
