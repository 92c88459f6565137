/* The protections of guard.h: GCRA token buckets and greylisting triplets
 * stored in the kv (decimal text, so that a Redis kv can follow), the
 * concurrent-connection counter, static recipient validation, and the
 * checks of each SMTP stage with their replies and counters. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "guard/guard.h"

#define CONN_TTL	86400		/* s: a leaked slot count is forgotten */
#define SENDER_MAX	320		/* bytes of a sender or recipient in a key */

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

const char *const guard_reason_names[] = { "pass", "conn_limit", "conn_rate_ip",
	"conn_rate_net", "msg_rate_ip", "msg_rate_sender", "rcpt_rate_ip",
	"unknown_rcpt", "unknown_limit", "greylisted", "pregreet", "pregreet_listed",
	"pipelining", "idle_commands", "dnsbl", "rdns", "msg_rate_rcpt_domain",
	"msg_rate_user", "auth_failures", NULL };

/* The integer stored at key: 0, -MG_ENOENT, or -MG_EPROTO. */
static int
kv_get_u64(struct kv *kv, const char *key, uint64_t *out)
{
	char text[32], *end;
	size_t len;
	int rc = kv_get(kv, key, strlen(key), text, sizeof(text) - 1, &len);

	if (rc == -MG_ELIMIT)
		return -MG_EPROTO;
	if (rc < 0)
		return rc;
	text[len] = '\0';
	*out = strtoull(text, &end, 10);
	return len > 0 && *end == '\0' ? 0 : -MG_EPROTO;
}

/* guard_bucket_take, or with take false guard_bucket_peek. */
static int
gcra(struct kv *kv, const char *key, const struct conf_guard_rate *r, uint64_t now_ms,
    uint64_t *wait_ms, bool take)
{
	uint64_t now = now_ms * 1000, tat = 0, t, limit;
	char text[32];
	int rc, n;

	*wait_ms = 0;
	if (r->rate == 0)
		return 1;
	t = (uint64_t)r->per * 1000000 / r->rate;	/* microseconds per token */
	if (t == 0)
		t = 1;
	if ((rc = kv_get_u64(kv, key, &tat)) < 0 && rc != -MG_ENOENT && rc != -MG_EPROTO)
		return rc;
	if (tat < now)
		tat = now;
	limit = now + (uint64_t)r->burst * t;
	if (tat + t > limit) {
		*wait_ms = (tat + t - limit + 999) / 1000;
		return 0;
	}
	if (!take)
		return 1;
	tat += t;
	n = snprintf(text, sizeof(text), "%" PRIu64, tat);
	rc = kv_put(kv, key, strlen(key), text, (size_t)n,
	    (uint32_t)((tat - now) / 1000000 + 2));
	return rc < 0 ? rc : 1;
}

int
guard_bucket_take(struct kv *kv, const char *key, const struct conf_guard_rate *r,
    uint64_t now_ms, uint64_t *wait_ms)
{
	return gcra(kv, key, r, now_ms, wait_ms, true);
}

int
guard_bucket_peek(struct kv *kv, const char *key, const struct conf_guard_rate *r,
    uint64_t now_ms, uint64_t *wait_ms)
{
	return gcra(kv, key, r, now_ms, wait_ms, false);
}

