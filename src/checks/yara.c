/* The YARA check (yara.h): the rule directories compiled into one
 * YR_RULES, the symbols of its public rules from their meta, and the scan
 * of attachments and kept archive members. libyara's initialisation is
 * reference counted: an engine holding rules holds one reference. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yara.h>

#include "checks/yara.h"
#include "core/err.h"
#include "core/log.h"
#include "mime/files.h"

#define YARA_MAX_FILES	4096	/* rule files over all directories */
#define YARA_DEF_SCORE	5.0
#define YARA_MAX_SCORE	1000.0
#define YARA_NFIXED	2	/* YARA_FAIL, YARA_SKIPPED */
#define YARA_MAX_SYMBOL	128	/* bytes of a symbol name, NUL included */

struct yara_file {
	char		*path;
	uint32_t	 first_rule;	/* index of its first rule in the compiled set */
};

/* The files of one load, for the compiler's messages and rules' origins. */
struct yara_build {
	struct yara_file *files;
	size_t		 nfiles;
	char		*err;
	size_t		 errlen;
};

struct yara_state {
	YR_RULES	*rules;		/* NULL: no rule files (or disabled) */
	struct symbol_def *defs;	/* the fixed ones, then each public rule */
	size_t		 ndefs;
	int		 timeout;	/* seconds per file */
	uint32_t	 max_file_size;
	bool		 initialised;	/* holds a yr_initialize reference */
};

static const struct symbol_def yara_fixed[YARA_NFIXED] = {
	{ "YARA_FAIL", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "the YARA check failed, or the scan of a file timed out" },
	{ "YARA_SKIPPED", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "a file bigger than engine.yara.max_file_size was not scanned by YARA" },
};

static int
yara_is_rule_file(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	if (de->d_name[0] == '.')
		return 0;
	return (len > 4 && strcmp(de->d_name + len - 4, ".yar") == 0) ||
	    (len > 5 && strcmp(de->d_name + len - 5, ".yara") == 0);
}

