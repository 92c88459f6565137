/* Attachment analysis: size, SHA-256 (OpenSSL), the real type from the
 * bytes (libmagic, one handle per thread in struct attach_ctx), the name
 * and type rules of attach_name.c, and the archive walk of
 * attach_archive.c. Rules and limits: docs/attachments.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/bitname.h"
#include "core/err.h"
#include "mime/attach_int.h"

#define TYPE_MAX	128

void
attach_limits_default(struct attach_limits *l)
{
	l->max_depth = 4;
	l->max_members = 10000;
	l->max_expanded = 256u * 1024 * 1024;
	l->max_kept = 32u * 1024 * 1024;
	l->max_ratio = 100;
	l->passwords = NULL;
	l->npasswords = 0;
}

struct attach_ctx *
attach_ctx_new(char *err, size_t errlen)
{
	struct attach_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* compressed files are archives to us: their type, not their content's */
	c->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	if (c->magic == NULL || magic_load(c->magic, NULL) != 0) {
		snprintf(err, errlen, "libmagic: %s",
		    c->magic ? magic_error(c->magic) : "cannot open");
		return attach_ctx_free(c);
	}
	/* member names are converted to UTF-8 whatever the process locale */
	c->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	c->filters = attach__filters_probe();
	return c;
}

struct attach_ctx *
attach_ctx_free(struct attach_ctx *c)
{
	if (c == NULL)
		return NULL;
	if (c->magic != NULL)
		magic_close(c->magic);
	if (c->utf8 != (locale_t)0)
		freelocale(c->utf8);
	free(c);
	return NULL;
}

/* Archives we list, as libmagic names them. */
static const char archive_types[] =
    " application/zip application/x-rar application/vnd.rar application/x-7z-compressed"
    " application/x-tar application/gzip application/x-gzip application/x-bzip2"
    " application/x-xz application/x-lzma application/zstd application/x-lzip"
    " application/x-lz4 application/x-compress application/x-iso9660-image"
    " application/vnd.ms-cab-compressed application/x-cpio application/x-lha"
    " application/x-lzh-compressed application/x-xar application/x-archive ";

/* Native programs, installers, shortcuts, Java, and scripts with a #! line. */
static const char executable_types[] =
    " application/vnd.microsoft.portable-executable application/x-dosexec"
    " application/x-ms-ne-executable application/x-ms-w3-executable"
    " application/x-ms-w4-executable application/x-executable application/x-pie-executable"
    " application/x-sharedlib application/x-mach-binary application/x-msi"
    " application/x-ms-shortcut application/java-archive application/x-java-applet"
    " text/x-shellscript text/x-msdos-batch text/x-script.python text/x-perl text/x-ruby"
    " application/javascript ";

bool
attach__type_is_archive(const char *real)
{
	return attach__word_in(archive_types, real);
}

bool
attach__type_is_executable(const char *real)
{
	return attach__word_in(executable_types, real);
}

/* Signatures libmagic 5.44 knows without giving a MIME type, or misses. */
static const char *
supplement_type(const uint8_t *data, size_t len)
{
	if (len >= 8 && memcmp(data, "MSCF\0\0\0\0", 8) == 0)
		return "application/vnd.ms-cab-compressed";
	/* a zip libmagic cannot follow is still one to unzip tools */
	if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
		return "application/zip";
	return NULL;
}

const char *
attach__real_type(struct attach_ctx *c, struct mg_arena *a, struct attach_types *cache,
    const uint8_t *data, size_t len)
{
	const char *t = magic_buffer(c->magic, len ? (const void *)data : "", len);
	char *copy;
	size_t i;

	if (t == NULL || strcmp(t, "application/octet-stream") == 0) {
		const char *s = supplement_type(data, len);

		t = s ? s : "application/octet-stream";
	}
	for (i = 0; i < cache->n; i++)
		if (strcmp(cache->v[i], t) == 0)
			return cache->v[i];
	if ((copy = mg_arena_strndup(a, t, strnlen(t, TYPE_MAX))) == NULL)
		return NULL;
	if (cache->n < sizeof(cache->v) / sizeof(cache->v[0]))
		cache->v[cache->n++] = copy;
	return copy;
}

/* Lower-cased "type/subtype" of a declared Content-Type, parameters cut. */
static char *
declared_copy(struct mg_arena *a, const char *declared)
{
	size_t n = 0, i;
	char *s;

	if (declared == NULL)
		declared = "";
	while (declared[n] != '\0' && declared[n] != ';' && declared[n] != ' ' && n < TYPE_MAX)
		n++;
	if ((s = mg_arena_strndup(a, declared, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

static void
sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

struct mime_attachment *
attach_analyze(struct attach_ctx *c, struct mg_arena *a, const char *name,
    const char *declared_type, const uint8_t *data, size_t len,
    const struct attach_limits *lim)
{
	struct attach_types types = { .n = 0 };
	struct mime_attachment *att;
	char ext[ATTACH_EXT_BUF];

	if ((att = mg_arena_zalloc(a, sizeof(*att))) == NULL ||
	    (att->name = attach__utf8_clean(a, name ? name : "", name ? strlen(name) : 0,
	    ATTACH_PATH_MAX)) == NULL ||
	    (att->declared_type = declared_copy(a, declared_type)) == NULL ||
	    (att->real_type = attach__real_type(c, a, &types, data, len)) == NULL)
		return NULL;
	attach__extension(att->name, ext, sizeof(ext));
	if ((att->extension = mg_arena_strndup(a, ext, strlen(ext))) == NULL)
		return NULL;
	att->size = len;
	sha256_hex(data, len, att->sha256);
	att->flags = attach_name_flags(att->name) |
	    attach__mismatch(ext, att->declared_type, att->real_type);
	if ((att->flags & ATT_F_RTLO) &&
	    (att->visual_name = attach_visual_name(a, att->name)) == NULL)
		return NULL;
	if (attach__type_is_executable(att->real_type))
		att->flags |= ATT_F_EXECUTABLE;
	if (attach__type_is_archive(att->real_type)) {
		att->flags |= ATT_F_ARCHIVE;
		if (attach__archive_walk(c, a, att, &types, data, len, lim) != 0)
			return NULL;
	}
	return att;
}

static const char *const flag_names[] = {
	"TYPE_MISMATCH", "DOUBLE_EXT", "RTLO", "DANGEROUS_EXT", "EXECUTABLE", "ARCHIVE",
	"ENCRYPTED", "BOMB", "DEPTH_LIMIT", "CORRUPT_ARCHIVE", "NO_NAME", "PASSWORD_IN_BODY",
};

const char *
attach_flag_name(unsigned flag)
{
	return mg_bit_name(flag_names, sizeof(flag_names) / sizeof(flag_names[0]), flag);
}
