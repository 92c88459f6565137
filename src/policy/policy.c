/* The policy filters as objects: names of actions, states and scopes, the
 * checks of an action's arguments, building a filter from its store row and
 * loading the whole set; the allow/block shorthand. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/log.h"
#include "policy/policy_int.h"

static const char *const act_names[POLICY_ACT_COUNT] = {
	"accept", "tag", "quarantine", "hold", "reject", "discard", "redirect", "bcc",
	"strip-attachments", "notify", "deliver-with-banner",
};
static const char *const state_names[] = { "enabled", "disabled", "monitor" };
static const char *const scope_names[] = { "global", "domain", "user" };

const char *
policy_act_name(enum policy_act a)
{
	return (unsigned)a < POLICY_ACT_COUNT ? act_names[a] : "unknown";
}

int
policy_act_parse(const char *name, enum policy_act *a)
{
	for (size_t i = 0; i < POLICY_ACT_COUNT; i++)
		if (strcasecmp(act_names[i], name) == 0)
			return *a = (enum policy_act)i, 0;
	return -MG_EINVAL;
}

const char *
policy_state_name(enum policy_state s)
{
	return (unsigned)s <= POLICY_MONITOR ? state_names[s] : "unknown";
}

int
policy_state_parse(const char *name, enum policy_state *s)
{
	for (size_t i = 0; i <= POLICY_MONITOR; i++)
		if (strcmp(state_names[i], name) == 0)
			return *s = (enum policy_state)i, 0;
	return -MG_EINVAL;
}

const char *
policy_scope_name(enum policy_scope s)
{
	return (unsigned)s <= POLICY_SCOPE_USER ? scope_names[s] : "unknown";
}

int
policy_scope_parse(const char *text, enum policy_scope *s, char *value, size_t vlen)
{
	const char *v = strchr(text, ':');
	size_t n = v ? (size_t)(v - text) : strlen(text), i;

	value[0] = '\0';
	if (v == NULL)
		return strcmp(text, "global") == 0 ? (*s = POLICY_SCOPE_GLOBAL, 0) : -MG_EINVAL;
	if (n == 6 && strncmp(text, "domain", 6) == 0)
		*s = POLICY_SCOPE_DOMAIN;
	else if (n == 4 && strncmp(text, "user", 4) == 0)
		*s = POLICY_SCOPE_USER;
	else
		return -MG_EINVAL;
	v++;
	if (*v == '\0' || strlen(v) >= vlen || (*s == POLICY_SCOPE_USER) != (strchr(v, '@') != NULL))
		return -MG_EINVAL;
	for (i = 0; v[i] != '\0'; i++)
		value[i] = (char)tolower((unsigned char)v[i]);
	value[i] = '\0';
	return 0;
}

static bool
is_addr(const char *s)
{
	const char *at = strrchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strpbrk(s, " \t\r\n<>") == NULL;
}

int
policy_args_check(enum policy_act a, const char *args, char *err, size_t errlen)
{
	const char *sp = strchr(args, ' ');

	if (strlen(args) > POLICY_ARGS_MAX || strpbrk(args, "\r\n") != NULL)
		return snprintf(err, errlen, "arguments too long or with a line break"), -MG_EINVAL;
	switch (a) {
	case POLICY_ACT_TAG:
		if (sp != NULL && strncmp(args, "subject ", 8) == 0 && sp[1] != '\0')
			return 0;
		if (sp != NULL && strncmp(args, "header ", 7) == 0 && strchr(sp + 1, ':') &&
		    strchr(sp + 1, ':') != sp + 1)
			return 0;
		return snprintf(err, errlen, "tag wants 'subject PREFIX' or 'header Name: value'"),
		    -MG_EINVAL;
	case POLICY_ACT_REJECT:
		if ((args[0] == '4' || args[0] == '5') && isdigit((unsigned char)args[1]) &&
		    isdigit((unsigned char)args[2]) && (args[3] == ' ' || args[3] == '\0'))
			return 0;
		return snprintf(err, errlen, "reject wants 'CODE [text]' with a 4xx or 5xx code"),
		    -MG_EINVAL;
	case POLICY_ACT_REDIRECT:
	case POLICY_ACT_BCC:
		if (is_addr(args))
			return 0;
		return snprintf(err, errlen, "%s wants an address", act_names[a]), -MG_EINVAL;
	case POLICY_ACT_NOTIFY:
		if (strcmp(args, "sender") == 0 || strcmp(args, "recipient") == 0 ||
		    strcmp(args, "admin") == 0)
			return 0;
		return snprintf(err, errlen, "notify wants sender, recipient or admin"), -MG_EINVAL;
	case POLICY_ACT_BANNER:
		if (args[0] != '\0')
			return 0;
		return snprintf(err, errlen, "deliver-with-banner wants the banner text"), -MG_EINVAL;
	default:
		if (args[0] == '\0')
			return 0;
		return snprintf(err, errlen, "%s takes no arguments", act_names[a]), -MG_EINVAL;
	}
}

void
policy_filter_clear(struct policy_filter *f)
{
	free(f->name);
	free(f->scope_value);
	free(f->cond_text);
	policy_cond_free(f->cond);
	free(f->args);
	memset(f, 0, sizeof(*f));
}

int
policy_filter_from_row(const struct store_policy *r, struct policy_filter *f, char *err,
    size_t errlen)
{
	char text[512], scope[512];
	int rc;

	memset(f, 0, sizeof(*f));
	f->id = r->id;
	f->priority = r->priority;
	snprintf(text, sizeof(text), "%s%s%s", r->scope ? r->scope : "",
	    r->scope_value && r->scope_value[0] ? ":" : "", r->scope_value ? r->scope_value : "");
	if (policy_scope_parse(text, &f->scope, scope, sizeof(scope)) < 0)
		return snprintf(err, errlen, "bad scope"), -MG_EINVAL;
	if (r->state == NULL || policy_state_parse(r->state, &f->state) < 0)
		return snprintf(err, errlen, "bad state"), -MG_EINVAL;
	if (r->action == NULL || policy_act_parse(r->action, &f->action) < 0)
		return snprintf(err, errlen, "unknown action"), -MG_EINVAL;
	if ((rc = policy_args_check(f->action, r->action_args ? r->action_args : "", err,
	    errlen)) < 0)
		return rc;
	if ((rc = policy_cond_parse(r->condition ? r->condition : "", &f->cond, err, errlen)) < 0)
		return rc;
	f->name = strdup(r->name ? r->name : "");
	f->scope_value = scope[0] ? strdup(scope) : NULL;
	f->cond_text = strdup(r->condition);
	f->args = strdup(r->action_args ? r->action_args : "");
	if (f->name == NULL || (scope[0] && f->scope_value == NULL) || f->cond_text == NULL ||
	    f->args == NULL) {
		policy_filter_clear(f);
		return snprintf(err, errlen, "out of memory"), -MG_ENOMEM;
	}
	return 0;
}

static int
load_row(const struct store_policy *r, void *arg)
{
	struct policy_set *set = arg;
	struct policy_filter *n;
	char err[512];
	int rc;

	if ((n = realloc(set->filters, (set->n + 1) * sizeof(*n))) == NULL)
		return -MG_ENOMEM;
	set->filters = n;
	if ((rc = policy_filter_from_row(r, &n[set->n], err, sizeof(err))) == -MG_ENOMEM)
		return rc;
	if (rc < 0)
		log_warn("policy skipped id=%" PRIu64 " name=\"%s\" error=\"%s\"", r->id,
		    r->name ? r->name : "", err);
	else
		set->n++;
	return 0;
}

int
policy_set_load(struct store *st, struct policy_set *set)
{
	int rc;

	memset(set, 0, sizeof(*set));
	if ((rc = store_pol_list(st, 0, load_row, set)) < 0)
		policy_set_clear(set);
	return rc;
}

void
policy_set_clear(struct policy_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		policy_filter_clear(&set->filters[i]);
	free(set->filters);
	memset(set, 0, sizeof(*set));
}

int
policy_list_cond(const char *value, char *out, size_t outlen)
{
	int n;

	if (value[0] == '\0' || strpbrk(value, "\"\\ \t\r\n") != NULL)
		return -MG_EINVAL;
	if (cond_ip_check(value) >= 0)
		n = snprintf(out, outlen, "ip = %s", value);
	else if (value[0] == '@' && value[1] != '\0')
		n = snprintf(out, outlen, "from_domain = \"%s\"", value + 1);
	else if (is_addr(value))
		n = snprintf(out, outlen, "from = \"%s\"", value);
	else if (strchr(value, '@') == NULL && strchr(value, '.') != NULL)
		n = snprintf(out, outlen, "from_domain = \"%s\"", value);
	else
		return -MG_EINVAL;
	return n > 0 && (size_t)n < outlen ? 0 : -MG_EINVAL;
}
