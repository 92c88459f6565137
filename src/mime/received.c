/* The Received chain: each field of the top-level header split into its
 * from (HELO, reverse name and address from the comment, as Postfix, Exim,
 * Sendmail, qmail, Exchange and Gmail write them), by and with clauses and
 * the date after the last ';'; then the oldest hop from a public address
 * and the largest step back in time. By hand: no library parses these. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/received.h"

#define NAME_MAX_LEN	255	/* host names and the like kept per hop */
#define MAX_TOKENS	64	/* of one field before the date; the rest is ignored */

enum tok_kind { TOK_ATOM, TOK_COMMENT };

struct tok {
	enum tok_kind	 kind;
	const char	*p;		/* comment: inside the outer parentheses */
	size_t		 len;
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Offset just past the comment opening at s[i] (nested, \-quoted), or n. */
static size_t
skip_comment(const char *s, size_t i, size_t n)
{
	unsigned depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return n;
}

/* Offset of the last ';' outside comments, or n when there is none. */
static size_t
last_semicolon(const char *s, size_t n)
{
	size_t i = 0, semi = n;

	while (i < n) {
		if (s[i] == '(')
			i = skip_comment(s, i, n);
		else {
			if (s[i] == ';')
				semi = i;
			i++;
		}
	}
	return semi;
}

/* Atoms and comments of s[0..n) into t; their count. */
static size_t
tokenize(const char *s, size_t n, struct tok *t, size_t max)
{
	size_t i = 0, nt = 0, start;

	while (i < n && nt < max) {
		if (is_ws(s[i]) || s[i] == ';') {
			i++;
			continue;
		}
		start = i;
		if (s[i] == '(') {
			i = skip_comment(s, i, n);
			t[nt++] = (struct tok){ TOK_COMMENT, s + start + 1,
			    i - start - (s[i - 1] == ')' ? 2 : 1) };
			continue;
		}
		while (i < n && !is_ws(s[i]) && s[i] != '(' && s[i] != ';')
			i++;
		t[nt++] = (struct tok){ TOK_ATOM, s + start, i - start };
	}
	return nt;
}

static bool
tok_is(const struct tok *t, const char *word)
{
	return t->kind == TOK_ATOM && t->len == strlen(word) &&
	    strncasecmp(t->p, word, t->len) == 0;
}

static bool
is_keyword(const struct tok *t)
{
	return tok_is(t, "from") || tok_is(t, "by") || tok_is(t, "via") || tok_is(t, "with") ||
	    tok_is(t, "id") || tok_is(t, "for");
}

/* Copy of s[0..n) cut to NAME_MAX_LEN bytes on a UTF-8 boundary. */
static const char *
dup_name(struct mg_arena *a, const char *s, size_t n)
{
	if (n > NAME_MAX_LEN) {
		n = NAME_MAX_LEN;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return mg_arena_strndup(a, s, n);
}

/* An address in a word: 192.0.2.1, [192.0.2.1], [192.0.2.1]:25,
 * [IPv6:2001:db8::1], user@192.0.2.1; written normalised into out. */
static bool
word_ip(const char *w, size_t n, char out[INET6_ADDRSTRLEN])
{
	char tmp[64];
	const char *at, *close;
	unsigned char bin[16];

	if ((at = memchr(w, '@', n)) != NULL) {
		n -= (size_t)(at + 1 - w);
		w = at + 1;
	}
	if (n > 0 && w[0] == '[') {
		if ((close = memchr(w, ']', n)) == NULL)
			return false;
		n = (size_t)(close - w - 1);
		w++;
	}
	if (n >= 5 && strncasecmp(w, "IPv6:", 5) == 0) {
		w += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, w, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, INET6_ADDRSTRLEN) != NULL;
	if (strchr(tmp, '%') != NULL)
		*strchr(tmp, '%') = '\0';
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, INET6_ADDRSTRLEN) != NULL;
	return false;
}

/* A word that can be a host name: letters, digits, '-', '_', '.'. */
static bool
word_hostname(const char *w, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '-' && w[i] != '_' && w[i] != '.')
			return false;
	return true;
}

/* What the comments of a from clause tell. */
struct from_info {
	char		 ip[INET6_ADDRSTRLEN];
	const char	*rdns, *helo;
	size_t		 rdns_len, helo_len;
};

/* Next word of a comment (space and parentheses separate, and '[' starts
 * a word: "rdns[ip]"); false at end. */
static bool
next_word(const char *s, size_t n, size_t *i, const char **w, size_t *wl)
{
	while (*i < n && (is_ws(s[*i]) || s[*i] == '(' || s[*i] == ')'))
		(*i)++;
	if (*i >= n)
		return false;
	*w = s + (*i)++;
	while (*i < n && !is_ws(s[*i]) && s[*i] != '(' && s[*i] != ')' && s[*i] != '[')
		(*i)++;
	*wl = (size_t)(s + *i - *w);
	return true;
}

