/* The landing-page check (landing.h): picks the suspicious links, asks
 * the fetch worker for them within the check's deadline, caches each
 * URL's findings for engine.landing.cache_ttl, and turns them into
 * symbols. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/landing.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "fetch/analyze.h"
#include "fetch/fetch.h"
#include "mime/url.h"

#define LANDING_CACHE_SLOTS	256

static const struct symbol_def landing_symbols[] = {
	CHECK_SYMBOL("LANDING_PASSWORD_FORM", 3.0, PHISHING, ACCEPT,
	    "a suspicious link's page asks for a password (option: host)"),
	CHECK_SYMBOL("LANDING_BRAND_MISMATCH", 4.0, PHISHING, ACCEPT,
	    "a suspicious link's page shows a brand that is not its domain's (option: host ~ brand)"),
	CHECK_SYMBOL("LANDING_CREDENTIAL_PHISH", 2.0, PHISHING, QUARANTINE,
	    "a suspicious link's page asks for a password under another brand (option: host ~ brand)"),
	CHECK_SYMBOL("LANDING_FORM_OFFSITE", 2.0, PHISHING, ACCEPT,
	    "a suspicious link's page posts a form to another site (option: host -> form host)"),
	CHECK_SYMBOL("LANDING_REDIRECT_OFFSITE", 1.0, PHISHING, ACCEPT,
	    "a suspicious link's page redirects by meta refresh or script (option: host -> target)"),
	CHECK_SYMBOL("LANDING_FAIL", 0.0, CLEAN, ACCEPT,
	    "the landing check failed: fetch worker lost, not started or out of time"),
};

/* Symbols of the URL checks that make a link worth fetching; their
 * options name the link's host ("host", "host ~ brand", "x -> host"). */
static const char *const landing_suspicious[] = { "URL_TEXT_MISMATCH", "URL_LOOKALIKE",
	"URL_PUNYCODE_BRAND", "URL_BRAND_SUBDOMAIN", "URL_LOGIN_PATH", "URL_FREE_HOSTING",
	"URL_USERINFO_TRICK", "URL_IP_LITERAL", "URL_NUMERIC_IP", "URL_DEEP_SUBDOMAIN",
	"QR_URL", NULL };
/* Feed symbols ("host (source)"): a listed link needs no fetch. */
static const char *const landing_listed[] = { "URL_FEED_PHISHING", "URL_FEED_MALWARE",
	"URL_FEED_SPAM", NULL };

struct cache_slot {
	char		*url;
	uint64_t	 expires;	/* mg_clock_ns */
	struct landing_report rep;
	char		 host[LANDING_HOST_MAX];	/* of the final URL */
};

struct landing {
	struct fetch_client *client;
	struct fetch_limits lim;
	char		*ua;
	uint32_t	 max_urls;
	uint64_t	 ttl_ns;
	char		**brands;
	size_t		 nbrands;
	pthread_mutex_t	 lock;		/* the cache */
	struct cache_slot cache[LANDING_CACHE_SLOTS];
	size_t		 next;		/* slot replaced next */
};

