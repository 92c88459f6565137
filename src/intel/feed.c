/* Feed parsers (feed.h): text lists (URLs, hosts, host/path, hosts-file and
 * adblock lines), CSV with a header naming url or host+path, and JSON; each
 * token normalised by url_normalize and classified into a key kind. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "intel/feed.h"

#define FEED_ARENA_CHUNK	(64u << 10)
#define FEED_ARENA_RESET	4096	/* entries before a fresh arena */
#define CSV_MAX_FIELDS		32

static const char *const cat_names[] = { NULL, "phishing", "malware", "spam" };
static const char *const kind_names[] = { NULL, "url", "prefix", "host", "domain" };

struct feed_run {
	const struct feed_spec *spec;
	const char	*source;
	unsigned	 category;
	feed_fn		 fn;
	void		*arg;
	struct feed_stats *st;
	struct mg_arena	*arena;
	size_t		 since_reset;
};

const char *
intel_cat_name(unsigned cat)
{
	return cat > 0 && cat <= INTEL_CAT_MAX ? cat_names[cat] : NULL;
}

unsigned
intel_cat_parse(const char *name)
{
	for (unsigned i = 1; i <= INTEL_CAT_MAX; i++)
		if (strcmp(name, cat_names[i]) == 0)
			return i;
	return 0;
}

const char *
intel_kind_name(unsigned kind)
{
	return kind > 0 && kind <= INTEL_DOMAIN ? kind_names[kind] : NULL;
}

int
intel_url_span(const struct mime_url *u, struct intel_span *sp)
{
	const char *s, *e, *q, *slash;
	size_t sl;

	if (u->host == NULL || u->host[0] == '\0' || u->scheme == NULL)
		return -MG_EINVAL;
	sl = strlen(u->scheme);
	if (strncmp(u->url, u->scheme, sl) != 0 || strncmp(u->url + sl, "://", 3) != 0)
		return -MG_EINVAL;
	s = u->url + sl + 3;
	e = strchr(s, '#');
	sp->s = s;
	sp->len = e != NULL ? (size_t)(e - s) : strlen(s);
	q = memchr(s, '?', sp->len);
	sp->path_end = q != NULL ? (size_t)(q - s) : sp->len;
	slash = memchr(s, '/', sp->path_end);
	sp->hostport = slash != NULL ? (size_t)(slash - s) : sp->path_end;
	return 0;
}

int
feed_entry_of(struct mg_arena *a, const char *tok, size_t len, struct feed_entry *e)
{
	const char *cs = memmem(tok, len, "://", 3), *sl = memchr(tok, '/', len);
	bool scheme = cs != NULL && cs > tok && cs == sl - 1;	/* not in a path */
	struct intel_span sp;
	struct mime_url u;
	size_t k;

	if (len == 0 || url_normalize(a, tok, len, scheme ? 0 : URL_F_SCHEMELESS, &u) != 0)
		return -MG_EINVAL;
	if ((u.flags & (URL_F_BAD_HOST | URL_F_TRUNCATED)) || intel_url_span(&u, &sp) != 0 ||
	    (strchr(u.host, '.') == NULL && strchr(u.host, ':') == NULL))
		return -MG_EINVAL;
	memset(e, 0, sizeof(*e));
	e->key = sp.s;
	if (sp.path_end < sp.len) {
		e->kind = INTEL_EXACT;
		e->keylen = sp.len;
		return 0;
	}
	for (k = sp.path_end; k > sp.hostport && sp.s[k - 1] == '/'; k--)
		;
	if (k > sp.hostport) {
		e->kind = INTEL_PREFIX;
		e->keylen = k;
		return 0;
	}
	e->key = u.host;
	e->keylen = strlen(u.host);
	e->kind = strcmp(u.host, u.domain) == 0 && !(u.flags & (URL_F_IP_LITERAL |
	    URL_F_NUMERIC_IP)) ? INTEL_DOMAIN : INTEL_HOST;
	return 0;
}

static void
feed_bad(struct feed_run *r, size_t line, const char *why)
{
	struct feed_stats *st = r->st;

	if (st->bad < FEED_BAD_REPORT)
		snprintf(st->first_bad[st->bad], sizeof(st->first_bad[0]), "%s:%zu: %s",
		    r->spec->path, line, why);
	st->bad++;
}

