/* Meta rules: expressions over symbols (1 when fired, else 0) with
 * ! && || + and comparisons, parsed into reverse Polish programs, resolved
 * against the set (rules, or symbols of earlier checks), ordered so that
 * a meta runs after the metas it uses; a cycle is an error. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "rules/rules_int.h"

#define META_INT_MAX	1000000L

struct meta_parser {
	const char	*s;
	struct meta_ins	 ins[RULES_META_MAX_OPS];
	size_t		 n;
	unsigned	 depth;
	struct mg_arena	*arena;
	char		*why;
	size_t		 whylen;
};

static int	meta_or(struct meta_parser *);

static int
meta_fail(struct meta_parser *mp, const char *what)
{
	snprintf(mp->why, mp->whylen, "%s at '%.20s'", what, *mp->s ? mp->s : "end");
	return -MG_EINVAL;
}

static void
meta_blank(struct meta_parser *mp)
{
	while (*mp->s == ' ' || *mp->s == '\t')
		mp->s++;
}

/* Consumes tok when it comes next. */
static bool
meta_take(struct meta_parser *mp, const char *tok)
{
	size_t n = strlen(tok);

	meta_blank(mp);
	if (strncmp(mp->s, tok, n) != 0)
		return false;
	/* "<" must not take the "<" of "<=", "!" not the one of "!=" */
	if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!') && mp->s[1] == '=')
		return false;
	mp->s += n;
	return true;
}

static int
meta_emit(struct meta_parser *mp, enum meta_op op, long arg, const char *name)
{
	if (mp->n == RULES_META_MAX_OPS)
		return meta_fail(mp, "expression too long");
	mp->ins[mp->n++] = (struct meta_ins){ op, arg, name };
	return 0;
}

static int
meta_primary(struct meta_parser *mp)
{
	const char *start;
	int rc;

	meta_blank(mp);
	start = mp->s;
	if (meta_take(mp, "(")) {
		if (++mp->depth > META_STACK_MAX / 2)
			return meta_fail(mp, "parentheses nested too deep");
		if ((rc = meta_or(mp)) < 0)
			return rc;
		mp->depth--;
		return meta_take(mp, ")") ? 0 : meta_fail(mp, "expected ')'");
	}
	if (isdigit((unsigned char)*mp->s)) {
		long v = 0;
		while (isdigit((unsigned char)*mp->s) && v <= META_INT_MAX)
			v = v * 10 + (*mp->s++ - '0');
		if (v > META_INT_MAX) {
			mp->s = start;
			return meta_fail(mp, "number too large");
		}
		return meta_emit(mp, MOP_INT, v, NULL);
	}
	while (isupper((unsigned char)*mp->s) || isdigit((unsigned char)*mp->s) || *mp->s == '_')
		mp->s++;
	if (mp->s == start || mp->s - start > RULES_NAME_MAX || isdigit((unsigned char)*start))
		return meta_fail(mp, "expected a symbol name, a number or '('");
	if ((start = mg_arena_strndup(mp->arena, start, (size_t)(mp->s - start))) == NULL)
		return -MG_ENOMEM;
	return meta_emit(mp, MOP_NAME, 0, start);
}

static int
meta_unary(struct meta_parser *mp)
{
	int rc;

	if (!meta_take(mp, "!"))
		return meta_primary(mp);
	if (++mp->depth > META_STACK_MAX / 2)
		return meta_fail(mp, "too many '!'");
	if ((rc = meta_unary(mp)) < 0)
		return rc;
	mp->depth--;
	return meta_emit(mp, MOP_NOT, 0, NULL);
}

static int
meta_sum(struct meta_parser *mp)
{
	int rc = meta_unary(mp);

	while (rc == 0 && meta_take(mp, "+"))
		if ((rc = meta_unary(mp)) == 0)
			rc = meta_emit(mp, MOP_ADD, 0, NULL);
	return rc;
}

static int
meta_cmp(struct meta_parser *mp)
{
	static const struct { const char *tok; enum meta_op op; } ops[] = {
		{ "==", MOP_EQ }, { "!=", MOP_NE }, { "<=", MOP_LE }, { ">=", MOP_GE },
		{ "<", MOP_LT }, { ">", MOP_GT },
	};
	int rc = meta_sum(mp);

	for (size_t i = 0; rc == 0 && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!meta_take(mp, ops[i].tok))
			continue;
		if ((rc = meta_sum(mp)) == 0)
			rc = meta_emit(mp, ops[i].op, 0, NULL);
		break;
	}
	return rc;
}