static void
landing_fini(void *arg)
{
	struct landing *l = arg;

	if (l == NULL)
		return;
	l->client = fetch_client_free(l->client);
	for (size_t i = 0; i < LANDING_CACHE_SLOTS; i++)
		free(l->cache[i].url);
	for (size_t i = 0; i < l->nbrands; i++)
		free(l->brands[i]);
	free(l->brands);
	free(l->ua);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int
landing_brands(struct landing *l, const struct conf_phish *p)
{
	const char *const *src = p->brands != NULL ? (const char *const *)p->brands :
	    conf_phish_brands_default;
	size_t n = 0;

	if (p->brands != NULL)
		n = p->nbrands;
	else
		while (src[n] != NULL)
			n++;
	if ((l->brands = calloc(n + 1, sizeof(*l->brands))) == NULL)
		return -MG_ENOMEM;
	for (; l->nbrands < n; l->nbrands++)
		if ((l->brands[l->nbrands] = strdup(src[l->nbrands])) == NULL)
			return -MG_ENOMEM;
	return 0;
}

static int
landing_init(const struct mg_conf *conf, void **state, char *err, size_t errlen)
{
	const struct conf_landing *c = &conf->engine.landing;
	struct landing *l;

	*state = NULL;
	if (!c->enabled)
		return 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -MG_ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	l->lim = (struct fetch_limits){ .max_bytes = c->max_bytes, .timeout_ms = c->timeout_ms,
		.max_redirects = c->max_redirects, .allow_private = c->allow_private };
	l->max_urls = c->max_urls;
	l->ttl_ns = (uint64_t)c->cache_ttl * 1000000000u;
	if ((c->user_agent != NULL && (l->ua = strdup(c->user_agent)) == NULL) ||
	    landing_brands(l, &conf->engine.phish) < 0 ||
	    (l->client = fetch_client_new(c->fetcher)) == NULL) {
		snprintf(err, errlen, "out of memory");
		landing_fini(l);
		return -MG_ENOMEM;
	}
	l->lim.user_agent = l->ua;
	*state = l;
	return 0;
}

/* Whether opt is "head" + sep + ... */
static bool
starts_as(const char *opt, const char *head, const char *sep)
{
	size_t n = strlen(head);

	return n > 0 && strncmp(opt, head, n) == 0 && strncmp(opt + n, sep, strlen(sep)) == 0;
}

/* Whether opt is ... + sep + "tail". */
static bool
ends_as(const char *opt, const char *sep, const char *tail)
{
	size_t ol = strlen(opt), tl = strlen(tail), sl = strlen(sep);

	return tl > 0 && ol >= tl + sl && strcmp(opt + ol - tl, tail) == 0 &&
	    strncmp(opt + ol - tl - sl, sep, sl) == 0;
}

/* Whether a symbol option names the link u: "host", "host ~ brand",
 * "host (source)", "x -> host", "x -> domain" or "name: url". */
static bool
option_names(const char *opt, const struct mime_url *u)
{
	if (u->host[0] == '\0')
		return false;
	return strcmp(opt, u->host) == 0 || starts_as(opt, u->host, " ~ ") ||
	    starts_as(opt, u->host, " (") ||
	    (u->host_unicode != NULL && starts_as(opt, u->host_unicode, " ~ ")) ||
	    ends_as(opt, " -> ", u->host) ||
	    (u->domain != NULL && ends_as(opt, " -> ", u->domain)) ||
	    ends_as(opt, ": ", u->url);
}

/* Whether any of the symbols fired with an option naming u. */
static bool
named_by(const struct mg_task *t, const char *const *names, const struct mime_url *u)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		const struct task_symbol *s = mg_task_symbol_get(t, names[i]);
		for (size_t k = 0; s != NULL && k < s->noptions; k++)
			if (s->options[k] != NULL && option_names(s->options[k], u))
				return true;
	}
	return false;
}

