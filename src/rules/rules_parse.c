/* The rule file parser (docs/rules.md, "Format"): one statement per line,
 * a rule being "rule NAME" followed by its test, score, describe and
 * category lines. Every error names the file and line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mime/mime_charset.h"
#include "rules/rules_int.h"

#define RULES_SCORE_MAX		1000.0
#define RULES_HEADER_MAX	64	/* bytes of a header name */
#define RULES_EVAL_ARG_MAX	1000000000L

struct parse {
	struct rules_set *set;
	const char	*file;		/* in the set's arena */
	int		 line;
	long		 cur;		/* rule being defined, or -1 */
	int		 cur_line;
	bool		 has_test, has_score;
	char		*err;
	size_t		 errlen;
};

static int
parse_fail(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
parse_fail(struct parse *p, int line, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->file, line, why);
	return -MG_EINVAL;
}

static char *
skip_blank(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The next blank-separated word of *s, NUL-terminated; *s moves past it. */
static char *
next_word(char **s)
{
	char *w = skip_blank(*s), *e = w;

	while (*e != '\0' && *e != ' ' && *e != '\t')
		e++;
	if (*e != '\0')
		*e++ = '\0';
	*s = e;
	return w;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RULES_NAME_MAX || !(isupper((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static struct rule *
cur_rule(struct parse *p)
{
	return &p->set->rules[p->cur];
}

/* The rule being defined is complete: checks what it must have. */
static int
parse_finish(struct parse *p)
{
	struct rule *r;
	bool helper;

	if (p->cur < 0)
		return 0;
	r = cur_rule(p);
	helper = strncmp(r->name, "__", 2) == 0;
	if (!p->has_test)
		return parse_fail(p, p->cur_line, "rule %s has no test (header, body, meta, ...)",
		    r->name);
	if (!helper && r->description == NULL)
		return parse_fail(p, p->cur_line, "rule %s has no describe line", r->name);
	if (!helper && !p->has_score)
		return parse_fail(p, p->cur_line, "rule %s has no score", r->name);
	if (helper && (p->has_score || r->description != NULL))
		return parse_fail(p, p->cur_line, "helper rule %s (__ prefix) is never reported: "
		    "no score or describe", r->name);
	p->cur = -1;
	return 0;
}

static int
parse_rule(struct parse *p, char *args)
{
	char *name = next_word(&args);
	struct rule *r;
	int rc;

	if ((rc = parse_finish(p)) < 0)
		return rc;
	if (!name_valid(name) || *skip_blank(args) != '\0')
		return parse_fail(p, p->line, "rule NAME: names are upper case letters, digits "
		    "and '_', up to %d bytes", RULES_NAME_MAX);
	if ((r = rules_add(p->set, name, p->err, p->errlen, p->file, p->line)) == NULL)
		return p->err[0] ? -MG_EINVAL : -MG_ENOMEM;
	r->category = MG_CAT_SPAM;
	p->cur = r - p->set->rules;
	p->cur_line = p->line;
	p->has_test = p->has_score = false;
	return 0;
}

static int
parse_disable(struct parse *p, char *args)
{
	char *name = next_word(&args);
	long i;
	int rc;

	if ((rc = parse_finish(p)) < 0)
		return rc;
	if ((i = rules_find(p->set, name)) < 0)
		return parse_fail(p, p->line, "disable %s: no such rule defined before", name);
	p->set->rules[i].disabled = true;
	return 0;
}

/* "/re/flags" at s, to the end of the line. */
static int
parse_regex(struct parse *p, char *s, struct rule *r)
{
	char *e, *pat;

	s = skip_blank(s);
	if (*s != '/')
		return parse_fail(p, p->line, "expected /pattern/ after the operator");
	for (e = s + 1; *e != '\0' && *e != '/'; e++)
		if (*e == '\\' && e[1] != '\0')
			e++;
	if (*e != '/')
		return parse_fail(p, p->line, "unterminated /pattern/");
	if (e == s + 1)
		return parse_fail(p, p->line, "empty /pattern/");
	*e++ = '\0';
	for (; *e != '\0' && *e != ' ' && *e != '\t'; e++) {
		switch (*e) {
		case 'i': r->flags |= RULE_F_CASELESS; break;
		case 's': r->flags |= RULE_F_DOTALL; break;
		case 'm': r->flags |= RULE_F_MULTILINE; break;
		case 'u': r->flags |= RULE_F_UCP; break;
		default:
			return parse_fail(p, p->line, "unknown flag '%c' (flags: i s m u)", *e);
		}
	}
	if (*skip_blank(e) != '\0')
		return parse_fail(p, p->line, "text after /pattern/flags");
	if ((pat = mg_arena_strndup(p->set->arena, s + 1, strlen(s + 1))) == NULL)
		return -MG_ENOMEM;
	r->pattern = pat;
	return 0;
}

/* A header name (lower-cased into the arena) with an optional ":raw". */
static int
parse_header_name(struct parse *p, char *w, struct rule *r, bool raw_ok)
{
	size_t n = strlen(w);
	char *lc;

	r->scope = RULE_SCOPE_HEADER;
	if (raw_ok && n > 4 && strcasecmp(w + n - 4, ":raw") == 0) {
		r->scope = RULE_SCOPE_HEADER_RAW;
		n -= 4;
	}
	if (n == 0 || n > RULES_HEADER_MAX)
		return parse_fail(p, p->line, "expected a header name (up to %d bytes)",
		    RULES_HEADER_MAX);
	for (size_t i = 0; i < n; i++)
		if (w[i] <= ' ' || w[i] >= 0x7f || w[i] == ':')
			return parse_fail(p, p->line, "'%.*s' is not a header name", (int)n, w);
	if ((lc = mg_arena_strndup(p->set->arena, w, n)) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < n; i++)
		lc[i] = (char)tolower((unsigned char)lc[i]);
	r->header = lc;
	return 0;
}

/* "header NAME[:raw] =~|!~ /re/", "subject ...", "from ...". */
static int
parse_header_test(struct parse *p, const char *kw, char *args, struct rule *r)
{
	char *name = strcmp(kw, "header") == 0 ? next_word(&args) : (char *)kw;
	char *op;
	int rc;

	if ((rc = parse_header_name(p, name, r, name != kw)) < 0)
		return rc;
	op = next_word(&args);
	if (strcmp(op, "=~") == 0)
		r->kind = RULE_MATCH;
	else if (strcmp(op, "!~") == 0)
		r->kind = RULE_NOT_MATCH;
	else
		return parse_fail(p, p->line, "expected =~ or !~ after %s", kw);
	return parse_regex(p, args, r);
}

static int
parse_eval(struct parse *p, char *args, struct rule *r)
{
	char *fn = next_word(&args), *num = next_word(&args), *end;
	size_t i;

	for (i = 0; i < rules_nevals && strcmp(rules_evals[i].name, fn) != 0; i++)
		;
	if (i == rules_nevals)
		return parse_fail(p, p->line, "eval: unknown test '%s'", fn);
	r->kind = RULE_EVAL;
	r->eval = (unsigned)i;
	if (!rules_evals[i].has_arg) {
		if (*num != '\0')
			return parse_fail(p, p->line, "eval %s takes no argument", fn);
		return 0;
	}
	errno = 0;
	r->eval_arg = strtol(num, &end, 10);
	if (*num == '\0' || *end != '\0' || errno != 0 || r->eval_arg < 0 ||
	    r->eval_arg > RULES_EVAL_ARG_MAX || *skip_blank(args) != '\0')
		return parse_fail(p, p->line, "eval %s takes one number (0 to %ld)", fn,
		    RULES_EVAL_ARG_MAX);
	return 0;
}

static int
parse_meta(struct parse *p, char *args, struct rule *r)
{
	char why[256];
	int rc;

	args = skip_blank(args);
	r->kind = RULE_META;
	if ((r->meta = mg_arena_strndup(p->set->arena, args, strlen(args))) == NULL)
		return -MG_ENOMEM;
	if ((rc = meta_parse(p->set->arena, args, &r->prog, why, sizeof(why))) == -MG_EINVAL)
		return parse_fail(p, p->line, "meta: %s", why);
	return rc;
}

static const char *const scope_words[] = { "body", "rawbody", "uri", "attachment" };
static const enum rule_scope scope_of[] = { RULE_SCOPE_BODY, RULE_SCOPE_RAWBODY,
	RULE_SCOPE_URI, RULE_SCOPE_ATTACHMENT };
#define NSCOPE_WORDS	(sizeof(scope_words) / sizeof(scope_words[0]))

static bool
is_test_keyword(const char *kw)
{
	static const char *const others[] = { "header", "subject", "from", "exists",
		"missing", "eval", "meta" };

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (strcmp(kw, others[i]) == 0)
			return true;
	for (size_t i = 0; i < NSCOPE_WORDS; i++)
		if (strcmp(kw, scope_words[i]) == 0)
			return true;
	return false;
}

/* One test line (is_test_keyword) of the rule being defined. */
static int
parse_test(struct parse *p, const char *kw, char *args)
{
	struct rule *r = cur_rule(p);

	if (p->has_test)
		return parse_fail(p, p->line, "rule %s has a test already", r->name);
	p->has_test = true;
	r->test_line = p->line;
	if (strcmp(kw, "header") == 0 || strcmp(kw, "subject") == 0 || strcmp(kw, "from") == 0)
		return parse_header_test(p, kw, args, r);
	if (strcmp(kw, "exists") == 0 || strcmp(kw, "missing") == 0) {
		char *name = next_word(&args);

		r->kind = kw[0] == 'e' ? RULE_EXISTS : RULE_MISSING;
		if (*name == '\0' || *skip_blank(args) != '\0')
			return parse_fail(p, p->line, "%s takes one header name", kw);
		return parse_header_name(p, name, r, false);
	}
	if (strcmp(kw, "eval") == 0)
		return parse_eval(p, args, r);
	if (strcmp(kw, "meta") == 0)
		return parse_meta(p, args, r);
	for (size_t i = 0; i < NSCOPE_WORDS; i++) {
		if (strcmp(kw, scope_words[i]) != 0)
			continue;
		r->kind = RULE_MATCH;
		r->scope = scope_of[i];
		if (strcmp(next_word(&args), "=~") != 0)
			return parse_fail(p, p->line, "expected =~ after %s", kw);
		return parse_regex(p, args, r);
	}
	return parse_fail(p, p->line, "unknown test '%s'", kw);
}

static int
parse_score(struct parse *p, char *args, struct rule *r)
{
	char *num = next_word(&args), *end;

	r->score = strtod(num, &end);
	if (*num == '\0' || *end != '\0' || !isfinite(r->score) ||
	    fabs(r->score) > RULES_SCORE_MAX || *skip_blank(args) != '\0')
		return parse_fail(p, p->line, "score takes one number from %g to %g",
		    -RULES_SCORE_MAX, RULES_SCORE_MAX);
	if (p->has_score)
		return parse_fail(p, p->line, "rule %s has a score already", r->name);
	p->has_score = true;
	return 0;
}

static int
parse_describe(struct parse *p, char *args, struct rule *r)
{
	char *d = skip_blank(args), *e = d + strlen(d);

	while (e > d && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (e == d || e - d > RULES_DESC_MAX)
		return parse_fail(p, p->line, "describe takes one line of text (1 to %d bytes)",
		    RULES_DESC_MAX);
	for (char *c = d; c < e; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return parse_fail(p, p->line, "control character in describe");
	if (r->description != NULL)
		return parse_fail(p, p->line, "rule %s has a describe line already", r->name);
	r->description = mg_arena_strndup(p->set->arena, d, (size_t)(e - d));
	return r->description ? 0 : -MG_ENOMEM;
}

static int
parse_category(struct parse *p, char *args, struct rule *r)
{
	char *w = next_word(&args);

	for (int i = 0; conf_category_names[i] != NULL; i++) {
		if (strcmp(conf_category_names[i], w) == 0 && *skip_blank(args) == '\0') {
			r->category = (enum mg_category)i;
			return 0;
		}
	}
	return parse_fail(p, p->line, "category must be one of clean, spam, bulk, phishing, "
	    "malware, bec, policy");
}

/* One line (NUL-terminated, no newline). */
static int
parse_line(struct parse *p, char *s)
{
	char *kw;

	s = skip_blank(s);
	if (*s == '\0' || *s == '#')
		return 0;
	kw = next_word(&s);
	if (strcmp(kw, "rule") == 0)
		return parse_rule(p, s);
	if (strcmp(kw, "disable") == 0)
		return parse_disable(p, s);
	if (p->cur < 0)
		return parse_fail(p, p->line, "'%s' outside a rule (start one with: rule NAME)",
		    kw);
	if (is_test_keyword(kw))
		return parse_test(p, kw, s);
	if (strcmp(kw, "score") == 0)
		return parse_score(p, s, cur_rule(p));
	if (strcmp(kw, "describe") == 0)
		return parse_describe(p, s, cur_rule(p));
	if (strcmp(kw, "category") == 0)
		return parse_category(p, s, cur_rule(p));
	return parse_fail(p, p->line, "unknown keyword '%s'", kw);
}

/* The line number of byte offset off. */
static int
line_of(const char *text, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

int
rules_parse(struct rules_set *set, const char *file, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct parse p = { set, NULL, 0, -1, 0, false, false, err, errlen };
	char line[RULES_LINE_MAX + 1];
	size_t off = 0, bad;
	int rc;

	err[0] = '\0';
	if (set->compiled)
		return -MG_EINVAL;
	if ((p.file = mg_arena_strndup(set->arena, file, strlen(file))) == NULL)
		return -MG_ENOMEM;
	set->ngen++;
	if (len > RULES_FILE_MAX)
		return parse_fail(&p, 1, "file larger than %u bytes", RULES_FILE_MAX);
	if ((bad = mime_utf8_valid_span((const uint8_t *)text, len)) < len)
		return parse_fail(&p, line_of(text, bad), "not valid UTF-8");
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = (nl ? (size_t)(nl - text) : len) - off;

		p.line++;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > RULES_LINE_MAX)
			return parse_fail(&p, p.line, "line longer than %d bytes", RULES_LINE_MAX);
		if (memchr(text + off, '\0', n) != NULL)
			return parse_fail(&p, p.line, "NUL byte");
		memcpy(line, text + off, n);
		line[n] = '\0';
		if ((rc = parse_line(&p, line)) < 0)
			return rc;
		off = nl ? (size_t)(nl - text) + 1 : len;
	}
	return parse_finish(&p);
}
