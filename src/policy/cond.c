/* The condition language of the policy filters (docs/policy.md): a
 * recursive-descent parser over "field op value" leaves joined by and, or,
 * not and parentheses. Errors name the byte position (from 1) and what was
 * expected; regexes are compiled here with PCRE2. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "policy/policy_int.h"

const struct cond_field_def cond_fields[F_COUNT] = {
	[F_FROM] = { "from", T_TEXT },
	[F_FROM_DOMAIN] = { "from_domain", T_TEXT },
	[F_HEADER_FROM] = { "header_from", T_TEXT },
	[F_RCPT] = { "rcpt", T_TEXT },
	[F_RCPT_DOMAIN] = { "rcpt_domain", T_TEXT },
	[F_IP] = { "ip", T_IP },
	[F_HELO] = { "helo", T_TEXT },
	[F_SPF] = { "spf", T_AUTH },
	[F_DKIM] = { "dkim", T_AUTH },
	[F_DMARC] = { "dmarc", T_AUTH },
	[F_HEADER] = { "header", T_TEXT },
	[F_SUBJECT] = { "subject", T_TEXT },
	[F_ATT_NAME] = { "attachment_name", T_TEXT },
	[F_ATT_TYPE] = { "attachment_type", T_TEXT },
	[F_ATT_EXT] = { "attachment_ext", T_TEXT },
	[F_SIZE] = { "size", T_NUM },
	[F_RCPT_COUNT] = { "rcpt_count", T_NUM },
	[F_CATEGORY] = { "category", T_TEXT },
	[F_SCORE] = { "score", T_NUM },
	[F_SYMBOL] = { "symbol", T_SYMBOL },
};

enum tok { TK_END, TK_WORD, TK_STRING, TK_OP, TK_LPAREN, TK_RPAREN, TK_LBRACK,
	TK_RBRACK, TK_COMMA, TK_ERR };

struct parser {
	const char	*s;
	size_t		 pos;		/* of the current token */
	size_t		 next;		/* after it */
	enum tok	 tok;
	char		 val[POLICY_COND_MAX + 1];	/* word or decoded string */
	unsigned	 depth;
	char		*err;
	size_t		 errlen;
	bool		 failed;
};

static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -MG_EPROTO;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "at %zu: ", pos + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -MG_EPROTO;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -MG_EPROTO;
}

static bool
word_char(int c)
{
	return c != 0 && (isalnum(c) || strchr("._@/:+*-%$#'?", c) != NULL || c >= 0x80);
}

/* Reads a quoted string at p->next (after the quote) into val. */
static void
lex_string(struct parser *p)
{
	size_t n = 0, i = p->next + 1;

	for (; p->s[i] != '\0' && p->s[i] != '"'; i++) {
		if (p->s[i] == '\\' && (p->s[i + 1] == '"' || p->s[i + 1] == '\\'))
			i++;
		if (n == POLICY_COND_MAX)
			break;
		p->val[n++] = p->s[i];
	}
	p->val[n] = '\0';
	if (p->s[i] != '"') {
		p->tok = TK_ERR;
		perr(p, p->pos, "unterminated string");
		return;
	}
	p->tok = TK_STRING;
	p->next = i + 1;
}

static void
lex(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->next, n;

	while (isspace((unsigned char)s[i]))
		i++;
	p->pos = p->next = i;
	p->val[0] = '\0';
	switch (s[i]) {
	case '\0': p->tok = TK_END; return;
	case '(': p->tok = TK_LPAREN; p->next = i + 1; return;
	case ')': p->tok = TK_RPAREN; p->next = i + 1; return;
	case '[': p->tok = TK_LBRACK; p->next = i + 1; return;
	case ']': p->tok = TK_RBRACK; p->next = i + 1; return;
	case ',': p->tok = TK_COMMA; p->next = i + 1; return;
	case '"': lex_string(p); return;
	case '=': case '!': case '~': case '<': case '>':
		n = (s[i + 1] == '=' || (s[i] == '=' && s[i + 1] == '~')) ? 2 : 1;
		memcpy(p->val, s + i, n);
		p->val[n] = '\0';
		p->tok = strcmp(p->val, "!") == 0 ? TK_ERR : TK_OP;
		p->next = i + n;
		if (p->tok == TK_ERR)
			perr(p, i, "'!' must be followed by '=' (use not for negation)");
		return;
	}
	for (n = 0; word_char((unsigned char)s[i + n]) && n < POLICY_COND_MAX; n++)
		p->val[n] = s[i + n];
	p->val[n] = '\0';
	if (n == 0) {
		p->tok = TK_ERR;
		perr(p, i, "unexpected character '%c'", s[i]);
		return;
	}
	p->tok = TK_WORD;
	p->next = i + n;
}