/* Stored: "w<first seen>" while waiting, "a" once allowed. */
int
guard_greylist(struct kv *kv, const struct conf_greylist *g, const char *key, time_t now,
    uint32_t *wait_s)
{
	char text[32], *end;
	size_t len, klen = strlen(key);
	long long first;
	int rc, n;

	*wait_s = 0;
	rc = kv_get(kv, key, klen, text, sizeof(text) - 1, &len);
	if (rc < 0 && rc != -MG_ENOENT && rc != -MG_ELIMIT)
		return rc;
	if (rc == 0 && len == 1 && text[0] == 'a') {
		rc = kv_put(kv, key, klen, "a", 1, g->auto_allow);
		return rc < 0 ? rc : GUARD_GREY_ALLOWED;
	}
	if (rc == 0 && len > 1 && text[0] == 'w') {
		text[len] = '\0';
		first = strtoll(text + 1, &end, 10);
		if (*end == '\0' && first <= now && now < first + g->delay) {
			*wait_s = (uint32_t)(first + g->delay - now);
			return GUARD_GREY_EARLY;
		}
		if (*end == '\0' && now >= first + g->delay &&
		    now <= first + g->delay + g->retry_window) {
			rc = g->auto_allow > 0 ? kv_put(kv, key, klen, "a", 1, g->auto_allow) :
			    kv_del(kv, key, klen);
			return rc < 0 && rc != -MG_ENOENT ? rc : GUARD_GREY_PASSED;
		}
	}
	/* new, expired or unreadable: the triplet starts over */
	n = snprintf(text, sizeof(text), "w%lld", (long long)now);
	*wait_s = g->delay;
	rc = kv_put(kv, key, klen, text, (size_t)n, g->delay + g->retry_window + 1);
	return rc < 0 ? rc : GUARD_GREY_NEW;
}

/* ip, and its /24 or /64 network, as text; IPv4-mapped IPv6 as IPv4. */
int
guard_client_init(struct guard_client *gc, const struct conf_guard *c,
    const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t a[16], n[16] = { 0 };
	int family = sa->sa_family, bits;

	memset(gc, 0, sizeof(*gc));
	if (family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	} else {
		return -MG_EINVAL;
	}
	bits = family == AF_INET ? 24 : 64;
	memcpy(n, a, (size_t)bits / 8);
	if (inet_ntop(family, a, gc->ip, sizeof(gc->ip)) == NULL ||
	    inet_ntop(family, n, gc->net, sizeof(gc->net) - 4) == NULL)
		return -MG_EINVAL;
	snprintf(gc->net + strlen(gc->net), 4, "/%d", bits);
	for (size_t i = 0; i < c->nallow; i++)
		if (conf_net_contains(&c->allow[i], family, a))
			gc->allowed = true;
	return 0;
}

static uint64_t
clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct guard *
guard_new(struct kv *kv, uint64_t (*clock_ms)(void))
{
	struct guard *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		kv_close(kv);
		return NULL;
	}
	g->kv = kv;
	g->clock_ms = clock_ms != NULL ? clock_ms : clock_real_ms;
	return g;
}

struct guard *
guard_free(struct guard *g)
{
	if (g != NULL) {
		kv_close(g->kv);
		free(g);
	}
	return NULL;
}

/* One bucket of scope for id ("guard:b:SCOPE:ID"), taken from or (take
 * false) only looked at: PASS or reason with its reply "CODE Text, try
 * again in N seconds". */
static enum guard_reason
bucket_op(struct guard *g, const struct conf_guard *c, enum conf_guard_scope scope,
    const char *id, enum guard_reason reason, const char *text, char *reply, size_t cap,
    bool take)
{
	char key[KV_KEY_MAX];
	uint64_t wait;
	int rc;

	if (c->rates[scope].rate == 0)
		return GUARD_PASS;
	snprintf(key, sizeof(key), "guard:b:%s:%.*s", conf_guard_scope_names[scope],
	    SENDER_MAX, id);
	rc = gcra(g->kv, key, &c->rates[scope], g->clock_ms(), &wait, take);
	if (rc < 0)
		log_warn("guard kv error=\"%s\" key=%s action=pass", mg_strerror(rc),
		    conf_guard_scope_names[scope]);
	if (rc != 0)
		return GUARD_PASS;
	snprintf(reply, cap, "%s, try again in %" PRIu64 " seconds", text, (wait + 999) / 1000);
	return reason;
}

static enum guard_reason
bucket(struct guard *g, const struct conf_guard *c, enum conf_guard_scope scope,
    const char *id, enum guard_reason reason, const char *text, char *reply, size_t cap)
{
	return bucket_op(g, c, scope, id, reason, text, reply, cap, true);
}