/* Appends dir's rule files (regular files, sorted by name) to b. */
static int
yara_list_dir(struct yara_build *b, const char *dir)
{
	struct dirent **ents;
	struct yara_file *grown;
	struct stat st;
	int n = scandir(dir, &ents, yara_is_rule_file, alphasort), rc = 0;

	if (n < 0) {
		snprintf(b->err, b->errlen, "%s: %s", dir, strerror(errno));
		return -MG_EIO;
	}
	if (b->nfiles + (size_t)n > YARA_MAX_FILES) {
		snprintf(b->err, b->errlen, "%s: more than %d YARA rule files", dir,
		    YARA_MAX_FILES);
		rc = -MG_ELIMIT;
	} else if ((grown = realloc(b->files, (b->nfiles + (size_t)n + 1) *
	    sizeof(*b->files))) == NULL)
		rc = -MG_ENOMEM;
	else
		b->files = grown;
	for (int i = 0; i < n; i++) {
		char *path = NULL;

		if (rc == 0 && asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0)
			rc = -MG_ENOMEM;
		else if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			b->files[b->nfiles++] = (struct yara_file){ path, 0 };
		else
			free(path);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* The files of c's directories. */
static int
yara_list(const struct conf_yara *c, struct yara_build *b)
{
	int rc = 0;

	for (size_t i = 0; i < c->ndirs && rc == 0; i++)
		rc = yara_list_dir(b, c->dirs[i]);
	return rc;
}

static void
yara_compiler_msg(int level, const char *file, int line, const YR_RULE *rule,
    const char *msg, void *arg)
{
	struct yara_build *b = arg;

	if (level == YARA_ERROR_LEVEL_WARNING)
		log_warn("yara compile file=%s line=%d warning=\"%s\"", file ? file : "-", line,
		    msg);
	else if (b->err[0] == '\0' && line > 0)
		snprintf(b->err, b->errlen, "%s:%d: %s", file ? file : "-", line, msg);
	else if (b->err[0] == '\0')	/* at the end of the file */
		snprintf(b->err, b->errlen, "%s: %s", file ? file : "-", msg);
}

/* Every file of b, in the default namespace (rules may use each other's
 * rules; a name defined twice is an error), into *out. */
static int
yara_compile(struct yara_build *b, YR_RULES **out)
{
	YR_COMPILER *cc;
	int rc = 0;

	if (yr_compiler_create(&cc) != ERROR_SUCCESS)
		return -MG_ENOMEM;
	yr_compiler_set_callback(cc, yara_compiler_msg, b);
	for (size_t i = 0; i < b->nfiles && rc == 0; i++) {
		FILE *f = fopen(b->files[i].path, "r");

		if (f == NULL) {
			snprintf(b->err, b->errlen, "%s: %s", b->files[i].path, strerror(errno));
			rc = -MG_EIO;
			break;
		}
		b->files[i].first_rule = cc->next_rule_idx;
		if (yr_compiler_add_file(cc, f, NULL, b->files[i].path) > 0)
			rc = -MG_EINVAL;
		fclose(f);
	}
	if (rc == 0 && yr_compiler_get_rules(cc, out) != ERROR_SUCCESS)
		rc = -MG_ENOMEM;
	yr_compiler_destroy(cc);
	return rc;
}

static bool
yara_ident_char(int ch)
{
	return isalnum(ch) || ch == '_';
}

/* The line of "rule NAME" in path, or 0 when not found. */
static int
yara_rule_line(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n = strlen(name);
	char *line = NULL;
	int lineno = 0, found = 0;

	if (f == NULL)
		return 0;
	while (found == 0 && getline(&line, &cap, f) != -1) {
		lineno++;
		for (char *p = line; found == 0 && (p = strstr(p, "rule")) != NULL; p += 4) {
			char *q = p + 4;

			if ((p > line && yara_ident_char((unsigned char)p[-1])) || !isspace(*q))
				continue;
			while (isspace((unsigned char)*q))
				q++;
			if (strncmp(q, name, n) == 0 && !yara_ident_char((unsigned char)q[n]))
				found = lineno;
		}
	}
	free(line);
	fclose(f);
	return found;
}

static int
yara_name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

/* meta score: an integer, or a string holding a real ("2.5"). */
static int
yara_meta_score(const YR_META *m, double *out)
{
	char *end;

	if (m->type == META_TYPE_INTEGER)
		*out = (double)m->integer;
	else if (m->type == META_TYPE_STRING) {
		errno = 0;
		*out = strtod(m->string, &end);
		if (end == m->string || *end != '\0' || errno != 0)
			return -1;
	} else
		return -1;
	return *out >= -YARA_MAX_SCORE && *out <= YARA_MAX_SCORE ? 0 : -1;
}

/* Score, category, forced action and description of d from r's meta and
 * tags (rules/yara/README.md); 0, or -MG_EINVAL with the reason in why. */
static int
yara_meta(const YR_RULE *r, struct symbol_def *d, char *why, size_t whylen)
{
	const YR_META *m;
	const char *tag;
	int cat = -1, act = -1;

	d->score = YARA_DEF_SCORE;
	yr_rule_metas_foreach(r, m) {
		bool str = m->type == META_TYPE_STRING;

		if (strcmp(m->identifier, "score") == 0 && yara_meta_score(m, &d->score) < 0)
			snprintf(why, whylen, "meta score must be a number in [%g, %g]",
			    -YARA_MAX_SCORE, YARA_MAX_SCORE);
		else if (strcmp(m->identifier, "category") == 0 && (!str ||
		    (cat = yara_name_index(conf_category_names, m->string)) < 0))
			snprintf(why, whylen, "meta category must be one of clean, spam, bulk, "
			    "phishing, malware, bec, policy, dangerous");
		else if (strcmp(m->identifier, "force") == 0 && (!str ||
		    (act = yara_name_index(conf_action_names, m->string)) < 0))
			snprintf(why, whylen, "meta force must be one of accept, tag, "
			    "quarantine, hold, reject");
		else if (strcmp(m->identifier, "description") == 0 && !str)
			snprintf(why, whylen, "meta description must be a string");
		else {
			if (strcmp(m->identifier, "description") == 0)
				d->description = m->string;
			continue;
		}
		return -MG_EINVAL;
	}
	yr_rule_tags_foreach(r, tag)
		if (cat < 0)
			cat = yara_name_index(conf_category_names, tag);
	d->category = cat < 0 ? MG_CAT_MALWARE : (enum mg_category)cat;
	if (act < 0)
		act = d->category == MG_CAT_MALWARE || d->category == MG_CAT_DANGEROUS ?
		    MG_VERDICT_QUARANTINE : MG_VERDICT_ACCEPT;
	d->force = (enum mg_verdict_action)act;
	return 0;
}

/* "YARA_" and the identifier upper-cased; NULL when it does not fit. */
static char *
yara_symbol_name(const char *ident, char *buf, size_t len)
{
	size_t i, n = strlen(ident);

	if (n + 6 > len)
		return NULL;
	memcpy(buf, "YARA_", 5);
	for (i = 0; i < n; i++)
		buf[5 + i] = (char)toupper((unsigned char)ident[i]);
	buf[5 + i] = '\0';
	return buf;
}

/* d for the public rule r (number idx in the set): name and default
 * description in one allocation, owned by d->name. */
static int
yara_def(const struct yara_build *b, const YR_RULE *r, uint32_t idx, struct symbol_def *d,
    char *err, size_t errlen)
{
	char why[160], *name;
	size_t f = 0, n = strlen(r->identifier);
	int rc;

	if (n + 6 > YARA_MAX_SYMBOL) {
		snprintf(why, sizeof(why), "a name longer than %d characters", YARA_MAX_SYMBOL - 6);
		rc = -MG_EINVAL;
	} else
		rc = yara_meta(r, d, why, sizeof(why));
	if (rc < 0) {
		while (f + 1 < b->nfiles && b->files[f + 1].first_rule <= idx)
			f++;
		snprintf(err, errlen, "%s:%d: rule %s: %s", b->files[f].path,
		    yara_rule_line(b->files[f].path, r->identifier), r->identifier, why);
		return rc;
	}
	if ((name = malloc(2 * n + 32)) == NULL)
		return -MG_ENOMEM;
	yara_symbol_name(r->identifier, name, n + 6);
	if (d->description == NULL) {
		snprintf(name + n + 6, n + 26, "YARA rule %s", r->identifier);
		d->description = name + n + 6;
	}
	d->name = name;
	return 0;
}

static int
yara_defs(struct yara_state *st, const struct yara_build *b, char *err, size_t errlen)
{
	const YR_RULE *r;
	uint32_t n = 0, idx = 0;
	int rc = 0;

	if (st->rules != NULL)
		yr_rules_foreach(st->rules, r)
			n++;
	if ((st->defs = calloc(n + YARA_NFIXED, sizeof(*st->defs))) == NULL)
		return -MG_ENOMEM;
	memcpy(st->defs, yara_fixed, sizeof(yara_fixed));
	st->ndefs = YARA_NFIXED;
	if (st->rules == NULL)
		return 0;
	yr_rules_foreach(st->rules, r) {
		if (rc == 0 && !(r->flags & RULE_FLAGS_PRIVATE) &&
		    (rc = yara_def(b, r, idx, &st->defs[st->ndefs], err, errlen)) == 0)
			st->ndefs++;
		idx++;
	}
	return rc;
}

static void
yara_fini(void *state)
{
	struct yara_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = YARA_NFIXED; i < st->ndefs; i++)
		free((char *)st->defs[i].name);
	free(st->defs);
	if (st->rules != NULL)
		yr_rules_destroy(st->rules);
	if (st->initialised)
		yr_finalize();
	free(st);
}

/* Compiles c's files into st: its rules and their symbols. */
static int
yara_load(const struct conf_yara *c, struct yara_state *st, char *err, size_t errlen)
{
	struct yara_build b = { .err = err, .errlen = errlen };
	int rc = 0;

	err[0] = '\0';
	st->timeout = (int)c->timeout;
	st->max_file_size = c->max_file_size;
	if (c->enabled && (rc = yara_list(c, &b)) == 0 && b.nfiles > 0) {
		if (yr_initialize() != ERROR_SUCCESS)
			rc = -MG_ENOMEM;
		else {
			st->initialised = true;
			rc = yara_compile(&b, &st->rules);
		}
	}
	if (rc == 0)
		rc = yara_defs(st, &b, err, errlen);
	if (rc == 0)
		log_info("yara load enabled=%s files=%zu rules=%zu", c->enabled ? "yes" : "no",
		    b.nfiles, st->ndefs - YARA_NFIXED);
	for (size_t i = 0; i < b.nfiles; i++)
		free(b.files[i].path);
	free(b.files);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", mg_strerror(rc));
	return rc;
}

int
yara_check_files(const struct conf_yara *c, size_t *nrules, char *err, size_t errlen)
{
	struct yara_state *st = calloc(1, sizeof(*st));
	int rc;

	*nrules = 0;
	if (st == NULL) {
		snprintf(err, errlen, "%s", mg_strerror(-MG_ENOMEM));
		return -MG_ENOMEM;
	}
	if ((rc = yara_load(c, st, err, errlen)) == 0)
		*nrules = st->ndefs - YARA_NFIXED;
	yara_fini(st);
	return rc;
}

static int
yara_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	struct yara_state *st = calloc(1, sizeof(*st));
	int rc;

	if (st == NULL) {
		snprintf(err, errlen, "%s", mg_strerror(-MG_ENOMEM));
		return -MG_ENOMEM;
	}
	if ((rc = yara_load(&conf->engine.yara, st, err, errlen)) < 0) {
		yara_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}

static const struct symbol_def *
yara_symbols(void *state, size_t *n)
{
	struct yara_state *st = state;

	*n = st->ndefs;
	return st->defs;
}

struct yara_scan {
	struct yara_state *st;
	struct mg_task	*t;
	const char	*option;	/* the file's name */
	const struct mime_part *part;	/* the file's attachment */
	int		 rc;		/* of mg_task_symbol */
};

static int
yara_matched(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
	struct yara_scan *s = arg;
	const YR_RULE *r = data;
	char name[YARA_MAX_SYMBOL];

	if (msg != CALLBACK_MSG_RULE_MATCHING || (r->flags & RULE_FLAGS_PRIVATE) ||
	    yara_symbol_name(r->identifier, name, sizeof(name)) == NULL)
		return CALLBACK_CONTINUE;
	if ((s->rc = mg_task_symbol_part(s->t, name, s->option, s->part)) < 0)
		return CALLBACK_ABORT;
	return CALLBACK_CONTINUE;
}

/* One attachment or archive member (mime_files_each): its matches as
 * symbols named after the file; a file too big is YARA_SKIPPED, a timeout
 * or a libyara error YARA_FAIL, and the scan goes on with the next file. */
static int
yara_scan_file(const struct mime_file *f, void *arg)
{
	struct yara_scan *s = arg;
	struct yara_state *st = s->st;
	char why[TASK_MAX_OPTION_LEN];
	int rc;

	if (f->len == 0)
		return 0;
	if (f->len > st->max_file_size)
		return mg_task_symbol(s->t, "YARA_SKIPPED", f->name);
	if (mg_task_expired(s->t))
		return -MG_ETIMEOUT;
	s->option = f->name;
	s->part = f->part;
	rc = yr_rules_scan_mem(st->rules, f->data, f->len, SCAN_FLAGS_FAST_MODE, yara_matched,
	    s, st->timeout);
	if (s->rc < 0 || rc == ERROR_SUCCESS)
		return s->rc;
	snprintf(why, sizeof(why), "%s: %s", rc == ERROR_SCAN_TIMEOUT ? "timeout" :
	    rc == ERROR_TOO_MANY_SCAN_THREADS ? "too many scanning threads" : "libyara error",
	    f->name);
	return mg_task_symbol(s->t, "YARA_FAIL", why);
}

static int
yara_scan_task(void *state, struct mg_task *t)
{
	struct yara_scan s = { .st = state, .t = t };

	if (s.st->rules == NULL)
		return 0;
	return mime_files_each(t->msg, yara_scan_file, &s);
}

const struct mg_check check_yara = {
	.name = "yara",
	.init = yara_init,
	.scan = yara_scan_task,
	.fini = yara_fini,
	.symbols = yara_symbols,
};
