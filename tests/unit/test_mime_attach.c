/* Attachments: name rules, the visual name of bidi tricks, the
 * type-mismatch table, and archives of each kind built with libarchive's
 * writer (zip, tar, tar.gz, tar.bz2, tar.xz, tar.zst, 7z, cpio, iso, single
 * gz and xz) or stored as seeds made by real tools (cab, zip -P, 7z -p and
 * -mhe); nested, too deep and encrypted archives. Bombs and corrupt
 * archives: test_mime_attach_bomb.c. */
#include "attach_fixture.h"

#define PE_TYPE		"application/vnd.microsoft.portable-executable"

static void
check_analysis(const char *what, const char *name, struct blob b,
    const struct attach_limits *lim, const char *want)
{
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	static char got[64 * 1024];

	render(got, sizeof(got), analyze(a, name, "application/octet-stream", b, lim));
	check_str(what, got, want);
	mg_arena_free(a);
}

/* --- name rules --- */

static void
test_name_flags(void **state)
{
	static const struct { const char *name; const char *want; } cases[] = {
		{ "report.pdf", "-" },
		{ "setup.exe", "DANGEROUS_EXT" },
		{ "SETUP.EXE", "DANGEROUS_EXT" },
		{ "invoice.pdf.exe", "DOUBLE_EXT|DANGEROUS_EXT" },
		{ "photo.JPG.scr", "DOUBLE_EXT|DANGEROUS_EXT" },
		{ "invoice.pdf                          .exe", "DOUBLE_EXT|DANGEROUS_EXT" },
		{ "invoice\xc2\xa0\xc2\xa0\xc2\xa0.js", "DOUBLE_EXT|DANGEROUS_EXT" },
		{ "invoice .exe", "DANGEROUS_EXT" },
		{ "setup.1.2.exe", "DANGEROUS_EXT" },
		{ "archive.tar.gz", "-" },
		{ "invoice.pdf.zip", "-" },
		{ "invoice.exe.", "DANGEROUS_EXT" },		/* Windows drops the dot */
		{ "invoice.exe  ", "DANGEROUS_EXT" },
		{ "C:\\Users\\x\\doc.pdf.vbs", "DOUBLE_EXT|DANGEROUS_EXT" },
		{ "dir/run.hta", "DANGEROUS_EXT" },
		{ "exe", "-" },
		{ ".exe", "DANGEROUS_EXT" },
		{ "x.lnk", "DANGEROUS_EXT" },
		{ "x.ps1", "DANGEROUS_EXT" },
		{ "x.iso", "-" },				/* a container, not dangerous */
		{ "x.img", "-" },
		{ "x.vhdx", "DANGEROUS_EXT" },			/* a disk image we cannot open */
		{ "x.jar", "DANGEROUS_EXT" },
		{ "x.docm", "-" },
		{ "invoice_\xe2\x80\xae" "fdp.exe", "RTLO|DANGEROUS_EXT" },
		{ "photo_\xe2\x80\xae" "gpj.js", "RTLO|DANGEROUS_EXT" },
		{ "a\xe2\x81\xa7" "b.txt", "RTLO" },		/* U+2067 RLI */
		{ "a\xe2\x80\x8f" "b.txt", "RTLO" },		/* U+200F RLM */
		{ "a\xd8\x9c" "b.txt", "RTLO" },		/* U+061C ALM */
		{ "caf\xc3\xa9.txt", "-" },
		{ "bad\xff.exe", "DANGEROUS_EXT" },
		{ "", "NO_NAME" },
		{ "   ", "NO_NAME" },
		{ "x.averyveryverylongextension", "-" },
	};
	char got[256] = "";
	size_t i;

	(void)state;
	put_flags(got, sizeof(got), attach_name_flags(NULL));
	check_str("NULL name", got, "NO_NAME");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[300];

		got[0] = '\0';
		put_flags(got, sizeof(got), attach_name_flags(cases[i].name));
		snprintf(what, sizeof(what), "name case %zu \"%s\"", i, cases[i].name);
		check_str(what, got, cases[i].want);
	}
	check_failures();
}