static bool
cache_get(struct landing *l, const char *url, struct cache_slot *out)
{
	uint64_t now = mg_clock_ns();
	bool hit = false;

	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < LANDING_CACHE_SLOTS && !hit; i++) {
		const struct cache_slot *s = &l->cache[i];
		if (s->url != NULL && s->expires > now && strcmp(s->url, url) == 0) {
			out->rep = s->rep;
			memcpy(out->host, s->host, sizeof(out->host));
			hit = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return hit;
}

static void
cache_put(struct landing *l, const char *url, const struct cache_slot *v)
{
	struct cache_slot *s;
	char *copy;

	if (l->ttl_ns == 0 || (copy = strdup(url)) == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	s = &l->cache[l->next];
	l->next = (l->next + 1) % LANDING_CACHE_SLOTS;
	free(s->url);
	s->url = copy;
	s->expires = mg_clock_ns() + l->ttl_ns;
	s->rep = v->rep;
	memcpy(s->host, v->host, sizeof(s->host));
	pthread_mutex_unlock(&l->lock);
}

/* Fetches and analyses one link into v; 0, or -MG_E* when the worker
 * could not answer (the link's findings then stay unknown). */
static int
landing_fetch(struct landing *l, struct mg_task *t, const struct mime_url *u,
    struct cache_slot *v)
{
	struct fetch_result res;
	struct mime_url fu;
	int rc;

	memset(v, 0, sizeof(*v));
	snprintf(v->host, sizeof(v->host), "%s", u->host);
	if ((rc = fetch_client_get(l->client, u->url, &l->lim, t->check_deadline, &res)) < 0)
		return rc;
	log_info("landing fetch url=%s status=%s code=%u redirects=%zu bytes=%zu%s",
	    u->url, fetch_status_name(res.status), res.http_code, res.nchain, res.body_len,
	    res.truncated ? " truncated=yes" : "");
	if (res.status == FETCH_OK && res.http_code >= 200 && res.http_code < 300 &&
	    res.body_len > 0 && url_normalize(t->arena, res.final_url,
	    strlen(res.final_url), 0, &fu) == 0 && fu.host[0] != '\0') {
		snprintf(v->host, sizeof(v->host), "%s", fu.host);
		landing_analyze((const char *)res.body, res.body_len, fu.host,
		    (const char *const *)l->brands, l->nbrands, &v->rep);
	}
	fetch_result_clear(&res);
	cache_put(l, u->url, v);
	return 0;
}

static int
landing_report_symbols(struct mg_task *t, const struct cache_slot *v)
{
	const struct landing_report *r = &v->rep;
	char opt[TASK_MAX_OPTION_LEN];
	int rc = 0;

	if (r->flags & LANDING_F_PASSWORD)
		rc = mg_task_symbol(t, "LANDING_PASSWORD_FORM", v->host);
	snprintf(opt, sizeof(opt), "%s ~ %s", v->host, r->brand);
	if (rc == 0 && (r->flags & LANDING_F_BRAND))
		rc = mg_task_symbol(t, "LANDING_BRAND_MISMATCH", opt);
	if (rc == 0 && (r->flags & LANDING_F_BRAND) && (r->flags & LANDING_F_PASSWORD))
		rc = mg_task_symbol(t, "LANDING_CREDENTIAL_PHISH", opt);
	snprintf(opt, sizeof(opt), "%s -> %s", v->host, r->form_host);
	if (rc == 0 && (r->flags & LANDING_F_FORM_OFFSITE))
		rc = mg_task_symbol(t, "LANDING_FORM_OFFSITE", opt);
	snprintf(opt, sizeof(opt), "%s -> %s", v->host, r->redirect_host);
	if (rc == 0 && (r->flags & LANDING_F_REDIRECT))
		rc = mg_task_symbol(t, "LANDING_REDIRECT_OFFSITE", opt);
	return rc;
}

static bool
landing_web(const struct mime_url *u)
{
	return u->scheme != NULL && (strcmp(u->scheme, "http") == 0 ||
	    strcmp(u->scheme, "https") == 0) && u->host != NULL && u->host[0] != '\0';
}

static int
landing_scan(void *state, struct mg_task *t)
{
	struct landing *l = state;
	const struct mime_msg *m = t->msg;
	struct cache_slot v;
	uint32_t n = 0;
	int rc;

	if (l == NULL || m == NULL)
		return 0;
	for (size_t i = 0; i < m->nurls && n < l->max_urls; i++) {
		const struct mime_url *u = &m->urls[i];
		if (!landing_web(u) || strlen(u->url) > FETCH_URL_MAX ||
		    !named_by(t, landing_suspicious, u) ||
		    named_by(t, landing_listed, u))
			continue;
		n++;
		if (mg_task_expired(t))
			return -MG_ETIMEOUT;
		if (!cache_get(l, u->url, &v) && (rc = landing_fetch(l, t, u, &v)) < 0) {
			if (rc == -MG_ENOMEM)
				return rc;
			return mg_task_symbol(t, "LANDING_FAIL", mg_strerror(rc));
		}
		if ((rc = landing_report_symbols(t, &v)) < 0)
			return rc;
	}
	return 0;
}

CHECK_SYMBOLS_HOOK(landing_defs, landing_symbols)

const struct mg_check check_landing = {
	.name = "landing",
	.init = landing_init,
	.scan = landing_scan,
	.fini = landing_fini,
	.symbols = landing_defs,
};