static bool
is_kw(const struct parser *p, const char *kw)
{
	return p->tok == TK_WORD && strcasecmp(p->val, kw) == 0;
}

static struct policy_cond *
node(enum cond_kind kind)
{
	struct policy_cond *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->kind = kind;
	return c;
}

struct policy_cond *
policy_cond_free(struct policy_cond *c)
{
	if (c == NULL)
		return NULL;
	policy_cond_free(c->a);
	policy_cond_free(c->b);
	for (size_t i = 0; i < c->nvals; i++)
		free(c->vals[i]);
	free(c->vals);
	free(c->hname);
	free(c->text);
	if (c->re != NULL)
		pcre2_code_free(c->re);
	free(c);
	return NULL;
}

static int
parse_op(struct parser *p, struct policy_cond *c)
{
	static const struct { const char *s; enum cond_op op; } ops[] = {
		{ "=", OP_EQ }, { "==", OP_EQ }, { "!=", OP_NE }, { "~", OP_SUB },
		{ "=~", OP_REGEX }, { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT },
		{ ">=", OP_GE },
	};
	enum cond_type t = cond_fields[c->field].type;

	if (is_kw(p, "in"))
		c->op = OP_IN;
	else if (p->tok != TK_OP)
		return perr(p, p->pos, "expected an operator after %s", cond_fields[c->field].name);
	else {
		size_t i;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(ops[i].s, p->val) == 0)
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			return perr(p, p->pos, "unknown operator '%s'", p->val);
		c->op = ops[i].op;
	}
	if ((t == T_NUM && (c->op == OP_SUB || c->op == OP_REGEX || c->op == OP_IN)) ||
	    (t != T_NUM && c->op >= OP_LT) ||
	    ((t == T_IP || t == T_AUTH) && (c->op == OP_SUB || c->op == OP_REGEX)))
		return perr(p, p->pos, "operator '%s' does not apply to %s",
		    c->op == OP_IN ? "in" : p->val, cond_fields[c->field].name);
	lex(p);
	return 0;
}

static int
add_value(struct parser *p, struct policy_cond *c)
{
	char **v;

	if (p->tok != TK_WORD && p->tok != TK_STRING)
		return perr(p, p->pos, "expected a value");
	if (c->nvals == COND_LIST_MAX)
		return perr(p, p->pos, "more than %d values", COND_LIST_MAX);
	if ((v = realloc(c->vals, (c->nvals + 1) * sizeof(*v))) == NULL)
		return -MG_ENOMEM;
	c->vals = v;
	if ((v[c->nvals] = strdup(p->val)) == NULL)
		return -MG_ENOMEM;
	c->nvals++;
	return 0;
}

/* Checks one value for the field's type; pos is where it was written. */
static int
check_value(struct parser *p, struct policy_cond *c, const char *v, size_t pos)
{
	static const char *const auth[] = { "pass", "fail", "softfail", "neutral", "none",
		"temperror", "permerror", "tempfail", NULL };
	enum cond_type t = cond_fields[c->field].type;
	char *end;

	if (t == T_IP && cond_ip_check(v) < 0)
		return perr(p, pos, "'%s' is not an IP address or CIDR", v);
	if (t == T_AUTH) {
		for (size_t i = 0; auth[i] != NULL; i++)
			if (strcasecmp(auth[i], v) == 0)
				return 0;
		return perr(p, pos, "'%s' is not an authentication result (pass, fail, ...)", v);
	}
	if (t == T_NUM) {
		c->num = strtod(v, &end);
		if (end == v)
			return perr(p, pos, "'%s' is not a number", v);
		if (c->field == F_SIZE && (*end == 'k' || *end == 'K'))
			c->num *= 1024, end++;
		else if (c->field == F_SIZE && (*end == 'm' || *end == 'M'))
			c->num *= 1024 * 1024, end++;
		if (*end != '\0')
			return perr(p, pos, "'%s' is not a number", v);
	}
	return 0;
}

static int
compile_regex(struct parser *p, struct policy_cond *c, size_t pos)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	c->re = pcre2_compile((PCRE2_SPTR)c->vals[0], PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (c->re != NULL)
		return 0;
	pcre2_get_error_message(code, msg, sizeof(msg));
	return perr(p, pos + 1 + off, "bad regex: %s", (char *)msg);
}