static int
meta_and(struct meta_parser *mp)
{
	int rc = meta_cmp(mp);

	while (rc == 0 && meta_take(mp, "&&"))
		if ((rc = meta_cmp(mp)) == 0)
			rc = meta_emit(mp, MOP_AND, 0, NULL);
	return rc;
}

static int
meta_or(struct meta_parser *mp)
{
	int rc = meta_and(mp);

	while (rc == 0 && meta_take(mp, "||"))
		if ((rc = meta_and(mp)) == 0)
			rc = meta_emit(mp, MOP_OR, 0, NULL);
	return rc;
}

/* The largest evaluation stack the program needs. */
static size_t
meta_stack_need(const struct meta_ins *ins, size_t n)
{
	size_t depth = 0, max = 0;

	for (size_t i = 0; i < n; i++) {
		if (ins[i].op <= MOP_INT)
			depth++;
		else if (ins[i].op != MOP_NOT)
			depth--;
		max = depth > max ? depth : max;
	}
	return max;
}

int
meta_parse(struct mg_arena *arena, const char *expr, struct meta_prog **out, char *why,
    size_t whylen)
{
	struct meta_parser *mp = calloc(1, sizeof(*mp));
	struct meta_prog *prog;
	int rc;

	if (mp == NULL)
		return -MG_ENOMEM;
	*mp = (struct meta_parser){ .s = expr, .arena = arena, .why = why, .whylen = whylen };
	if ((rc = meta_or(mp)) == 0) {
		meta_blank(mp);
		if (*mp->s != '\0')
			rc = meta_fail(mp, "unexpected text");
		else if (meta_stack_need(mp->ins, mp->n) > META_STACK_MAX)
			rc = meta_fail(mp, "expression too complex");
	}
	if (rc == 0 && ((prog = mg_arena_alloc(arena, sizeof(*prog))) == NULL ||
	    (prog->ins = mg_arena_alloc(arena, mp->n * sizeof(*prog->ins))) == NULL))
		rc = -MG_ENOMEM;
	if (rc == 0) {
		memcpy(prog->ins, mp->ins, mp->n * sizeof(*prog->ins));
		prog->n = mp->n;
		*out = prog;
	}
	free(mp);
	return rc;
}

