/* The Office readers: [MS-CFB] chains (loops, sectors out of range,
 * truncated files) on a compound file built here, [MS-OVBA] decompression
 * vectors (the spec's examples among them) and dir stream records, VBA
 * source analysis, DDE fields, and the office check's symbols. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check_fixture.h"
#include "checks/office.h"
#include "core/err.h"
#include "files/office.h"
#include "files/ole.h"
#include "files/vba.h"
#include "mime/attach.h"

/* The compound file built here (version 3, 512-byte sectors): sector 0
 * FAT, 1 and 12 directory, 2..9 "Workbook" (4096 bytes), 10 mini stream,
 * 11 miniFAT; "Small" is 100 bytes in mini sectors 0 and 1. */
#define CFB_SECTORS	13
#define CFB_LEN		(512 * (CFB_SECTORS + 1))
#define SEC(n)		(512 * ((n) + 1))

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
dirent(uint8_t *e, const char *name, uint8_t type, uint32_t right, uint32_t child,
    uint32_t start, uint32_t size)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		e[2 * i] = (uint8_t)name[i];
	put16(e + 64, (uint16_t)(2 * n + 2));
	e[66] = type;
	e[67] = 1;
	put32(e + 68, OLE_NONE);
	put32(e + 72, right);
	put32(e + 76, child);
	put32(e + 116, start);
	put32(e + 120, size);
}

/* A BIFF8 workbook stream with a hidden Excel 4.0 macro sheet "Macro1". */
static void
workbook(uint8_t *w)
{
	static const uint8_t recs[] = {
		0x09, 0x08, 0x04, 0x00, 0x00, 0x06, 0x05, 0x00,		/* BOF */
		0x85, 0x00, 0x0e, 0x00, 0, 0, 0, 0, 0x01, 0x01, 6, 0,
		'M', 'a', 'c', 'r', 'o', '1',				/* BOUNDSHEET */
		0x0a, 0x00, 0x00, 0x00,					/* EOF */
	};
	memcpy(w, recs, sizeof(recs));
}

static void
cfb_build(uint8_t *f)
{
	static const uint8_t sig[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	uint8_t *fat = f + SEC(0), *dir = f + SEC(1);

	memset(f, 0, CFB_LEN);
	memcpy(f, sig, 8);
	put16(f + 24, 0x3e);
	put16(f + 26, 3);
	put16(f + 28, 0xfffe);
	put16(f + 30, 9);
	put16(f + 32, 6);
	put32(f + 44, 1);		/* FAT sectors */
	put32(f + 48, 1);		/* first directory sector */
	put32(f + 56, 4096);
	put32(f + 60, 11);		/* first miniFAT sector */
	put32(f + 64, 1);
	put32(f + 68, 0xfffffffe);
	put32(f + 76, 0);		/* DIFAT[0]: the FAT is sector 0 */
	for (size_t i = 1; i < 109; i++)
		put32(f + 76 + 4 * i, 0xffffffff);
	memset(fat, 0xff, 512);
	put32(fat, 0xfffffffd);
	put32(fat + 4, 12);
	put32(fat + 48, 0xfffffffe);
	for (uint32_t s = 2; s < 9; s++)
		put32(fat + 4 * s, s + 1);
	put32(fat + 36, 0xfffffffe);
	put32(fat + 40, 0xfffffffe);
	put32(fat + 44, 0xfffffffe);
	dirent(dir, "Root Entry", OLE_ROOT, OLE_NONE, 1, 10, 128);
	dirent(dir + 128, "Workbook", OLE_STREAM, 2, OLE_NONE, 2, 4096);
	dirent(dir + 256, "Small", OLE_STREAM, OLE_NONE, OLE_NONE, 0, 100);
	workbook(f + SEC(2));
	for (size_t i = 0; i < 100; i++)
		f[SEC(10) + i] = (uint8_t)('a' + i % 26);
	memset(f + SEC(11), 0xff, 512);
	put32(f + SEC(11), 1);
	put32(f + SEC(11) + 4, 0xfffffffe);
}

/* Appends the dir record id/size/data to d at *n. */
static void
rec(uint8_t *d, size_t *n, uint16_t id, const void *data, uint32_t size)
{
	put16(d + *n, id);
	put32(d + *n + 2, size);
	memcpy(d + *n + 6, data, size);
	*n += 6 + size;
}

/* A literal-only CompressedContainer of in[0..n) (n < 4096) in out. */
static size_t
literal_container(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 3;

	out[0] = 1;
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			out[o++] = 0;
		out[o++] = in[i];
	}
	put16(out + 1, (uint16_t)(0xb000 | (o - 3 - 1)));
	return o;
}

