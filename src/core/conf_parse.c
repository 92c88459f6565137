/* Value syntaxes of the configuration and error reporting with file and
 * line (see conf_parse.h). */
#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf_parse.h"

#define CONF_LABEL_MAX	128	/* "engine.reputation.history.half_life_days" */

int
conf_fail(struct conf_ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (s != NULL && config_setting_source_line(s) > 0)
		snprintf(cx->err, cx->errlen, "%s:%d: %s",
		    config_setting_source_file(s) ? config_setting_source_file(s) : cx->path,
		    config_setting_source_line(s), reason);
	else
		snprintf(cx->err, cx->errlen, "%s: %s", cx->path, reason);
	return -1;
}

int
conf_base_dir(struct conf_ctx *cx)
{
	char abs[PATH_MAX], *slash;

	if (realpath(cx->path, abs) == NULL)
		return conf_fail(cx, NULL, "cannot resolve path");
	slash = strrchr(abs, '/');
	*slash = '\0';
	if ((cx->base = strdup(abs[0] ? abs : "/")) == NULL)
		return conf_fail(cx, NULL, "out of memory");
	return 0;
}

static const config_setting_t *
conf_member(struct conf_ctx *cx, const config_setting_t *group, const char *name)
{
	return group ? config_setting_get_member(group, name) : config_lookup(cx->cfg, name);
}

int
conf_get_string(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    bool required, char **out)
{
	const config_setting_t *s = conf_member(cx, group, name);
	const char *v;

	if (s == NULL) {
		if (required)
			return conf_fail(cx, group, "missing setting '%s'", name);
		return 0;
	}
	if ((v = config_setting_get_string(s)) == NULL)
		return conf_fail(cx, s, "'%s' must be a string in double quotes", name);
	if (*v == '\0')
		return conf_fail(cx, s, "'%s' must not be empty", name);
	free(*out);
	if ((*out = strdup(v)) == NULL)
		return conf_fail(cx, s, "out of memory");
	return 0;
}

/* Removes "." and "name/.." segments of an absolute path in place, so logs
 * and messages show /srv/mailgate/var rather than /srv/mailgate/etc/../var. */
