/* The remote URL reputation client (cloud.h): answer cache, circuit
 * breaker, the JSON request and response, and one libcurl easy handle per
 * request (no shared handle state between scanning threads). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "intel/cloud.h"

#define CLOUD_WAYS	4		/* entries per cache set */
#define CLOUD_LOCKS	64		/* cache lock stripes */
#define CLOUD_MAX_KEY	4096		/* bytes of the API key file */

struct cloud_entry {
	XXH128_hash_t	 key;
	uint64_t	 expires;	/* clock ns; 0 = empty */
	uint64_t	 used;		/* clock ns of the last hit, for eviction */
	float		 score;
	uint8_t		 category;
	char		 source[CLOUD_MAX_SOURCE];
};

struct cloud {
	char		*url;
	char		*auth;		/* "Authorization: Bearer KEY", or NULL */
	uint32_t	 timeout_ms, max_urls, failures;
	uint64_t	 ttl_ns, open_ns;
	uint64_t	 (*now)(void *);
	void		*now_arg;
	/* cache: nsets sets of CLOUD_WAYS entries, set i locked by locks[i % CLOUD_LOCKS] */
	struct cloud_entry *sets;
	size_t		 nsets;
	pthread_mutex_t	 locks[CLOUD_LOCKS];
	/* breaker */
	pthread_mutex_t	 bmu;
	enum cloud_state state;
	uint32_t	 nfail;		/* consecutive failures while closed */
	uint64_t	 opened_at;
};

static const char *const cloud_names[] = { "unknown", "clean", "phishing", "malware", "spam" };
static const char *const cloud_state_names[] = { "closed", "open", "half-open" };

const char *
cloud_category_name(enum cloud_category c)
{
	return (unsigned)c < sizeof(cloud_names) / sizeof(cloud_names[0]) ?
	    cloud_names[c] : "unknown";
}

static uint64_t
cloud_clock(void *arg)
{
	(void)arg;
	return mg_clock_ns();
}

void
cloud_set_clock(struct cloud *cl, uint64_t (*now)(void *), void *arg)
{
	cl->now = now;
	cl->now_arg = arg;
}

size_t
cloud_max_urls(const struct cloud *cl)
{
	return cl->max_urls;
}

/* cl->auth from the key file: one line of visible ASCII. */
static int
cloud_key(struct cloud *cl, const char *path, char *err, size_t errlen)
{
	char key[CLOUD_MAX_KEY + 2];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "engine.cloud.api_key_file: cannot open %s: %s", path,
		    strerror(errno));
		return -MG_EIO;
	}
	n = fread(key, 1, sizeof(key) - 1, f);
	fclose(f);
	key[n] = '\0';
	while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r'))
		key[--n] = '\0';
	if (n == 0 || n > CLOUD_MAX_KEY || strspn(key, "!\"#$%&'()*+,-./0123456789:;<=>?@"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != n) {
		snprintf(err, errlen, "engine.cloud.api_key_file: %s must hold one line of 1 to "
		    "%d visible ASCII characters", path, CLOUD_MAX_KEY);
		return -MG_EINVAL;
	}
	n += sizeof("Authorization: Bearer ");
	if ((cl->auth = malloc(n)) == NULL)
		return -MG_ENOMEM;
	snprintf(cl->auth, n, "Authorization: Bearer %s", key);
	return 0;
}

static int
cloud_cache_new(struct cloud *cl, const struct conf_cloud *c)
{
	size_t want;

	if (c->cache_ttl == 0 || c->cache_entries == 0)
		return 0;
	want = (c->cache_entries + CLOUD_WAYS - 1) / CLOUD_WAYS;
	for (cl->nsets = 1; cl->nsets < want; cl->nsets <<= 1)
		;
	if ((cl->sets = calloc(cl->nsets * CLOUD_WAYS, sizeof(*cl->sets))) == NULL)
		return -MG_ENOMEM;
	return 0;
}