/* cfb_build with a VBA project instead of "Small": storage "VBA" holding
 * "dir" (mini sector 0) whose two module records both name stream "M"
 * (mini sector 1, source with AutoOpen and Shell). *used: the bytes read
 * and decompressed to read the project. */
static void
cfb_build_vba(uint8_t *f, size_t *used)
{
	static const char src[] = "Sub AutoOpen()\r\n Shell 1\r\nEnd Sub\r\n";
	uint8_t dir[128], *d1 = f + SEC(1), *d2 = f + SEC(12);
	size_t n = 0, dlen, mlen;

	cfb_build(f);
	for (int k = 0; k < 2; k++) {
		rec(dir, &n, 0x0019, "M", 1);
		rec(dir, &n, 0x001a, "M", 1);
		rec(dir, &n, 0x0031, "\0\0\0\0", 4);
		rec(dir, &n, 0x002b, "", 0);
	}
	rec(dir, &n, 0x0010, "", 0);
	memset(f + SEC(10), 0, 512);
	dlen = literal_container(dir, n, f + SEC(10));
	mlen = literal_container((const uint8_t *)src, sizeof(src) - 1, f + SEC(10) + 64 * 2);
	assert_true(dlen <= 128 && mlen <= 64);
	memset(d1 + 256, 0, 128);
	dirent(d1 + 256, "VBA", OLE_STORAGE, OLE_NONE, 3, 0, 0);
	dirent(d1 + 384, "dir", OLE_STREAM, 4, OLE_NONE, 0, (uint32_t)dlen);
	dirent(d2, "M", OLE_STREAM, OLE_NONE, OLE_NONE, 2, (uint32_t)mlen);
	put32(f + SEC(1) + 120, 192);	/* the mini stream: 3 mini sectors */
	put32(f + SEC(11), 1);
	put32(f + SEC(11) + 4, 0xfffffffe);
	put32(f + SEC(11) + 8, 0xfffffffe);
	*used = dlen + n + 2 * (mlen + sizeof(src) - 1);
}

/* Opens f[0..len) and reads path: 0 and the stream's size, or the error. */
static int
cfb_read(const uint8_t *f, size_t len, const char *path, size_t *got)
{
	struct ole_file o;
	uint8_t *data;
	int e, rc;

	*got = 0;
	if ((rc = ole_open(&o, f, len)) < 0)
		return rc;
	if ((e = ole_find(&o, path)) < 0)
		rc = e;
	else if ((rc = ole_read(&o, (uint32_t)e, OLE_MAX_STREAM, &data, got)) == 0)
		free(data);
	ole_close(&o);
	return rc;
}