static int
parse_values(struct parser *p, struct policy_cond *c)
{
	size_t pos = p->pos;
	int rc;

	if (c->op != OP_IN) {
		if ((rc = add_value(p, c)) < 0 || (rc = check_value(p, c, p->val, pos)) < 0)
			return rc;
		lex(p);
		return c->op == OP_REGEX ? compile_regex(p, c, pos) : 0;
	}
	if (p->tok != TK_LBRACK)
		return perr(p, p->pos, "expected '[' after in");
	for (lex(p); p->tok != TK_RBRACK; ) {
		pos = p->pos;
		if ((rc = add_value(p, c)) < 0 || (rc = check_value(p, c, p->val, pos)) < 0)
			return rc;
		lex(p);
		if (p->tok == TK_COMMA)
			lex(p);
		else if (p->tok != TK_RBRACK)
			return perr(p, p->pos, "expected ',' or ']' in the list");
	}
	if (c->nvals == 0)
		return perr(p, p->pos, "empty list");
	lex(p);
	return 0;
}

static int
parse_leaf(struct parser *p, struct policy_cond *c)
{
	size_t start = p->pos, end;
	int rc;

	if (p->tok != TK_WORD)
		return perr(p, p->pos, p->tok == TK_END ? "expected a condition" :
		    "expected a field name");
	for (c->field = 0; c->field < F_COUNT; c->field++)
		if (strcasecmp(cond_fields[c->field].name, p->val) == 0)
			break;
	if (c->field == F_COUNT)
		return perr(p, p->pos, "unknown field '%s'", p->val);
	lex(p);
	if (c->field == F_SYMBOL) {
		c->op = OP_PRESENT;
		if ((rc = add_value(p, c)) < 0)
			return rc;
		lex(p);
	} else {
		if (c->field == F_HEADER) {
			if (p->tok != TK_WORD && p->tok != TK_STRING)
				return perr(p, p->pos, "expected a header name after header");
			if ((c->hname = strdup(p->val)) == NULL)
				return -MG_ENOMEM;
			lex(p);
		}
		if ((rc = parse_op(p, c)) < 0 || (rc = parse_values(p, c)) < 0)
			return rc;
	}
	end = p->pos;
	while (end > start && isspace((unsigned char)p->s[end - 1]))
		end--;
	return (c->text = strndup(p->s + start, end - start)) == NULL ? -MG_ENOMEM : 0;
}

static int parse_or(struct parser *, struct policy_cond **);

static int
parse_unary(struct parser *p, struct policy_cond **out)
{
	struct policy_cond *c;
	int rc;

	if (++p->depth > COND_DEPTH_MAX)
		return perr(p, p->pos, "nested more than %d deep", COND_DEPTH_MAX);
	if (is_kw(p, "not")) {
		lex(p);
		if ((c = node(COND_NOT)) == NULL)
			return -MG_ENOMEM;
		*out = c;
		rc = parse_unary(p, &c->a);
	} else if (p->tok == TK_LPAREN) {
		size_t open = p->pos;
		lex(p);
		if ((rc = parse_or(p, out)) == 0 && p->tok != TK_RPAREN)
			rc = perr(p, p->pos, "expected ')' to close the '(' at %zu", open + 1);
		if (rc == 0)
			lex(p);
	} else {
		if ((c = node(COND_LEAF)) == NULL)
			return -MG_ENOMEM;
		*out = c;
		rc = parse_leaf(p, c);
	}
	p->depth--;
	return p->failed ? -MG_EPROTO : rc;
}

/* One level of a binary operator: AND over unaries, OR over ANDs. */
static int
parse_bin(struct parser *p, struct policy_cond **out, enum cond_kind kind)
{
	const char *kw = kind == COND_AND ? "and" : "or";
	struct policy_cond *c;
	int rc;

	rc = kind == COND_AND ? parse_unary(p, out) : parse_bin(p, out, COND_AND);
	while (rc == 0 && is_kw(p, kw)) {
		lex(p);
		if ((c = node(kind)) == NULL)
			return -MG_ENOMEM;
		c->a = *out;
		*out = c;
		rc = kind == COND_AND ? parse_unary(p, &c->b) : parse_bin(p, &c->b, COND_AND);
	}
	return rc;
}

static int
parse_or(struct parser *p, struct policy_cond **out)
{
	return parse_bin(p, out, COND_OR);
}

int
policy_cond_parse(const char *text, struct policy_cond **out, char *err, size_t errlen)
{
	struct parser *p;
	struct policy_cond *c = NULL;
	int rc;

	*out = NULL;
	if (strlen(text) > POLICY_COND_MAX) {
		snprintf(err, errlen, "at 1: longer than %d bytes", POLICY_COND_MAX);
		return -MG_EPROTO;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -MG_ENOMEM;
	p->s = text;
	p->err = err;
	p->errlen = errlen;
	lex(p);
	if ((rc = parse_or(p, &c)) == 0 && p->tok != TK_END)
		rc = perr(p, p->pos, p->tok == TK_RPAREN ? "')' without '('" :
		    "expected and, or or the end, not '%s'", p->val);
	if (rc == -MG_ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(p);
	if (rc < 0)
		return policy_cond_free(c), rc;
	*out = c;
	return 0;
}