/* Classifies and reports one token. */
static int
feed_token(struct feed_run *r, const char *tok, size_t len, size_t line)
{
	struct feed_entry e;
	int rc;

	if (r->arena == NULL || r->since_reset++ >= FEED_ARENA_RESET) {
		r->arena = mg_arena_free(r->arena);
		if ((r->arena = mg_arena_new(FEED_ARENA_CHUNK, 0)) == NULL)
			return -MG_ENOMEM;
		r->since_reset = 0;
	}
	if (len > FEED_MAX_LINE || feed_entry_of(r->arena, tok, len, &e) != 0) {
		feed_bad(r, line, "not a URL or host");
		return 0;
	}
	e.category = r->category;
	e.source = r->source;
	if ((rc = r->fn(&e, r->arg)) != 0)
		return rc;
	r->st->entries++;
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An address hosts files point names at. */
static bool
hosts_addr(const char *s, size_t len)
{
	static const char *const addrs[] = { "0.0.0.0", "127.0.0.1", "::", "::1", "0", NULL };

	for (size_t i = 0; addrs[i] != NULL; i++)
		if (strlen(addrs[i]) == len && memcmp(s, addrs[i], len) == 0)
			return true;
	return false;
}

/* One line of a text list. */
static int
feed_text_line(struct feed_run *r, const char *s, size_t len, size_t line)
{
	size_t a = 0, b;

	while (a < len && is_space(s[a]))
		a++;
	if (a == len || s[a] == '#' || s[a] == '!' || s[a] == '[')
		return 0;
	for (b = a; b < len && !is_space(s[b]); b++)
		;
	if (hosts_addr(s + a, b - a)) {
		for (a = b; a < len && is_space(s[a]); a++)
			;
		for (b = a; b < len && !is_space(s[b]) && s[b] != '#'; b++)
			;
		if (a == b || (b - a == 9 && strncasecmp(s + a, "localhost", 9) == 0) ||
		    hosts_addr(s + a, b - a))
			return 0;
	} else if (b - a > 2 && s[a] == '|' && s[a + 1] == '|') {
		size_t e = a + 2;
		while (e < b && s[e] != '^' && s[e] != '$')
			e++;
		a += 2;
		b = e;
	} else if (memchr(s + a, '#', b - a) != NULL && memmem(s + a, b - a, "://", 3) == NULL) {
		b = (size_t)((const char *)memchr(s + a, '#', b - a) - s);
	}
	return feed_token(r, s + a, b - a, line);
}

/* Splits a CSV line (quotes doubled inside quoted fields) in place into
 * fields; returns their count. */
static size_t
csv_split(char *s, char **f, size_t max)
{
	size_t n = 0;
	char *w;

	while (n < max) {
		f[n++] = w = s;
		if (*s == '"') {
			for (s++; *s != '\0'; s++) {
				if (*s == '"' && s[1] == '"')
					*w++ = *s++;
				else if (*s == '"')
					break;
				else
					*w++ = *s;
			}
			if (*s == '"')
				s++;
			while (*s != '\0' && *s != ',')
				s++;
		} else {
			while (*s != '\0' && *s != ',')
				*w++ = *s++;
		}
		if (*s == '\0') {
			*w = '\0';
			break;
		}
		s++;
		*w = '\0';
	}
	return n;
}

struct csv_cols {
	int		 url, host, path;
	bool		 header;
};

/* A header line: names url, or host (and path). */
static bool
csv_header(char **f, size_t n, struct csv_cols *c)
{
	struct csv_cols h = { -1, -1, -1, true };

	for (size_t i = 0; i < n; i++) {
		char *x = f[i];
		while (*x == ' ' || *x == '#')
			x++;
		if (strcasecmp(x, "url") == 0)
			h.url = (int)i;
		else if (strcasecmp(x, "host") == 0 || strcasecmp(x, "domain") == 0)
			h.host = (int)i;
		else if (strcasecmp(x, "path") == 0)
			h.path = (int)i;
	}
	if (h.url < 0 && h.host < 0)
		return false;
	*c = h;
	return true;
}

static int
feed_csv_line(struct feed_run *r, struct csv_cols *c, char *s, size_t line)
{
	char *f[CSV_MAX_FIELDS], tok[FEED_MAX_LINE + 1];
	size_t n, i;
	int col;

	while (is_space(*s))
		s++;
	if (*s == '\0')
		return 0;
	n = csv_split(s, f, CSV_MAX_FIELDS);
	if (!c->header && csv_header(f, n, c))
		return 0;
	if (*s == '#')
		return 0;
	col = c->url >= 0 ? c->url : c->host;
	if (col < 0) {
		for (i = 0; i < n && strstr(f[i], "://") == NULL; i++)
			;
		col = i < n ? (int)i : -1;
	}
	if (col < 0 || (size_t)col >= n) {
		feed_bad(r, line, "no url field");
		return 0;
	}
	if (c->url < 0 && c->path >= 0 && (size_t)c->path < n && f[c->path][0] != '\0') {
		int k = snprintf(tok, sizeof(tok), "%s%s%s", f[col], f[c->path][0] == '/' ? "" : "/",
		    f[c->path]);
		if (k < 0 || (size_t)k >= sizeof(tok)) {
			feed_bad(r, line, "line too long");
			return 0;
		}
		return feed_token(r, tok, (size_t)k, line);
	}
	return feed_token(r, f[col], strlen(f[col]), line);
}

/* Text and CSV: line by line (CSV lines copied to be split in place). */
static int
feed_lines(struct feed_run *r, const char *data, size_t len, bool csv)
{
	struct csv_cols cols = { -1, -1, -1, false };
	char buf[FEED_MAX_LINE + 1];
	size_t off = 0, line = 0, n;
	const char *nl;
	int rc;

	while (off < len) {
		nl = memchr(data + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - data - off) : len - off;
		line++;
		r->st->lines++;
		if (n > FEED_MAX_LINE)
			feed_bad(r, line, "line too long");
		else if (csv) {
			memcpy(buf, data + off, n);
			buf[n] = '\0';
			if ((rc = feed_csv_line(r, &cols, buf, line)) != 0)
				return rc;
		} else if ((rc = feed_text_line(r, data + off, n, line)) != 0)
			return rc;
		off += n + 1;
	}
	return 0;
}

static bool
looks_like_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* JSON: object keys that are URLs (OpenPhish archive), string members
 * named url/host/domain (PhishTank, URLhaus), URL strings in arrays. */
static int
feed_json_walk(struct feed_run *r, json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;
	int rc = 0;

	if (depth > FEED_JSON_DEPTH)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (looks_like_url(k)) {
				r->st->lines++;
				rc = feed_token(r, k, strlen(k), r->st->lines);
			} else if (json_is_string(v) && (strcmp(k, "url") == 0 ||
			    strcmp(k, "host") == 0 || strcmp(k, "domain") == 0)) {
				r->st->lines++;
				rc = feed_token(r, json_string_value(v), json_string_length(v),
				    r->st->lines);
			} else
				rc = feed_json_walk(r, v, depth + 1);
			if (rc != 0)
				return rc;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (json_is_string(v) && looks_like_url(json_string_value(v))) {
				r->st->lines++;
				rc = feed_token(r, json_string_value(v), json_string_length(v),
				    r->st->lines);
			} else
				rc = feed_json_walk(r, v, depth + 1);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int
feed_json(struct feed_run *r, const char *data, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	int rc;

	if ((j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", r->spec->path, je.line, je.text);
		return -MG_EPROTO;
	}
	rc = feed_json_walk(r, j, 0);
	json_decref(j);
	return rc;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static enum feed_format
feed_sniff(const struct feed_spec *spec, const char *data, size_t len)
{
	size_t i = 0;

	if (spec->format != FEED_AUTO)
		return spec->format;
	if (has_suffix(spec->path, ".json"))
		return FEED_JSON;
	if (has_suffix(spec->path, ".csv"))
		return FEED_CSV;
	while (i < len && is_space(data[i]))
		i++;
	if (i < len && data[i] == '{')
		return FEED_JSON;
	if (i < len && data[i] == '[') {	/* "[Adblock Plus 2.0]" is text */
		for (i++; i < len && is_space(data[i]); i++)
			;
		if (i == len || data[i] == '{' || data[i] == '"' || data[i] == ']')
			return FEED_JSON;
	}
	return FEED_TEXT;
}

/* The category a path suggests; phishing when it says nothing. */
static unsigned
feed_guess_category(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (strcasestr(path, "malware") != NULL || strcasestr(path, "urlhaus") != NULL)
		return INTEL_CAT_MALWARE;
	if (strcasestr(base, "spam") != NULL)
		return INTEL_CAT_SPAM;
	return INTEL_CAT_PHISHING;
}

int
feed_parse(const struct feed_spec *spec, const char *data, size_t len, feed_fn fn, void *arg,
    struct feed_stats *st, char *err, size_t errlen)
{
	struct feed_run r = { .spec = spec, .fn = fn, .arg = arg, .st = st };
	char source[64];
	const char *base = strrchr(spec->path, '/'), *dot;
	int rc;

	base = base != NULL ? base + 1 : spec->path;
	if (spec->source == NULL) {
		dot = strrchr(base, '.');
		snprintf(source, sizeof(source), "%.*s", (int)(dot != NULL && dot != base ?
		    (size_t)(dot - base) : strlen(base)), base);
		r.source = source;
	} else
		r.source = spec->source;
	r.category = spec->category != 0 ? spec->category : feed_guess_category(spec->path);
	switch (feed_sniff(spec, data, len)) {
	case FEED_JSON:
		rc = feed_json(&r, data, len, err, errlen);
		break;
	case FEED_CSV:
		rc = feed_lines(&r, data, len, true);
		break;
	default:
		rc = feed_lines(&r, data, len, false);
		break;
	}
	mg_arena_free(r.arena);
	return rc;
}

int
feed_load(const struct feed_spec *spec, size_t max, feed_fn fn, void *arg,
    struct feed_stats *st, char *err, size_t errlen)
{
	struct stat sb;
	char *data = NULL;
	ssize_t k;
	size_t got = 0;
	int fd, rc;

	if ((fd = open(spec->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", spec->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -MG_EIO;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		snprintf(err, errlen, "%s: not a regular file of at most %zu bytes", spec->path, max);
		close(fd);
		return -MG_ELIMIT;
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return -MG_ENOMEM;
	}
	while (got < (size_t)sb.st_size && (k = read(fd, data + got, (size_t)sb.st_size - got)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(err, errlen, "%s: %s", spec->path, strerror(errno));
			free(data);
			close(fd);
			return -MG_EIO;
		}
		got += (size_t)k;
	}
	close(fd);
	rc = feed_parse(spec, data, got, fn, arg, st, err, errlen);
	free(data);
	return rc;
}
