/* Corpus replay of the MIME parser: reads every archive of the shared
 * corpus (mail/NAME.tar.zst, vectors/mime-vectors.tar.zst) with libarchive,
 * parses every file in it with the default limits and checks what every
 * parse must satisfy (mime_check.h); the edge cases chosen in
 * EXPECT_DIR/NAME.json (a corpus "vector" or a "message" of MESSAGES_DIR)
 * are compared with their expectations on the way. Exits 77, which ctest
 * reports as skipped, when the corpus is absent. The archives are streamed,
 * not unpacked: 27,000 files would cost more in the file system than in
 * the parser.
 *
 *   test_mime_corpus CORPUS_DIR EXPECT_DIR MESSAGES_DIR
 *   test_mime_corpus --dump FILE	prints FILE's parse as an expectation */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "core/arena.h"
#include "mime/mime.h"
#include "mime/mime_charset.h"
#include "mime/mime_header.h"
#include "mime_check.h"

#define SKIP		77
#define TEXT_PREFIX	60	/* bytes of text kept by --dump */
#define FILE_MAX	(64u << 20)

struct expectation {
	char		*file;		/* the .json */
	json_t		*e;
	const char	*vector;	/* path inside an archive, or NULL */
	const char	*message;	/* file of MESSAGES_DIR, or NULL */
	bool		 checked;
};

static struct {
	struct expectation *x;
	size_t		 n;
} expect;

static struct {
	unsigned long	 files, failed;
	unsigned long	 flags[MIME_F_COUNT];
	double		 bytes, seconds;
} run;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* Parses data and checks the invariants; NULL (reported) when they break.
 * The result lives in *a, which the caller frees. */
static struct mime_msg *
parse_checked(const char *name, const uint8_t *data, size_t len, struct mg_arena **a)
{
	struct mime_limits lim;
	struct mime_msg *m;
	const char *why;
	double t0;

	mime_limits_default(&lim);
	*a = mg_arena_new(64 * 1024, 0);
	t0 = now();
	m = mime_parse(*a, data, len, &lim);
	run.seconds += now() - t0;
	run.bytes += (double)len;
	if (m == NULL) {
		fprintf(stderr, "FAIL %s: mime_parse returned NULL\n", name);
		return NULL;
	}
	if ((why = mime_check(m, &lim)) != NULL) {
		fprintf(stderr, "FAIL %s: %s\n", name, why);
		return NULL;
	}
	return m;
}

static json_t *
flags_json(uint64_t flags)
{
	json_t *a = json_array();
	unsigned b;

	for (b = 0; b < MIME_F_COUNT; b++)
		if (flags & (1ull << b))
			json_array_append_new(a, json_string(mime_flag_name(1ull << b)));
	return a;
}

static json_t *
part_json(const struct mime_part *p)
{
	json_t *o = json_object();
	char type[256];
	size_t n;

	snprintf(type, sizeof(type), "%s/%s", p->type, p->subtype);
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "depth", json_integer(p->depth));
	json_object_set_new(o, "filename", p->filename ? json_string(p->filename) : json_null());
	json_object_set_new(o, "attachment", json_boolean(p->is_attachment));
	json_object_set_new(o, "flags", flags_json(p->flags));
	if (p->text != NULL) {
		n = mime_utf8_boundary((const uint8_t *)p->text,
		    p->text_len < TEXT_PREFIX ? p->text_len : TEXT_PREFIX);
		json_object_set_new(o, "charset", json_string(p->text_charset));
		json_object_set_new(o, "text", json_stringn(p->text, n));
	}
	return o;
}

/* Compares field key of the expectation want with got (both JSON). */
static int
compare_field(const char *name, size_t i, const char *key, json_t *want, json_t *got)
{
	char *w, *g;
	int bad;

	if (key[0] == 't' && strcmp(key, "text") == 0 && json_is_string(want) &&
	    json_is_string(got)) {
		bad = strncmp(json_string_value(got), json_string_value(want),
		    strlen(json_string_value(want))) != 0;
	} else {
		bad = !json_equal(want, got);
	}
	if (!bad)
		return 0;
	w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
	g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
	fprintf(stderr, "FAIL %s: part %zu %s: got %s, want %s\n", name, i, key,
	    g ? g : "null", w ? w : "null");
	free(w);
	free(g);
	return 1;
}

/* "params": {"content-type": {"title": "..."}} on the root part. */
static int
compare_params(const char *name, struct mg_arena *a, const struct mime_msg *m, json_t *want)
{
	const struct mime_header *h;
	const struct mime_param *pm;
	struct mime_hvalue hv;
	const char *field, *param;
	json_t *ps, *v;
	uint64_t flags = 0;
	int bad = 0;

	json_object_foreach(want, field, ps) {
		if ((h = mime_header_find(m->root, field)) == NULL ||
		    mime_hdr_params(a, h->raw.ptr, h->raw.len, &hv, &flags) != 0) {
			fprintf(stderr, "FAIL %s: no field %s\n", name, field);
			bad++;
			continue;
		}
		json_object_foreach(ps, param, v) {
			pm = mime_hvalue_param(&hv, param);
			if (pm == NULL || strcmp(pm->value, json_string_value(v)) != 0) {
				fprintf(stderr, "FAIL %s: %s %s: got \"%s\", want \"%s\"\n", name,
				    field, param, pm ? pm->value : "(none)", json_string_value(v));
				bad++;
			}
		}
	}
	return bad;
}

