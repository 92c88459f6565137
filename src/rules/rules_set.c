/* A rule set: the rules by name (override by later files), the rule
 * directories read in name order, compilation, and what the set holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "rules/rules_int.h"

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot of name: its rule, or the empty slot where it goes. */
static size_t
index_slot(const struct rules_set *set, const char *name)
{
	size_t mask = set->index_cap - 1, i = (size_t)name_hash(name) & mask;

	while (set->index[i] != 0 && strcmp(set->rules[set->index[i] - 1].name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

static int
index_grow(struct rules_set *set)
{
	size_t cap = set->index_cap ? set->index_cap * 2 : 256;
	uint32_t *old = set->index;

	if ((set->index = calloc(cap, sizeof(*set->index))) == NULL) {
		set->index = old;
		return -MG_ENOMEM;
	}
	free(old);
	set->index_cap = cap;
	for (size_t i = 0; i < set->nrules; i++)
		set->index[index_slot(set, set->rules[i].name)] = (uint32_t)i + 1;
	return 0;
}

long
rules_find(const struct rules_set *set, const char *name)
{
	size_t slot;

	if (set->index_cap == 0)
		return -1;
	slot = index_slot(set, name);
	return set->index[slot] ? (long)set->index[slot] - 1 : -1;
}

static int
rules_grow(struct rules_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	struct rule *r;
	unsigned *g;

	if ((r = realloc(set->rules, cap * sizeof(*r))) == NULL)
		return -MG_ENOMEM;
	set->rules = r;
	if ((g = realloc(set->gen, cap * sizeof(*g))) == NULL)
		return -MG_ENOMEM;
	set->gen = g;
	set->cap = cap;
	return 0;
}

/* A new rule name, or the earlier definition reset (a later file
 * overrides it). NULL with err set (twice in one file, too many rules),
 * or NULL with err empty when out of memory. */
struct rule *
rules_add(struct rules_set *set, const char *name, char *err, size_t errlen,
    const char *file, int line)
{
	long i = rules_find(set, name);
	struct rule *r;

	if (i >= 0 && set->gen[i] == set->ngen) {
		snprintf(err, errlen, "%s:%d: rule %s is defined twice in this file (line %d)",
		    file, line, name, set->rules[i].line);
		return NULL;
	}
	if (i < 0 && set->nrules == RULES_MAX) {
		snprintf(err, errlen, "%s:%d: more than %d rules", file, line, RULES_MAX);
		return NULL;
	}
	if (i < 0) {
		if ((set->nrules == set->cap && rules_grow(set) < 0) ||
		    ((set->nrules + 1) * 2 > set->index_cap && index_grow(set) < 0))
			return NULL;
		i = (long)set->nrules++;
		r = &set->rules[i];
		if ((r->name = mg_arena_strndup(set->arena, name, strlen(name))) == NULL) {
			set->nrules--;
			return NULL;
		}
		set->index[index_slot(set, name)] = (uint32_t)i + 1;
	}
	r = &set->rules[i];
	*r = (struct rule){ .name = r->name, .file = file, .line = line };
	set->gen[i] = set->ngen;
	return r;
}

struct rules_set *
rules_new(void)
{
	struct rules_set *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	if ((set->arena = mg_arena_new(64 * 1024, 0)) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

struct rules_set *
rules_free(struct rules_set *set)
{
	if (set == NULL)
		return NULL;
	rules_db_free(set);
	free(set->rules);
	free(set->gen);
	free(set->index);
	free(set->post);
	free(set->metas);
	free(set->externals);
	mg_arena_free(set->arena);
	free(set);
	return NULL;
}

size_t
rules_count(const struct rules_set *set)
{
	return set->nrules;
}

const struct rule *
rules_get(const struct rules_set *set, size_t i)
{
	return i < set->nrules ? &set->rules[i] : NULL;
}

const char *const *
rules_externals(const struct rules_set *set, size_t *n)
{
	*n = set->nexternals;
	return set->externals;
}

static int
read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -MG_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -MG_EINVAL;
	}
	if (st.st_size > RULES_FILE_MAX) {
		close(fd);
		snprintf(err, errlen, "%s: larger than %u bytes", path, RULES_FILE_MAX);
		return -MG_EINVAL;
	}
	if ((*out = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -MG_ENOMEM;
	}
	for (*len = 0; *len < (size_t)st.st_size; *len += (size_t)got) {
		if ((got = read(fd, *out + *len, (size_t)st.st_size - *len)) > 0)
			continue;
		if (got == -1 && errno == EINTR) {
			got = 0;
			continue;
		}
		/* a short file would parse as a shorter set of rules: refuse it */
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    got == 0 ? "file shrank while reading" : strerror(errno));
		close(fd);
		return -MG_EIO;
	}
	close(fd);
	return 0;
}

static int
name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.rules names of dir, sorted; *n set. */
static int
list_dir(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
		return -MG_EIO;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		if (*n == RULES_FILES_MAX) {
			snprintf(err, errlen, "%s: more than %d rule files", dir, RULES_FILES_MAX);
			rc = -MG_ELIMIT;
		} else if (*n == cap) {
			char **grown = realloc(*names, (cap + 64) * sizeof(**names));
			rc = grown ? 0 : -MG_ENOMEM;
			*names = grown ? grown : *names;
			cap += grown ? 64 : 0;
		}
		if (rc == 0 && ((*names)[*n] = strdup(de->d_name)) == NULL)
			rc = -MG_ENOMEM;
		if (rc == 0)
			(*n)++;
	}
	closedir(d);
	if (rc == -MG_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", dir);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), name_order);
	return rc;
}

static int
load_dir(struct rules_set *set, const char *dir, char *err, size_t errlen)
{
	char **names, path[4096], *text = NULL;
	size_t n, len = 0;
	int rc = list_dir(dir, &names, &n, err, errlen);

	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			snprintf(err, errlen, "%s: path too long", dir);
			rc = -MG_EINVAL;
			break;
		}
		if ((rc = read_file(path, &text, &len, err, errlen)) == 0)
			rc = rules_parse(set, path, text, len, err, errlen);
		free(text);
		text = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
rules_load_dirs(struct rules_set *set, const char *const *dirs, size_t ndirs, char *err,
    size_t errlen)
{
	int rc;

	for (size_t i = 0; i < ndirs; i++)
		if ((rc = load_dir(set, dirs[i], err, errlen)) < 0)
			return rc;
	return 0;
}

int
rules_compile(struct rules_set *set, const struct rules_limits *lim, char *err,
    size_t errlen)
{
	int rc;

	err[0] = '\0';
	if (set->compiled)
		return -MG_EINVAL;
	set->limits = *lim;
	if (set->nrules > 0 && (set->post = calloc(set->nrules, sizeof(*set->post))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < set->nrules; i++) {
		const struct rule *r = &set->rules[i];
		if (!r->disabled && r->kind != RULE_MATCH && r->kind != RULE_META)
			set->post[set->npost++] = (unsigned)i;
	}
	if ((rc = meta_resolve(set, err, errlen)) < 0 ||
	    (rc = rules_db_build(set, err, errlen)) < 0)
		return rc;
	set->compiled = true;
	return 0;
}

const char *
rules_scope_name(enum rule_scope s)
{
	static const char *const names[RULE_SCOPE_COUNT] = { "header", "header:raw", "body",
		"rawbody", "uri", "attachment" };

	return (unsigned)s < RULE_SCOPE_COUNT ? names[s] : "unknown";
}

void
rules_info(const struct rules_set *set, struct rules_info *info)
{
	memset(info, 0, sizeof(*info));
	info->header_names = set->ndbs[RULE_SCOPE_HEADER] + set->ndbs[RULE_SCOPE_HEADER_RAW];
	for (size_t i = 0; i < set->nrules; i++) {
		const struct rule *r = &set->rules[i];

		if (r->disabled) {
			info->disabled++;
			continue;
		}
		info->total++;
		info->helpers += strncmp(r->name, "__", 2) == 0;
		switch (r->kind) {
		case RULE_MATCH:
		case RULE_NOT_MATCH:
			info->hyperscan[r->scope] += (r->flags & RULE_F_PCRE) == 0;
			info->pcre[r->scope] += (r->flags & RULE_F_PCRE) != 0;
			break;
		case RULE_EXISTS:
		case RULE_MISSING:
			info->presence++;
			break;
		case RULE_EVAL:
			info->evals++;
			break;
		case RULE_META:
			info->metas++;
			break;
		}
	}
}
