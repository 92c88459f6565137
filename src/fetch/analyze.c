/* Landing-page analysis (analyze.h). The scanner walks tags and the text
 * between them once; comments are skipped; script bodies are searched for
 * location assignments; style bodies are skipped. Hand-written because the
 * MIME layer's HTML reader models mail bodies (hidden text, links), not
 * forms and scripts, and only these few facts are needed. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fetch/analyze.h"
#include "mime/url.h"

#define TAG_MAX_ATTRS	16
#define TAG_NAME_MAX	16

struct attr {
	const char	*name, *val;
	size_t		 nlen, vlen;
};

struct tag {
	char		 name[TAG_NAME_MAX];
	bool		 closing;
	struct attr	 attrs[TAG_MAX_ATTRS];
	size_t		 nattrs;
};

struct scan {
	const char	*host, *domain;
	const char *const *brands;
	size_t		 nbrands;
	struct landing_report *r;
	bool		 form_inputs;
	const char	*brand_strong;	/* named in title or logo */
	const char	*brand_text;	/* named in the text */
};

static const char *
attr_get(const struct tag *t, const char *name, size_t *len)
{
	for (size_t i = 0; i < t->nattrs; i++)
		if (t->attrs[i].nlen == strlen(name) &&
		    strncasecmp(t->attrs[i].name, name, t->attrs[i].nlen) == 0) {
			*len = t->attrs[i].vlen;
			return t->attrs[i].val;
		}
	return NULL;
}

static bool
word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Whether word (lower case) occurs in p[0..len) case-insensitively with
 * no letter or digit either side. */
static bool
has_word(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; n > 0 && i + n <= len; i++)
		if (tolower((unsigned char)p[i]) == word[0] && strncasecmp(p + i, word, n) == 0 &&
		    (i == 0 || !word_char((unsigned char)p[i - 1])) &&
		    (i + n == len || !word_char((unsigned char)p[i + n])))
			return true;
	return false;
}

/* The first brand named in p[0..len) that is not the page's own, or NULL. */
static const char *
brand_in(const struct scan *s, const char *p, size_t len)
{
	size_t own = s->domain != NULL ? strcspn(s->domain, ".") : 0;

	for (size_t i = 0; i < s->nbrands; i++) {
		const char *b = s->brands[i];
		if (own == strlen(b) && strncmp(s->domain, b, own) == 0)
			continue;
		if (has_word(p, len, b))
			return b;
	}
	return NULL;
}

/* The lower-case host of an absolute or protocol-relative URL into out;
 * false for a relative URL (same host) or a non-web scheme. */
static bool
url_host_of(const char *u, size_t len, char *out, size_t outlen)
{
	size_t i = 0, start, end, at, n;

	while (i < len && isspace((unsigned char)u[i]))
		i++;
	if (len - i >= 2 && u[i] == '/' && u[i + 1] == '/')
		start = i + 2;
	else if (len - i >= 7 && strncasecmp(u + i, "http://", 7) == 0)
		start = i + 7;
	else if (len - i >= 8 && strncasecmp(u + i, "https://", 8) == 0)
		start = i + 8;
	else
		return false;
	end = start;
	while (end < len && strchr("/?#\\", u[end]) == NULL && !isspace((unsigned char)u[end]))
		end++;
	at = start;
	for (size_t k = start; k < end; k++)
		if (u[k] == '@')
			at = k + 1;
	n = 0;
	for (size_t k = at; k < end && u[k] != ':' && n + 1 < outlen; k++)
		out[n++] = (char)tolower((unsigned char)u[k]);
	out[n] = '\0';
	return n > 0;
}

/* Whether a URL's host belongs to another site than the page: another
 * registrable domain, or another host when either has none. */
static bool
offsite(const struct scan *s, const char *u, size_t len, char *host, size_t hostlen)
{
	const char *d;

	if (!url_host_of(u, len, host, hostlen))
		return false;
	d = url_registrable_domain(host);
	if (d != NULL && s->domain != NULL)
		return strcmp(d, s->domain) != 0;
	return strcmp(host, s->host) != 0;
}