static void
test_visual_name(void **state)
{
	static const struct { const char *name, *want; } cases[] = {
		{ "invoice_\xe2\x80\xae" "fdp.exe", "invoice_exe.pdf" },
		{ "photo_\xe2\x80\xae" "gpj.scr", "photo_rcs.jpg" },
		{ "plain.txt", "plain.txt" },
		{ "a\xe2\x80\xae" "cba\xe2\x80\xac" "d", "aabcd" },
	};
	struct mg_arena *a = mg_arena_new(4096, 0);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = attach_visual_name(a, cases[i].name);
		char what[64];

		snprintf(what, sizeof(what), "visual case %zu", i);
		check_str(what, got ? got : "(null)", cases[i].want);
	}
	mg_arena_free(a);
	check_failures();
}

/* --- real types and mismatches --- */

static void
test_mismatch(void **state)
{
	static const struct {
		const char	*name, *declared;
		enum sample	 sample;
		const char	*want;
	} cases[] = {
		{ "photo.png", "image/png", S_PNG, "image/png .png -" },
		{ "photo.dat", "application/octet-stream", S_PNG, "image/png .dat TYPE_MISMATCH" },
		{ "photo.jpg", "image/jpeg", S_PNG, "image/png .jpg -" },
		{ "invoice.pdf", "application/pdf", S_PDF, "application/pdf .pdf -" },
		{ "invoice.pdf", "application/octet-stream", S_PDF, "application/pdf .pdf -" },
		{ "invoice.pdf", "Application/PDF; name=x", S_PDF, "application/pdf .pdf -" },
		{ "invoice.pdf", "application/pdf", S_PE,
		  "application/vnd.microsoft.portable-executable .pdf TYPE_MISMATCH|EXECUTABLE" },
		{ "invoice.pdf", "application/pdf", S_ZIP, "application/zip .pdf TYPE_MISMATCH|ARCHIVE" },
		{ "invoice.pdf", "application/pdf", S_HTML, "text/html .pdf TYPE_MISMATCH" },
		{ "scan", "application/pdf", S_PE,
		  "application/vnd.microsoft.portable-executable . TYPE_MISMATCH|EXECUTABLE" },
		{ "scan", "application/octet-stream", S_PE,
		  "application/vnd.microsoft.portable-executable . EXECUTABLE" },
		{ "scan", "text/plain", S_PE, "application/vnd.microsoft.portable-executable . EXECUTABLE" },
		{ "notes.txt", "text/plain", S_TEXT, "text/plain .txt -" },
		{ "notes.txt", "text/plain", S_HTML, "text/html .txt -" },
		{ "notes.txt", "text/plain", S_PE,
		  "application/vnd.microsoft.portable-executable .txt TYPE_MISMATCH|EXECUTABLE" },
		{ "notes.txt", "text/plain", S_SH, "text/x-shellscript .txt EXECUTABLE" },
		{ "data.bin", "application/octet-stream", S_TEXT, "text/plain .bin -" },
		{ "winmail.dat", "application/ms-tnef", S_TEXT, "text/plain .dat -" },
		{ "data.dat", "application/octet-stream", S_PDF, "application/pdf .dat TYPE_MISMATCH" },
		{ "setup.exe", "application/x-msdownload", S_PE,
		  "application/vnd.microsoft.portable-executable .exe DANGEROUS_EXT|EXECUTABLE" },
		{ "tool", NULL, S_ELF, "application/x-executable . EXECUTABLE" },
		{ "letter.doc", "application/msword", S_RTF, "text/rtf .doc -" },
		{ "letter.doc", "application/msword", S_PDF, "application/pdf .doc TYPE_MISMATCH" },
		{ "report.xls", "application/vnd.ms-excel", S_HTML, "text/html .xls -" },
		{ "report.docx",
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		  S_ZIP, "application/zip .docx ARCHIVE" },
		{ "page.html", "text/html", S_PDF, "application/pdf .html TYPE_MISMATCH" },
		{ "empty.png", "image/png", S_EMPTY, "application/x-empty .png -" },
		{ "Photo.PNG", "image/png", S_PE,
		  "application/vnd.microsoft.portable-executable .png TYPE_MISMATCH|EXECUTABLE" },
		{ NULL, NULL, S_TEXT, "text/plain . NO_NAME" },
		{ "", "", S_TEXT, "text/plain . NO_NAME" },
	};
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	char got[4096], what[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mime_attachment *att = analyze(a, cases[i].name, cases[i].declared,
		    samples[cases[i].sample], NULL);

		render(got, sizeof(got), att);
		snprintf(what, sizeof(what), "mismatch case %zu (%s)", i,
		    cases[i].name ? cases[i].name : "NULL");
		if (cases[i].sample != S_ZIP)
			check_str(what, got, cases[i].want);
		else	/* the member line follows */
			check_str(what, strtok(got, "\n"), cases[i].want);
	}
	mg_arena_free(a);
	check_failures();
}

