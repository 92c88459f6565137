/* Archive members through libarchive, recursively: each member's path,
 * size and the real type of its first bytes, nested archives read into
 * memory and walked in turn within the depth, member, ratio and total
 * limits. A bomb is flagged as soon as a declared or read size shows it,
 * never expanded; libarchive errors stop the walk of that archive. An
 * encrypted archive is walked again with each password candidate of the
 * limits until one reads it. Only in-process decompressors are enabled
 * (no external programs), and no format that reads other files (mtree). */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "mime/attach_int.h"

#define CHUNK		(64 * 1024)
/* Bytes of a member of unknown size read to be kept for the checks. */
#define KEEP_UNDECLARED_MAX	(4u * 1024 * 1024)
#define CAPS_DECRYPT	(ARCHIVE_READ_FORMAT_CAPS_ENCRYPT_DATA | \
	ARCHIVE_READ_FORMAT_CAPS_ENCRYPT_METADATA)

/* Decompressors tried, in the order of the bits of attach_ctx.filters. */
static int (*const filter_table[])(struct archive *) = {
	archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
	archive_read_support_filter_xz, archive_read_support_filter_lzma,
	archive_read_support_filter_lzip, archive_read_support_filter_zstd,
	archive_read_support_filter_compress, archive_read_support_filter_lz4,
};

static int (*const format_table[])(struct archive *) = {
	archive_read_support_format_zip, archive_read_support_format_rar,
	archive_read_support_format_rar5, archive_read_support_format_7zip,
	archive_read_support_format_tar, archive_read_support_format_cpio,
	archive_read_support_format_iso9660, archive_read_support_format_cab,
	archive_read_support_format_lha, archive_read_support_format_xar,
	archive_read_support_format_ar, archive_read_support_format_raw,
};

#define NELEM(x)	(sizeof(x) / sizeof((x)[0]))

/* Compression suffixes dropped to name the content of a single stream. */
static const char stream_exts[] = " gz bz2 xz lzma lz zst z lz4 ";

struct walk {
	struct attach_ctx	*ctx;
	struct mg_arena		*arena;
	struct attach_types	*types;
	const struct attach_limits *lim;
	struct attach_member	*v;		/* malloc'ed while listing */
	size_t			 n, cap;
	uint64_t		 expanded;
	uint64_t		 kept;		/* member bytes kept in the arena */
	uint64_t		 work;		/* bytes decompressed, discarded listings too */
	unsigned		 tries;		/* archives opened with a password */
	const char		*password;	/* the first candidate that opened one */
	uint8_t			*scratch;	/* CHUNK bytes for draining */
	bool			 stop;		/* a bomb or a limit: no more reading */
	bool			 nomem;
};

/* One archive being walked. */
struct level {
	const char		*prefix;	/* path of the member holding it, or NULL */
	const char		*outer;		/* name of the file holding it */
	unsigned		 depth;		/* of its members */
	size_t			 arclen;	/* its bytes */
	const char		*pass;		/* the candidate tried, or NULL */
	bool			 locked;	/* an encrypted member pass did not read */
	bool			 decryptable;	/* libarchive decrypts its format (zip, not 7z) */
};

/* One member being read: what was counted towards the limits. */
struct mread {
	size_t		 idx;		/* in walk.v (which may move) */
	size_t		 arclen;	/* bytes of the archive holding it */
	uint64_t	 nread;
};

static unsigned walk_archive(struct walk *, const uint8_t *, size_t, const char *, const char *,
	    unsigned);

unsigned
attach__filters_probe(void)
{
	unsigned bits = 0;
	size_t i;

	/* ARCHIVE_WARN means "through an external program": not for us */
	for (i = 0; i < NELEM(filter_table); i++) {
		struct archive *a = archive_read_new();

		if (a != NULL && filter_table[i](a) == ARCHIVE_OK)
			bits |= 1u << i;
		archive_read_free(a);
	}
	return bits;
}

/* raw_only: the data as one compressed stream, whatever it holds; pass:
 * the passphrase tried on encrypted entries, or NULL. */
