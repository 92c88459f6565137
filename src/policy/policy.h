/* The policy engine (docs/policy.md): administrators' filters, each a
 * condition tree over what the envelope and the scan tell about a message
 * and one action, scoped to everyone, a domain or a user. policy_decide is
 * a pure function of the filter set, the message and one recipient. */
#ifndef MG_POLICY_POLICY_H
#define MG_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define POLICY_NAME_MAX		128	/* bytes of a filter name */
#define POLICY_COND_MAX		4096	/* bytes of a condition's text */
#define POLICY_ARGS_MAX		1024	/* bytes of an action's arguments */
#define POLICY_MONITOR_MAX	16	/* monitor matches reported per decision */

enum policy_scope { POLICY_SCOPE_GLOBAL, POLICY_SCOPE_DOMAIN, POLICY_SCOPE_USER };
enum policy_state { POLICY_ENABLED, POLICY_DISABLED, POLICY_MONITOR };

enum policy_act {
	POLICY_ACT_ACCEPT,
	POLICY_ACT_TAG,		/* args "subject PREFIX" or "header Name: value" */
	POLICY_ACT_QUARANTINE,
	POLICY_ACT_HOLD,
	POLICY_ACT_REJECT,	/* args "CODE text" */
	POLICY_ACT_DISCARD,
	POLICY_ACT_REDIRECT,	/* args ADDR */
	POLICY_ACT_BCC,		/* args ADDR */
	POLICY_ACT_STRIP,	/* strip-attachments */
	POLICY_ACT_NOTIFY,	/* args sender|recipient|admin */
	POLICY_ACT_BANNER,	/* deliver-with-banner, args the banner text */
	POLICY_ACT_COUNT
};

struct policy_cond;	/* a parsed condition tree (cond.c) */

struct policy_filter {
	uint64_t	 id;
	char		*name;
	int		 priority;	/* lower first */
	enum policy_scope scope;
	char		*scope_value;	/* domain or address, lower case; NULL for global */
	enum policy_state state;
	char		*cond_text;
	struct policy_cond *cond;
	enum policy_act	 action;
	char		*args;		/* "" when the action takes none */
};

struct policy_set {
	struct policy_filter *filters;
	size_t		 n;
};

struct policy_header {
	const char	*name;
	const char	*value;		/* unfolded, decoded */
};

struct policy_attachment {
	const char	*name;		/* "" when none */
	const char	*real_type;	/* "application/x-dosexec", or NULL */
	const char	*extension;	/* lower case, without the dot, or "" */
};

/* What the envelope and the scan tell; every pointer may be NULL (or n 0)
 * meaning unknown, which matches no condition on it. */
struct policy_msg {
	const char	*mail_from;	/* "" = null sender */
	const char	*header_from;	/* the From field's address */
	const char	*client_ip;
	const char	*helo;
	size_t		 nrcpts;
	const char	*subject;
	const struct policy_header *headers;
	size_t		 nheaders;
	const struct policy_attachment *atts;
	size_t		 natts;
	uint64_t	 size;
	const char	*category;	/* "clean", "spam", "malware", ... */
	double		 score;
	const char *const *symbols;	/* names of the symbols that fired */
	size_t		 nsymbols;
};

/* Where a filter stands for one recipient, in evaluation order. */
enum policy_outcome {
	POLICY_OUT_MATCH,		/* decides */
	POLICY_OUT_NOMATCH,
	POLICY_OUT_MONITOR,		/* matched, only reported */
	POLICY_OUT_DISABLED,
	POLICY_OUT_MALWARE,		/* a user-scope accept ignored: malware */
	POLICY_OUT_SHADOWED,		/* after the deciding filter */
};

/* why: the condition (its text) that decided, with the value seen. */
typedef void (*policy_trace_fn)(const struct policy_filter *, enum policy_outcome,
    const char *why, void *arg);

struct policy_decision {
	const struct policy_filter *filter;	/* NULL: no filter matched */
	const struct policy_filter *monitor[POLICY_MONITOR_MAX];
	size_t		 nmonitor;
};

/* Parses a condition; on error returns -MG_EPROTO with "at N: reason" in
 * err (N counts bytes from 1). */
int	policy_cond_parse(const char *text, struct policy_cond **out, char *err, size_t errlen);
struct policy_cond *policy_cond_free(struct policy_cond *);	/* returns NULL */
/* Whether c holds for msg and recipient rcpt; why (may be NULL) gets the
 * deciding leaf as "TEXT (is VALUE)". */
bool	policy_cond_eval(const struct policy_cond *c, const struct policy_msg *msg,
	    const char *rcpt, char *why, size_t whylen);

const char *policy_act_name(enum policy_act);
int	policy_act_parse(const char *name, enum policy_act *);
/* Checks args for the action (see enum policy_act); 0 or -MG_EINVAL with err. */
int	policy_args_check(enum policy_act, const char *args, char *err, size_t errlen);
const char *policy_state_name(enum policy_state);
int	policy_state_parse(const char *name, enum policy_state *);
/* "global", "domain:D" or "user:U" <-> scope and value. */
int	policy_scope_parse(const char *text, enum policy_scope *, char *value, size_t vlen);
const char *policy_scope_name(enum policy_scope);

/* Builds one filter from a store row (condition parsed, arguments checked);
 * -MG_EPROTO/-MG_EINVAL with err, -MG_ENOMEM. */
int	policy_filter_from_row(const struct store_policy *, struct policy_filter *,
	    char *err, size_t errlen);
void	policy_filter_clear(struct policy_filter *);
/* Loads every stored filter; a row that does not build is logged and
 * skipped. 0 or -MG_E*. */
int	policy_set_load(struct store *, struct policy_set *);
void	policy_set_clear(struct policy_set *);

/* Decides for rcpt: the filters in its scope, user before domain before
 * global, then by priority and id; the first matching enabled one decides,
 * monitor ones matching before it are reported. trace (may be NULL) sees
 * every filter in scope, in order. */
void	policy_decide(const struct policy_set *, const struct policy_msg *, const char *rcpt,
	    struct policy_decision *, policy_trace_fn trace, void *arg);

/* The allow/block shorthand: the condition for VALUE ("user@dom",
 * "@dom" or "dom", an IP or CIDR) into out. 0 or -MG_EINVAL. */
int	policy_list_cond(const char *value, char *out, size_t outlen);

#endif