/* One comment of the from clause: "rdns [ip]", "user@rdns [ip] (may be
 * forged)", "[ip] helo=name", "HELO name", "(ip)". The first address
 * found wins, with the host name just before it as the reverse name. */
static void
from_comment(const struct tok *t, struct from_info *fi)
{
	const char *w, *prev = NULL, *at;
	size_t i = 0, wl, prev_len = 0;
	bool helo_next = false;

	while (next_word(t->p, t->len, &i, &w, &wl)) {
		if (helo_next) {
			fi->helo = w;
			fi->helo_len = wl;
			helo_next = false;
		} else if (wl > 5 && strncasecmp(w, "helo=", 5) == 0) {
			fi->helo = w + 5;
			fi->helo_len = wl - 5;
		} else if ((wl == 4 && (strncasecmp(w, "HELO", 4) == 0 ||
		    strncasecmp(w, "EHLO", 4) == 0)))
			helo_next = true;
		else if (fi->ip[0] == '\0' && word_ip(w, wl, fi->ip)) {
			if (prev != NULL && (at = memchr(prev, '@', prev_len)) != NULL) {
				prev_len -= (size_t)(at + 1 - prev);
				prev = at + 1;
			}
			while (prev_len > 0 && prev[prev_len - 1] == '.')
				prev_len--;
			if (prev != NULL && word_hostname(prev, prev_len) &&
			    !(prev_len == 7 && strncasecmp(prev, "unknown", 7) == 0)) {
				fi->rdns = prev;
				fi->rdns_len = prev_len;
			}
		}
		prev = w;
		prev_len = wl;
	}
}

static bool
atom_is_unknown(const struct tok *t)
{
	return tok_is(t, "unknown");
}

/* The from clause, tokens t[0..n): the name given (HELO, or the reverse
 * name when a comment carries helo=/HELO as Exim and qmail write it), the
 * reverse name and address from the comments, or the address literal
 * given as the name. False when the arena is exhausted. */
static bool
parse_from(struct mg_arena *a, const struct tok *t, size_t n, struct received_hop *h)
{
	struct from_info fi = { .ip = "" };
	const struct tok *name = n > 0 && t[0].kind == TOK_ATOM ? &t[0] : NULL;
	char lit[INET6_ADDRSTRLEN];
	bool name_is_ip;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].kind == TOK_COMMENT)
			from_comment(&t[i], &fi);
	name_is_ip = name != NULL && word_ip(name->p, name->len, lit);
	if (fi.ip[0] == '\0' && name_is_ip)
		memcpy(fi.ip, lit, sizeof(lit));
	if (fi.helo != NULL) {
		if (fi.rdns == NULL && name != NULL && !name_is_ip && !atom_is_unknown(name)) {
			fi.rdns = name->p;
			fi.rdns_len = name->len;
		}
	} else if (name != NULL) {
		fi.helo = name->p;
		fi.helo_len = name->len;
	}
	while (fi.rdns != NULL && fi.rdns_len > 0 && fi.rdns[fi.rdns_len - 1] == '.')
		fi.rdns_len--;
	if ((fi.helo && (h->from_helo = dup_name(a, fi.helo, fi.helo_len)) == NULL) ||
	    (fi.rdns && fi.rdns_len > 0 &&
	    (h->from_rdns = dup_name(a, fi.rdns, fi.rdns_len)) == NULL) ||
	    (fi.ip[0] && (h->from_ip = mg_arena_strndup(a, fi.ip, strlen(fi.ip))) == NULL))
		return false;
	return true;
}

/* "with" protocol: the atoms up to a comment or the next keyword
 * ("ESMTPS", "Microsoft SMTP Server"). */
static const char *
parse_with(struct mg_arena *a, const struct tok *t, size_t n)
{
	size_t i;

	for (i = 0; i < n && t[i].kind == TOK_ATOM; i++)
		;
	if (i == 0)
		return mg_arena_strndup(a, "", 0);
	return dup_name(a, t[0].p, (size_t)(t[i - 1].p + t[i - 1].len - t[0].p));
}

/* Splits the tokens at the keywords and fills h; *clauses tells whether a
 * from or by clause was found. False when the arena is exhausted. */