static void
test_fields(void **state)
{
	struct mg_arena *a = mg_arena_new(4096, 0);
	struct mime_attachment *att;
	char long_name[2000];

	(void)state;
	att = analyze(a, "Hello.TXT", "TEXT/Plain", samples[S_TEXT], NULL);
	assert_non_null(att);
	assert_string_equal(att->name, "Hello.TXT");
	assert_string_equal(att->declared_type, "text/plain");
	assert_string_equal(att->extension, "txt");
	assert_int_equal(att->size, 6);
	assert_string_equal(att->sha256,
	    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	assert_int_equal(att->nmembers, 0);
	att = analyze(a, NULL, NULL, samples[S_EMPTY], NULL);
	assert_non_null(att);
	assert_string_equal(att->name, "");
	assert_string_equal(att->declared_type, "");
	assert_string_equal(att->sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* a name that is not UTF-8 comes back as UTF-8 */
	att = analyze(a, "caf\xe9.pdf.exe", NULL, samples[S_PE], NULL);
	assert_non_null(att);
	assert_string_equal(att->name, "caf\xef\xbf\xbd.pdf.exe");
	assert_int_equal(att->flags & ATT_F_DOUBLE_EXT, ATT_F_DOUBLE_EXT);
	/* RTLO: the name a reader sees */
	att = analyze(a, "invoice_\xe2\x80\xae" "fdp.exe", NULL, samples[S_PE], NULL);
	assert_non_null(att);
	assert_string_equal(att->visual_name, "invoice_exe.pdf");
	/* an exhausted arena gives NULL, not a crash */
	mg_arena_free(a);
	a = mg_arena_new(1024, 1024);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_null(analyze(a, long_name, NULL, samples[S_TEXT], NULL));
	mg_arena_free(a);
	for (unsigned bit = 1; bit <= ATT_F_PASSWORD_IN_BODY; bit <<= 1)
		assert_non_null(attach_flag_name(bit));
	assert_null(attach_flag_name(ATT_F_PASSWORD_IN_BODY << 1));
	assert_null(attach_flag_name(3));
}

static void
test_archive_kinds(void **state)
{
	static const struct {
		const char	*label, *name;
		int		 format, filter;
		const char	*type;
	} kinds[] = {
		{ "zip", "x.zip", ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "application/zip" },
		{ "tar", "x.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE,
		  "application/x-tar" },
		{ "tar.gz", "x.tar.gz", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP,
		  "application/gzip" },
		{ "tar.bz2", "x.tbz2", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2,
		  "application/x-bzip2" },
		{ "tar.xz", "x.tar.xz", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ,
		  "application/x-xz" },
		{ "tar.zst", "x.tar.zst", ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_ZSTD,
		  "application/zstd" },
		{ "7z", "x.7z", ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, "application/x-7z-compressed" },
		{ "cpio", "x.cpio", ARCHIVE_FORMAT_CPIO_POSIX, ARCHIVE_FILTER_NONE, "application/x-cpio" },
		{ "iso", "x.iso", ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE,
		  "application/x-iso9660-image" },
	};
	const struct file files[] = {
		{ "docs/a.txt", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "b.exe", samples[S_PE].data, samples[S_PE].len },
	};
	char want[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct blob b = build(kinds[i].format, kinds[i].filter, NULL, NULL, files, 2);

		snprintf(want, sizeof(want), "%s .%s DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n"
		    "  docs/a.txt 1 6 text/plain -\n"
		    "  b.exe 1 512 " PE_TYPE " DANGEROUS_EXT|EXECUTABLE", kinds[i].type,
		    strrchr(kinds[i].name, '.') + 1);
		check_analysis(kinds[i].label, kinds[i].name, b, NULL, want);
		free(b.data);
	}
	check_failures();
}

/* One compressed stream: its content is named after the attachment. */
static void
test_single_stream(void **state)
{
	const struct file pe = { "data", samples[S_PE].data, samples[S_PE].len };
	struct blob gz = build(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, NULL, NULL, &pe, 1);
	struct blob xz = build(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, NULL, NULL, &pe, 1);

	(void)state;
	check_analysis("gz", "invoice.pdf.exe.gz", gz, NULL,
	    "application/gzip .gz DOUBLE_EXT|DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n"
	    "  invoice.pdf.exe 1 512 " PE_TYPE " DOUBLE_EXT|DANGEROUS_EXT|EXECUTABLE");
	check_analysis("xz", "tool.XZ", xz, NULL,
	    "application/x-xz .xz EXECUTABLE|ARCHIVE\n"
	    "  tool 1 512 " PE_TYPE " EXECUTABLE");
	check_analysis("gz unnamed", NULL, gz, NULL,
	    "application/gzip . EXECUTABLE|ARCHIVE|NO_NAME\n"
	    "  data 1 512 " PE_TYPE " EXECUTABLE");
	free(gz.data);
	free(xz.data);
	check_failures();
}

/* Name tricks and mismatches inside an archive reach the attachment. */
static void
test_member_tricks(void **state)
{
	const struct file files[] = {
		{ "invoice_\xe2\x80\xae" "fdp.exe", samples[S_PE].data, samples[S_PE].len },
		{ "scan.pdf", samples[S_PE].data, samples[S_PE].len },
		{ "photo.jpg        .js", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "r\xc3\xa9sum\xc3\xa9.png", samples[S_PNG].data, samples[S_PNG].len },
		{ "empty.txt", samples[S_EMPTY].data, 0 },
	};
	struct blob zip = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, files, 5);
	struct blob tar = build(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, NULL, NULL,
	    files, 5);
	const char *members =
	    "  invoice_\xe2\x80\xae" "fdp.exe 1 512 " PE_TYPE " RTLO|DANGEROUS_EXT|EXECUTABLE"
	    " visual=invoice_exe.pdf\n"
	    "  scan.pdf 1 512 " PE_TYPE " TYPE_MISMATCH|EXECUTABLE\n"
	    "  photo.jpg        .js 1 6 text/plain DOUBLE_EXT|DANGEROUS_EXT\n"
	    "  r\xc3\xa9sum\xc3\xa9.png 1 67 image/png -\n"
	    "  empty.txt 1 0 application/x-empty -";
	char want[2048];

	(void)state;
	snprintf(want, sizeof(want), "application/zip .zip TYPE_MISMATCH|DOUBLE_EXT|RTLO|"
	    "DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n%s", members);
	check_analysis("zip", "files.zip", zip, NULL, want);
	snprintf(want, sizeof(want), "application/x-tar .tar TYPE_MISMATCH|DOUBLE_EXT|RTLO|"
	    "DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n%s", members);
	check_analysis("tar", "files.tar", tar, NULL, want);
	free(zip.data);
	free(tar.data);
	check_failures();
}

static void
test_nested(void **state)
{
	const struct file deep[] = {
		{ "deep/evil.exe", samples[S_PE].data, samples[S_PE].len },
	};
	struct blob inner = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, deep, 1);
	const struct file mid[] = {
		{ "readme.txt", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "inner.zip", inner.data, inner.len },
	};
	struct blob tgz = build(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, NULL, NULL, mid, 2);
	const struct file top[] = { { "bundle.tar.gz", tgz.data, tgz.len } };
	struct blob outer = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, top, 1);
	char want[2048];

	(void)state;
	snprintf(want, sizeof(want),
	    "application/zip .zip DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n"
	    "  bundle.tar.gz 1 %zu application/gzip ARCHIVE\n"
	    "  bundle.tar.gz/readme.txt 2 6 text/plain -\n"
	    "  bundle.tar.gz/inner.zip 2 %zu application/zip ARCHIVE\n"
	    "  bundle.tar.gz/inner.zip/deep/evil.exe 3 512 " PE_TYPE " DANGEROUS_EXT|EXECUTABLE",
	    tgz.len, inner.len);
	check_analysis("nested", "outer.zip", outer, NULL, want);
	free(inner.data);
	free(tgz.data);
	free(outer.data);
	check_failures();
}

