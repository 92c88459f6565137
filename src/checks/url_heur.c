/* The unknown-link heuristics (url_heur.h): the check's state built from
 * engine.phish at init, and the per-URL and per-link tests. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uspoof.h>

#include "checks/url_heur.h"
#include "core/err.h"
#include "engine/symbol.h"
#include "intel/lookalike.h"
#include "intel/urldb.h"
#include "mime/html.h"
#include "mime/mime.h"
#include "mime/url.h"

#define HEUR_POLL	64	/* URLs or links between deadline checks */
#define HEUR_SKEL_MAX	256	/* bytes of a confusable skeleton */
#define HEUR_LABEL_MAX	64	/* bytes of a label compared by edit distance */
#define HEUR_EDIT_MIN	6	/* shortest name compared by edit distance */
#define HEUR_REDIR_MAX	65536	/* entries of the redirector file */
#define HEUR_LINE_MAX	512

static const struct symbol_def heur_symbols[] = {
	{ "URL_IP_LITERAL", 1.5, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL's host is an IP address (option: host)" },
	{ "URL_NUMERIC_IP", 3.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL's host is a decimal, hex or octal IPv4 address (option: host)" },
	{ "URL_USERINFO_TRICK", 4.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL's user name looks like a domain (option: userinfo -> host)" },
	{ "URL_DATA", 2.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a link goes to a data: URL (option: its start)" },
	{ "URL_JAVASCRIPT", 0.5, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a link goes to a javascript: URL (option: its start)" },
	{ "URL_TEXT_MISMATCH", 2.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a link's text shows another domain than its href (option: text -> href)" },
	{ "URL_LOOKALIKE", 4.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL's domain looks like a protected domain or a brand (option: host ~ name)" },
	{ "URL_PUNYCODE_BRAND", 4.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "an internationalised host spells a brand in look-alike letters (option: host ~ name)" },
	{ "URL_BRAND_SUBDOMAIN", 3.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a brand or protected name is a subdomain of another domain (option: host)" },
	{ "URL_DEEP_SUBDOMAIN", 0.5, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL's host has many labels before its registrable domain (option: host)" },
	{ "URL_LOGIN_PATH", 0.5, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "login or account words in the path of a non-brand domain (option: host)" },
	{ "URL_SHORTENER", 0.5, MG_CAT_SPAM, MG_VERDICT_ACCEPT,
	  "a URL goes through a URL shortener (option: host)" },
	{ "URL_REDIRECTOR", 0.5, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL goes through an open redirector (option: host)" },
	{ "URL_FREE_HOSTING", 1.0, MG_CAT_PHISHING, MG_VERDICT_ACCEPT,
	  "a URL is on a free hosting or shared platform (option: host)" },
	{ "URL_HEUR_FAIL", 0.0, MG_CAT_CLEAN, MG_VERDICT_ACCEPT,
	  "the url_heur check failed or timed out" },
};

static const char *const heur_login_words[] = { "login", "logon", "signin", "verify",
	"account", "secure", "update", "wallet", "password", "webscr", NULL };

enum { REDIR_NONE, REDIR_SHORTENER, REDIR_REDIRECTOR };

/* A protected domain or a brand: its registrable label and skeleton. */
struct heur_name {
	char		*name;		/* "example.com" or "paypal" */
	char		*label;		/* "example", "paypal" */
	char		 skel[HEUR_SKEL_MAX];
};

struct heur_redir {
	char		*host;
	char		*path;		/* "/url" or NULL */
	int		 kind;
};

struct heur {
	USpoofChecker	*spoof;
	struct heur_name *names;
	size_t		 nnames;
	char		**free;
	size_t		 nfree;
	struct heur_redir *redir;
	size_t		 nredir;
	unsigned	 distance, deep;
};

static int
heur_add_name(struct heur *h, const char *name)
{
	struct heur_name *e = &h->names[h->nnames];
	const char *dom = strchr(name, '.') != NULL ? url_registrable_domain(name) : name;
	size_t n;

	if (dom == NULL)
		dom = name;
	n = strcspn(dom, ".");
	if ((e->name = strdup(name)) == NULL || (e->label = strndup(dom, n)) == NULL) {
		free(e->name);
		return -MG_ENOMEM;
	}
	lookalike_skeleton(h->spoof, e->label, e->skel, sizeof(e->skel));
	h->nnames++;
	return 0;
}

static int
heur_names(struct heur *h, const struct mg_conf *conf)
{
	const struct conf_phish *c = &conf->engine.phish;
	size_t nb = 0, np = c->protected != NULL ? c->nprotected : conf->nroutes;
	int rc = 0;

	if (c->brands == NULL)
		while (conf_phish_brands_default[nb] != NULL)
			nb++;
	else
		nb = c->nbrands;
	if ((h->names = calloc(nb + np + 1, sizeof(*h->names))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < np && rc == 0; i++) {
		const char *d = c->protected != NULL ? c->protected[i] : conf->routes[i].domain;
		if (d != NULL)
			rc = heur_add_name(h, d);
	}
	for (size_t i = 0; i < nb && rc == 0; i++)
		rc = heur_add_name(h, c->brands == NULL ? conf_phish_brands_default[i] :
		    c->brands[i]);
	return rc;
}

/* One line "HOST[/PATH] KIND" of the redirector file; 0 or a reason. */
static const char *
heur_redir_line(struct heur *h, char *line)
{
	char *host = strtok(line, " \t\r\n"), *kind = strtok(NULL, " \t\r\n"), *slash;
	struct heur_redir *r = &h->redir[h->nredir];

	if (host == NULL || host[0] == '#')
		return NULL;
	if (kind == NULL || strtok(NULL, " \t\r\n") != NULL)
		return "want HOST[/PATH] shortener|redirector";
	if (strcmp(kind, "shortener") == 0)
		r->kind = REDIR_SHORTENER;
	else if (strcmp(kind, "redirector") == 0)
		r->kind = REDIR_REDIRECTOR;
	else
		return "the kind is shortener or redirector";
	if (h->nredir >= HEUR_REDIR_MAX)
		return "too many entries";
	for (char *p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((slash = strchr(host, '/')) != NULL && (r->path = strdup(slash)) == NULL)
		return "out of memory";
	if (slash != NULL)
		*slash = '\0';
	if ((r->host = strdup(host)) == NULL)
		return "out of memory";
	h->nredir++;
	return NULL;
}

static int
heur_redirectors(struct heur *h, const char *path, char *err, size_t errlen)
{
	char line[HEUR_LINE_MAX];
	const char *why = NULL;
	unsigned lineno = 0;
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -MG_ENOENT;
	}
	if ((h->redir = calloc(HEUR_REDIR_MAX, sizeof(*h->redir))) == NULL) {
		fclose(f);
		return -MG_ENOMEM;
	}
	while (why == NULL && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		why = heur_redir_line(h, line);
	}
	fclose(f);
	if (why != NULL) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		return -MG_EINVAL;
	}
	return 0;
}

/* Whether host is name or one of its subdomains. */
static bool
heur_host_under(const char *host, const char *name)
{
	size_t hl = strlen(host), nl = strlen(name);

	if (hl == nl)
		return strcmp(host, name) == 0;
	return hl > nl && host[hl - nl - 1] == '.' && strcmp(host + hl - nl, name) == 0;
}

/* The kind of the redirector entry matching host and path (path NULL:
 * any entry of the host). */
static int
heur_redirector(const struct heur *h, const char *host, const char *path)
{
	for (size_t i = 0; i < h->nredir; i++) {
		const struct heur_redir *r = &h->redir[i];
		size_t n;
		if (!heur_host_under(host, r->host))
			continue;
		if (r->path == NULL || path == NULL)
			return r->kind;
		n = strlen(r->path);
		if (strncmp(path, r->path, n) == 0 && !isalnum((unsigned char)path[n]))
			return r->kind;
	}
	return REDIR_NONE;
}

static int
heur_free_hosting(struct heur *h, const struct conf_phish *c)
{
	const char *const *list = c->free_hosting != NULL ? (const char *const *)c->free_hosting :
	    urldb_shared_default;
	size_t n = 0;

	while (c->free_hosting != NULL ? n < c->nfree_hosting : list[n] != NULL)
		n++;
	if ((h->free = calloc(n + 1, sizeof(char *))) == NULL)
		return -MG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* the built-in platforms include shorteners: they have their own symbol */
		if (heur_redirector(h, list[i], NULL) != REDIR_NONE)
			continue;
		if ((h->free[h->nfree] = strdup(list[i])) == NULL)
			return -MG_ENOMEM;
		h->nfree++;
	}
	return 0;
}

static void
url_heur_fini(void *state)
{
	struct heur *h = state;

	if (h == NULL)
		return;
	if (h->spoof != NULL)
		uspoof_close(h->spoof);
	for (size_t i = 0; i < h->nnames; i++) {
		free(h->names[i].name);
		free(h->names[i].label);
	}
	for (size_t i = 0; i < h->nredir; i++) {
		free(h->redir[i].host);
		free(h->redir[i].path);
	}
	for (size_t i = 0; i < h->nfree; i++)
		free(h->free[i]);
	free(h->names);
	free(h->redir);
	free(h->free);
	free(h);
}

static int
url_heur_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_phish *c = &conf->engine.phish;
	UErrorCode st = U_ZERO_ERROR;
	struct heur *h;
	int rc;

	if ((*state = h = calloc(1, sizeof(*h))) == NULL)
		return -MG_ENOMEM;
	h->distance = c->lookalike_distance;
	h->deep = c->deep_subdomains;
	h->spoof = uspoof_open(&st);
	if (U_FAILURE(st)) {
		snprintf(err, errlen, "ICU uspoof_open: %s", u_errorName(st));
		url_heur_fini(h);
		*state = NULL;
		return -MG_EINVAL;
	}
	if ((rc = heur_names(h, conf)) < 0 ||
	    (rc = heur_redirectors(h, c->redirectors, err, errlen)) < 0 ||
	    (rc = heur_free_hosting(h, c)) < 0) {
		url_heur_fini(h);
		*state = NULL;
		return rc;
	}
	return 0;
}

/* What the name tests need of one URL's host. */
struct heur_host {
	const char	*host;		/* ASCII */
	const char	*domain;	/* registrable */
	char		 label[HEUR_LABEL_MAX + 1];	/* registrable label, ASCII */
	char		 ulabel[HEUR_SKEL_MAX];	/* the same, Unicode */
	size_t		 sublen;	/* bytes of host before the domain, dot excluded */
	const struct heur_name *own;	/* the name whose label it is, or NULL */
};

/* Label k (0 = leftmost) of s into out; false if there is none or it is too long. */
static bool
heur_label_at(const char *s, size_t k, char *out, size_t outlen)
{
	size_t n;

	for (; k > 0 && s != NULL; k--)
		if ((s = strchr(s, '.')) != NULL)
			s++;
	if (s == NULL || (n = strcspn(s, ".")) >= outlen)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static size_t
heur_nlabels(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		n += *s == '.';
	return n;
}

static bool
heur_host_of(const struct heur *h, const struct mime_url *u, struct heur_host *hh)
{
	size_t hl, dl;

	memset(hh, 0, sizeof(*hh));
	if (u->host == NULL || u->host[0] == '\0' || u->domain == NULL ||
	    (u->flags & URL_F_IP_LITERAL) || (hl = strlen(u->host)) < (dl = strlen(u->domain)))
		return false;
	hh->host = u->host;
	hh->domain = u->domain;
	hh->sublen = hl > dl ? hl - dl - 1 : 0;
	if (!heur_label_at(u->domain, 0, hh->label, sizeof(hh->label)))
		return false;
	if (u->host_unicode == NULL || !heur_label_at(u->host_unicode,
	    heur_nlabels(u->host) - heur_nlabels(u->domain), hh->ulabel, sizeof(hh->ulabel)))
		snprintf(hh->ulabel, sizeof(hh->ulabel), "%s", hh->label);
	for (size_t i = 0; i < h->nnames; i++)
		if (strcmp(hh->label, h->names[i].label) == 0)
			hh->own = &h->names[i];
	return true;
}

/* URL_LOOKALIKE and URL_PUNYCODE_BRAND. */
static int
heur_lookalike(const struct heur *h, struct mg_task *t, const struct mime_url *u,
    const struct heur_host *hh)
{
	char skel[HEUR_SKEL_MAX], hskel[HEUR_SKEL_MAX], opt[TASK_MAX_OPTION_LEN];
	bool idn = (u->flags & (URL_F_PUNYCODE | URL_F_IDN)) != 0;

	if (hh->own != NULL || !lookalike_skeleton(h->spoof, hh->ulabel, skel, sizeof(skel)))
		return 0;
	if (idn && !lookalike_skeleton(h->spoof, u->host_unicode, hskel, sizeof(hskel)))
		hskel[0] = '\0';
	for (size_t i = 0; i < h->nnames; i++) {
		const struct heur_name *nm = &h->names[i];
		bool near = strlen(nm->label) >= HEUR_EDIT_MIN && h->distance > 0 &&
		    lookalike_distance(hh->label, nm->label, h->distance) <= h->distance;
		const char *sym = NULL;
		if (near || (nm->skel[0] != '\0' && strcmp(skel, nm->skel) == 0))
			sym = "URL_LOOKALIKE";
		else if (idn && nm->skel[0] != '\0' && strstr(hskel, nm->skel) != NULL)
			sym = "URL_PUNYCODE_BRAND";
		if (sym == NULL)
			continue;
		snprintf(opt, sizeof(opt), "%s ~ %s", idn ? u->host_unicode : u->host, nm->name);
		return mg_task_symbol(t, sym, opt);
	}
	return 0;
}

/* Whether the subdomain part names a brand or protected label the way
 * phishing hosts do: as a label followed by a top-level label
 * ("paypal.com.x.example"), or as a '-' word of a longer label
 * ("paypal-login.x.example"); a bare label ("apple.slashdot.org") is a
 * site's section, not a disguise. The host's own domain is not one. */
static bool
heur_brand_sub(const struct heur *h, const struct heur_host *hh)
{
	const char *p = hh->host, *end = hh->host + hh->sublen;

	if (hh->own != NULL)
		return false;
	while (p < end) {
		size_t n = strcspn(p, ".-"), lab = strcspn(p, ".");
		const char *next = p + lab + 1;
		bool word = n < lab || (p > hh->host && p[-1] == '-');
		bool tld = next < end && url_known_tld(next, strcspn(next, "."));
		if (p + n > end)
			n = (size_t)(end - p);
		for (size_t i = 0; (word || tld) && i < h->nnames; i++)
			if (strlen(h->names[i].label) == n &&
			    strncmp(p, h->names[i].label, n) == 0)
				return true;
		p += n + 1;
	}
	return false;
}

/* Whether a word of path (split at non-alphanumerics) is a login word. */
static bool
heur_login_path(const char *path)
{
	char w[16];

	while (path != NULL && *path != '\0') {
		size_t n = 0;
		while (*path != '\0' && !isalnum((unsigned char)*path))
			path++;
		while (isalnum((unsigned char)path[n]))
			n++;
		if (n > 0 && n < sizeof(w)) {
			for (size_t i = 0; i < n; i++)
				w[i] = (char)tolower((unsigned char)path[i]);
			w[n] = '\0';
			for (size_t i = 0; heur_login_words[i] != NULL; i++)
				if (strcmp(w, heur_login_words[i]) == 0)
					return true;
		}
		path += n;
	}
	return false;
}

/* The user name of u when it looks like a domain (a dot and a known
 * top-level label), into out. */
static bool
heur_userinfo(const struct mime_url *u, char *out, size_t outlen)
{
	const char *p = strstr(u->raw, "://"), *at, *end, *dot;
	size_t n;

	if (!(u->flags & URL_F_USERINFO) || p == NULL)
		return false;
	p += 3;
	end = p + strcspn(p, "/?#\\");
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	if (at == p || (n = strcspn(p, ":@")) == 0 || n >= outlen)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if ((dot = strrchr(out, '.')) == NULL)
		return false;
	return url_known_tld(dot + 1, strlen(dot + 1));
}

static bool
heur_web(const struct mime_url *u)
{
	return u->scheme != NULL && (strcmp(u->scheme, "http") == 0 ||
	    strcmp(u->scheme, "https") == 0);
}

/* The tests on the names of one web URL. */
static int
heur_names_of(const struct heur *h, struct mg_task *t, const struct mime_url *u,
    const char *sender)
{
	struct heur_host hh;
	int rc = 0, kind;

	if (!heur_host_of(h, u, &hh))
		return 0;
	kind = heur_redirector(h, u->host, u->path != NULL ? u->path : "");
	if (kind == REDIR_SHORTENER)
		rc = mg_task_symbol(t, "URL_SHORTENER", u->host);
	else if (kind == REDIR_REDIRECTOR)
		rc = mg_task_symbol(t, "URL_REDIRECTOR", u->host);
	for (size_t i = 0; rc == 0 && i < h->nfree; i++)
		if (heur_host_under(u->host, h->free[i]))
			rc = mg_task_symbol(t, "URL_FREE_HOSTING", u->host);
	if (rc == 0)
		rc = heur_lookalike(h, t, u, &hh);
	if (rc == 0 && heur_brand_sub(h, &hh))
		rc = mg_task_symbol(t, "URL_BRAND_SUBDOMAIN", u->host);
	if (rc == 0 && hh.sublen > 0 && heur_nlabels(u->host) - heur_nlabels(u->domain) >= h->deep)
		rc = mg_task_symbol(t, "URL_DEEP_SUBDOMAIN", u->host);
	if (rc == 0 && hh.own == NULL && kind == REDIR_NONE &&
	    (sender == NULL || strcmp(sender, u->domain) != 0) && heur_login_path(u->path))
		rc = mg_task_symbol(t, "URL_LOGIN_PATH", u->host);
	return rc;
}

static int
heur_url(const struct heur *h, struct mg_task *t, const struct mime_url *u, const char *sender)
{
	char opt[TASK_MAX_OPTION_LEN], user[HEUR_LINE_MAX];
	int rc = 0;

	if (u->flags & URL_F_NUMERIC_IP)
		rc = mg_task_symbol(t, "URL_NUMERIC_IP", u->host);
	else if (u->flags & URL_F_IP_LITERAL)
		rc = mg_task_symbol(t, "URL_IP_LITERAL", u->host);
	if (rc == 0 && heur_userinfo(u, user, sizeof(user))) {
		snprintf(opt, sizeof(opt), "%s -> %s", user, u->host);
		rc = mg_task_symbol(t, "URL_USERINFO_TRICK", opt);
	}
	if (rc == 0 && heur_web(u))
		rc = heur_names_of(h, t, u, sender);
	return rc;
}

struct heur_text {
	struct mg_arena	*arena;
	struct mime_url	 url;
	bool		 found;
};

static int
heur_text_url(const char *raw, size_t len, unsigned flags, void *arg)
{
	struct heur_text *x = arg;

	if (url_normalize(x->arena, raw, len, flags, &x->url) < 0 || x->url.domain == NULL ||
	    x->url.domain[0] == '\0')
		return 0;
	x->found = true;
	return 1;
}

/* URL_DATA, URL_JAVASCRIPT and URL_TEXT_MISMATCH of one link. */
static int
heur_link(const struct heur *h, struct mg_task *t, const struct html_link *l,
    const char *sender)
{
	struct heur_text x = { .arena = t->arena };
	char opt[TASK_MAX_OPTION_LEN];
	struct mime_url hu;
	const char *href = l->href;

	while (href != NULL && isspace((unsigned char)*href))
		href++;
	if (href == NULL || *href == '\0')
		return 0;
	snprintf(opt, sizeof(opt), "%.40s", href);
	if (strncasecmp(href, "data:", 5) == 0)
		return mg_task_symbol(t, "URL_DATA", opt);
	if (strncasecmp(href, "javascript:", 11) == 0)
		return mg_task_symbol(t, "URL_JAVASCRIPT", opt);
	if (l->text == NULL || l->text[0] == '\0' ||
	    url_normalize(t->arena, href, strnlen(href, URL_MAX_LEN), URL_F_FROM_HTML, &hu) < 0 ||
	    !heur_web(&hu) || hu.domain == NULL || hu.domain[0] == '\0' ||
	    heur_redirector(h, hu.host, hu.path != NULL ? hu.path : "") != REDIR_NONE ||
	    (sender != NULL && strcmp(sender, hu.domain) == 0))
		return 0;
	if (url_extract_text(l->text, strnlen(l->text, URL_MAX_LEN), 1, heur_text_url, &x) < 0 ||
	    !x.found || strcmp(x.url.domain, hu.domain) == 0)
		return 0;
	snprintf(opt, sizeof(opt), "%s -> %s", x.url.domain, hu.domain);
	return mg_task_symbol(t, "URL_TEXT_MISMATCH", opt);
}

/* The registrable domain of the From address, in the arena, or NULL. */
static const char *
heur_sender(struct mg_task *t)
{
	const struct mime_header *f = mime_header_find(t->msg->root, "From");
	const char *at, *d;
	char dom[256];
	size_t n;

	if (f == NULL || f->value == NULL || (at = strrchr(f->value, '@')) == NULL)
		return NULL;
	at++;
	n = strspn(at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	if (n == 0 || n >= sizeof(dom))
		return NULL;
	for (size_t i = 0; i < n; i++)
		dom[i] = (char)tolower((unsigned char)at[i]);
	dom[n] = '\0';
	if ((d = url_registrable_domain(dom)) == NULL)
		d = dom;
	return mg_arena_strndup(t->arena, d, strlen(d));
}

static int
url_heur_scan(void *state, struct mg_task *t)
{
	const struct heur *h = state;
	const struct mime_msg *m = t->msg;
	const char *sender;
	size_t k = 0;
	int rc = 0;

	if (h == NULL || m == NULL)
		return 0;
	sender = m->root != NULL ? heur_sender(t) : NULL;
	for (size_t i = 0; i < m->nurls && rc == 0; i++, k++) {
		if (k % HEUR_POLL == HEUR_POLL - 1 && mg_task_expired(t))
			return -MG_ETIMEOUT;
		rc = heur_url(h, t, &m->urls[i], sender);
	}
	for (size_t i = 0; i < m->nparts && rc == 0; i++) {
		const struct mime_html *html = m->parts[i]->html;
		for (size_t j = 0; html != NULL && j < html->nlinks && rc == 0; j++, k++) {
			if (k % HEUR_POLL == HEUR_POLL - 1 && mg_task_expired(t))
				return -MG_ETIMEOUT;
			rc = heur_link(h, t, &html->links[j], sender);
		}
	}
	return rc;
}

CHECK_SYMBOLS_HOOK(url_heur_symbols, heur_symbols)

const struct mg_check check_url_heur = {
	.name = "url_heur",
	.init = url_heur_init,
	.scan = url_heur_scan,
	.fini = url_heur_fini,
	.symbols = url_heur_symbols,
};
