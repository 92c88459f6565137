/* Attachment name rules: extensions as Windows sees them, dangerous and
 * double extensions, bidi controls and the name they make a reader see
 * (ICU's bidi algorithm), and the table of real types acceptable for an
 * extension or a declared type. docs/attachments.md explains each list. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/ubidi.h>
#include <unicode/ustring.h>

#include "mime/attach_int.h"

/* Run on a double click, or hand the file to something that runs it (and
 * virtual disks, which Windows mounts on a double click and we cannot open:
 * ISO and IMG images are read as archives instead). */
static const char dangerous_exts[] =
    " exe scr com pif bat cmd js jse vbs vbe wsf wsh wsc hta ps1 psm1 lnk msi msp"
    " mst jar cpl reg scf chm xll msc gadget inf sct url appref-ms application"
    " appx appxbundle msix msixbundle settingcontent-ms vhd vhdx ";

/* What a victim expects to open: the decoy before a dangerous extension. */
static const char decoy_exts[] =
    " pdf doc docx docm xls xlsx xlsm ppt pptx pps ppsx rtf txt csv odt ods odp"
    " jpg jpeg jpe png gif bmp tif tiff webp svg mp3 mp4 avi mov wav wma wmv mpg"
    " mpeg htm html xml eml msg zip rar 7z ";

/* True when word (len bytes) is one of the space-separated entries of
 * list; with prefixes, an entry ending in '*' matches what starts with it. */
static bool
list_match(const char *list, const char *word, size_t len, bool prefixes)
{
	const char *p = list, *end;
	size_t n;

	if (len == 0)
		return false;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return false;
		end = strchr(p, ' ');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		if (prefixes && n > 0 && p[n - 1] == '*' && len >= n - 1 &&
		    strncmp(p, word, n - 1) == 0)
			return true;
		p += n;
	}
}

bool
attach__word_in(const char *list, const char *word)
{
	return word != NULL && list_match(list, word, strlen(word), false);
}

/* Length of the UTF-8 sequence at s (n bytes left) and its code point;
 * 0 when it is not valid UTF-8. */
static size_t
utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

