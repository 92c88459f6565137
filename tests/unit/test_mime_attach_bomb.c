/* Archive bombs (declared sizes, streams read past the ratio, nested,
 * total size and member count limits), each flagged in under a second
 * without the peak memory growing by what it would expand to; corrupt and
 * truncated archives flagged, never a crash. */
#include <sys/resource.h>
#include <time.h>

#include "attach_fixture.h"

#define BOMB_SIZE	(50u * 1024 * 1024)

/* An archive of one member of size zero bytes, written in 1 MiB pieces. */
static struct blob
build_zeros(int format, int filter, const char *name, size_t size)
{
	struct blob b = { malloc(OUT_MAX), 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	uint8_t *zero = calloc(1, 1024 * 1024);
	size_t done;

	assert_non_null(b.data);
	assert_non_null(zero);
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	if (format == ARCHIVE_FORMAT_ZIP)
		assert_int_equal(archive_write_set_options(a, "zip:compression-level=9"), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, b.data, OUT_MAX, &b.len), ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	for (done = 0; done < size; done += 1024 * 1024)
		assert_true(archive_write_data(a, zero, 1024 * 1024) == 1024 * 1024);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	free(zero);
	return b;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Analyses b and checks it is a bomb, flagged in under a second and
 * without the peak memory growing by what it expands to. */
static const struct mime_attachment *
check_bomb(struct mg_arena *a, const char *what, const char *name, struct blob b,
    const struct attach_limits *lim)
{
	long rss = max_rss_kib();
	double t0 = now(), dt;
	const struct mime_attachment *att = analyze(a, name, NULL, b, lim);
	char got[4096];

	dt = now() - t0;
	render(got, sizeof(got), att);
	if (att == NULL || !(att->flags & ATT_F_BOMB)) {
		print_error("%s (%zu bytes): not flagged as a bomb:\n%s\n", what, b.len, got);
		test_failures++;
	}
	if (dt > 1.0) {
		print_error("%s: took %.2f s\n", what, dt);
		test_failures++;
	}
	if (max_rss_kib() - rss > 16 * 1024) {
		print_error("%s: peak memory grew by %ld KiB\n", what, max_rss_kib() - rss);
		test_failures++;
	}
	return att;
}

static void
test_bombs(void **state)
{
	struct blob zip = build_zeros(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zeros.bin", BOMB_SIZE);
	struct blob tgz = build_zeros(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, "zeros.bin",
	    BOMB_SIZE);
	struct blob gz = build_zeros(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, "data", BOMB_SIZE);
	const struct file inner = { "zeros.zip", zip.data, zip.len };
	struct blob nested = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, &inner, 1);
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	const struct mime_attachment *att;

	(void)state;
	/* declared sizes: flagged before any byte is inflated */
	att = check_bomb(a, "zip", "zeros.zip", zip, NULL);
	if (att && (att->nmembers != 1 || att->members[0].size != BOMB_SIZE ||
	    att->members[0].real_type != NULL || att->members[0].flags != ATT_F_BOMB))
		fail_msg("zip bomb member: %zu members", att->nmembers);
	check_bomb(a, "tar.gz", "zeros.tar.gz", tgz, NULL);
	check_bomb(a, "nested zip", "nested.zip", nested, NULL);
	/* no declared size: read until the ratio is passed, then stopped */
	att = check_bomb(a, "gz", "zeros.gz", gz, NULL);
	if (att && (att->nmembers != 1 ||
	    att->members[0].size > 100u * gz.len + 1024 * 1024 + 64 * 1024))
		fail_msg("gz bomb member: %zu members, size %llu", att->nmembers,
		    att->nmembers ? (unsigned long long)att->members[0].size : 0ull);
	if (att)	/* named after the attachment */
		check_str("gz bomb member", att->members[0].path, "zeros");
	mg_arena_free(a);
	free(zip.data);
	free(tgz.data);
	free(gz.data);
	free(nested.data);
	check_failures();
}

/* Total size and member count limits: incompressible members, each far
 * from any ratio, make a bomb together. */
static void
test_bomb_limits(void **state)
{
	struct file files[20];
	uint8_t *noise = malloc(200 * 1024);
	struct attach_limits lim;
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	const struct mime_attachment *att;
	struct blob zip;
	char names[20][16];
	size_t i;

	(void)state;
	assert_non_null(noise);
	for (i = 0; i < 200 * 1024; i++)
		noise[i] = (uint8_t)((i * 2654435761u) >> 13);
	for (i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "f%02zu.bin", i);
		files[i] = (struct file){ names[i], noise, 200 * 1024 };
	}
	zip = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zip:compression=store", NULL,
	    files, 20);
	attach_limits_default(&lim);
	att = analyze(a, "x.zip", NULL, zip, &lim);
	if (att == NULL || (att->flags & ATT_F_BOMB) || att->nmembers != 20 ||
	    att->expanded != 20 * 200 * 1024)
		fail_msg("default limits: flags %#x, %zu members", att ? att->flags : 0,
		    att ? att->nmembers : 0);
	lim.max_expanded = 1024 * 1024;
	att = check_bomb(a, "total", "x.zip", zip, &lim);
	if (att && (att->nmembers != 6 || !(att->members[5].flags & ATT_F_BOMB)))
		fail_msg("total: %zu members", att->nmembers);
	attach_limits_default(&lim);
	lim.max_members = 5;
	att = check_bomb(a, "members", "x.zip", zip, &lim);
	if (att && att->nmembers != 5)
		fail_msg("members: %zu members", att->nmembers);
	mg_arena_free(a);
	free(zip.data);
	free(noise);
	check_failures();
}