/* Members' bytes are kept for the checks (nested archives too), each
 * exactly as stored, within max_kept per message: what does not fit is
 * listed without its bytes. */
static void
test_member_bytes(void **state)
{
	const struct file deep[] = {
		{ "deep/evil.exe", samples[S_PE].data, samples[S_PE].len },
	};
	struct blob inner = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, deep, 1);
	const struct file mid[] = {
		{ "readme.txt", samples[S_TEXT].data, samples[S_TEXT].len },
		{ "inner.zip", inner.data, inner.len },
	};
	struct blob tgz = build(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, NULL, NULL, mid, 2);
	const struct blob want[] = { tgz, { (uint8_t *)samples[S_TEXT].data, samples[S_TEXT].len },
		inner, { (uint8_t *)samples[S_PE].data, samples[S_PE].len } };
	const struct file top[] = { { "bundle.tar.gz", tgz.data, tgz.len } };
	struct blob outer = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, top, 1);
	struct attach_limits lim;
	struct mg_arena *a = mg_arena_new(64 * 1024, 0);
	const struct mime_attachment *att;

	(void)state;
	attach_limits_default(&lim);
	att = analyze(a, "bundle.zip", "application/zip", outer, &lim);
	assert_non_null(att);
	assert_int_equal(att->nmembers, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct attach_member *m = &att->members[i];

		if (m->data == NULL || m->len != want[i].len ||
		    memcmp(m->data, want[i].data, m->len) != 0)
			fail_msg("%s: kept %zu bytes, want %zu", m->path, m->len, want[i].len);
	}
	/* room for readme.txt and evil.exe only (inner archives are kept after
	 * their members) */
	lim.max_kept = samples[S_TEXT].len + samples[S_PE].len;
	att = analyze(a, "bundle.zip", "application/zip", outer, &lim);
	assert_non_null(att);
	assert_null(att->members[0].data);
	assert_non_null(att->members[1].data);
	assert_null(att->members[2].data);
	assert_non_null(att->members[3].data);
	mg_arena_free(a);
	free(inner.data);
	free(tgz.data);
	free(outer.data);
}