enum guard_reason
guard_connect(struct guard *g, const struct conf_guard *c, struct guard_client *gc,
    char *reply, size_t cap)
{
	char key[64];
	int64_t n;
	enum guard_reason r;
	int rc;

	if (gc->allowed)
		return GUARD_PASS;
	if ((r = guard_pregreet_listed(g, c, gc, reply, cap)) != GUARD_PASS)
		return r;
	if (c->max_connections_per_ip > 0) {
		snprintf(key, sizeof(key), "guard:c:%s", gc->ip);
		if ((rc = kv_incr(g->kv, key, strlen(key), 1, CONN_TTL, &n)) < 0) {
			log_warn("guard kv error=\"%s\" key=connections action=pass",
			    mg_strerror(rc));
		} else if (n > (int64_t)c->max_connections_per_ip) {
			(void)kv_incr(g->kv, key, strlen(key), -1, CONN_TTL, NULL);
			snprintf(reply, cap, "421 4.7.0 Too many connections from your address");
			return GUARD_CONN_LIMIT;
		} else {
			gc->counted = true;
		}
	}
	if ((r = bucket(g, c, CONF_GUARD_CONN_IP, gc->ip, GUARD_CONN_RATE_IP,
	    "421 4.7.0 Connection rate limit exceeded for your address", reply, cap)) ==
	    GUARD_PASS)
		r = bucket(g, c, CONF_GUARD_CONN_NET, gc->net, GUARD_CONN_RATE_NET,
		    "421 4.7.0 Connection rate limit exceeded for your network", reply, cap);
	if (r != GUARD_PASS)
		guard_disconnect(g, gc);
	return r;
}

void
guard_disconnect(struct guard *g, struct guard_client *gc)
{
	char key[64];

	if (!gc->counted)
		return;
	gc->counted = false;
	snprintf(key, sizeof(key), "guard:c:%s", gc->ip);
	(void)kv_incr(g->kv, key, strlen(key), -1, CONN_TTL, NULL);
}

enum guard_reason
guard_mail(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    const char *sender, char *reply, size_t cap)
{
	char low[SENDER_MAX + 1];
	enum guard_reason r;

	if (gc->allowed)
		return GUARD_PASS;
	if ((r = bucket(g, c, CONF_GUARD_MSG_IP, gc->ip, GUARD_MSG_RATE_IP,
	    "451 4.7.1 Message rate limit exceeded for your address", reply, cap)) != GUARD_PASS)
		return r;
	snprintf(low, sizeof(low), "%s", *sender != '\0' ? sender : "<>");
	lower(low);
	return bucket(g, c, CONF_GUARD_MSG_SENDER, low, GUARD_MSG_RATE_SENDER,
	    "451 4.7.1 Message rate limit exceeded for this sender", reply, cap);
}

enum guard_reason
guard_mail_user(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    const char *user, char *reply, size_t cap)
{
	if (gc->allowed)
		return GUARD_PASS;
	return bucket(g, c, CONF_GUARD_MSG_USER, user, GUARD_MSG_RATE_USER,
	    "451 4.7.1 Message rate limit exceeded for this user", reply, cap);
}

#define R_AUTH_FAILURES	"421 4.7.0 Too many failed authentications from your address"

enum guard_reason
guard_auth(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    char *reply, size_t cap)
{
	if (gc->allowed)
		return GUARD_PASS;
	return bucket_op(g, c, CONF_GUARD_AUTH_FAIL_IP, gc->ip, GUARD_AUTH_FAILURES,
	    R_AUTH_FAILURES, reply, cap, false);
}

void
guard_auth_failed(struct guard *g, const struct conf_guard *c, const struct guard_client *gc)
{
	char reply[GUARD_REPLY_MAX];

	if (!gc->allowed)
		(void)bucket(g, c, CONF_GUARD_AUTH_FAIL_IP, gc->ip, GUARD_AUTH_FAILURES,
		    R_AUTH_FAILURES, reply, sizeof(reply));
}