static void
on_form(struct scan *s, const struct tag *t)
{
	char host[LANDING_HOST_MAX];
	const char *a;
	size_t n;

	if (t->closing || (a = attr_get(t, "action", &n)) == NULL)
		return;
	if (offsite(s, a, n, host, sizeof(host)) && !(s->r->flags & LANDING_F_FORM_OFFSITE)) {
		s->r->flags |= LANDING_F_FORM_OFFSITE;
		snprintf(s->r->form_host, sizeof(s->r->form_host), "%s", host);
	}
}

static void
on_input(struct scan *s, const struct tag *t)
{
	const char *v;
	size_t n;

	v = attr_get(t, "type", &n);
	if (v != NULL && n == 8 && strncasecmp(v, "password", 8) == 0)
		s->r->flags |= LANDING_F_PASSWORD;
	if (v == NULL || !((n == 6 && strncasecmp(v, "hidden", 6) == 0) ||
	    (n == 6 && strncasecmp(v, "submit", 6) == 0)))
		s->form_inputs = true;
}

static void
redirect_to(struct scan *s, const char *u, size_t len)
{
	char host[LANDING_HOST_MAX];

	if (!(s->r->flags & LANDING_F_REDIRECT) && offsite(s, u, len, host, sizeof(host))) {
		s->r->flags |= LANDING_F_REDIRECT;
		snprintf(s->r->redirect_host, sizeof(s->r->redirect_host), "%s", host);
	}
}

/* <meta http-equiv=refresh content="0; url=..."> */
static void
on_meta(struct scan *s, const struct tag *t)
{
	const char *v, *c;
	size_t n, cn;

	if ((v = attr_get(t, "http-equiv", &n)) == NULL || n != 7 ||
	    strncasecmp(v, "refresh", 7) != 0 || (c = attr_get(t, "content", &cn)) == NULL)
		return;
	for (size_t i = 0; i + 4 <= cn; i++)
		if (strncasecmp(c + i, "url=", 4) == 0) {
			const char *u = c + i + 4;
			size_t ul = cn - i - 4;
			if (ul > 0 && (*u == '\'' || *u == '"'))
				u++, ul--;
			redirect_to(s, u, ul);
			return;
		}
}

static void
on_img(struct scan *s, const struct tag *t)
{
	const char *v, *b;
	size_t n;

	if (s->brand_strong != NULL)
		return;
	if ((v = attr_get(t, "alt", &n)) != NULL && (b = brand_in(s, v, n)) != NULL)
		s->brand_strong = b;
	else if ((v = attr_get(t, "src", &n)) != NULL && (b = brand_in(s, v, n)) != NULL)
		s->brand_strong = b;
}

/* Script text: location = "...", location.href = '...',
 * location.replace("...") / assign("..."). */
static void
on_script(struct scan *s, const char *p, size_t len)
{
	static const char *const pats[] = { "location.href", "location.replace",
		"location.assign", "location", NULL };

	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; pats[k] != NULL; k++) {
			size_t pl = strlen(pats[k]), j = i + pl;
			if (j > len || strncmp(p + i, pats[k], pl) != 0)
				continue;
			while (j < len && strchr(" \t\r\n=(", p[j]) != NULL)
				j++;
			if (j < len && (p[j] == '"' || p[j] == '\'')) {
				const char *q = memchr(p + j + 1, p[j], len - j - 1);
				if (q != NULL)
					redirect_to(s, p + j + 1, (size_t)(q - p - j - 1));
			}
			break;
		}
}

/* Offset of needle (lower case) in p[from..len) ignoring case, or len. */
static size_t
find_ci(const char *p, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i + n <= len; i++)
		if (strncasecmp(p + i, needle, n) == 0)
			return i;
	return len;
}