/* Six zips in each other: listed down to max_depth, the deepest archive
 * reached is flagged and not opened. */
static void
test_depth_limit(void **state)
{
	struct file f = { "evil.exe", samples[S_PE].data, samples[S_PE].len };
	struct blob level[6];
	struct attach_limits lim;
	char got[4096], name[16];
	struct mg_arena *a = mg_arena_new(16 * 1024, 0);
	struct mime_attachment *att;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		level[i] = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, &f, 1);
		snprintf(name, sizeof(name), "l%zu.zip", i);
		f = (struct file){ name, level[i].data, level[i].len };
	}
	attach_limits_default(&lim);
	att = analyze(a, "top.zip", NULL, level[5], &lim);
	render(got, sizeof(got), att);
	assert_non_null(att);
	if (att->nmembers != 4 || att->members[3].depth != 4 ||
	    att->members[3].flags != (ATT_F_ARCHIVE | ATT_F_DEPTH_LIMIT) ||
	    att->flags != (ATT_F_ARCHIVE | ATT_F_DEPTH_LIMIT) ||
	    strcmp(att->members[3].path, "l4.zip/l3.zip/l2.zip/l1.zip") != 0)
		fail_msg("depth 4: got\n%s", got);
	lim.max_depth = 6;
	att = analyze(a, "top.zip", NULL, level[5], &lim);
	render(got, sizeof(got), att);
	if (att == NULL || att->nmembers != 6 || att->members[5].depth != 6 ||
	    att->flags != (ATT_F_ARCHIVE | ATT_F_DANGEROUS_EXT | ATT_F_EXECUTABLE))
		fail_msg("depth 6: got\n%s", got);
	for (i = 0; i < 6; i++)
		free(level[i].data);
	mg_arena_free(a);
}