static void
test_cfb_chains(void **state)
{
	static const struct {
		const char	*what;
		size_t		 at;		/* byte offset patched, or 0 */
		uint32_t	 value;
		size_t		 len;		/* file length, 0 = whole */
		const char	*path;
		int		 want;
		size_t		 want_len;
	} cases[] = {
		{ "big stream", 0, 0, 0, "Workbook", 0, 4096 },
		{ "mini stream", 0, 0, 0, "small", 0, 100 },
		{ "no such stream", 0, 0, 0, "Macros/VBA/dir", -MG_ENOENT, 0 },
		{ "FAT loop", SEC(0) + 4 * 5, 3, 0, "Workbook", -MG_EPROTO, 0 },
		{ "FAT self loop", SEC(0) + 4 * 2, 2, 0, "Workbook", -MG_EPROTO, 0 },
		{ "sector past the FAT", SEC(0) + 4 * 4, 5000, 0, "Workbook", -MG_EPROTO, 0 },
		{ "sector past the file", SEC(0) + 4 * 4, 100, 0, "Workbook", -MG_EPROTO, 0 },
		{ "chain shorter than size", SEC(1) + 128 + 120, 8192, 0, "Workbook", -MG_EPROTO, 0 },
		{ "directory loop", SEC(0) + 4, 1, 0, "Workbook", -MG_EPROTO, 0 },
		{ "miniFAT loop", SEC(11), 0, 0, "Small", -MG_EPROTO, 0 },
		{ "mini stream larger than the file", SEC(1) + 120, 1u << 30, 0, "Small",
		  -MG_EPROTO, 0 },
		{ "FAT count past the file", 44, 100000, 0, "Workbook", -MG_EPROTO, 0 },
		{ "FAT sector out of range", 76, 4000, 0, "Workbook", -MG_EPROTO, 0 },
		{ "sector shift 10", 30, 10, 0, "Workbook", -MG_EPROTO, 0 },
		{ "child loop in the tree", SEC(1) + 128 + 68, 1, 0, "Small", 0, 100 },
		{ "sibling cycle", SEC(1) + 256 + 72, 1, 0, "Small", 0, 100 },
		{ "truncated in the stream", 0, 0, SEC(6), "Workbook", -MG_EPROTO, 0 },
		{ "truncated in the header", 0, 0, 300, "Workbook", -MG_EPROTO, 0 },
		{ "truncated before the miniFAT", 0, 0, SEC(11), "Small", -MG_EPROTO, 0 },
	};
	static uint8_t f[CFB_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got;
		int rc;
		cfb_build(f);
		if (cases[i].at > 0)
			put32(f + cases[i].at, cases[i].value);
		rc = cfb_read(f, cases[i].len ? cases[i].len : CFB_LEN, cases[i].path, &got);
		if (rc != cases[i].want || got != cases[i].want_len)
			fail_msg("case %zu (%s): got rc %d len %zu, want rc %d len %zu", i,
			    cases[i].what, rc, got, cases[i].want, cases[i].want_len);
	}
	/* every truncation is an error or a clean read, never more */
	for (size_t len = 0; len <= CFB_LEN; len += 37) {
		size_t got;
		cfb_build(f);
		if (cfb_read(f, len, "Workbook", &got) == 0 && got != 4096)
			fail_msg("truncated to %zu: read %zu bytes", len, got);
	}
}

struct ovba_case {
	const char	*what;
	const char	*in;		/* hex */
	const char	*want;		/* decompressed, or NULL */
	size_t		 max;		/* output ceiling, 0 = none */
	int		 rc;
};