static struct archive *
archive_open(const struct walk *w, const uint8_t *data, size_t len, bool raw_only,
    const char *pass)
{
	struct archive *a = archive_read_new();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < NELEM(filter_table); i++)
		if (w->ctx->filters & (1u << i))
			filter_table[i](a);
	if (raw_only)
		archive_read_support_format_raw(a);
	else
		for (i = 0; i < NELEM(format_table); i++)
			format_table[i](a);
	if ((pass != NULL && archive_read_add_passphrase(a, pass) != ARCHIVE_OK) ||
	    archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* A size that makes a bomb: past the ratio to the archive holding it
 * (beyond a floor), or the walk's total past the limit. */
static bool
too_big(const struct walk *w, uint64_t size, size_t arclen)
{
	return (w->lim->max_ratio > 0 && size > ATTACH_BOMB_FLOOR &&
	    size / w->lim->max_ratio > arclen) || w->expanded > w->lim->max_expanded;
}

/* Adds n bytes read from a member; false once they make it a bomb. */
static bool
count_read(struct walk *w, struct mread *r, size_t n)
{
	struct attach_member *m = &w->v[r->idx];

	r->nread += n;
	w->work += n;
	if (r->nread > m->size) {
		w->expanded += r->nread - m->size;
		m->size = r->nread;
	}
	if (too_big(w, m->size, r->arclen)) {
		m->flags |= ATT_F_BOMB;
		w->stop = true;
		return false;
	}
	return true;
}

/* Reads the member's data into keep until it holds want bytes (or the
 * data ends); with keep NULL, reads and drops everything. 0, 1 when a
 * limit stopped it, -1 on a libarchive error. */
static int
read_data(struct walk *w, struct archive *a, struct mread *r, struct mg_buf *keep, size_t want)
{
	la_ssize_t got;
	uint8_t *dst;
	size_t n;
	int rc;

	for (;;) {
		if (keep != NULL) {
			if (keep->len >= want)
				return 0;
			n = want - keep->len < CHUNK ? want - keep->len : CHUNK;
			if ((rc = mg_buf_reserve(keep, n)) != 0) {
				if (rc == -MG_ELIMIT)
					w->v[r->idx].flags |= ATT_F_BOMB;
				else
					w->nomem = true;
				w->stop = true;
				return 1;
			}
			dst = keep->data + keep->len;
		} else {
			n = CHUNK;
			dst = w->scratch;
		}
		if ((got = archive_read_data(a, dst, n)) < 0)
			return got == ARCHIVE_WARN ? 0 : -1;
		if (got == 0)
			return 0;
		if (keep != NULL)
			keep->len += (size_t)got;
		if (!count_read(w, r, (size_t)got))
			return 1;
	}
}

/* Appends an empty member; NULL when out of memory. */
static struct attach_member *
member_push(struct walk *w)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct attach_member *v = realloc(w->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	return &w->v[w->n++];
}

static bool
is_raw(struct archive *a)
{
	return (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW;
}

/* The base name of outer less a compression suffix (invoice.exe.gz ->
 * invoice.exe): what a single compressed stream holds. */
static const char *
stream_content_name(const char *outer, size_t *len)
{
	const char *base = outer, *p, *dot;
	char ext[ATTACH_EXT_BUF];

	for (p = outer; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	*len = strlen(base);
	attach__extension(base, ext, sizeof(ext));
	dot = strrchr(base, '.');
	if (ext[0] == '\0' || dot == NULL || dot == base || strlen(dot + 1) != strlen(ext))
		return base;
	if (attach__word_in(stream_exts, ext))
		*len = (size_t)(dot - base);
	return base;
}

/* Appends s[0..n) to buf (holding *len bytes), within ATTACH_PATH_MAX. */
static void
path_append(char *buf, size_t *len, const char *s, size_t n)
{
	if (n > ATTACH_PATH_MAX - *len)
		n = ATTACH_PATH_MAX - *len;
	memcpy(buf + *len, s, n);
	*len += n;
}

/* "prefix/name", UTF-8; a single compressed stream (libarchive's "data")
 * is named after the file holding it. NULL when the arena is exhausted. */
static const char *
member_path(struct walk *w, struct archive *a, struct archive_entry *e, const char *prefix,
    const char *outer)
{
	const char *name = archive_entry_pathname_utf8(e);
	char buf[ATTACH_PATH_MAX];
	size_t len = 0, nlen;

	if (name == NULL && (name = archive_entry_pathname(e)) == NULL)
		name = "";
	nlen = strlen(name);
	if (is_raw(a) && strcmp(name, "data") == 0 && outer != NULL && outer[0] != '\0')
		name = stream_content_name(outer, &nlen);
	if (prefix != NULL) {
		path_append(buf, &len, prefix, strlen(prefix));
		path_append(buf, &len, "/", 1);
	}
	path_append(buf, &len, name, nlen);
	return attach__utf8_clean(w->arena, buf, len, ATTACH_PATH_MAX);
}

/* Flags from member idx's name; false when the arena is exhausted. */
static bool
member_name_flags(struct walk *w, size_t idx)
{
	struct attach_member *m = &w->v[idx];

	m->flags |= attach_name_flags(m->path) & ~ATT_F_NO_NAME;
	if ((m->flags & ATT_F_RTLO) && (m->visual_path = attach_visual_name(w->arena, m->path)) == NULL)
		return false;
	return true;
}

/* Real type and the flags it brings, from the member's first bytes. */
static bool
member_type_flags(struct walk *w, size_t idx, const struct mg_buf *head)
{
	struct attach_member *m = &w->v[idx];
	char ext[ATTACH_EXT_BUF];

	m->real_type = attach__real_type(w->ctx, w->arena, w->types, head->data, head->len);
	if (m->real_type == NULL)
		return false;
	attach__extension(m->path, ext, sizeof(ext));
	m->flags |= attach__mismatch(ext, NULL, m->real_type);
	if (attach__type_is_executable(m->real_type))
		m->flags |= ATT_F_EXECUTABLE;
	if (attach__type_is_archive(m->real_type))
		m->flags |= ATT_F_ARCHIVE;
	return true;
}

/* A nested archive: read whole (within the limits) and walked one level
 * down, its flags going to the member holding it. */
static int
member_descend(struct walk *w, struct archive *a, struct mread *r, struct mg_buf *data,
    unsigned depth)
{
	const char *path = w->v[r->idx].path;
	unsigned nested;
	int rc;

	if (depth >= w->lim->max_depth) {
		w->v[r->idx].flags |= ATT_F_DEPTH_LIMIT;
		return 0;
	}
	/* a declared size is within the limits already: one allocation */
	if (w->v[r->idx].size > data->len &&
	    mg_buf_reserve(data, (size_t)(w->v[r->idx].size - data->len)) != 0) {
		w->nomem = w->stop = true;
		return 1;
	}
	if ((rc = read_data(w, a, r, data, SIZE_MAX)) != 0)
		return rc;
	nested = walk_archive(w, data->data, data->len, path, path, depth + 1);
	w->v[r->idx].flags |= nested;
	return 0;
}

/* Whether a member of (declared) size fits what may still be kept. */
static bool
keep_fits(const struct walk *w, uint64_t size)
{
	return w->kept <= w->lim->max_kept && size <= w->lim->max_kept - w->kept;
}

/* Reads a member's content into data to keep it: a declared size in one
 * allocation, an undeclared one (a compressed stream) up to
 * KEEP_UNDECLARED_MAX only, so that a bomb is never buffered; the rest of
 * such a member is drained by the caller. */
static int
member_read_whole(struct walk *w, struct archive *a, struct mread *r, struct mg_buf *data,
    bool declared)
{
	uint64_t size = w->v[r->idx].size;

	if (!declared)
		return read_data(w, a, r, data, KEEP_UNDECLARED_MAX);
	if (size > data->len && mg_buf_reserve(data, (size_t)(size - data->len)) != 0) {
		w->nomem = w->stop = true;
		return 1;
	}
	return read_data(w, a, r, data, SIZE_MAX);
}

/* Copies a member's whole content into the arena for the checks. */
static void
member_keep(struct walk *w, size_t idx, const struct mg_buf *data)
{
	uint8_t *p;

	if (!keep_fits(w, data->len) || data->len == 0)
		return;
	if ((p = mg_arena_alloc(w->arena, data->len)) == NULL) {
		w->nomem = w->stop = true;
		return;
	}
	memcpy(p, data->data, data->len);
	w->v[idx].data = p;
	w->v[idx].len = data->len;
	w->kept += data->len;
}

/* Lists one member (not a directory): its name flags, and unless its
 * declared size already makes a bomb or it is encrypted (without a
 * passphrase), the real type of its first bytes; nested archives are
 * walked; a member of unknown size is read to its end here so that
 * libarchive never skips unbounded data; its content is kept when it fits
 * max_kept. An encrypted member the passphrase cannot read locks the
 * level. Returns the flags for the archive holding it (CORRUPT_ARCHIVE:
 * stop). */
static unsigned
walk_member(struct walk *w, struct archive *a, struct archive_entry *e, struct level *lv)
{
	bool declared = archive_entry_size_is_set(e) && archive_entry_size(e) >= 0;
	bool encrypted = archive_entry_is_encrypted(e);
	struct mread r = { .idx = w->n, .arclen = lv->arclen };
	unsigned depth = lv->depth;
	struct attach_member *m;
	struct mg_buf data;
	bool whole = false;	/* data holds the member's whole content */
	int rc;

	if ((m = member_push(w)) == NULL ||
	    (m->path = member_path(w, a, e, lv->prefix, lv->outer)) == NULL ||
	    !member_name_flags(w, r.idx)) {
		w->nomem = w->stop = true;
		return 0;
	}
	m->depth = depth;
	if (declared) {
		m->size = (uint64_t)archive_entry_size(e);
		w->expanded += m->size;
		if (too_big(w, m->size, lv->arclen)) {
			m->flags |= ATT_F_BOMB;
			w->stop = true;
			return 0;
		}
	}
	if (encrypted && lv->pass == NULL) {
		m->flags |= ATT_F_ENCRYPTED;
		return 0;
	}
	/* what count_read lets through, and the chunk that passes it */
	mg_buf_init(&data, w->lim->max_expanded < SIZE_MAX - CHUNK ?
	    (size_t)w->lim->max_expanded + CHUNK : SIZE_MAX);
	if ((rc = read_data(w, a, &r, &data, ATTACH_HEAD_LEN)) >= 0 &&
	    !member_type_flags(w, r.idx, &data))
		w->nomem = w->stop = true;
	if (rc == 0 && !w->stop && (w->v[r.idx].flags & ATT_F_ARCHIVE)) {
		rc = member_descend(w, a, &r, &data, depth);
		whole = rc == 0 && depth < w->lim->max_depth;
	} else if (rc == 0 && !w->stop && keep_fits(w, w->v[r.idx].size)) {
		rc = member_read_whole(w, a, &r, &data, declared);
		whole = rc == 0 && (declared || data.len < KEEP_UNDECLARED_MAX);
	}
	if (whole && !w->stop)
		member_keep(w, r.idx, &data);
	mg_buf_release(&data);
	if (rc == 0 && !w->stop && !declared && !whole)
		rc = read_data(w, a, &r, NULL, 0);
	if (rc < 0 && encrypted) {
		w->v[r.idx].flags |= ATT_F_ENCRYPTED;
		lv->locked = true;
		return 0;
	}
	return rc < 0 ? ATT_F_CORRUPT_ARCHIVE : 0;
}

/* The uncompressed stream (tar.gz and the like) read so far: a bomb past
 * the ratio or the total, whatever the headers declared. */
static bool
stream_too_big(const struct walk *w, struct archive *a, size_t len)
{
	int64_t out = archive_filter_bytes(a, 0);

	return out > 0 && ((uint64_t)out > w->lim->max_expanded || too_big(w, (uint64_t)out, len));
}

/* Walks one archive held in memory; returns the flags of the archive as a
 * whole (CORRUPT_ARCHIVE, ENCRYPTED headers, BOMB for a limit it hit).
 * *empty: a compressed stream in which no member was found. */
static unsigned
walk_once(struct walk *w, const uint8_t *data, size_t len, struct level *lv, bool raw_only,
    bool *empty)
{
	struct archive_entry *e;
	struct archive *a;
	unsigned flags = 0;
	size_t listed = w->n;
	bool first = true;
	int r;

	*empty = false;
	if ((a = archive_open(w, data, len, raw_only, lv->pass)) == NULL)
		return ATT_F_CORRUPT_ARCHIVE;
	while (!w->stop && !lv->locked && !(flags & ATT_F_CORRUPT_ARCHIVE)) {
		if ((r = archive_read_next_header(a, &e)) == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			/* 7z with encrypted names ends here too: it is not read */
			flags |= ATT_F_CORRUPT_ARCHIVE;
			if (archive_read_has_encrypted_entries(a) > 0)
				flags |= ATT_F_ENCRYPTED;
			break;
		}
		/* raw without a decompressor: libarchive knew no format */
		if (first && is_raw(a) && archive_filter_count(a) <= 1) {
			flags |= ATT_F_CORRUPT_ARCHIVE;
			break;
		}
		first = false;
		if (stream_too_big(w, a, len) || w->n >= w->lim->max_members) {
			flags |= ATT_F_BOMB;
			w->stop = true;
			break;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		flags |= walk_member(w, a, e, lv);
		if (is_raw(a))
			break;
	}
	*empty = flags == 0 && !w->stop && w->n == listed && archive_filter_count(a) > 1;
	lv->decryptable = (archive_read_format_capabilities(a) & CAPS_DECRYPT) != 0;
	archive_read_free(a);
	return flags;
}

/* Whether the archive listed from index from (its members at depth) has
 * encrypted content left unread. */
static bool
encrypted_left(const struct walk *w, size_t from, unsigned depth, unsigned flags)
{
	if (flags & ATT_F_ENCRYPTED)
		return true;
	for (size_t i = from; i < w->n; i++)
		if (w->v[i].depth == depth && (w->v[i].flags & ATT_F_ENCRYPTED))
			return true;
	return false;
}

/* The encrypted archive listed in w->v[from..] (flags: that walk's) walked
 * again with each password candidate: the first listing that reads every
 * encrypted member replaces it. A discarded listing leaves the bytes it
 * decompressed counted in expanded (so retries spend the budget), not its
 * declared sizes. */
static unsigned
walk_passwords(struct walk *w, const uint8_t *data, size_t len, struct level *lv,
    size_t from, uint64_t plain_extra, unsigned flags)
{
	size_t plain_n = w->n, i, max = w->lim->npasswords;
	const char *opened = w->password;	/* by an archive of a discarded listing */
	uint64_t expanded, work;
	unsigned got;
	bool empty;

	if (max > ATTACH_PASSWORDS_MAX)
		max = ATTACH_PASSWORDS_MAX;
	for (i = 0; i < max && w->tries < ATTACH_PASSWORD_TRIES && !w->stop; i++) {
		expanded = w->expanded;
		work = w->work;
		w->tries++;
		lv->pass = w->lim->passwords[i];
		lv->locked = false;
		got = walk_once(w, data, len, lv, false, &empty);
		if (!w->stop && encrypted_left(w, plain_n, lv->depth, got)) {
			w->n = plain_n;
			w->expanded = expanded + (w->work - work);
			w->password = opened;
			continue;
		}
		memmove(&w->v[from], &w->v[plain_n], (w->n - plain_n) * sizeof(*w->v));
		w->n = from + (w->n - plain_n);
		w->expanded -= plain_extra < w->expanded ? plain_extra : w->expanded;
		if (w->password == NULL && !w->stop)
			w->password = lv->pass;
		return got | ATT_F_PASSWORD_IN_BODY;
	}
	return flags | ATT_F_PASSWORD_IN_BODY;
}

/* A compressed stream that holds no member (zeros read as an empty tar)
 * is walked again as one stream: its size is what a reader gets. An
 * encrypted archive is walked again with the password candidates. */
static unsigned
walk_archive(struct walk *w, const uint8_t *data, size_t len, const char *prefix,
    const char *outer, unsigned depth)
{
	struct level lv = { .prefix = prefix, .outer = outer, .depth = depth, .arclen = len };
	uint64_t expanded = w->expanded, work = w->work, extra;
	size_t from = w->n;
	bool empty;
	unsigned flags = walk_once(w, data, len, &lv, false, &empty);

	if (empty)
		return walk_once(w, data, len, &lv, true, &empty);
	if (w->lim->npasswords == 0 || w->stop || !encrypted_left(w, from, depth, flags))
		return flags;
	if (!lv.decryptable)		/* 7z, rar: flagged, never opened */
		return flags | ATT_F_PASSWORD_IN_BODY;
	/* what the plain listing counted beyond the bytes it decompressed */
	extra = w->expanded - expanded;
	extra -= w->work - work < extra ? w->work - work : extra;
	return walk_passwords(w, data, len, &lv, from, extra, flags);
}

int
attach__archive_walk(struct attach_ctx *c, struct mg_arena *arena, struct mime_attachment *att,
    struct attach_types *types, const uint8_t *data, size_t len,
    const struct attach_limits *lim)
{
	struct walk w = { .ctx = c, .arena = arena, .types = types, .lim = lim };
	locale_t old = (locale_t)0;
	unsigned flags;
	size_t i;

	if ((w.scratch = malloc(CHUNK)) == NULL)
		return -MG_ENOMEM;
	if (c->utf8 != (locale_t)0)
		old = uselocale(c->utf8);
	flags = walk_archive(&w, data, len, NULL, att->name, 1);
	if (c->utf8 != (locale_t)0)
		uselocale(old);
	att->password = w.password;
	free(w.scratch);
	if (!w.nomem && w.n > 0) {
		if ((att->members = mg_arena_alloc(arena, w.n * sizeof(*w.v))) == NULL)
			w.nomem = true;
		else {
			memcpy(att->members, w.v, w.n * sizeof(*w.v));
			att->nmembers = w.n;
		}
	}
	for (i = 0; i < att->nmembers; i++)
		att->flags |= att->members[i].flags;
	att->flags |= flags;
	att->expanded = w.expanded;
	free(w.v);
	return w.nomem ? -MG_ENOMEM : 0;
}
