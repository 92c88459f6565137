/* Private to the policy engine: the condition tree that cond.c parses and
 * eval.c walks. */
#ifndef MG_POLICY_POLICY_INT_H
#define MG_POLICY_POLICY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "policy/policy.h"

#define COND_DEPTH_MAX	64	/* nesting of parentheses and not */
#define COND_LIST_MAX	256	/* values in one [list] */

enum cond_kind { COND_AND, COND_OR, COND_NOT, COND_LEAF };

enum cond_field {
	F_FROM, F_FROM_DOMAIN, F_HEADER_FROM, F_RCPT, F_RCPT_DOMAIN, F_IP, F_HELO,
	F_SPF, F_DKIM, F_DMARC, F_HEADER, F_SUBJECT, F_ATT_NAME, F_ATT_TYPE, F_ATT_EXT,
	F_SIZE, F_RCPT_COUNT, F_CATEGORY, F_SCORE, F_SYMBOL, F_COUNT
};

/* What a field's values are, which decides the operators it takes. */
enum cond_type { T_TEXT, T_IP, T_NUM, T_AUTH, T_SYMBOL };

enum cond_op { OP_EQ, OP_NE, OP_SUB, OP_REGEX, OP_IN, OP_LT, OP_LE, OP_GT, OP_GE, OP_PRESENT };

struct policy_cond {
	enum cond_kind	 kind;
	struct policy_cond *a, *b;	/* AND/OR: both; NOT: a */
	enum cond_field	 field;
	enum cond_op	 op;
	char		*hname;		/* F_HEADER: the field name */
	char		**vals;		/* text values as written */
	size_t		 nvals;
	double		 num;		/* T_NUM */
	pcre2_code	*re;		/* OP_REGEX */
	char		*text;		/* the leaf's source text, for why */
};

struct cond_field_def {
	const char	*name;
	enum cond_type	 type;
};

extern const struct cond_field_def cond_fields[F_COUNT];

/* Whether addr (no brackets) is inside "a.b.c.d/n", "v6::/n" or equal to an address. */
bool	cond_ip_match(const char *addr, const char *cidr);
/* Validates a CIDR or an address; 0 or -1. */
int	cond_ip_check(const char *cidr);

#endif