static void
conf_path_clean(char *path)
{
	char *out = path, *p = path;

	while (*p) {
		char *seg, *end;
		size_t len;

		while (*p == '/')
			p++;
		seg = p;
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		p = seg + len;
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

int
conf_get_path(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    bool required, char **out)
{
	char *v = NULL, *abs;
	size_t n;

	if (conf_get_string(cx, group, name, required, &v) < 0)
		return -1;
	if (v == NULL || v[0] == '/') {
		if (v) {
			free(*out);
			*out = v;
		}
		return 0;
	}
	n = strlen(cx->base) + strlen(v) + 2;
	if ((abs = malloc(n)) == NULL) {
		free(v);
		return conf_fail(cx, NULL, "out of memory");
	}
	snprintf(abs, n, "%s/%s", cx->base, v);
	conf_path_clean(abs);
	free(v);
	free(*out);
	*out = abs;
	return 0;
}

int
conf_get_enum(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    const char *const *names, int *out)
{
	const config_setting_t *s = conf_member(cx, group, name);
	const char *v;
	char allowed[256] = "";

	if (s == NULL)
		return 0;
	if ((v = config_setting_get_string(s)) != NULL) {
		for (int i = 0; names[i]; i++) {
			if (strcmp(names[i], v) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	for (int i = 0; names[i]; i++) {
		strncat(allowed, i ? ", " : "", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, names[i], sizeof(allowed) - strlen(allowed) - 1);
	}
	return conf_fail(cx, s, "'%s' must be one of: %s", name, allowed);
}

int
conf_check_keys(struct conf_ctx *cx, const config_setting_t *group,
    const char *const *allowed, const char *where)
{
	int n = group ? config_setting_length(group) : 0;

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const char *const *k;

		for (k = allowed; *k && strcmp(*k, name) != 0; k++)
			;
		if (*k == NULL)
			return conf_fail(cx, s, "unknown setting '%s'%s%s", name,
			    where ? " in " : "", where ? where : "");
	}
	return 0;
}

int
conf_number(const config_setting_t *s, double *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return isfinite(*out) ? 0 : -1;
	default:
		return -1;
	}
}

/* How errors name a setting: "where.name", or "'name'" without where. */
static const char *
conf_label(char *buf, size_t len, const char *where, const char *name)
{
	if (where != NULL)
		snprintf(buf, len, "%s.%s", where, name);
	else
		snprintf(buf, len, "'%s'", name);
	return buf;
}

int
conf_get_bool(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    const char *where, bool *out)
{
	const config_setting_t *s = conf_member(cx, group, name);
	char label[CONF_LABEL_MAX];

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_fail(cx, s, "%s must be true or false",
		    conf_label(label, sizeof(label), where, name));
	*out = config_setting_get_bool(s);
	return 0;
}

int
conf_get_u64(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    const char *where, uint64_t min, uint64_t max, uint64_t *out)
{
	const config_setting_t *s = conf_member(cx, group, name);
	char label[CONF_LABEL_MAX];
	long long v;

	if (s == NULL)
		return 0;
	conf_label(label, sizeof(label), where, name);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return conf_fail(cx, s, "%s must be an integer", label);
	v = config_setting_get_int64(s);
	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max)
		return conf_fail(cx, s, "%s = %lld is out of range [%llu, %llu]", label, v,
		    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)v;
	return 0;
}

int
conf_get_u32(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    const char *where, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = *out;

	if (conf_get_u64(cx, group, name, where, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
conf_get_real(struct conf_ctx *cx, const config_setting_t *group, const char *name,
    const char *where, double min, double max, double *out)
{
	const config_setting_t *s = conf_member(cx, group, name);
	char label[CONF_LABEL_MAX];
	double v;

	if (s == NULL)
		return 0;
	conf_label(label, sizeof(label), where, name);
	if (conf_number(s, &v) < 0)
		return conf_fail(cx, s, "%s must be a number", label);
	if (v < min || v > max)
		return conf_fail(cx, s, "%s = %g is out of range [%g, %g]", label, v, min, max);
	*out = v;
	return 0;
}

void
conf_u32_defaults(const struct conf_u32 *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		*(uint32_t *)((char *)base + t[i].off) = t[i].def;
}

int
conf_load_u32s(struct conf_ctx *cx, const config_setting_t *group, const char *where,
    const struct conf_u32 *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (conf_get_u32(cx, group, t[i].name, where, t[i].min, t[i].max,
		    (uint32_t *)((char *)base + t[i].off)) < 0)
			return -1;
	return 0;
}

int
conf_check_symbol(struct conf_ctx *cx, const config_setting_t *s, const char *name)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return conf_fail(cx, s, "symbol '%s': names are upper case letters, "
			    "digits and '_'", name);
	return 0;
}

void
conf_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
conf_parse_hostport(const char *s, uint16_t default_port, char *host, size_t hostlen,
    uint16_t *port)
{
	const char *colon, *h = s, *hend;
	char *end;
	unsigned long p;

	if (*s == '[') {
		if ((hend = strchr(s, ']')) == NULL)
			return -1;
		h = s + 1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -1;	/* bare IPv6 needs brackets */
		hend = colon ? colon : s + strlen(s);
	}
	if (hend == h || (size_t)(hend - h) >= hostlen)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	if (colon == NULL) {
		if (default_port == 0)
			return -1;
		*port = default_port;
		return 0;
	}
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p == 0 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

int
conf_parse_cidr(const char *s, struct conf_network *out)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix;
	char *end;

	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	prefix = out->family == AF_INET ? 32 : 128;
	if (slash) {
		unsigned long max = prefix;
		prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || prefix > max)
			return -1;
	}
	out->prefix = (unsigned)prefix;
	return 0;
}

bool
conf_net_contains(const struct conf_network *n, int family, const uint8_t *a)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (n->family != family || memcmp(n->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (n->addr[full] & mask) == (a[full] & mask);
}

bool
conf_is_trusted(const struct mg_conf *c, const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;
	int family = sa->sa_family;

	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < c->ntrusted; i++)
		if (conf_net_contains(&c->trusted[i], family, a))
			return true;
	return false;
}

int
conf_check_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-') || ++label > 63)
			return -1;
	}
	return 0;
}

/* One element of a directory list, absolute and resolved (a new string). */
static int
conf_dir(struct conf_ctx *cx, const config_setting_t *s, const char *where, char **out)
{
	const char *v = config_setting_get_string(s);
	char joined[PATH_MAX], abs[PATH_MAX];
	struct stat st;

	if (v == NULL || *v == '\0')
		return conf_fail(cx, s, "%s: each element must be a non-empty string", where);
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s%s", v[0] == '/' ? "" : cx->base,
	    v[0] == '/' ? "" : "/", v) >= sizeof(joined))
		return conf_fail(cx, s, "%s: '%s' is too long", where, v);
	if (realpath(joined, abs) == NULL || stat(abs, &st) == -1 || !S_ISDIR(st.st_mode))
		return conf_fail(cx, s, "%s: '%s' is not a directory", where, v);
	if ((*out = strdup(abs)) == NULL)
		return conf_fail(cx, s, "out of memory");
	return 0;
}

int
conf_load_dirs(struct conf_ctx *cx, const config_setting_t *list, const char *where,
    int max, char ***dirs, size_t *n)
{
	int len;

	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "%s must be a list [ \"DIR\", ... ]", where);
	if ((len = config_setting_length(list)) > max)
		return conf_fail(cx, list, "%s: more than %d directories", where, max);
	if (len > 0 && (*dirs = calloc((size_t)len, sizeof(**dirs))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < len; i++) {
		if (conf_dir(cx, config_setting_get_elem(list, (unsigned)i), where,
		    &(*dirs)[i]) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

/* A list of strings, each checked by ok (NULL = fine, else why not) and
 * lower-cased. */
int
conf_load_strings(struct conf_ctx *cx, const config_setting_t *list, const char *where,
    const char *(*ok)(const char *), int max, char ***out, size_t *n)
{
	int len;

	if (!config_setting_is_array(list) && !config_setting_is_list(list))
		return conf_fail(cx, list, "'%s' must be a list [ \"...\", ... ]", where);
	if ((len = config_setting_length(list)) > max)
		return conf_fail(cx, list, "%s: more than %d elements", where, max);
	if (len > 0 && (*out = calloc((size_t)len, sizeof(**out))) == NULL)
		return conf_fail(cx, list, "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		const char *v = config_setting_get_string(s), *why;

		if (v == NULL)
			return conf_fail(cx, s, "%s: each element must be a string", where);
		if ((why = ok(v)) != NULL)
			return conf_fail(cx, s, "%s: '%s' %s", where, v, why);
		if (((*out)[i] = strdup(v)) == NULL)
			return conf_fail(cx, s, "out of memory");
		conf_lower((*out)[i]);
		(*n)++;
	}
	return 0;
}

void
conf_strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

const char *
conf_domain_ok(const char *v)
{
	return conf_check_domain(v) == 0 ? NULL : "is not a domain name";
}

char *
conf_default_hostname(void)
{
	char name[256];

	if (gethostname(name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "localhost");
	name[sizeof(name) - 1] = '\0';
	return strdup(name);
}
