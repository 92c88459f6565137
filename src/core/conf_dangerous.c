/* engine.dangerous (conf_dangerous.h): action = "quarantine" | "strip";
 * notice = "TEXT" (UTF-8, %f the file name, %r the reason, %% a percent
 * sign; no other % sequence, no control character but newline and tab). */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_dangerous.h"
#include "core/conf_parse.h"

void
conf_dangerous_defaults(struct conf_dangerous *c)
{
	memset(c, 0, sizeof(*c));
	c->action = CONF_DANGEROUS_QUARANTINE;
}

/* NULL when the template is acceptable, else why not. */
static const char *
notice_invalid(const char *s)
{
	size_t n = strlen(s);

	if (n > CONF_DANGEROUS_NOTICE_MAX)
		return "is longer than 2048 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (s[i + 1] != 'f' && s[i + 1] != 'r' && s[i + 1] != '%')
				return "may only use %f (file name), %r (reason) and %%";
			i++;
		} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			return "must not contain control characters other than newline and tab";
		}
	}
	return NULL;
}

int
conf_load_dangerous(struct conf_ctx *cx, const struct config_setting_t *g,
    struct conf_dangerous *c)
{
	static const char *const keys[] = { "action", "notice", NULL };
	static const char *const actions[] = { "quarantine", "strip", NULL };
	const config_setting_t *s;
	const char *why;
	int action = (int)c->action;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(cx, g, "'engine.dangerous' must be a group "
		    "{ action = \"quarantine\"; }");
	if (conf_check_keys(cx, g, keys, "engine.dangerous") < 0 ||
	    conf_get_enum(cx, g, "action", actions, &action) < 0 ||
	    conf_get_string(cx, g, "notice", false, &c->notice) < 0)
		return -1;
	c->action = (enum conf_dangerous_action)action;
	if (c->notice != NULL && (why = notice_invalid(c->notice)) != NULL) {
		s = config_setting_get_member(g, "notice");
		return conf_fail(cx, s, "'notice' %s", why);
	}
	return 0;
}

void
conf_dangerous_free(struct conf_dangerous *c)
{
	free(c->notice);
	c->notice = NULL;
}

const char *
conf_dangerous_notice(const struct conf_dangerous *c)
{
	return c->notice != NULL ? c->notice : CONF_DANGEROUS_NOTICE_DEFAULT;
}