static enum guard_reason
greylist_check(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    const char *sender, const char *rcpt, char *reply, size_t cap)
{
	char key[KV_KEY_MAX];
	uint32_t wait;
	int rc;

	snprintf(key, sizeof(key), "guard:g:%s|%.*s|%.*s", gc->net, SENDER_MAX / 2, sender,
	    SENDER_MAX / 2, rcpt);
	lower(key);
	rc = guard_greylist(g->kv, &c->greylist, key, (time_t)(g->clock_ms() / 1000), &wait);
	if (rc < 0) {
		log_warn("guard kv error=\"%s\" key=greylist action=pass", mg_strerror(rc));
		return GUARD_PASS;
	}
	if (rc == GUARD_GREY_PASSED || rc == GUARD_GREY_ALLOWED)
		return GUARD_PASS;
	snprintf(reply, cap, "451 4.7.1 Greylisted, please try again in %u seconds", wait);
	return GUARD_GREYLISTED;
}

/* messages_per_rcpt_domain: the bucket of rcpt's domain (lower case),
 * whose refusal names the domain. */
static enum guard_reason
rcpt_domain(struct guard *g, const struct conf_guard *c, const char *rcpt, char *reply,
    size_t cap)
{
	const char *at = strrchr(rcpt, '@');
	char dom[256], text[GUARD_REPLY_MAX];

	if (c->rates[CONF_GUARD_MSG_RCPT_DOMAIN].rate == 0 || at == NULL)
		return GUARD_PASS;
	snprintf(dom, sizeof(dom), "%s", at + 1);
	lower(dom);
	snprintf(text, sizeof(text), "451 4.7.1 Message rate limit exceeded for domain %.64s",
	    dom);
	return bucket(g, c, CONF_GUARD_MSG_RCPT_DOMAIN, dom, GUARD_MSG_RATE_RCPT_DOMAIN, text,
	    reply, cap);
}

enum guard_reason
guard_rcpt(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    char *reply, size_t cap)
{
	if (gc->allowed)
		return GUARD_PASS;
	return bucket(g, c, CONF_GUARD_RCPT_IP, gc->ip, GUARD_RCPT_RATE_IP,
	    "451 4.7.1 Recipient rate limit exceeded for your address", reply, cap);
}

enum guard_reason
guard_rcpt_unknown(const struct conf_guard *c, struct guard_client *gc, char *reply,
    size_t cap)
{
	uint32_t max = c->recipients.max_unknown;

	if (max > 0 && ++gc->unknown > max) {
		snprintf(reply, cap, "421 4.7.0 Too many unknown recipients, closing connection");
		return GUARD_UNKNOWN_LIMIT;
	}
	snprintf(reply, cap, "550 5.1.1 User unknown");
	return GUARD_UNKNOWN_RCPT;
}

enum guard_reason
guard_rcpt_accept(struct guard *g, const struct conf_guard *c, const struct guard_client *gc,
    bool greylist, const char *sender, const char *rcpt, char *reply, size_t cap)
{
	const char *at = strrchr(rcpt, '@');
	enum guard_reason r;

	if (gc->allowed)
		return GUARD_PASS;
	if ((r = rcpt_domain(g, c, rcpt, reply, cap)) != GUARD_PASS)
		return r;
	if (!greylist || gc->dnswl || !c->greylist.enabled || at == NULL ||
	    !conf_domains_cover(c->greylist.domains, c->greylist.ndomains, at + 1))
		return GUARD_PASS;
	return greylist_check(g, c, gc, sender, rcpt, reply, cap);
}

void
guard_refused(struct guard *g, uint64_t sid, enum guard_reason r, const char *ip)
{
	g->refused[r]++;
	if (sid != 0)
		log_info("%016" PRIx64 " smtp refuse reason=%s ip=%s", sid,
		    guard_reason_names[r], ip);
	else
		log_info("smtp refuse reason=%s ip=%s", guard_reason_names[r], ip);
}

void
guard_log_stats(const struct guard *g)
{
	char line[512];
	size_t off = 0;

	for (int i = 1; i < GUARD_NREASONS && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%" PRIu64,
		    guard_reason_names[i], g->refused[i]);
	log_info("smtpd guard refused%s", line);
}