static size_t
unhex(const char *s, uint8_t *out, size_t outlen)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0' && n < outlen) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
test_ovba_decompress(void **state)
{
	static const struct ovba_case cases[] = {
		{ "spec 3.2.1, no compression",
		  "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 "
		  "75 76 2E", "abcdefghijklmnopqrstuv.", 0, 0 },
		{ "spec 3.2.2, normal compression",
		  "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B "
		  "6C 00 30 6D 6E 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C",
		  "#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa", 0, 0 },
		{ "spec 3.2.2 as printed",
		  "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B "
		  "6C 00 20 6D 6E 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
		  "#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa", 0, 0 },
		{ "overlapping copy token", "01 03 B0 02 61 45 00",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0 },
		{ "two chunks", "01 03 B0 00 61 62 63 03 B0 00 64 65 66", "abcdef", 0, 0 },
		{ "empty container", "01", "", 0, 0 },
		{ "wrong signature byte", "02 03 B0 00 61 62 63", NULL, 0, -MG_EPROTO },
		{ "wrong chunk signature", "01 03 A0 00 61 62 63", NULL, 0, -MG_EPROTO },
		{ "copy before the chunk", "01 01 B0 01 00 00", NULL, 0, -MG_EPROTO },
		{ "copy token cut", "01 02 B0 02 61 45", NULL, 0, -MG_EPROTO },
		{ "chunk header cut", "01 03", NULL, 0, -MG_EPROTO },
		{ "short last chunk", "01 03 B0 00 61", "a", 0, 0 },
		{ "past the ceiling", "01 03 B0 02 61 45 00", NULL, 16, -MG_ELIMIT },
	};
	uint8_t in[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].in, in, sizeof(in));
		struct mg_buf b;
		int rc;
		mg_buf_init(&b, cases[i].max);
		rc = vba_decompress(in, n, &b);
		if (rc != cases[i].rc || (cases[i].want != NULL &&
		    (b.len != strlen(cases[i].want) ||
		    (b.len > 0 && memcmp(b.data, cases[i].want, b.len) != 0))))
			fail_msg("case %zu (%s): got rc %d \"%.*s\", want rc %d \"%s\"", i,
			    cases[i].what, rc, (int)b.len, b.data ? (const char *)b.data : "",
			    cases[i].rc, cases[i].want ? cases[i].want : "");
		mg_buf_release(&b);
	}
	/* an uncompressed 4096-byte chunk */
	{
		static uint8_t raw[3 + 4096];
		struct mg_buf b;
		raw[0] = 1;
		put16(raw + 1, 0x3fff);
		memset(raw + 3, 'x', 4096);
		mg_buf_init(&b, 0);
		assert_int_equal(vba_decompress(raw, sizeof(raw), &b), 0);
		assert_int_equal(b.len, 4096);
		mg_buf_release(&b);
	}
}

static void
test_vba_dir(void **state)
{
	static const uint8_t version[10] = { 4, 0, 0, 0, 1, 2, 3, 4, 5, 6 };
	static const uint8_t off[4] = { 0x20, 0x01, 0, 0 };
	static const uint8_t uname[] = { 'T', 0, 'h', 0, 'i', 0, 's', 0 };
	struct vba_project *p = malloc(sizeof(*p));
	uint8_t d[512];
	size_t n = 0;

	(void)state;
	rec(d, &n, 0x0003, "\xe4\x04", 2);
	/* PROJECTVERSION: its size field says 4, 6 bytes follow */
	put16(d + n, 0x0009);
	memcpy(d + n + 2, version, sizeof(version));
	n += 2 + sizeof(version);
	rec(d, &n, 0x0019, "Module1", 7);
	rec(d, &n, 0x001a, "Module1", 7);
	rec(d, &n, 0x0031, off, 4);
	rec(d, &n, 0x002b, "", 0);
	rec(d, &n, 0x0019, "Th\x01s", 4);
	rec(d, &n, 0x0047, uname, sizeof(uname));
	rec(d, &n, 0x001a, "X", 1);
	rec(d, &n, 0x0032, uname, sizeof(uname));
	rec(d, &n, 0x002b, "", 0);
	rec(d, &n, 0x0010, "", 0);
	assert_int_equal(vba_dir_parse(d, n, p), 0);
	assert_int_equal(p->nmodules, 2);
	assert_string_equal(p->modules[0].name, "Module1");
	assert_int_equal(p->modules[0].offset, 0x120);
	assert_string_equal(p->modules[1].name, "This");
	assert_string_equal(p->modules[1].stream, "This");
	assert_int_equal(vba_dir_parse(d, n - 20, p), -MG_EPROTO);	/* cut in a record */
	assert_int_equal(vba_dir_parse(d, 8, p), -MG_EPROTO);		/* no module */
	free(p);
}