/* "headers": {"subject": "decoded value"} on the root part. */
static int
compare_headers(const char *name, const struct mime_msg *m, json_t *want)
{
	const struct mime_header *h;
	const char *field;
	json_t *v;
	int bad = 0;

	json_object_foreach(want, field, v) {
		h = mime_header_find(m->root, field);
		if (h == NULL || strcmp(h->value, json_string_value(v)) != 0) {
			fprintf(stderr, "FAIL %s: %s: got \"%s\", want \"%s\"\n", name, field,
			    h ? h->value : "(none)", json_string_value(v));
			bad++;
		}
	}
	return bad;
}

/* Compares the expected part wp with the parsed part p. */
static int
compare_part(const char *name, size_t i, json_t *wp, const struct mime_part *p)
{
	json_t *gp = part_json(p), *v;
	const char *key;
	int bad = 0;

	json_object_foreach(wp, key, v) {
		if (strcmp(key, "contains") != 0) {
			bad += compare_field(name, i, key, v, json_object_get(gp, key));
		} else if (p->text == NULL || strstr(p->text, json_string_value(v)) == NULL) {
			fprintf(stderr, "FAIL %s: part %zu text does not contain \"%s\"\n", name, i,
			    json_string_value(v));
			bad++;
		}
	}
	json_decref(gp);
	return bad;
}

/* Compares the parse m of x's message with x; the number of mismatches. */
static int
compare(const struct expectation *x, const char *name, struct mg_arena *a,
    const struct mime_msg *m)
{
	json_t *parts = json_object_get(x->e, "parts"), *got, *v;
	size_t i;
	int bad = 0;

	got = flags_json(m->flags);
	bad += compare_field(name, 0, "message flags", json_object_get(x->e, "flags"), got);
	json_decref(got);
	if (json_array_size(parts) != m->nparts) {
		fprintf(stderr, "FAIL %s: %zu parts, want %zu\n", name, m->nparts,
		    json_array_size(parts));
		bad++;
	}
	for (i = 0; i < m->nparts && i < json_array_size(parts); i++)
		bad += compare_part(name, i, json_array_get(parts, i), m->parts[i]);
	if ((v = json_object_get(x->e, "params")) != NULL)
		bad += compare_params(name, a, m, v);
	if ((v = json_object_get(x->e, "headers")) != NULL)
		bad += compare_headers(name, m, v);
	return bad;
}

/* One file: parsed, checked, compared when an expectation names it. */
static void
replay_one(const char *name, const uint8_t *data, size_t len, struct expectation *x)
{
	struct mg_arena *a;
	struct mime_msg *m;
	unsigned b;

	run.files++;
	if ((m = parse_checked(name, data, len, &a)) == NULL) {
		run.failed++;
	} else {
		for (b = 0; b < MIME_F_COUNT; b++)
			run.flags[b] += (m->flags >> b) & 1;
		if (x != NULL) {
			x->checked = true;
			if (compare(x, name, a, m) > 0)
				run.failed++;
		}
	}
	mg_arena_free(a);
}

static struct expectation *
expectation_for(const char *vector)
{
	size_t i;

	for (i = 0; i < expect.n; i++)
		if (expect.x[i].vector != NULL && strcmp(expect.x[i].vector, vector) == 0)
			return &expect.x[i];
	return NULL;
}

/* Reads the current entry's data into *buf; its length, or -1. */
static long
read_entry(struct archive *ar, uint8_t **buf, size_t *cap)
{
	size_t len = 0;
	la_ssize_t n;

	for (;;) {
		if (len == *cap) {
			if (*cap >= FILE_MAX)
				return -1;
			*cap = *cap ? *cap * 2 : 1 << 20;
			if ((*buf = realloc(*buf, *cap)) == NULL)
				return -1;
		}
		if ((n = archive_read_data(ar, *buf + len, *cap - len)) < 0)
			return -1;
		if (n == 0)
			return (long)len;
		len += (size_t)n;
	}
}

