/* Content rules (docs/rules.md): rule files parsed into a set, the regex
 * rules of each scope compiled into one Hyperscan database (PCRE2 for the
 * patterns Hyperscan rejects), and one message matched against the set:
 * regex rules scope by scope, then header presence and built-in structure
 * tests, then meta rules in dependency order. A compiled set is read-only
 * and shared by every scanning thread. */
#ifndef MG_RULES_RULES_H
#define MG_RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/conf.h"
#include "mime/mime.h"

#define RULES_FILE_MAX		(4u << 20)	/* bytes of one rule file */
#define RULES_LINE_MAX		8192		/* bytes of one line */
#define RULES_MAX		20000		/* rules in a set */
#define RULES_NAME_MAX		64		/* bytes of a rule name */
#define RULES_DESC_MAX		200		/* bytes of a description */
#define RULES_META_MAX_OPS	512		/* operators and operands of one meta */
#define RULES_FILES_MAX		1000		/* *.rules files per directory */

enum rule_scope {
	RULE_SCOPE_HEADER,	/* decoded value of every top-level field NAME */
	RULE_SCOPE_HEADER_RAW,	/* raw value, folds included */
	RULE_SCOPE_BODY,	/* visible text of the text parts */
	RULE_SCOPE_RAWBODY,	/* decoded text parts, HTML source included */
	RULE_SCOPE_URI,		/* every normalised URL */
	RULE_SCOPE_ATTACHMENT,	/* attachment names and archive member paths */
	RULE_SCOPE_COUNT
};

enum rule_kind {
	RULE_MATCH,		/* SCOPE =~ /re/ */
	RULE_NOT_MATCH,		/* header NAME !~ /re/: the field exists, none matches */
	RULE_EXISTS,		/* exists NAME */
	RULE_MISSING,		/* missing NAME */
	RULE_EVAL,		/* eval FUNCTION [N]: a built-in structure test */
	RULE_META,		/* meta EXPRESSION over other symbols */
};

enum rule_flag {
	RULE_F_CASELESS		= 1u << 0,	/* i */
	RULE_F_DOTALL		= 1u << 1,	/* s */
	RULE_F_MULTILINE	= 1u << 2,	/* m */
	RULE_F_UCP		= 1u << 3,	/* u: Unicode classes (\w, \d, \b) */
	RULE_F_PCRE		= 1u << 8,	/* compiled by PCRE2 (Hyperscan refused) */
};

struct meta_prog;

struct rule {
	const char	*name;		/* upper case; "__X" are helpers, never reported */
	double		 score;
	enum mg_category category;
	const char	*description;	/* NULL for helpers */
	const char	*file;		/* where it was (last) defined */
	int		 line;		/* of "rule NAME" */
	int		 test_line;	/* of its test */
	enum rule_kind	 kind;
	enum rule_scope	 scope;		/* RULE_MATCH, RULE_NOT_MATCH */
	const char	*header;	/* lower case: header scopes, exists, missing */
	const char	*pattern;	/* as written between the slashes */
	unsigned	 flags;		/* enum rule_flag */
	unsigned	 eval;		/* index in the built-in tests (rules_eval.c) */
	long		 eval_arg;
	const char	*meta;		/* expression as written */
	struct meta_prog *prog;		/* compiled by rules_compile */
	const char	*fallback;	/* why Hyperscan refused the pattern, or NULL */
	bool		 disabled;	/* "disable NAME" */
};

struct rules_set;

struct rules_limits {
	size_t		 max_scan_bytes;	/* per scope per message */
	uint32_t	 pcre_match_limit;
};

/* An empty set; NULL when out of memory. */
struct rules_set *rules_new(void);
struct rules_set *rules_free(struct rules_set *);	/* NULL */

/* Adds the rules of one file's text (file names it in messages). A rule
 * defined by an earlier call is replaced (the later file overrides it);
 * twice in one file is an error. 0, or -MG_EINVAL with "FILE:LINE:
 * reason" in err, or -MG_ENOMEM. Only before rules_compile. */
int	rules_parse(struct rules_set *, const char *file, const char *text, size_t len,
	    char *err, size_t errlen);
/* Reads the *.rules files of each directory in name order, directories in
 * the given order, through rules_parse. 0 or -MG_E* with err set. */
int	rules_load_dirs(struct rules_set *, const char *const *dirs, size_t ndirs,
	    char *err, size_t errlen);
/* Resolves meta rules (order, cycles) and builds the databases; each
 * pattern that falls back to PCRE2 is logged. 0, or -MG_EINVAL with
 * "FILE:LINE: reason" in err, or -MG_ENOMEM. Once per set. */
int	rules_compile(struct rules_set *, const struct rules_limits *, char *err,
	    size_t errlen);

size_t	rules_count(const struct rules_set *);
const struct rule *rules_get(const struct rules_set *, size_t i);
/* The index of rule name, or -1. */
long	rules_find(const struct rules_set *, const char *name);
/* Names of symbols that meta rules use but the set does not define
 * (symbols of other checks), after rules_compile. */
const char *const *rules_externals(const struct rules_set *, size_t *n);

/* What a compiled set holds, for `mailgate rules check` and the log. */
struct rules_info {
	size_t		 hyperscan[RULE_SCOPE_COUNT];	/* regex rules per scope */
	size_t		 pcre[RULE_SCOPE_COUNT];	/* of which PCRE2 fallbacks */
	size_t		 header_names;	/* header databases (names, decoded + raw) */
	size_t		 presence, evals, metas, helpers, disabled, total;
};
void	rules_info(const struct rules_set *, struct rules_info *);
const char *rules_scope_name(enum rule_scope);

/* What the scan needs from its caller. */
struct rules_env {
	/* Whether a symbol not defined by the set (an earlier check's) fired;
	 * NULL = none did. */
	bool		(*fired)(void *arg, const char *name);
	/* True once the deadline passed; NULL = never. */
	bool		(*expired)(void *arg);
	void		*arg;
	time_t		 now;		/* date tests without a Received time */
};

struct rules_hits {
	uint8_t		*fired;		/* [rules_count]: 1 when rule i fired */
	const char	**option;	/* [rules_count]: what fired it (URL, name), or NULL */
};

/* Matches msg (parsed and analysed) against a compiled set; hits live in
 * arena. Thread-safe. 0, -MG_ETIMEOUT (env->expired), -MG_ENOMEM, or
 * -MG_EIO (Hyperscan failed). */
int	rules_scan(const struct rules_set *, struct mg_arena *, const struct mime_msg *,
	    const struct rules_env *, struct rules_hits *);

#endif