static bool
parse_clauses(struct mg_arena *a, const struct tok *t, size_t nt, struct received_hop *h,
    bool *clauses)
{
	size_t i = 0, end;

	*clauses = false;
	while (i < nt && !is_keyword(&t[i]))
		i++;
	while (i < nt) {
		const struct tok *kw = &t[i];

		for (end = i + 1; end < nt && !is_keyword(&t[end]); end++)
			;
		if (tok_is(kw, "from") && h->from_helo == NULL && h->from_ip == NULL) {
			*clauses = true;
			if (!parse_from(a, kw + 1, end - i - 1, h))
				return false;
		} else if (tok_is(kw, "by") && h->by == NULL && end > i + 1 &&
		    kw[1].kind == TOK_ATOM) {
			*clauses = true;
			if ((h->by = dup_name(a, kw[1].p, kw[1].len)) == NULL)
				return false;
		} else if (tok_is(kw, "with") && h->with == NULL &&
		    (h->with = parse_with(a, kw + 1, end - i - 1)) == NULL)
			return false;
		i = end;
	}
	return true;
}

/* One field into h; false when the arena is exhausted. *bad: the field
 * could not be understood (no date, or words but no from/by clause). */
static bool
parse_field(struct mg_arena *a, const char *s, size_t n, struct received_hop *h, bool *bad)
{
	struct tok t[MAX_TOKENS];
	size_t semi = last_semicolon(s, n), nt, i;
	bool clauses, atoms = false;

	nt = tokenize(s, semi, t, MAX_TOKENS);
	if (!parse_clauses(a, t, nt, h, &clauses))
		return false;
	for (i = 0; i < nt; i++)
		atoms |= t[i].kind == TOK_ATOM;
	*bad = semi == n || !received_date_parse(s + semi + 1, n - semi - 1, &h->time) ||
	    (atoms && !clauses);
	return true;
}

/* Date scanner over s[0..n): comments and white space are skipped. */
struct dscan {
	const char	*s;
	size_t		 n, i;
};

static void
d_skip(struct dscan *d)
{
	while (d->i < d->n) {
		if (is_ws(d->s[d->i]))
			d->i++;
		else if (d->s[d->i] == '(')
			d->i = skip_comment(d->s, d->i, d->n);
		else
			break;
	}
}

/* Up to max digits as a number; their count (0: none). */
static unsigned
d_num(struct dscan *d, unsigned max, int *v)
{
	unsigned k = 0;

	*v = 0;
	while (d->i < d->n && k < max && isdigit((unsigned char)d->s[d->i])) {
		*v = *v * 10 + (d->s[d->i++] - '0');
		k++;
	}
	return k;
}

/* Letters as a word (at most cap - 1 kept), lower case; its length. */
static size_t
d_word(struct dscan *d, char *w, size_t cap)
{
	size_t k = 0;

	while (d->i < d->n && isalpha((unsigned char)d->s[d->i])) {
		if (k + 1 < cap)
			w[k] = (char)tolower((unsigned char)d->s[d->i]);
		k++;
		d->i++;
	}
	w[k < cap ? k : cap - 1] = '\0';
	return k;
}

static int
month_index(const char *w)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	size_t i;

	for (i = 0; i < 12; i++)
		if (strncmp(w, months + 3 * i, 3) == 0)
			return (int)i;
	return -1;
}

/* Zone: +hhmm/-hhmm, UT, GMT, the US names of RFC 5322 section 4.3;
 * military letters and unknown names are -0000 (offset 0). */
static bool
d_zone(struct dscan *d, long *off)
{
	static const struct { const char *name; int hours; } zones[] = {
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	char w[8];
	int hhmm;
	size_t i;

	*off = 0;
	d_skip(d);
	if (d->i >= d->n)
		return true;	/* obsolete: no zone, taken as UTC */
	if (d->s[d->i] == '+' || d->s[d->i] == '-') {
		long sign = d->s[d->i++] == '-' ? -1 : 1;

		if (d_num(d, 4, &hhmm) != 4 || hhmm / 100 > 23 || hhmm % 100 > 59)
			return false;
		*off = sign * ((hhmm / 100) * 3600L + (hhmm % 100) * 60L);
		return true;
	}
	if (d_word(d, w, sizeof(w)) == 0)
		return false;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(w, zones[i].name) == 0)
			*off = zones[i].hours * 3600L;
	return true;
}

/* day month year, with the obsolete 2- and 3-digit years. */
static bool
d_day_month_year(struct dscan *d, struct tm *tm)
{
	char w[16];
	int v;
	unsigned k;

	d_skip(d);
	if (d_num(d, 2, &tm->tm_mday) == 0)
		return false;
	d_skip(d);
	if (d_word(d, w, sizeof(w)) < 3 || (tm->tm_mon = month_index(w)) < 0)
		return false;
	d_skip(d);
	if ((k = d_num(d, 4, &v)) < 2)
		return false;
	if (k == 2)
		v += v < 50 ? 2000 : 1900;
	else if (k == 3)
		v += 1900;
	tm->tm_year = v - 1900;
	return true;
}