struct cloud *
cloud_new(const struct conf_cloud *c, char *err, size_t errlen)
{
	struct cloud *cl;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (cl = calloc(1, sizeof(*cl))) == NULL) {
		snprintf(err, errlen, "engine.cloud: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < CLOUD_LOCKS; i++)
		pthread_mutex_init(&cl->locks[i], NULL);
	pthread_mutex_init(&cl->bmu, NULL);
	cl->now = cloud_clock;
	cl->timeout_ms = c->timeout_ms;
	cl->max_urls = c->max_urls;
	cl->failures = c->breaker_failures;
	cl->ttl_ns = (uint64_t)c->cache_ttl * 1000000000u;
	cl->open_ns = (uint64_t)c->breaker_open_seconds * 1000000000u;
	if ((cl->url = strdup(conf_cloud_url(c))) == NULL || cloud_cache_new(cl, c) < 0) {
		snprintf(err, errlen, "engine.cloud: out of memory");
		return cloud_free(cl);
	}
	if (c->api_key_file != NULL && cloud_key(cl, c->api_key_file, err, errlen) < 0)
		return cloud_free(cl);
	return cl;
}

struct cloud *
cloud_free(struct cloud *cl)
{
	if (cl == NULL)
		return NULL;
	for (size_t i = 0; i < CLOUD_LOCKS; i++)
		pthread_mutex_destroy(&cl->locks[i]);
	pthread_mutex_destroy(&cl->bmu);
	free(cl->sets);
	free(cl->url);
	free(cl->auth);
	free(cl);
	curl_global_cleanup();
	return NULL;
}

/* --- cache ------------------------------------------------------------ */

static bool
cloud_cache_get(struct cloud *cl, XXH128_hash_t key, uint64_t now, struct cloud_answer *out)
{
	size_t set = (size_t)key.low64 & (cl->nsets - 1);
	struct cloud_entry *e = &cl->sets[set * CLOUD_WAYS];
	pthread_mutex_t *mu = &cl->locks[set % CLOUD_LOCKS];
	bool hit = false;

	pthread_mutex_lock(mu);
	for (size_t w = 0; w < CLOUD_WAYS && !hit; w++) {
		if (e[w].expires <= now || !XXH128_isEqual(e[w].key, key))
			continue;
		e[w].used = now;
		out->known = hit = true;
		out->category = e[w].category;
		out->score = e[w].score;
		memcpy(out->source, e[w].source, sizeof(out->source));
	}
	pthread_mutex_unlock(mu);
	return hit;
}

/* Stores a into the way holding key, else an empty or expired way, else
 * the least recently used one of its set. */
static void
cloud_cache_put(struct cloud *cl, XXH128_hash_t key, uint64_t now, const struct cloud_answer *a)
{
	size_t set = (size_t)key.low64 & (cl->nsets - 1);
	struct cloud_entry *e = &cl->sets[set * CLOUD_WAYS], *v = &e[0];
	pthread_mutex_t *mu = &cl->locks[set % CLOUD_LOCKS];

	pthread_mutex_lock(mu);
	for (size_t w = 0; w < CLOUD_WAYS; w++) {
		if (XXH128_isEqual(e[w].key, key) || e[w].expires <= now) {
			v = &e[w];
			break;
		}
		if (e[w].used < v->used)
			v = &e[w];
	}
	v->key = key;
	v->expires = now + cl->ttl_ns;
	v->used = now;
	v->category = (uint8_t)a->category;
	v->score = (float)a->score;
	memcpy(v->source, a->source, sizeof(v->source));
	pthread_mutex_unlock(mu);
}

/* --- circuit breaker -------------------------------------------------- */

enum cloud_state
cloud_state(struct cloud *cl)
{
	enum cloud_state s;

	pthread_mutex_lock(&cl->bmu);
	s = cl->state;
	pthread_mutex_unlock(&cl->bmu);
	return s;
}

/* Under bmu. */
static void
cloud_breaker_set(struct cloud *cl, enum cloud_state s, uint64_t now, const char *why)
{
	if (s == CLOUD_OPEN)
		cl->opened_at = now;
	if (s == cl->state)
		return;
	cl->state = s;
	if (s == CLOUD_OPEN)
		log_warn("cloud breaker state=open url=%s reason=\"%s\" failures=%" PRIu32
		    " open_seconds=%" PRIu64, cl->url, why, cl->nfail, cl->open_ns / 1000000000u);
	else
		log_info("cloud breaker state=%s url=%s", cloud_state_names[s], cl->url);
}

/* 0 when a request may go out (*probe: it is the one half-open probe),
 * else -MG_EAGAIN. */
static int
cloud_breaker_admit(struct cloud *cl, uint64_t now, bool *probe)
{
	int rc = 0;

	*probe = false;
	pthread_mutex_lock(&cl->bmu);
	if (cl->state == CLOUD_HALF_OPEN ||
	    (cl->state == CLOUD_OPEN && now - cl->opened_at < cl->open_ns))
		rc = -MG_EAGAIN;
	else if (cl->state == CLOUD_OPEN) {
		cloud_breaker_set(cl, CLOUD_HALF_OPEN, now, NULL);
		*probe = true;
	}
	pthread_mutex_unlock(&cl->bmu);
	return rc;
}

/* The outcome of an admitted request; counted false for a failure that
 * is not the service's (our memory, the caller's short deadline). */
static void
cloud_breaker_report(struct cloud *cl, uint64_t now, int rc, bool probe, bool counted)
{
	pthread_mutex_lock(&cl->bmu);
	if (rc == 0) {
		cl->nfail = 0;
		cloud_breaker_set(cl, CLOUD_CLOSED, now, NULL);
	} else if (probe) {
		cloud_breaker_set(cl, CLOUD_OPEN, now, mg_strerror(rc));
	} else if (counted && cl->state == CLOUD_CLOSED && ++cl->nfail >= cl->failures) {
		cloud_breaker_set(cl, CLOUD_OPEN, now, mg_strerror(rc));
	}
	pthread_mutex_unlock(&cl->bmu);
}

/* --- request and response --------------------------------------------- */

struct cloud_sink {
	struct mg_buf	 buf;
	bool		 over;		/* past CLOUD_MAX_RESPONSE */
};

static size_t
cloud_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cloud_sink *k = arg;

	if (mg_buf_append(&k->buf, p, size * nmemb) < 0) {
		k->over = true;
		return 0;
	}
	return size * nmemb;
}