/* Streams one .tar.zst and replays its regular files; -1 when unreadable. */
static int
replay_archive(const char *path)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *ent;
	uint8_t *buf = NULL;
	size_t cap = 0;
	long len;
	int rc = 0, r;

	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK) {
		fprintf(stderr, "FAIL %s: %s\n", path, archive_error_string(ar));
		archive_read_free(ar);
		return -1;
	}
	while ((r = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if ((len = read_entry(ar, &buf, &cap)) < 0) {
			fprintf(stderr, "FAIL %s: cannot read %s\n", path, archive_entry_pathname(ent));
			rc = -1;
			break;
		}
		replay_one(archive_entry_pathname(ent), buf ? buf : (const uint8_t *)"",
		    (size_t)len, expectation_for(archive_entry_pathname(ent)));
	}
	if (r != ARCHIVE_EOF && rc == 0) {
		fprintf(stderr, "FAIL %s: %s\n", path, archive_error_string(ar));
		rc = -1;
	}
	archive_read_free(ar);
	free(buf);
	return rc;
}

static int
load_expectations(const char *dir)
{
	json_error_t jerr;
	char pattern[4096];
	glob_t g;
	size_t i;
	json_t *e;

	snprintf(pattern, sizeof(pattern), "%s/*.json", dir);
	if (glob(pattern, 0, NULL, &g) != 0 ||
	    (expect.x = calloc(g.gl_pathc, sizeof(*expect.x))) == NULL) {
		fprintf(stderr, "FAIL no expectations in %s\n", dir);
		return -1;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if ((e = json_load_file(g.gl_pathv[i], 0, &jerr)) == NULL) {
			fprintf(stderr, "FAIL %s: %s line %d\n", g.gl_pathv[i], jerr.text, jerr.line);
			return -1;
		}
		expect.x[expect.n].file = strdup(g.gl_pathv[i]);
		expect.x[expect.n].e = e;
		expect.x[expect.n].vector = json_string_value(json_object_get(e, "vector"));
		expect.x[expect.n].message = json_string_value(json_object_get(e, "message"));
		expect.n++;
	}
	globfree(&g);
	return 0;
}

/* The expectations on messages of MESSAGES_DIR, and those never met. */
static int
check_rest(const char *messages)
{
	struct expectation *x;
	char path[4096];
	uint8_t *data;
	size_t i, len;
	int bad = 0;

	for (i = 0; i < expect.n; i++) {
		x = &expect.x[i];
		if (x->message != NULL) {
			snprintf(path, sizeof(path), "%s/%s", messages, x->message);
			if ((data = read_file(path, &len)) != NULL) {
				replay_one(x->message, data, len, x);
				free(data);
			}
		}
		if (!x->checked) {
			fprintf(stderr, "FAIL %s: its message was not found\n", x->file);
			bad++;
		}
	}
	return bad;
}

static int
dump(const char *path)
{
	struct mg_arena *a;
	struct mime_msg *m;
	json_t *o, *parts;
	uint8_t *data;
	size_t i, len;
	char *s;

	if ((data = read_file(path, &len)) == NULL) {
		perror(path);
		return 1;
	}
	if ((m = parse_checked(path, data, len, &a)) == NULL)
		return 1;
	o = json_object();
	json_object_set_new(o, "vector", json_string(path));
	json_object_set_new(o, "flags", flags_json(m->flags));
	parts = json_array();
	for (i = 0; i < m->nparts; i++)
		json_array_append_new(parts, part_json(m->parts[i]));
	json_object_set_new(o, "parts", parts);
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
	json_decref(o);
	mg_arena_free(a);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	char pattern[4096];
	struct stat st;
	glob_t g;
	size_t i;
	unsigned b;
	int bad = 0;

	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: %s CORPUS_DIR EXPECT_DIR MESSAGES_DIR\n"
		    "       %s --dump FILE\n", argv[0], argv[0]);
		return 2;
	}
	if (stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("corpus %s not found: skipped\n", argv[1]);
		return SKIP;
	}
	if (load_expectations(argv[2]) != 0)
		return 1;
	snprintf(pattern, sizeof(pattern), "%s/mail/*.tar.zst", argv[1]);
	bad += glob(pattern, 0, NULL, &g) != 0;
	snprintf(pattern, sizeof(pattern), "%s/vectors/mime-vectors.tar.zst", argv[1]);
	bad += glob(pattern, GLOB_APPEND, NULL, &g) != 0;
	for (i = 0; i < g.gl_pathc; i++)
		bad += replay_archive(g.gl_pathv[i]) != 0;
	globfree(&g);
	bad += check_rest(argv[3]);
	printf("%lu files, %lu failed, %.1f MB parsed in %.2f s (%.0f MB/s), %zu expectations\n",
	    run.files, run.failed, run.bytes / 1e6, run.seconds, run.bytes / 1e6 / run.seconds,
	    expect.n);
	for (b = 0; b < MIME_F_COUNT; b++)
		if (run.flags[b] > 0)
			printf("  %-24s %lu\n", mime_flag_name(1ull << b), run.flags[b]);
	bad += run.failed > 0 || run.files == 0;
	for (i = 0; i < expect.n; i++) {
		json_decref(expect.x[i].e);
		free(expect.x[i].file);
	}
	free(expect.x);
	printf("%s\n", bad ? "FAILED" : "passed");
	return bad ? 1 : 0;
}