/* One attribute at p[*i]: name, and value when '=' follows. */
static void
tag_attr(const char *p, size_t len, size_t *i, struct tag *t)
{
	struct attr a = { .name = p + *i };
	size_t k = *i;

	while (k < len && !isspace((unsigned char)p[k]) && strchr("=>/", p[k]) == NULL)
		k++;
	a.nlen = (size_t)(p + k - a.name);
	while (k < len && isspace((unsigned char)p[k]))
		k++;
	if (k < len && p[k] == '=') {
		k++;
		while (k < len && isspace((unsigned char)p[k]))
			k++;
		if (k < len && (p[k] == '"' || p[k] == '\'')) {
			char q = p[k++];
			a.val = p + k;
			while (k < len && p[k] != q)
				k++;
			a.vlen = (size_t)(p + k - a.val);
			if (k < len)
				k++;
		} else {
			a.val = p + k;
			while (k < len && !isspace((unsigned char)p[k]) && p[k] != '>')
				k++;
			a.vlen = (size_t)(p + k - a.val);
		}
	}
	if (a.nlen > 0 && t->nattrs < TAG_MAX_ATTRS)
		t->attrs[t->nattrs++] = a;
	*i = k > *i ? k : *i + 1;
}

/* Reads the tag at p[i] == '<'; the offset after it, or i + 1 when it is
 * not a tag (t->name empty). */
static size_t
tag_read(const char *p, size_t len, size_t i, struct tag *t)
{
	size_t k = i + 1, n = 0;

	memset(t, 0, sizeof(*t));
	if (k < len && p[k] == '/') {
		t->closing = true;
		k++;
	}
	while (k < len && isalnum((unsigned char)p[k])) {
		if (n + 1 < sizeof(t->name))
			t->name[n++] = (char)tolower((unsigned char)p[k]);
		k++;
	}
	if (n == 0)
		return i + 1;
	while (k < len && p[k] != '>') {
		if (isspace((unsigned char)p[k]) || p[k] == '/')
			k++;
		else
			tag_attr(p, len, &k, t);
	}
	return k < len ? k + 1 : len;
}

/* Handles one tag; returns where scanning goes on (past a script, style
 * or title body). */
static size_t
on_tag(struct scan *s, const struct tag *t, const char *p, size_t len, size_t next)
{
	size_t end;

	if (strcmp(t->name, "form") == 0)
		on_form(s, t);
	else if (strcmp(t->name, "input") == 0)
		on_input(s, t);
	else if (strcmp(t->name, "meta") == 0)
		on_meta(s, t);
	else if (strcmp(t->name, "img") == 0)
		on_img(s, t);
	if (t->closing)
		return next;
	if (strcmp(t->name, "script") == 0) {
		end = find_ci(p, len, next, "</script");
		on_script(s, p + next, end - next);
		return end;
	}
	if (strcmp(t->name, "style") == 0)
		return find_ci(p, len, next, "</style");
	if (strcmp(t->name, "title") == 0) {
		end = find_ci(p, len, next, "</title");
		if (s->brand_strong == NULL)
			s->brand_strong = brand_in(s, p + next, end - next);
		return end;
	}
	return next;
}

void
landing_analyze(const char *p, size_t len, const char *host, const char *const *brands,
    size_t nbrands, struct landing_report *out)
{
	struct scan s = { .host = host, .brands = brands, .nbrands = nbrands, .r = out };
	const char *b;
	size_t i = 0, text, ntags = 0;
	struct tag t;

	memset(out, 0, sizeof(*out));
	s.domain = url_registrable_domain(host);
	while (i < len && ntags < LANDING_MAX_TAGS) {
		text = i;
		while (i < len && p[i] != '<')
			i++;
		if (i > text && s.brand_text == NULL)
			s.brand_text = brand_in(&s, p + text, i - text);
		if (i >= len)
			break;
		if (len - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
			size_t e = find_ci(p, len, i + 4, "-->");
			i = e < len ? e + 3 : len;
			continue;
		}
		size_t next = tag_read(p, len, i, &t);
		if (t.name[0] == '\0') {
			i = next;
			continue;
		}
		ntags++;
		i = on_tag(&s, &t, p, len, next);
	}
	b = s.form_inputs && s.brand_strong != NULL ? s.brand_strong :
	    (out->flags & LANDING_F_PASSWORD) ? (s.brand_strong != NULL ? s.brand_strong :
	    s.brand_text) : NULL;
	if (b != NULL) {
		out->flags |= LANDING_F_BRAND;
		snprintf(out->brand, sizeof(out->brand), "%s", b);
	}
}
