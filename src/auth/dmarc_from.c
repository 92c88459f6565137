/* The RFC5322.From domain for DMARC (RFC 7489 6.6.1): the raw field value
 * read as an address-list (display names, quoted strings, comments,
 * groups, routes in angle brackets), never the RFC 2047-decoded text, in
 * which a display name could pose as an address. */
#include <string.h>

#include "auth/dmarc.h"
#include "core/err.h"

#define FROM_MAX_ADDRS	16	/* addresses looked at in one From field */
#define FROM_ADDR_MAX	512	/* bytes of one address */

struct from_parse {
	char	 plain[FROM_ADDR_MAX], angle[FROM_ADDR_MAX];
	size_t	 nplain, nangle;
	bool	 in_angle, had_angle, too_long;
	char	 domains[FROM_MAX_ADDRS][FROM_ADDR_MAX];
	size_t	 ndomains;
};

static void
from_put(struct from_parse *p, char c)
{
	char *b = p->in_angle ? p->angle : p->plain;
	size_t *n = p->in_angle ? &p->nangle : &p->nplain;

	if (*n + 1 < FROM_ADDR_MAX)
		b[(*n)++] = c;
	else
		p->too_long = true;
}

/* The domain of the address just ended (after the last '@' outside
 * quotes), if any. */
static void
from_end_mailbox(struct from_parse *p)
{
	const char *a = p->had_angle ? p->angle : p->plain;
	size_t n = p->had_angle ? p->nangle : p->nplain, at = SIZE_MAX;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (a[i] == '\\' && quoted)
			i++;
		else if (a[i] == '"')
			quoted = !quoted;
		else if (a[i] == '@' && !quoted)
			at = i;
	}
	if (at != SIZE_MAX && !p->too_long && p->ndomains < FROM_MAX_ADDRS) {
		memcpy(p->domains[p->ndomains], a + at + 1, n - at - 1);
		p->domains[p->ndomains++][n - at - 1] = '\0';
	}
	p->nplain = p->nangle = 0;
	p->in_angle = p->had_angle = p->too_long = false;
}

/* Skips a comment or copies a quoted string starting at s[*i]; false when
 * it does not end. */
static bool
from_skip(struct from_parse *p, const char *s, size_t len, size_t *i)
{
	size_t depth = 0;
	bool quote = s[*i] == '"';

	for (; *i < len; (*i)++) {
		char c = s[*i];
		if (quote)
			from_put(p, c);
		if (c == '\\' && *i + 1 < len) {
			if (quote)
				from_put(p, s[*i + 1]);
			(*i)++;
		} else if (quote && c == '"' && depth++ > 0) {
			return true;
		} else if (!quote && c == '(') {
			depth++;
		} else if (!quote && c == ')' && --depth == 0) {
			return true;
		}
	}
	return false;
}

static int
from_parse_value(struct from_parse *p, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '(' || c == '"') {
			if (!from_skip(p, s, len, &i))
				return -MG_EPROTO;
		} else if (c == '<') {
			p->in_angle = p->had_angle = true;
			p->nangle = 0;
		} else if (c == '>') {
			p->in_angle = false;
		} else if (c == ':') {
			if (p->in_angle)	/* end of an obsolete route */
				p->nangle = 0;
			else			/* a group's display name */
				p->nplain = 0;
		} else if ((c == ',' || c == ';') && !p->in_angle) {
			from_end_mailbox(p);
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			from_put(p, c);
		}
	}
	from_end_mailbox(p);
	return 0;
}

/* Lower-cases d in place; false unless it is a host name of two labels or
 * more (a trailing dot is dropped). */
static bool
from_host_name(char *d)
{
	size_t len = strlen(d), lab = 0, labels = 0;

	if (len > 0 && d[len - 1] == '.')
		d[--len] = '\0';
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = d[i];
		if (i == len || c == '.') {
			if (lab == 0 || lab > 63)
				return false;
			labels++;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_') {
			lab++;
		} else if (c >= 'A' && c <= 'Z') {
			d[i] = (char)(c + 32);
			lab++;
		} else {
			return false;
		}
	}
	return labels >= 2;
}

int
dmarc_from_domain(struct mg_arena *a, const struct mime_msg *m, const char **domain)
{
	const struct mime_header *from = NULL;
	struct from_parse *p;
	const struct mime_part *root = m->root;

	*domain = NULL;
	for (size_t i = 0; root != NULL && i < root->nheaders; i++) {
		if (!mg_slice_eq_nocase(root->headers[i].name, "From"))
			continue;
		if (from != NULL)
			return -MG_EPROTO;
		from = &root->headers[i];
	}
	if (from == NULL)
		return -MG_ENOENT;
	if ((p = mg_arena_zalloc(a, sizeof(*p))) == NULL)
		return -MG_ENOMEM;
	if (from_parse_value(p, (const char *)from->raw.ptr, from->raw.len) < 0)
		return -MG_EPROTO;
	if (p->ndomains == 0)
		return -MG_ENOENT;
	for (size_t i = 0; i < p->ndomains; i++)
		if (!from_host_name(p->domains[i]) || strcmp(p->domains[i], p->domains[0]) != 0)
			return -MG_EPROTO;
	*domain = mg_arena_strndup(a, p->domains[0], strlen(p->domains[0]));
	return *domain != NULL ? 0 : -MG_ENOMEM;
}
