/* Recipient validation (verify.h): the static list, then the cache, then
 * the LDAP directory or the call-out, whichever covers the domain first.
 * The kv keys are "guard:v:ADDRESS" holding "1" (exists) or "0". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/log.h"
#include "guard/verify.h"

#define ADDR_MAX	320		/* local part 64, '@', domain 255 */

/* A lookup in flight: the caller's callback and what to cache. */
struct verify_job {
	struct verify	*v;
	char		 key[KV_KEY_MAX];
	verify_cb	 cb;
	void		*arg;
};

int
verify_static(const struct conf_recipients *c, const char *addr, size_t len)
{
	const char *at = memrchr(addr, '@', len);
	size_t dlen;
	int found = -1;

	if (at == NULL)
		return -1;
	dlen = len - (size_t)(at - addr);		/* "@domain" */
	for (size_t i = 0; i < c->nlisted; i++) {
		const char *e = c->listed[i];
		size_t elen = strlen(e);

		if (elen < dlen || strncasecmp(e + elen - dlen, at, dlen) != 0)
			continue;
		if (elen == dlen || (elen == len && strncasecmp(e, addr, len) == 0))
			return 1;
		found = 0;
	}
	return found;
}

struct verify *
verify_new(struct event_base *base, const struct conf_recipients *c, struct kv *cache,
    const char *helo)
{
	struct verify *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->conf = c;
	v->cache = cache;
	if ((c->ldap.uri != NULL && (v->ldap = verify_ldap_new(base, &c->ldap)) == NULL) ||
	    (c->callout.enabled &&
	    (v->callout = verify_callout_new(base, &c->callout, helo)) == NULL))
		return verify_free(v);
	return v;
}

struct verify *
verify_free(struct verify *v)
{
	if (v == NULL)
		return NULL;
	verify_ldap_free(v->ldap);
	verify_callout_free(v->callout);
	free(v);
	return NULL;
}

static void
set_detail(char *detail, size_t len, const char *text)
{
	if (detail != NULL && len > 0)
		snprintf(detail, len, "%s", text);
}

/* The cached answer for key: KNOWN, UNKNOWN, or UNCHECKED for none. */
static enum verify_result
cache_get(struct verify *v, const char *key)
{
	char val[4];
	size_t n = 0;

	if (kv_get(v->cache, key, strlen(key), val, sizeof(val), &n) != 0 || n != 1)
		return VERIFY_UNCHECKED;
	return val[0] == '1' ? VERIFY_KNOWN : VERIFY_UNKNOWN;
}

static void
cache_put(struct verify *v, const char *key, enum verify_result r)
{
	uint32_t ttl = r == VERIFY_KNOWN ? v->conf->cache_known : v->conf->cache_unknown;
	int rc;

	if (ttl == 0)
		return;
	if ((rc = kv_put(v->cache, key, strlen(key), r == VERIFY_KNOWN ? "1" : "0", 1,
	    ttl)) < 0)
		log_warn("guard kv error=\"%s\" key=verify", mg_strerror(rc));
}

static void
job_done(enum verify_result r, const char *detail, void *arg)
{
	struct verify_job *job = arg;

	if (r == VERIFY_KNOWN || r == VERIFY_UNKNOWN)
		cache_put(job->v, job->key, r);
	job->cb(r, detail, job->arg);
	free(job);
}

/* Starts the method that covers domain: PENDING, or UNCHECKED when none
 * does, or FAILED when it cannot start. */
static enum verify_result
start(struct verify *v, struct verify_job *job, const char *addr, const char *domain,
    const struct conf_route *route, char *detail, size_t len)
{
	const struct conf_recipients *c = v->conf;
	int rc;

	if (v->ldap != NULL && conf_domains_cover(c->ldap.domains, c->ldap.ndomains, domain))
		rc = verify_ldap_lookup(v->ldap, addr, job_done, job);
	else if (v->callout != NULL &&
	    conf_domains_cover(c->callout.domains, c->callout.ndomains, domain))
		rc = verify_callout_lookup(v->callout, route, addr, job_done, job);
	else
		return VERIFY_UNCHECKED;
	if (rc == 0)
		return VERIFY_PENDING;
	snprintf(detail, len, "cannot start the lookup: %s", mg_strerror(rc));
	return VERIFY_FAILED;
}

enum verify_result
verify_rcpt(struct verify *v, const char *addr, const struct conf_route *route,
    verify_cb cb, void *arg, char *detail, size_t len)
{
	const char *at = strrchr(addr, '@');
	struct verify_job *job;
	enum verify_result r;
	char scratch[VERIFY_DETAIL_MAX];

	if (detail == NULL || len == 0) {
		detail = scratch;
		len = sizeof(scratch);
	}
	set_detail(detail, len, "");
	switch (verify_static(v->conf, addr, strlen(addr))) {
	case 1:
		set_detail(detail, len, "static: listed");
		return VERIFY_KNOWN;
	case 0:
		set_detail(detail, len, "static: not listed");
		return VERIFY_UNKNOWN;
	}
	if (at == NULL || strlen(addr) > ADDR_MAX || (v->ldap == NULL && v->callout == NULL))
		return VERIFY_UNCHECKED;
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		set_detail(detail, len, "out of memory");
		return VERIFY_FAILED;
	}
	job->v = v;
	job->cb = cb;
	job->arg = arg;
	snprintf(job->key, sizeof(job->key), "guard:v:%s", addr);
	for (char *p = job->key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((r = cache_get(v, job->key)) != VERIFY_UNCHECKED) {
		set_detail(detail, len, r == VERIFY_KNOWN ? "cache: exists" : "cache: unknown");
		free(job);
		return r;
	}
	if ((r = start(v, job, addr, at + 1, route, detail, len)) != VERIFY_PENDING)
		free(job);
	return r;
}