char *
attach__utf8_clean(struct mg_arena *a, const char *s, size_t len, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, o = 0, n;
	uint32_t cp;
	char *out;

	/* each invalid byte may become 3 bytes of U+FFFD */
	if ((out = mg_arena_alloc(a, (len < max ? len : max) * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			if (o + 3 > max)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* Bidi formatting characters: embeddings, overrides, isolates, marks. */
static bool
is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/* Spaces a reader does not notice, used to push ".exe" out of sight. */
static bool
is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200b) ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0x3164 || cp == 0x115f;
}

/* Start of the base name: after the last '/' or '\'. */
static const char *
base_name(const char *name)
{
	const char *b = name, *p;

	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/* Length of base without the trailing dots and spaces Windows drops. */
static size_t
trimmed_len(const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && (base[n - 1] == '.' || base[n - 1] == ' '))
		n--;
	return n;
}

/* Lower-cased extension of base[0..n) into out; returns the dot's offset,
 * or n when there is no extension. */
static size_t
split_ext(const char *base, size_t n, char *out, size_t cap)
{
	size_t dot = n, i;

	out[0] = '\0';
	while (dot > 0 && base[dot - 1] != '.')
		dot--;
	if (dot == 0 || n - dot == 0 || n - dot >= cap || n - dot > ATTACH_EXT_MAX)
		return n;
	for (i = 0; i < n - dot; i++) {
		char c = base[dot + i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[i] = '\0';
	return dot - 1;
}

void
attach__extension(const char *name, char *out, size_t cap)
{
	const char *base;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (name == NULL)
		return;
	base = base_name(name);
	split_ext(base, trimmed_len(base), out, cap);
}

/* Trailing run of invisible spaces in s[0..n), in characters. */
static unsigned
trailing_spaces(const char *s, size_t n)
{
	unsigned count = 0;
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		if ((len = utf8_decode((const uint8_t *)s + i, n - i, &cp)) == 0) {
			len = 1;
			cp = 0xfffd;
		}
		count = is_space(cp) ? count + 1 : 0;
		i += len;
	}
	return count;
}

/* DOUBLE_EXT: a dangerous last extension behind a decoy extension or
 * behind a run of spaces that pushes it out of sight. */
static bool
double_ext(const char *base, size_t n, size_t dot)
{
	char prev[ATTACH_EXT_BUF];
	size_t stem = dot, pdot;

	if (trailing_spaces(base, stem) >= 3)
		return true;
	while (stem > 0 && base[stem - 1] == ' ')
		stem--;
	pdot = split_ext(base, stem, prev, sizeof(prev));
	return pdot < stem && attach__word_in(decoy_exts, prev);
}

unsigned
attach_name_flags(const char *name)
{
	const uint8_t *p;
	char ext[ATTACH_EXT_BUF];
	const char *base;
	unsigned flags = 0;
	size_t n, dot, i, len, total;
	uint32_t cp;

	if (name == NULL || trimmed_len(name) == 0)
		return ATT_F_NO_NAME;
	p = (const uint8_t *)name;
	total = strlen(name);
	for (i = 0; i < total; i += len) {
		if ((len = utf8_decode(p + i, total - i, &cp)) == 0)
			len = 1;
		else if (is_bidi_control(cp))
			flags |= ATT_F_RTLO;
	}
	base = base_name(name);
	n = trimmed_len(base);
	dot = split_ext(base, n, ext, sizeof(ext));
	if (dot < n && attach__word_in(dangerous_exts, ext)) {
		flags |= ATT_F_DANGEROUS_EXT;
		if (double_ext(base, n, dot))
			flags |= ATT_F_DOUBLE_EXT;
	}
	return flags;
}

const char *
attach_visual_name(struct mg_arena *a, const char *name)
{
	UErrorCode err = U_ZERO_ERROR;
	UChar *u16, *vis;
	UBiDi *bidi;
	int32_t n16, nvis, n8;
	char *out = NULL;

	u_strFromUTF8Lenient(NULL, 0, &n16, name, -1, &err);
	if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
		return mg_arena_strndup(a, "", 0);
	err = U_ZERO_ERROR;
	if ((u16 = mg_arena_alloc(a, ((size_t)n16 + 1) * sizeof(UChar))) == NULL ||
	    (vis = mg_arena_alloc(a, ((size_t)n16 + 1) * sizeof(UChar))) == NULL)
		return NULL;
	u_strFromUTF8Lenient(u16, n16 + 1, NULL, name, -1, &err);
	if ((bidi = ubidi_openSized(n16, 0, &err)) == NULL)
		return NULL;
	ubidi_setPara(bidi, u16, n16, UBIDI_LTR, NULL, &err);
	nvis = ubidi_writeReordered(bidi, vis, n16 + 1, UBIDI_REMOVE_BIDI_CONTROLS, &err);
	ubidi_close(bidi);
	if (U_FAILURE(err))
		return mg_arena_strndup(a, "", 0);
	u_strToUTF8(NULL, 0, &n8, vis, nvis, &err);
	if ((err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) || n8 < 0)
		return mg_arena_strndup(a, "", 0);	/* e.g. an unpaired surrogate */
	err = U_ZERO_ERROR;
	if ((out = mg_arena_alloc(a, (size_t)n8 + 1)) == NULL)
		return NULL;
	u_strToUTF8(out, n8 + 1, NULL, vis, nvis, &err);
	if (U_FAILURE(err))
		out[0] = '\0';
	return out;
}

/*
 * Real types acceptable for an extension, or for a declared type naming
 * the same format. Text-ish formats accept any text (libmagic's text
 * classes are guesses); office formats accept the forms their programs
 * also open (RTF or HTML as .doc, HTML or XML as .xls, encrypted OOXML as
 * OLE). accept NULL: a generic name (.dat) fits anything but a well-known
 * format hiding there.
 */
#define ANY_TEXT	"text/* application/json application/xml application/csv"
#define RASTER		"image/png image/jpeg image/gif image/bmp image/x-ms-bmp image/webp" \
			" image/tiff image/heic image/heif image/avif image/vnd.microsoft.icon" \
			" image/x-icon"
#define OLE		"application/x-ole-storage application/CDFV2* application/x-cdf" \
			" application/encrypted application/vnd.ms-office"
#define OOXML		"application/vnd.openxmlformats-officedocument.* application/vnd.ms-word*" \
			" application/vnd.ms-excel* application/vnd.ms-powerpoint*"
#define PE		"application/vnd.microsoft.portable-executable application/x-dosexec" \
			" application/x-ms-ne-executable"

struct type_rule {
	const char	*exts;
	const char	*declared;
	const char	*accept;
};

static const struct type_rule type_rules[] = {
	{ "pdf", "application/pdf application/x-pdf", "application/pdf" },
	{ "png jpg jpeg jpe jfif gif bmp dib tif tiff webp heic heif avif ico",
	  "image/png image/jpeg image/jpg image/pjpeg image/gif image/bmp image/x-ms-bmp"
	  " image/tiff image/webp image/heic image/heif image/avif image/x-icon"
	  " image/vnd.microsoft.icon", RASTER },
	{ "svg", "image/svg+xml", "image/svg+xml " ANY_TEXT },
	{ "doc dot", "application/msword",
	  "application/msword text/rtf application/rtf text/html text/xml text/plain " OLE },
	{ "xls xlt", "application/vnd.ms-excel",
	  "text/html text/xml text/plain text/csv " OOXML " " OLE },
	{ "ppt pps pot", "application/vnd.ms-powerpoint", "application/vnd.ms-powerpoint " OLE },
	{ "docx docm dotx dotm xlsx xlsm xlsb xltx xltm pptx pptm ppsx ppsm potx",
	  "application/vnd.openxmlformats-officedocument.* application/vnd.ms-word.*"
	  " application/vnd.ms-excel.* application/vnd.ms-powerpoint.*",
	  OOXML " application/zip " OLE },
	{ "odt ods odp odg", "application/vnd.oasis.opendocument.*",
	  "application/vnd.oasis.opendocument.* application/zip" },
	{ "rtf", "application/rtf text/rtf", "text/rtf application/rtf text/plain" },
	{ "zip", "application/zip application/x-zip-compressed application/x-zip",
	  "application/zip application/java-archive application/vnd.android.package-archive"
	  " application/epub+zip application/vnd.oasis.opendocument.* " OOXML },
	{ "rar", "application/x-rar application/x-rar-compressed application/vnd.rar",
	  "application/x-rar application/vnd.rar" },
	{ "7z", "application/x-7z-compressed", "application/x-7z-compressed" },
	{ "gz tgz", "application/gzip application/x-gzip", "application/gzip application/x-gzip" },
	{ "bz2 tbz tbz2", "application/x-bzip2 application/x-bzip", "application/x-bzip2" },
	{ "xz txz", "application/x-xz", "application/x-xz" },
	{ "tar", "application/x-tar application/x-gtar", "application/x-tar" },
	{ "cab", "application/vnd.ms-cab-compressed", "application/vnd.ms-cab-compressed" },
	{ "iso", "application/x-iso9660-image", "application/x-iso9660-image" },
	{ "exe dll scr cpl sys ocx",
	  "application/x-msdownload application/x-dosexec application/x-msdos-program"
	  " application/vnd.microsoft.portable-executable", PE },
	{ "msi msp", "application/x-msi application/x-ms-installer", "application/x-msi " OLE },
	{ "jar", "application/java-archive application/x-java-archive",
	  "application/java-archive application/zip" },
	{ "htm html shtml xhtml", "", ANY_TEXT " application/xhtml+xml" },
	{ "txt text csv tsv log md xml json ics vcs vcf", "", ANY_TEXT },
	{ "eml", "message/rfc822", "message/rfc822 " ANY_TEXT },
	{ "msg", "application/vnd.ms-outlook", "application/vnd.ms-outlook " OLE },
	{ "mp3 wav wma mp4 m4a m4v mov avi wmv mpg mpeg ogg oga ogv webm flac aac 3gp mkv",
	  "audio/mpeg audio/mp4 audio/wav audio/x-wav video/mp4 video/quicktime video/mpeg",
	  "audio/* video/* application/ogg" },
	{ "dat bin tmp", "", NULL },
};

/* Formats that announce themselves clearly: found behind a generic name,
 * they were hidden there. */
static const char specific_types[] =
    "image/* audio/* video/* application/pdf application/msword application/vnd.ms-excel"
    " application/vnd.ms-powerpoint application/vnd.openxmlformats-officedocument.*"
    " application/vnd.oasis.opendocument.* text/rtf text/html";

/* Content too little known to contradict a name. */
static const char unknown_types[] =
    "application/octet-stream application/x-empty inode/x-empty";

static bool
rule_fits(const struct type_rule *r, const char *real)
{
	size_t len = strlen(real);

	if (r->accept == NULL)
		return !list_match(specific_types, real, len, true) &&
		    !attach__type_is_executable(real) && !attach__type_is_archive(real);
	return list_match(r->accept, real, len, true);
}

unsigned
attach__mismatch(const char *ext, const char *declared, const char *real)
{
	size_t i;

	if (real == NULL || attach__word_in(unknown_types, real))
		return 0;
	for (i = 0; i < sizeof(type_rules) / sizeof(type_rules[0]); i++) {
		const struct type_rule *r = &type_rules[i];
		bool by_ext = attach__word_in(r->exts, ext);
		bool by_decl = declared != NULL &&
		    list_match(r->declared, declared, strlen(declared), true);

		if ((by_ext || by_decl) && !rule_fits(r, real))
			return ATT_F_TYPE_MISMATCH;
	}
	return 0;
}