static void
test_corrupt(void **state)
{
	const struct file files[] = {
		{ "a.txt", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "b.exe", samples[S_PE].data, samples[S_PE].len },
	};
	struct blob zip = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, files, 2);
	struct blob tgz = build(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, NULL, NULL, files, 2);
	struct blob s7 = build(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, files, 2);
	struct blob tz = seed("truncated.zip"), ttgz = seed("truncated.tar.gz");
	struct {
		const char	*what;
		struct blob	 b;
	} cases[] = {
		{ "zip cut in half", { zip.data, zip.len / 2 } },
		{ "zip cut at 40 bytes", { zip.data, 40 } },
		{ "tar.gz cut", { tgz.data, tgz.len - 30 } },
		{ "7z cut", { s7.data, s7.len - 20 } },
		{ "7z header only", { s7.data, 32 } },
		{ "seed truncated.zip", tz },
		{ "seed truncated.tar.gz", ttgz },
		{ "zip magic, garbage", blob_copy(L("PK\x03\x04\x14\0\0\0garbage garbage garbage")) },
		{ "zip magic, encrypted garbage", blob_copy(L("PK\x03\x04garbage garbage garbage")) },
		{ "gzip magic, garbage", blob_copy(L("\x1f\x8b\x08\x00garbage garbage garbage")) },
		{ "7z magic, garbage", blob_copy(L("7z\xbc\xaf\x27\x1c\x00\x04garbage garbage")) },
		{ "rar magic, garbage", blob_copy(L("Rar!\x1a\x07\x00garbage garbage garbage")) },
	};
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	char got[4096];
	size_t i;

	(void)state;
	/* the corrupted copy of the zip's second half */
	memset(zip.data + zip.len / 2, 0x5a, zip.len / 4);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mime_attachment *att = analyze(a, "x", NULL, cases[i].b, NULL);

		render(got, sizeof(got), att);
		if (att == NULL || !(att->flags & ATT_F_CORRUPT_ARCHIVE)) {
			print_error("%s: not flagged corrupt:\n%s\n", cases[i].what, got);
			test_failures++;
		}
	}
	for (i = 7; i < sizeof(cases) / sizeof(cases[0]); i++)
		free(cases[i].b.data);
	mg_arena_free(a);
	free(zip.data);
	free(tgz.data);
	free(s7.data);
	free(tz.data);
	free(ttgz.data);
	check_failures();
}
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_bomb_limits),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