static void
test_encrypted(void **state)
{
	const struct file files[] = {
		{ "secret.exe", samples[S_PE].data, samples[S_PE].len },
		{ "notes.txt", samples[S_TEXT].data, samples[S_TEXT].len },
	};
	struct blob zc = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zip:encryption=zipcrypt",
	    "secret", files, 2);
	struct blob aes = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zip:encryption=aes256",
	    "secret", files, 2);
	struct blob zp = seed("zip-P.zip"), s7 = seed("7z-p.7z"), h7 = seed("7z-mhe.7z");

	(void)state;
	check_analysis("zipcrypt", "x.zip", zc, NULL,
	    "application/zip .zip DANGEROUS_EXT|ARCHIVE|ENCRYPTED\n"
	    "  secret.exe 1 512 (null) DANGEROUS_EXT|ENCRYPTED\n"
	    "  notes.txt 1 6 (null) ENCRYPTED");
	check_analysis("aes256", "x.zip", aes, NULL,
	    "application/zip .zip DANGEROUS_EXT|ARCHIVE|ENCRYPTED\n"
	    "  secret.exe 1 512 (null) DANGEROUS_EXT|ENCRYPTED\n"
	    "  notes.txt 1 6 (null) ENCRYPTED");
	check_analysis("zip -P", "x.zip", zp, NULL,
	    "application/zip .zip ARCHIVE|ENCRYPTED\n"
	    "  hello.txt 1 6 (null) ENCRYPTED");
	check_analysis("7z -p", "x.7z", s7, NULL,
	    "application/x-7z-compressed .7z ARCHIVE|ENCRYPTED\n"
	    "  hello.txt 1 6 (null) ENCRYPTED");
	/* names encrypted too: nothing to list, and not readable to its end */
	check_analysis("7z -mhe", "x.7z", h7, NULL,
	    "application/x-7z-compressed .7z ARCHIVE|ENCRYPTED|CORRUPT_ARCHIVE");
	free(zc.data);
	free(aes.data);
	free(zp.data);
	free(s7.data);
	free(h7.data);
	check_failures();
}

/* Kinds libarchive cannot write: made by gcab and stored as seeds. */
static void
test_seed_kinds(void **state)
{
	struct blob cab = seed("gcab-z.cab");

	(void)state;
	check_analysis("cab", "x.cab", cab, NULL,
	    "application/vnd.ms-cab-compressed .cab DANGEROUS_EXT|EXECUTABLE|ARCHIVE\n"
	    "  hello.txt 1 6 text/plain -\n"
	    "  run.bat 1 20 text/x-msdos-batch DANGEROUS_EXT|EXECUTABLE");
	free(cab.data);
	check_failures();
}
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_flags),
		cmocka_unit_test(test_visual_name),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_archive_kinds),
		cmocka_unit_test(test_single_stream),
		cmocka_unit_test(test_member_tricks),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_member_bytes),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_seed_kinds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