/* The request's outcome as -MG_E*. */
static int
cloud_result(CURL *h, CURLcode res, const struct cloud_sink *k)
{
	long code = 0;

	if (res == CURLE_OPERATION_TIMEDOUT)
		return -MG_ETIMEOUT;
	if (res == CURLE_OUT_OF_MEMORY)
		return -MG_ENOMEM;
	if (k->over || res == CURLE_FILESIZE_EXCEEDED)
		return -MG_ELIMIT;
	if (res != CURLE_OK) {
		log_debug("cloud request failed error=\"%s\"", curl_easy_strerror(res));
		return -MG_EIO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		log_debug("cloud request failed status=%ld", code);
		return -MG_EIO;
	}
	return 0;
}

/* The request's header fields, or NULL. */
static struct curl_slist *
cloud_headers(const struct cloud *cl)
{
	const char *const fields[] = { "Content-Type: application/json",
		"Accept: application/json", "Expect:", cl->auth };
	struct curl_slist *l = NULL, *t;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i] == NULL)
			continue;
		if ((t = curl_slist_append(l, fields[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

/* POSTs body; the response body into k->buf. */
static int
cloud_post(struct cloud *cl, const char *body, uint64_t timeout_ms, struct cloud_sink *k)
{
	struct curl_slist *hdr;
	CURL *h;
	int rc;

	if ((hdr = cloud_headers(cl)) == NULL)
		return -MG_ENOMEM;
	if ((h = curl_easy_init()) == NULL) {
		curl_slist_free_all(hdr);
		return -MG_ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, cl->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mailgate-cloud/1");
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLOUD_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cloud_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
	rc = cloud_result(h, curl_easy_perform(h), k);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

/* {"urls":[urls[idx[0]], ...]} as a new string, or NULL. */
static char *
cloud_request(const char *const *urls, const size_t *idx, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	char *s = NULL;

	if (root == NULL || arr == NULL || json_object_set(root, "urls", arr) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(urls[idx[i]])) < 0)
			goto out;
	s = json_dumps(root, JSON_COMPACT);
out:
	json_decref(arr);
	json_decref(root);
	return s;
}

/* One element of "results" into a; its url in *url. */
static int
cloud_parse_result(json_t *r, const char **url, struct cloud_answer *a)
{
	json_t *cat = json_object_get(r, "category"), *score = json_object_get(r, "score");
	json_t *src = json_object_get(r, "source");
	size_t i;

	*url = json_string_value(json_object_get(r, "url"));
	if (*url == NULL || !json_is_string(cat))
		return -MG_EPROTO;
	for (i = 0; i < sizeof(cloud_names) / sizeof(cloud_names[0]); i++)
		if (strcmp(json_string_value(cat), cloud_names[i]) == 0)
			break;
	if (i == sizeof(cloud_names) / sizeof(cloud_names[0]))
		return -MG_EPROTO;
	memset(a, 0, sizeof(*a));
	a->known = true;
	a->category = (enum cloud_category)i;
	if (score != NULL && (!json_is_number(score) || json_number_value(score) < 0 ||
	    json_number_value(score) > 1))
		return -MG_EPROTO;
	a->score = score != NULL ? json_number_value(score) : 0;
	if (src != NULL && !json_is_string(src))
		return -MG_EPROTO;
	if (src != NULL)
		snprintf(a->source, sizeof(a->source), "%s", json_string_value(src));
	return 0;
}

/* The response for urls[idx[0..n)] into out[]; a URL the service left
 * out is unknown, one it was not asked about is a protocol error. */
static int
cloud_parse(const struct mg_buf *b, const char *const *urls, const size_t *idx, size_t n,
    struct cloud_answer *out)
{
	struct cloud_answer a;
	json_error_t jerr;
	json_t *root, *res;
	const char *url;
	int rc = 0;

	if ((root = json_loadb((const char *)b->data, b->len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		log_debug("cloud response invalid error=\"%s\"", jerr.text);
		return -MG_EPROTO;
	}
	if (!json_is_object(root) || !json_is_array(res = json_object_get(root, "results")))
		rc = -MG_EPROTO;
	for (size_t r = 0; rc == 0 && r < json_array_size(res); r++) {
		bool matched = false;
		if ((rc = cloud_parse_result(json_array_get(res, r), &url, &a)) < 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (strcmp(urls[idx[i]], url) == 0) {
				out[idx[i]] = a;
				matched = true;
			}
		if (!matched)
			rc = -MG_EPROTO;
	}
	json_decref(root);
	for (size_t i = 0; rc == 0 && i < n; i++)
		out[idx[i]].known = true;	/* left out: CLOUD_UNKNOWN */
	return rc;
}

/* Asks the service about urls[idx[0..n)] within timeout_ms. */
static int
cloud_ask(struct cloud *cl, const char *const *urls, const size_t *idx, size_t n,
    uint64_t timeout_ms, struct cloud_answer *out)
{
	struct cloud_sink k = { .over = false };
	char *body;
	int rc;

	if ((body = cloud_request(urls, idx, n)) == NULL)
		return -MG_ENOMEM;
	mg_buf_init(&k.buf, CLOUD_MAX_RESPONSE);
	if ((rc = cloud_post(cl, body, timeout_ms, &k)) == 0)
		rc = cloud_parse(&k.buf, urls, idx, n, out);
	mg_buf_release(&k.buf);
	free(body);
	if (rc < 0)
		for (size_t i = 0; i < n; i++)
			memset(&out[idx[i]], 0, sizeof(out[idx[i]]));
	return rc;
}

int
cloud_lookup(struct cloud *cl, const char *const *urls, size_t n, uint64_t budget_ms,
    struct cloud_answer *out)
{
	uint64_t now = cl->now(cl->now_arg), timeout = cl->timeout_ms;
	XXH128_hash_t *keys;
	size_t *idx, npend = 0;
	bool probe, limited = false;
	int rc;

	if (n > cl->max_urls)
		return -MG_ELIMIT;
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return 0;
	if ((keys = calloc(n, sizeof(*keys))) == NULL || (idx = calloc(n, sizeof(*idx))) == NULL) {
		free(keys);
		return -MG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i] = XXH3_128bits(urls[i], strlen(urls[i]));
		if (cl->sets == NULL || !cloud_cache_get(cl, keys[i], now, &out[i]))
			idx[npend++] = i;
	}
	if (budget_ms != 0 && budget_ms < timeout) {
		timeout = budget_ms;
		limited = true;
	}
	if (npend == 0)
		rc = 0;
	else if (timeout < CLOUD_MIN_BUDGET_MS)
		rc = -MG_ETIMEOUT;
	else if ((rc = cloud_breaker_admit(cl, now, &probe)) == 0) {
		rc = cloud_ask(cl, urls, idx, npend, timeout, out);
		cloud_breaker_report(cl, cl->now(cl->now_arg), rc, probe,
		    rc != -MG_ENOMEM && !(rc == -MG_ETIMEOUT && limited));
	}
	for (size_t i = 0; rc == 0 && cl->sets != NULL && i < npend; i++)
		cloud_cache_put(cl, keys[idx[i]], now, &out[idx[i]]);
	free(keys);
	free(idx);
	return rc;
}
