/* Recipient validation at RCPT (docs/guard.md): guard.recipients decides
 * whether an address exists from the static list, an LDAP directory
 * (verify_ldap.c) or an RCPT probe to the protected server
 * (verify_callout.c), the first that covers the domain. Answers are
 * cached in the guard's kv; failures never are. Lookups are asynchronous
 * on smtpd's event loop. */
#ifndef MG_GUARD_VERIFY_H
#define MG_GUARD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conf.h"
#include "store/kv.h"

struct event_base;

enum verify_result {
	VERIFY_KNOWN,			/* the recipient exists */
	VERIFY_UNKNOWN,			/* it does not: 550 5.1.1 */
	VERIFY_FAILED,			/* no answer (timeout, server down, ...) */
	VERIFY_UNCHECKED,		/* no method covers its domain */
	VERIFY_PENDING,			/* the answer comes through the callback */
};

#define VERIFY_DETAIL_MAX	256

/* A lookup's answer; detail says what the method saw ("ldap: no entry",
 * "callout: 550 5.1.1 ... from mail.example.com[192.0.2.1]:25",
 * "ldap: timeout after 2000 ms"), for the log. Runs on the event loop,
 * never from inside the call that started the lookup. */
typedef void (*verify_cb)(enum verify_result, const char *detail, void *arg);

/* --- the methods: one object per configuration generation ------------ */

struct verify_ldap;
/* NULL when out of memory; connects on the first lookup and again after
 * a failure. c is borrowed and outlives the object. */
struct verify_ldap *verify_ldap_new(struct event_base *, const struct conf_rcpt_ldap *c);
/* Pending lookups are dropped without their callback. */
struct verify_ldap *verify_ldap_free(struct verify_ldap *);
/* Starts a lookup of addr (copied): 0, then cb exactly once within
 * c->timeout_ms (plus a little); or a negative error and no cb. */
int	verify_ldap_lookup(struct verify_ldap *, const char *addr, verify_cb, void *arg);

struct verify_callout;
/* helo: the name we give in EHLO. c borrowed, outlives the object. */
struct verify_callout *verify_callout_new(struct event_base *,
	    const struct conf_rcpt_callout *c, const char *helo);
struct verify_callout *verify_callout_free(struct verify_callout *);
/* Probes route's host for addr (both copied): 0, then cb exactly once
 * within c->timeout_ms (plus a little; probes beyond max_parallel wait
 * their turn within that time); or a negative error and no cb. 5xx to
 * RCPT is VERIFY_UNKNOWN, 2xx KNOWN, anything else FAILED. */
int	verify_callout_lookup(struct verify_callout *, const struct conf_route *route,
	    const char *addr, verify_cb, void *arg);

/* The static list: 1 when addr (local@domain) is listed or its domain
 * has a "@domain" entry, 0 when its domain is listed but not addr, -1
 * when its domain is not listed (not covered). Case-insensitive. */
int	verify_static(const struct conf_recipients *, const char *addr, size_t len);

/* --- the dispatcher ---------------------------------------------------- */

struct verify {
	const struct conf_recipients *conf;	/* borrowed */
	struct kv	*cache;			/* borrowed: the guard's */
	struct verify_ldap *ldap;		/* NULL: not configured */
	struct verify_callout *callout;		/* NULL: not enabled */
};

/* NULL when out of memory. */
struct verify *verify_new(struct event_base *, const struct conf_recipients *,
	    struct kv *cache, const char *helo);
struct verify *verify_free(struct verify *);

/* addr is "local@domain" of a protected domain whose route is route.
 * Answers at once (static list, cache, no method: never PENDING with cb
 * unused) or returns VERIFY_PENDING and calls cb once later; the answer
 * is cached then. detail gets a text for the log either way (may be
 * NULL). */
enum verify_result verify_rcpt(struct verify *, const char *addr,
	    const struct conf_route *route, verify_cb, void *arg,
	    char *detail, size_t detail_len);

#endif
