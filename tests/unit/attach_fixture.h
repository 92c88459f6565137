/* Shared by the attachment unit tests (test_mime_attach.c,
 * test_mime_attach_bomb.c): sample contents, archives built in memory with
 * libarchive's writer, seeds made by real tools, and the rendering of an
 * analysis as text so that a failure shows what was got and wanted. */
#ifndef MG_TESTS_ATTACH_FIXTURE_H
#define MG_TESTS_ATTACH_FIXTURE_H

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"
#include <archive.h>
#include <archive_entry.h>

#include "core/arena.h"
#include "mime/attach.h"

#define L(s)		(const uint8_t *)(s), sizeof(s) - 1
#define OUT_MAX		(4 * 1024 * 1024)
static struct attach_ctx *ctx;
static void put(char *, size_t, const char *, ...) __attribute__((format(printf, 3, 4)));

static void
put(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* "A|B" for a set of flags, "-" for none. */
static void
put_flags(char *buf, size_t cap, unsigned flags)
{
	unsigned bit;
	bool first = true;

	for (bit = 1; bit != 0; bit <<= 1) {
		if (!(flags & bit))
			continue;
		put(buf, cap, "%s%s", first ? "" : "|", attach_flag_name(bit) ? attach_flag_name(bit) : "?");
		first = false;
	}
	if (first)
		put(buf, cap, "-");
}

/* --- samples --- */

enum sample { S_TEXT, S_HTML, S_PDF, S_PNG, S_PE, S_ELF, S_RTF, S_SH, S_ZIP, S_EMPTY, S_COUNT };

struct blob {
	uint8_t		*data;
	size_t		 len;
};

static struct blob samples[S_COUNT];

static const uint8_t png_1x1[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55,
	0, 0, 0, 10, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1,
	0x73, 0x75, 0x01, 0x18, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

static struct blob
blob_copy(const void *p, size_t n)
{
	struct blob b = { malloc(n ? n : 1), n };

	assert_non_null(b.data);
	memcpy(b.data, p, n);
	return b;
}

static void
le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

/* A PE32 header libmagic recognises: MZ, e_lfanew, PE, COFF, optional header. */
static struct blob
make_pe(void)
{
	struct blob b = { calloc(1, 512), 512 };

	assert_non_null(b.data);
	memcpy(b.data, "MZ", 2);
	le32(b.data + 0x3c, 0x40);
	memcpy(b.data + 0x40, "PE\0\0", 4);
	le16(b.data + 0x44, 0x14c);		/* i386 */
	le16(b.data + 0x46, 1);			/* sections */
	le16(b.data + 0x54, 0xe0);		/* optional header size */
	le16(b.data + 0x56, 0x102);		/* executable, 32-bit */
	le16(b.data + 0x58, 0x10b);		/* PE32 */
	le16(b.data + 0x58 + 68, 2);		/* GUI subsystem */
	return b;
}

/* A 64-bit ELF executable header. */
static struct blob
make_elf(void)
{
	struct blob b = { calloc(1, 64), 64 };

	assert_non_null(b.data);
	memcpy(b.data, "\x7f" "ELF\x02\x01\x01", 7);
	le16(b.data + 16, 2);			/* ET_EXEC */
	le16(b.data + 18, 0x3e);		/* x86-64 */
	le32(b.data + 20, 1);
	le32(b.data + 24, 0x400000);
	le16(b.data + 52, 64);
	le16(b.data + 54, 56);
	le16(b.data + 58, 64);
	return b;
}

struct file {
	const char	*name;
	const uint8_t	*data;
	size_t		 len;
};

/* An archive in memory through libarchive's writer: format and filter
 * are ARCHIVE_FORMAT_* and ARCHIVE_FILTER_* codes; options and passphrase
 * may be NULL. */
static struct blob
build(int format, int filter, const char *options, const char *pass,
    const struct file *files, size_t nfiles)
{
	struct blob b = { malloc(OUT_MAX), 0 };
	struct archive *a = archive_write_new();
	/* the pax writer converts names through the locale */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old;
	size_t i;

	assert_non_null(b.data);
	assert_non_null(utf8);
	old = uselocale(utf8);
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	if (options != NULL && archive_write_set_options(a, options) != ARCHIVE_OK)
		fail_msg("options %s: %s", options, archive_error_string(a));
	if (pass != NULL)
		assert_int_equal(archive_write_set_passphrase(a, pass), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, b.data, OUT_MAX, &b.len), ARCHIVE_OK);
	for (i = 0; i < nfiles; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname_utf8(e, files[i].name);
		archive_entry_set_size(e, (la_int64_t)files[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			fail_msg("header %s: %s", files[i].name, archive_error_string(a));
		if (files[i].len > 0 &&
		    archive_write_data(a, files[i].data, files[i].len) != (la_ssize_t)files[i].len)
			fail_msg("data %s: %s", files[i].name, archive_error_string(a));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	uselocale(old);
	freelocale(utf8);
	return b;
}

static int
setup(void **state)
{
	char err[256];
	struct file t = { "t.txt", L("hello\n") };

	(void)state;
	if ((ctx = attach_ctx_new(err, sizeof(err))) == NULL) {
		print_error("attach_ctx_new: %s\n", err);
		return -1;
	}
	samples[S_TEXT] = blob_copy("hello\n", 6);
	samples[S_HTML] = blob_copy(L("<html><body><p>Hello</p></body></html>\n"));
	samples[S_PDF] = blob_copy(L("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"));
	samples[S_PNG] = blob_copy(png_1x1, sizeof(png_1x1));
	samples[S_PE] = make_pe();
	samples[S_ELF] = make_elf();
	samples[S_RTF] = blob_copy(L("{\\rtf1\\ansi Hello}\n"));
	samples[S_SH] = blob_copy(L("#!/bin/sh\necho hello\n"));
	samples[S_ZIP] = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, NULL, &t, 1);
	samples[S_EMPTY] = blob_copy("", 0);
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < S_COUNT; i++)
		free(samples[i].data);
	ctx = attach_ctx_free(ctx);
	return 0;
}

/* "type ext flags" then one line per member. */
static void
render(char *buf, size_t cap, const struct mime_attachment *att)
{
	size_t i;

	buf[0] = '\0';
	if (att == NULL) {
		put(buf, cap, "NULL");
		return;
	}
	put(buf, cap, "%s .%s ", att->real_type, att->extension);
	put_flags(buf, cap, att->flags);
	if (att->visual_name)
		put(buf, cap, " visual=%s", att->visual_name);
	for (i = 0; i < att->nmembers; i++) {
		const struct attach_member *m = &att->members[i];

		put(buf, cap, "\n  %s %u %llu %s ", m->path, m->depth, (unsigned long long)m->size,
		    m->real_type ? m->real_type : "(null)");
		put_flags(buf, cap, m->flags);
		if (m->visual_path)
			put(buf, cap, " visual=%s", m->visual_path);
	}
}

static struct mime_attachment *
analyze(struct mg_arena *a, const char *name, const char *declared, struct blob b,
    const struct attach_limits *lim)
{
	struct attach_limits def;

	if (lim == NULL) {
		attach_limits_default(&def);
		lim = &def;
	}
	return attach_analyze(ctx, a, name, declared, b.data, b.len, lim);
}

/* Loads a seed archive made by a real tool (zip -P, 7zz, gcab). */
static struct blob
seed(const char *name)
{
	char path[4096];
	struct blob b = { malloc(OUT_MAX), 0 };
	FILE *f;

	assert_non_null(b.data);
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_archive/%s", MG_SOURCE_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open seed %s", path);
	b.len = fread(b.data, 1, OUT_MAX, f);
	fclose(f);
	return b;
}

#endif