/* The index of name in set->externals, added when new; -1 out of memory. */
static long
meta_external(struct rules_set *set, const char *name, size_t *cap)
{
	for (size_t i = 0; i < set->nexternals; i++)
		if (strcmp(set->externals[i], name) == 0)
			return (long)i;
	if (set->nexternals == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		const char **n = realloc(set->externals, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		set->externals = n;
		*cap = ncap;
	}
	set->externals[set->nexternals] = name;
	return (long)set->nexternals++;
}

/* Names of every enabled meta to rules (disabled: 0) or externals. */
static int
meta_names(struct rules_set *set)
{
	size_t cap = 0;

	for (size_t i = 0; i < set->nrules; i++) {
		struct rule *r = &set->rules[i];
		if (r->kind != RULE_META || r->disabled)
			continue;
		for (size_t k = 0; k < r->prog->n; k++) {
			struct meta_ins *in = &r->prog->ins[k];
			long j;
			if (in->op != MOP_NAME)
				continue;
			if ((j = rules_find(set, in->name)) >= 0)
				*in = set->rules[j].disabled ? (struct meta_ins){ MOP_INT, 0, NULL } :
				    (struct meta_ins){ MOP_RULE, j, in->name };
			else if ((j = meta_external(set, in->name, &cap)) < 0)
				return -MG_ENOMEM;
			else
				*in = (struct meta_ins){ MOP_EXT, j, in->name };
		}
	}
	return 0;
}

/* "A -> B -> A" from the DFS path, starting at the repeated rule. */
static int
meta_cycle(const struct rules_set *set, const unsigned *path, size_t depth, unsigned again,
    char *err, size_t errlen)
{
	const struct rule *r = &set->rules[again];
	size_t k = 0, n;

	while (path[k] != again)
		k++;
	n = (size_t)snprintf(err, errlen, "%s:%d: meta rule %s depends on itself (", r->file,
	    r->line, r->name);
	for (; k < depth && n < errlen; k++)
		n += (size_t)snprintf(err + n, errlen - n, "%s -> ", set->rules[path[k]].name);
	if (n < errlen)
		snprintf(err + n, errlen - n, "%s)", r->name);
	return -MG_EINVAL;
}

/* Depth-first from meta root: every meta it uses is appended to
 * set->metas before it. state: 0 new, 1 on the path, 2 done. */
static int
meta_visit(struct rules_set *set, unsigned root, uint8_t *state, unsigned *path,
    size_t *pos, char *err, size_t errlen)
{
	size_t depth = 0;

	path[depth] = root;
	pos[depth++] = 0;
	state[root] = 1;
	while (depth > 0) {
		unsigned cur = path[depth - 1];
		const struct meta_prog *prog = set->rules[cur].prog;
		unsigned next = 0;
		bool found = false;

		while (pos[depth - 1] < prog->n && !found) {
			const struct meta_ins *in = &prog->ins[pos[depth - 1]++];
			if (in->op != MOP_RULE || set->rules[in->arg].kind != RULE_META)
				continue;
			next = (unsigned)in->arg;
			if (state[next] == 1)
				return meta_cycle(set, path, depth, next, err, errlen);
			found = state[next] == 0;
		}
		if (found) {
			state[next] = 1;
			path[depth] = next;
			pos[depth++] = 0;
			continue;
		}
		state[cur] = 2;
		set->metas[set->nmetas++] = cur;
		depth--;
	}
	return 0;
}

int
meta_resolve(struct rules_set *set, char *err, size_t errlen)
{
	uint8_t *state = NULL;
	unsigned *path = NULL;
	size_t *pos = NULL;
	int rc;

	if (set->nrules == 0)
		return 0;
	if ((rc = meta_names(set)) < 0)
		return rc;
	state = calloc(set->nrules, sizeof(*state));
	path = calloc(set->nrules, sizeof(*path));
	pos = calloc(set->nrules, sizeof(*pos));
	set->metas = calloc(set->nrules, sizeof(*set->metas));
	rc = state && path && pos && set->metas ? 0 : -MG_ENOMEM;
	for (size_t i = 0; i < set->nrules && rc == 0; i++)
		if (set->rules[i].kind == RULE_META && !set->rules[i].disabled && state[i] == 0)
			rc = meta_visit(set, (unsigned)i, state, path, pos, err, errlen);
	free(state);
	free(path);
	free(pos);
	return rc;
}

static long
meta_external_value(int8_t *ext, long i, const struct rules_set *set,
    const struct rules_env *env)
{
	if (ext[i] < 0)
		ext[i] = env->fired != NULL && env->fired(env->arg, set->externals[i]);
	return ext[i];
}

long
meta_eval(const struct meta_prog *prog, const uint8_t *fired, int8_t *ext,
    const struct rules_set *set, const struct rules_env *env)
{
	long st[META_STACK_MAX + 1], a, b;
	size_t sp = 0;

	for (size_t i = 0; i < prog->n; i++) {
		const struct meta_ins *in = &prog->ins[i];

		switch (in->op) {
		case MOP_NAME:	st[sp++] = 0; continue;
		case MOP_RULE:	st[sp++] = fired[in->arg]; continue;
		case MOP_EXT:	st[sp++] = meta_external_value(ext, in->arg, set, env); continue;
		case MOP_INT:	st[sp++] = in->arg; continue;
		case MOP_NOT:	st[sp - 1] = !st[sp - 1]; continue;
		default:	break;
		}
		b = st[--sp];
		a = st[sp - 1];
		switch (in->op) {
		case MOP_AND:	a = a && b; break;
		case MOP_OR:	a = a || b; break;
		case MOP_ADD:	a = a + b; break;
		case MOP_EQ:	a = a == b; break;
		case MOP_NE:	a = a != b; break;
		case MOP_LT:	a = a < b; break;
		case MOP_LE:	a = a <= b; break;
		case MOP_GT:	a = a > b; break;
		default:	a = a >= b; break;
		}
		st[sp - 1] = a;
	}
	return sp > 0 ? st[sp - 1] : 0;
}