static int
count_module(void *arg, const struct vba_module *m, const char *src, size_t len)
{
	(void)m;
	(void)src;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

/* A project in a compound file: both module records read the one stream,
 * each time from the budget; a budget one byte short ends the walk. */
static void
test_vba_project(void **state)
{
	static uint8_t f[CFB_LEN];
	struct office_findings of;
	struct ole_file o;
	size_t used, budget;
	int e, calls = 0;

	(void)state;
	cfb_build_vba(f, &used);
	assert_int_equal(ole_open(&o, f, CFB_LEN), 0);
	assert_true((e = ole_find(&o, "VBA")) > 0);
	budget = 1 << 20;
	assert_int_equal(vba_project_read(&o, (uint32_t)e, &budget, count_module, &calls), 0);
	assert_int_equal(calls, 2);
	assert_int_equal((1 << 20) - budget, used);
	budget = used - 1;
	calls = 0;
	assert_int_equal(vba_project_read(&o, (uint32_t)e, &budget, count_module, &calls),
	    -MG_ELIMIT);
	assert_int_equal(calls, 2);	/* the second module's source cut short */
	ole_close(&o);
	assert_int_equal(office_scan(f, CFB_LEN, &of), 0);
	assert_int_equal(of.flags, OFFICE_F_OLE | OFFICE_F_MACRO | OFFICE_F_AUTOEXEC |
	    OFFICE_F_SUSPICIOUS | OFFICE_F_XLM);
	assert_string_equal(of.modules, "M,M");
	assert_string_equal(of.autoexec, "AutoOpen");
	assert_string_equal(of.suspicious, "Shell");
}

static void
test_vba_source(void **state)
{
	static const struct {
		const char	*src;
		unsigned	 flags;
		const char	*autoexec, *suspicious;
	} cases[] = {
		{ "Sub AutoOpen()\r\n  Shell \"calc\"\r\nEnd Sub\r\n",
		  OFFICE_F_AUTOEXEC | OFFICE_F_SUSPICIOUS, "AutoOpen", "Shell" },
		{ "Private Sub workbook_open()\r\nEnd Sub", OFFICE_F_AUTOEXEC, "Workbook_Open", "" },
		{ "Sub Report()\r\n  ' AutoOpen and Shell in a comment\r\nEnd Sub", 0, "", "" },
		{ "Sub Report()\r\n  Call AutoOpen\r\n  x = \"Shell\"\r\nEnd Sub", 0, "", "" },
		{ "Sub X()\r\n Set o = CreateObject(\"MSXML2.XMLHTTP\")\r\nEnd Sub",
		  OFFICE_F_SUSPICIOUS, "", "MSXML2.XMLHTTP" },
		{ "Function Document_Close()\r\n URLDownloadToFileA 0, u, p, 0, 0\r\nEnd Function",
		  OFFICE_F_AUTOEXEC | OFFICE_F_SUSPICIOUS, "Document_Close", "URLDownloadToFile" },
		{ "x = Chr(1)&Chr(2)&Chr(3)&Chr(4)&Chr(5)&Chr(6)&Chr(7)&Chr(8)&Chr(9)&Chr(10)&"
		  "ChrW(1)&ChrW(2)&ChrW(3)&ChrW(4)&ChrW(5)&ChrB(6)&Chr$(7)&Chr(8)&Chr(9)&Chr(0)",
		  OFFICE_F_SUSPICIOUS, "", "Chr() obfuscation (20 calls)" },
		{ "x = \"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAAAAAAAAAgAAAAA4fug4AtAnNIbgBTM0hVGhpcyBwcm9ncmFtIGNhbm5vdCBiZQ==\"",
		  OFFICE_F_SUSPICIOUS, "", "base64 blob (144 chars)" },
		{ "Sub Chr", 0, "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct office_findings f;
		memset(&f, 0, sizeof(f));
		office_vba_source(&f, "Module1", cases[i].src, strlen(cases[i].src));
		if ((f.flags & ~OFFICE_F_MACRO) != cases[i].flags ||
		    strcmp(f.autoexec, cases[i].autoexec) != 0 ||
		    strcmp(f.suspicious, cases[i].suspicious) != 0 || strcmp(f.modules, "Module1"))
			fail_msg("case %zu: got flags %#x auto \"%s\" susp \"%s\", want %#x \"%s\" "
			    "\"%s\"", i, f.flags & ~OFFICE_F_MACRO, f.autoexec, f.suspicious,
			    cases[i].flags, cases[i].autoexec, cases[i].suspicious);
	}
}

static void
test_dde_fields(void **state)
{
	static const struct {
		const char	*text;
		size_t		 len;		/* 0: strlen */
		unsigned	 stride;
		const char	*want;
	} cases[] = {
		{ "x\x13 DDEAUTO c:\\\\cmd.exe \"/c calc\"\x14x\x15", 0, 1,
		  "DDEAUTO c:\\\\cmd.exe \"/c calc\"" },
		{ "\x13 dde \"Excel\" \"x\"", 0, 1, "dde \"Excel\" \"x\"" },
		{ "\x13 DDEX", 0, 1, "" },
		{ "DDEAUTO without a field", 0, 1, "" },
		{ "\x13\0 \0D\0D\0E\0 \0x\0", 14, 2, "DDE x" },
		{ "\x13", 1, 2, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct office_findings f;
		memset(&f, 0, sizeof(f));
		office_dde_fields(&f, (const uint8_t *)cases[i].text,
		    cases[i].len ? cases[i].len : strlen(cases[i].text), cases[i].stride);
		if (strcmp(f.dde, cases[i].want) != 0 || !(f.flags & OFFICE_F_DDE) != !*cases[i].want)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, f.dde, cases[i].want);
	}
}

/* The check on one attachment: the symbols it fires, with the force and
 * category of the table the check's .symbols hook fills. */
static void
test_check_office(void **state)
{
	static uint8_t xls[CFB_LEN], broken[CFB_LEN];
	static const struct {
		const char	*name;
		const uint8_t	*data;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "book.xls", xls, CFB_LEN, "OFFICE_XLM_MACRO=book.xls: Macro1 (hidden)" },
		{ "bad.doc", broken, 700,
		  "OFFICE_CORRUPT=bad.doc: compound file: protocol or format error" },
		{ "notes.txt", (const uint8_t *)"plain text", 10, "" },
		{ "fake.docx", (const uint8_t *)"PK\x03\x04garbage", 11, "" },
	};
	struct symbol_table st;
	char got[1024];

	(void)state;
	cfb_build(xls);
	cfb_build(broken);
	check_symbols(&st, &check_office, NULL);
	assert_int_equal(symbol_find(&st, "OFFICE_MACRO_AUTOEXEC")->force, MG_VERDICT_QUARANTINE);
	assert_int_equal(symbol_find(&st, "OFFICE_MACRO")->force, MG_VERDICT_ACCEPT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mime_attachment att = { .name = cases[i].name };
		struct mime_part root = { .type = "application", .subtype = "octet-stream",
			.is_attachment = true, .att = &att,
			.body = { cases[i].data, cases[i].len } };
		struct mime_part *parts[] = { &root };
		struct mime_msg msg = { .root = &root, .parts = parts, .nparts = 1 };
		struct mg_task t;
		assert_int_equal(task_init(&t, &st, (const uint8_t *)"", 0, NULL, 1 << 20), 0);
		t.msg = &msg;
		assert_int_equal(check_office.scan(NULL, &t), 0);
		symbols_text(&t, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		for (size_t j = 0; j < t.nsymbols; j++)
			if (t.symbols[j].category != MG_CAT_DANGEROUS)
				fail_msg("case %zu: %s is not in category dangerous", i,
				    t.symbols[j].name);
		task_clear(&t);
	}
	symbol_table_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfb_chains),
		cmocka_unit_test(test_ovba_decompress),
		cmocka_unit_test(test_vba_dir),
		cmocka_unit_test(test_vba_project),
		cmocka_unit_test(test_vba_source),
		cmocka_unit_test(test_dde_fields),
		cmocka_unit_test(test_check_office),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