/* hh:mm[:ss] */
static bool
d_time(struct dscan *d, struct tm *tm)
{
	d_skip(d);
	if (d_num(d, 2, &tm->tm_hour) == 0 || d->i >= d->n || d->s[d->i++] != ':' ||
	    d_num(d, 2, &tm->tm_min) != 2)
		return false;
	if (d->i < d->n && d->s[d->i] == ':') {
		d->i++;
		if (d_num(d, 2, &tm->tm_sec) != 2)
			return false;
	}
	return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

bool
received_date_parse(const char *s, size_t n, time_t *out)
{
	struct dscan d = { s, n, 0 };
	struct tm tm = { 0 }, check;
	size_t save;
	long off;
	time_t t;
	char w[16];

	d_skip(&d);
	save = d.i;
	/* day of week, with or without its comma */
	if (d_word(&d, w, sizeof(w)) > 0 && month_index(w) < 0) {
		d_skip(&d);
		if (d.i < d.n && d.s[d.i] == ',')
			d.i++;
	} else
		d.i = save;
	if (!d_day_month_year(&d, &tm) || !d_time(&d, &tm) || !d_zone(&d, &off) ||
	    tm.tm_year < 70 || tm.tm_year > 8099)
		return false;
	if (tm.tm_sec == 60)
		tm.tm_sec = 59;
	check = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != check.tm_mday ||
	    tm.tm_mon != check.tm_mon)
		return false;	/* 31 Feb */
	*out = t - off;
	return *out > 0;
}

/* Addresses that no public host has: private, loopback, link-local,
 * CGNAT, documentation, benchmarking, multicast and reserved ranges. */
static bool
ipv4_public(const unsigned char b[4])
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	static const struct { uint32_t net; unsigned bits; } priv[] = {
		{ 0x00000000, 8 }, { 0x0a000000, 8 }, { 0x64400000, 10 }, { 0x7f000000, 8 },
		{ 0xa9fe0000, 16 }, { 0xac100000, 12 }, { 0xc0000000, 24 }, { 0xc0000200, 24 },
		{ 0xc0a80000, 16 }, { 0xc6120000, 15 }, { 0xc6336400, 24 }, { 0xcb007100, 24 },
		{ 0xe0000000, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if ((v >> (32 - priv[i].bits)) == (priv[i].net >> (32 - priv[i].bits)))
			return false;
	return true;
}

static bool
ip_public(const char *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	unsigned char b[16];

	if (inet_pton(AF_INET, ip, b) == 1)
		return ipv4_public(b);
	if (inet_pton(AF_INET6, ip, b) != 1)
		return false;
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return ipv4_public(b + 12);
	return !((b[0] & 0xfe) == 0xfc ||			/* fc00::/7 unique local */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||		/* fe80::/10 link-local */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||		/* fec0::/10 site-local */
	    b[0] == 0xff ||					/* multicast */
	    (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||	/* 2001:db8::/32 */
	    (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) ||	/* 3fff::/20 doc */
	    (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, "\0\0\0\0\0\0", 6) == 0) ||	/* 100::/64 */
	    b[0] == 0);						/* ::/8: ::1, ::, old forms */
}

/* Largest step back in time from an older hop to the next newer one that
 * has a date. */
static long
max_skew(const struct received_hop *h, size_t n)
{
	time_t prev = 0;
	long skew = 0;
	size_t i;

	for (i = n; i-- > 0;) {
		if (h[i].time == 0)
			continue;
		if (prev != 0 && prev - h[i].time > skew)
			skew = (long)(prev - h[i].time);
		prev = h[i].time;
	}
	return skew;
}

struct mime_received *
received_parse(struct mg_arena *a, const struct mime_part *root)
{
	struct mime_received *r;
	size_t i, n = 0;
	bool bad;

	if ((r = mg_arena_zalloc(a, sizeof(*r))) == NULL)
		return NULL;
	for (i = 0; root != NULL && i < root->nheaders; i++)
		n += mg_slice_eq_nocase(root->headers[i].name, "Received");
	if (n == 0)
		return r;
	if ((r->hops = mg_arena_zalloc(a, n * sizeof(*r->hops))) == NULL)
		return NULL;
	for (i = 0; i < root->nheaders; i++) {
		const struct mime_header *f = &root->headers[i];
		const char *v = f->value ? f->value : (const char *)f->raw.ptr;
		size_t len = f->value ? strlen(f->value) : f->raw.len;

		if (!mg_slice_eq_nocase(f->name, "Received"))
			continue;
		if (!parse_field(a, v, len, &r->hops[r->nhops], &bad))
			return NULL;
		r->unparsable |= bad;
		r->nhops++;
	}
	for (i = r->nhops; i-- > 0;)
		if (r->hops[i].from_ip != NULL && ip_public(r->hops[i].from_ip)) {
			r->first_external = &r->hops[i];
			break;
		}
	r->max_skew = max_skew(r->hops, r->nhops);
	return r;
}
